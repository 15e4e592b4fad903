// trainer.c — the data-parallel SGD step (see trainer.h).
#include "train/trainer.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/util.h"
#include "dist/dist.h"
#include "nn/executor.h"

static volatile sig_atomic_t g_signal;

static void on_signal(int sig) { g_signal = sig; }

void trainer_install_signal_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    UG_CHECK(sigaction(SIGTERM, &sa, NULL) == 0 && sigaction(SIGUSR1, &sa, NULL) == 0,
             "cannot install the SIGTERM/SIGUSR1 handlers");
}

int trainer_signal_received(void) { return g_signal != 0; }

void trainer_init(Trainer* t, Model* m, const SgdConfig* sgd) {
    memset(t, 0, sizeof *t);
    t->model = m;
    t->die_on_nonfinite = 1;
    sgd_init(&t->sgd, sgd, m->num_params);
}

void trainer_free(Trainer* t) {
    sgd_free(&t->sgd);
    free(t->sample_loss);
    free(t->sample_pred);
    free(t->logits);
    memset(t, 0, sizeof *t);
}

static void ensure_cap(Trainer* t, size_t n) {
    if (n <= t->cap) return;
    size_t K = (size_t)t->model->cfg.num_classes;
    free(t->sample_loss); free(t->sample_pred); free(t->logits);
    t->sample_loss = ug_malloc(n * sizeof(float));
    t->logits = ug_aligned_alloc(n * K * sizeof(float));
    t->sample_pred = ug_malloc(n * sizeof(int32_t));
    t->cap = n;
}

int64_t trainer_global_count(Trainer* t, int n_local) {
    int64_t n = n_local;
    double t0 = ug_now();
    if (g_dist.world > 1) dist_allreduce_sum_i64(&n, 1);
    t->timers.allreduce += ug_now() - t0;
    return n;
}

void trainer_forward(Trainer* t, int n, const float* x) {
    double t0 = ug_now();
    ensure_cap(t, n > 0 ? (size_t)n : 1);
    model_forward_resident(t->model, n, x, 1);
    t->timers.compute += ug_now() - t0;
}

static void check_labels(const Trainer* t, int n, const int32_t* y) {
    int K = t->model->cfg.num_classes;
    for (int i = 0; i < n; i++)
        UG_CHECK(y[i] >= 0 && y[i] < K, "training step %lld: label %d outside 0..%d", (long long)t->step, y[i], K - 1);
}

static float loss_scale(int64_t n_global) { return n_global > 0 ? 1.0f / (float)n_global : 0.0f; }

static void count_correct(Trainer* t, int n, const int32_t* y, int K) {
    double correct = 0;
    for (int i = 0; i < n; i++) {
        t->sample_pred[i] = ug_argmax(t->logits + (size_t)i * K, K);
        correct += t->sample_pred[i] == y[i];
    }
    t->local_correct = correct;
}

void trainer_loss_backward(Trainer* t, int n, const int32_t* y, const float* alpha, const float* weight,
                           int64_t n_global) {
    double t0 = ug_now();
    Model* m = t->model;
    ensure_cap(t, n > 0 ? (size_t)n : 1);
    check_labels(t, n, y);
    t->local_loss_sum = model_loss_backward(m, y, alpha, weight, loss_scale(n_global), t->sample_loss, t->logits,
                                            NULL);
    count_correct(t, n, y, m->cfg.num_classes);
    t->timers.compute += ug_now() - t0;
}

void trainer_compute(Trainer* t, int n, const float* x, const int32_t* y, const float* alpha, const float* weight,
                     int64_t n_global) {
    double t0 = ug_now();
    Model* m = t->model;
    int K = m->cfg.num_classes;
    ensure_cap(t, n > 0 ? (size_t)n : 1);
    check_labels(t, n, y);
    // forward, loss and backward where the model runs: only the per-sample losses and the logits come back
    t->local_loss_sum = model_compute(m, n, x, y, alpha, weight, loss_scale(n_global), t->sample_loss, t->logits);
    count_correct(t, n, y, K);
    t->timers.compute += ug_now() - t0;
}

void trainer_allreduce_grads(Trainer* t) {
    double t0 = ug_now();
    model_allreduce_grads(t->model);
    t->timers.allreduce += ug_now() - t0;
}

// Hook, norm, clipping and SGD where the gradients live; returns the norm (non-finite: nothing updated).
// A hook works on host copies (no-ops on the CPU; on a GPU slower, but any hook works).
static double apply_update(Trainer* t, double lr) {
    Model* m = t->model;
    if (t->hook) {
        model_grads_to_host(m);
        model_state_to_host(m);
        t->hook(t, t->hook_ctx);
        model_grads_to_device(m);
    }
    double norm = model_grad_norm(m);
    if (!isfinite(norm)) return norm;
    if (t->clip_norm > 0) {   // grad_clip's arithmetic (PyTorch clip_grad_norm_): one float coefficient
        double coef = t->clip_norm / (norm + 1e-6);
        if (coef < 1.0) model_scale_grads(m, (float)coef);
    }
    model_sgd(m, &t->sgd, t->update_mask, (float)lr);
    return norm;
}

double trainer_apply(Trainer* t, double lr) {
    double t0 = ug_now();
    double norm = apply_update(t, lr);
    if (!isfinite(norm)) {
        if (t->die_on_nonfinite)
            ug_die("training step %lld: the gradient is NaN/Inf (diverged; lower the learning rate or enable "
                   "--clip-norm)", (long long)t->step);
        t->timers.compute += ug_now() - t0;
        return NAN;
    }
    t->step++;
    t->timers.compute += ug_now() - t0;
    return norm;
}

// TEST HOOK, not a feature: UG_DEBUG_STEP_DELAY_MS=N makes this rank sleep N ms in every training step, counted
// as compute, to make a straggler for the per-rank timing tests (tests/integration/test_cluster.sh).  0/unset: none.
static void debug_step_delay(Trainer* t) {
    static long ms = -1;
    if (ms < 0) {
        const char* s = getenv("UG_DEBUG_STEP_DELAY_MS");
        ms = s ? strtol(s, NULL, 10) : 0;
        if (ms < 0) ms = 0;
    }
    if (ms == 0) return;
    double t0 = ug_now();
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
    t->timers.compute += ug_now() - t0;
}

StepResult trainer_step(Trainer* t, const Batch* b, const float* alpha, const float* weight, double lr) {
    StepResult r = {0};
    debug_step_delay(t);
    r.n = trainer_global_count(t, b->n);
    UG_CHECK(r.n > 0, "training step %lld: the global batch is empty", (long long)t->step);
    model_overlap_next_backward(t->model);   // one backward, then the all-reduce: may overlap them
    trainer_compute(t, b->n, b->x, b->y, alpha, weight, r.n);
    trainer_allreduce_grads(t);
    int stop_local = trainer_signal_received() || (t->stop_after_steps > 0 && t->step + 1 >= t->stop_after_steps);
    double stats[3] = {t->local_loss_sum, t->local_correct, (double)stop_local};
    double t0 = ug_now();
    if (g_dist.world > 1) dist_allreduce_sum_f64(stats, 3);
    t->timers.allreduce += ug_now() - t0;
    r.loss = stats[0] / (double)r.n;
    r.acc = stats[1] / (double)r.n;
    r.stop = stats[2] > 0;
    if (!isfinite(r.loss)) {
        if (t->die_on_nonfinite)
            ug_die("training step %lld: the loss is NaN/Inf (diverged; lower the learning rate or enable --clip-norm)",
                   (long long)t->step);
        r.finite = 0;
        r.grad_norm = NAN;
        return r;
    }
    r.grad_norm = trainer_apply(t, lr);
    r.finite = isfinite(r.grad_norm);
    return r;
}

void trainer_add_data_wait(Trainer* t, double seconds) { t->timers.data_wait += seconds; }

void trainer_sync_buffers(Trainer* t) { model_sync_buffers(t->model); }

void owned_batch_reserve(OwnedBatch* o, int n, int h, int w, int c) {
    size_t need_x = (size_t)n * h * w * c, need_n = (size_t)n;
    if (need_x > o->cap_x || !o->b.x) {
        free(o->b.x);
        o->cap_x = need_x > 0 ? need_x : 1;
        o->b.x = ug_aligned_alloc(o->cap_x * sizeof(float));
    }
    if (need_n > o->cap_n || !o->b.y) {
        free(o->b.y); free(o->b.index);
        o->cap_n = need_n > 0 ? need_n : 1;
        o->b.y = ug_malloc(o->cap_n * sizeof(int32_t));
        o->b.index = ug_malloc(o->cap_n * sizeof(int64_t));
    }
    o->b.n = n;
    o->b.h = h; o->b.w = w; o->b.c = c;
}

void owned_batch_concat(OwnedBatch* o, const Batch* first, const Batch* second) {
    const Batch* shape = first->n > 0 ? first : second;
    if (first->n > 0 && second->n > 0)
        UG_CHECK(first->h == second->h && first->w == second->w && first->c == second->c,
                 "batch concat: different image sizes (%dx%dx%d vs %dx%dx%d)", first->h, first->w, first->c,
                 second->h, second->w, second->c);
    int n = first->n + second->n;
    size_t per = (size_t)shape->h * shape->w * shape->c;
    owned_batch_reserve(o, n, shape->h, shape->w, shape->c);
    if (first->n) memcpy(o->b.x, first->x, (size_t)first->n * per * sizeof(float));
    if (second->n) memcpy(o->b.x + (size_t)first->n * per, second->x, (size_t)second->n * per * sizeof(float));
    if (first->n) memcpy(o->b.y, first->y, (size_t)first->n * sizeof(int32_t));
    if (second->n) memcpy(o->b.y + first->n, second->y, (size_t)second->n * sizeof(int32_t));
    for (int i = 0; i < first->n; i++) o->b.index[i] = first->index ? first->index[i] : -1;
    for (int i = 0; i < second->n; i++) o->b.index[first->n + i] = second->index ? second->index[i] : -1;
}

void owned_batch_free(OwnedBatch* o) {
    free(o->b.x); free(o->b.y); free(o->b.index);
    memset(o, 0, sizeof *o);
}
