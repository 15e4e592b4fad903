// scrub.c — SCRUB (Kurmanji et al. 2023): the student starts as the original model, the teacher is a frozen
// copy of it.  Each of the first scrub_max_epochs epochs starts with a max-pass over D_f (ascent on the KL
// between teacher and student), then every epoch makes a min-pass over D_r (γ·CE + α·KL).  As the public
// code: teacher in eval mode, student in train mode, KL(p_teacher ‖ p_student) at temperature T times T².
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "common/util.h"
#include "dist/dist.h"
#include "nn/executor.h"
#include "nn/loss_kl.h"
#include "unlearn/baselines.h"
#include "unlearn/loop.h"

// The KL part of the distillation loss, kept for the tests (the math is nn's: kl_distill_add, nn/loss_kl.c).
double scrub_kl(int n, int K, const float* student, const float* teacher, double T, double weight,
                int64_t n_global, float* dlogits) {
    return kl_distill_add(n, K, student, teacher, T, weight, n_global, dlogits);
}

static struct { int32_t* pred; size_t cap; } S;

static int32_t* predictions_for(int n) {
    size_t need = n > 0 ? (size_t)n : 1;
    if (need > S.cap) free(S.pred), S.cap = need, S.pred = ug_malloc(need * sizeof(int32_t));
    return S.pred;
}

// One step; max = 1: ascent on the KL over a forget batch; max = 0: γ·CE + α·KL over a retain batch.  Both
// forwards leave their logits where the executor runs (the device on a GPU); the fused distillation loss
// (model_kl_loss_backward) returns only the objective and the student's predictions.
// stats[0] += the global objective, stats[1] += correct predictions, stats[2] += global batch size,
// stats[3] = 1 when a rank received SIGTERM/SIGUSR1.  Returns 0 when the loss or gradient was non-finite.
static int scrub_step(const UnlearnConfig* c, Trainer* t, Model* teacher, const Batch* b, int max, double* stats) {
    Model* m = t->model;
    int64_t G = trainer_global_count(t, b->n);
    UG_CHECK(G > 0, "scrub step %lld: the global batch is empty", (long long)t->step);
    double t0 = ug_now();
    int32_t* pred = predictions_for(b->n);
    DistillLoss loss = {.temperature = c->scrub_t, .n_global = G};
    if (max) {
        loss.kl_weight = -1.0;   // ascent on the KL; no CE
    } else {
        loss.kl_weight = c->scrub_alpha;
        loss.labels = b->y;
        loss.ce_weight = (float)c->scrub_gamma;
    }
    double local[2] = {0, 0};
    model_forward_resident(m, b->n, b->x, 1);
    if (b->n > 0) model_forward_resident(teacher, b->n, b->x, 0);
    local[0] = model_kl_loss_backward(m, teacher, &loss, pred);
    for (int i = 0; i < b->n; i++) local[1] += pred[i] == b->y[i];
    t->timers.compute += ug_now() - t0;
    trainer_allreduce_grads(t);
    double red[3] = {local[0], local[1], (double)trainer_signal_received()};
    t0 = ug_now();
    dist_allreduce_sum_f64(red, 3);
    t->timers.allreduce += ug_now() - t0;
    stats[0] += red[0];
    stats[1] += red[1];
    stats[2] += (double)G;
    if (red[2] > 0) stats[3] = 1;
    if (!isfinite(red[0])) return 0;
    return isfinite(trainer_apply(t, c->lr));
}

double scrub_max_step(const UnlearnConfig* c, Trainer* t, Model* teacher, const Batch* forget) {
    double stats[4] = {0};
    scrub_step(c, t, teacher, forget, 1, stats);
    return -stats[0];
}

// One pass of a loader; returns 0 when a step diverged or a signal arrived (out says which).
static int scrub_pass(const UnlearnConfig* c, Trainer* t, Model* teacher, Loader* l, int epoch, int max,
                      UnlearnResult* out, double* acc, DivergenceGuard* guard) {
    loader_start_epoch(l, epoch);
    int64_t steps = loader_steps_per_epoch(l);
    Progress prog;
    char label[64];
    snprintf(label, sizeof label, "scrub epoch %d/%d %s", epoch + 1, c->epochs, max ? "max D_f" : "min D_r");
    progress_start(&prog, label, "step", steps);
    double stats[4] = {0};
    Batch b;
    for (int64_t s = 0;; s++) {
        double tw = ug_now();
        int more = loader_next(l, &b);
        t->timers.data_wait += ug_now() - tw;
        if (!more) break;
        int ok = scrub_step(c, t, teacher, &b, max, stats);
        out->steps++;
        if (!ok) {
            unlearn_guard_nonfinite(guard, epoch, s, out);
            return 0;
        }
        char extra[64];
        snprintf(extra, sizeof extra, "%s %.4f", max ? "KL" : "loss", max ? -stats[0] / (double)(s + 1) : stats[0] / (double)(s + 1));
        progress_update(&prog, s + 1, extra);
        if (stats[3] > 0) {
            out->early_stopped = 1;
            out->signalled = 1;
            snprintf(out->reason, sizeof out->reason, "stopped by a signal at epoch %d step %lld", epoch + 1, (long long)s);
            return 0;
        }
    }
    *acc = stats[2] > 0 ? 100.0 * stats[1] / stats[2] : NAN;
    char extra[96];
    snprintf(extra, sizeof extra, "%s %.4f  acc(batches) %.2f%%", max ? "mean KL" : "mean loss",
             (max ? -stats[0] : stats[0]) / (double)(steps ? steps : 1), *acc);
    progress_finish(&prog, steps, extra);
    return 1;
}

void scrub_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out) {
    memset(out, 0, sizeof *out);
    out->mean_alpha = NAN;
    UG_CHECK(sp->n_retain > 0, "scrub: the retain set of the split is empty");
    t->die_on_nonfinite = 0;
    double t_setup = ug_now();
    LoaderConfig rc = unlearn_loader_config(c, sp->retain, sp->n_retain, 0);
    LoaderConfig fc = unlearn_loader_config(c, sp->forget, sp->n_forget, 1000003);
    Loader* lr = loader_create(ds, &rc, g_dist.rank, g_dist.world);
    Loader* lf = loader_create(ds, &fc, g_dist.rank, g_dist.world);
    double t_start = ug_now();
    out->setup_s = dist_max_f64(t_start - t_setup);
    Model* teacher = model_create(&t->model->cfg, t->model->backend);
    model_place_like(teacher, t->model);   // on the student's device: its logits stay there too
    model_copy_state(teacher, t->model);
    DivergenceGuard guard;
    RetainProbe probe;
    double tg = ug_now();
    divergence_init(&guard, t->model);
    retain_probe_open(&probe, c, ds, sp);
    probe.seconds += ug_now() - tg;
    for (int epoch = 0; epoch < c->epochs; epoch++) {
        tg = ug_now();
        divergence_epoch_begin(&guard);
        probe.seconds += ug_now() - tg;
        double acc;
        if (epoch < c->scrub_max_epochs) {
            if (!scrub_pass(c, t, teacher, lf, epoch, 1, out, &acc, &guard)) break;
            out->forget_acc = acc;
        }
        if (!scrub_pass(c, t, teacher, lr, epoch, 0, out, &acc, &guard)) break;
        out->retain_acc = acc;
        out->epochs_done = epoch + 1;
        if (unlearn_guard_epoch_end(&guard, &probe, t, epoch, out)) break;
    }
    out->rte_s = dist_max_f64(ug_now() - t_start - probe.seconds);
    out->timers = t->timers;
    divergence_free(&guard);
    retain_probe_close(&probe);
    model_destroy(teacher);
    loader_destroy(lr);
    loader_destroy(lf);
}

static void scrub_validate(const UnlearnConfig* c) {
    UG_CHECK(c->scrub_t > 0, "unlearn: --scrub-t (temperature) must be > 0 (got %g)", c->scrub_t);
    UG_CHECK(c->scrub_gamma >= 0 && c->scrub_alpha >= 0, "unlearn: --scrub-gamma and --scrub-alpha must be >= 0");
    UG_CHECK(c->scrub_max_epochs >= 0, "unlearn: --scrub-max-epochs must be >= 0 (got %d)", c->scrub_max_epochs);
}

static const MethodOption SCRUB_ROWS[] = {
    {"scrub-t", OPT_DOUBLE, offsetof(UnlearnConfig, scrub_t), "T", 4, NULL, "distillation temperature", NULL, NULL},
    {"scrub-gamma", OPT_DOUBLE, offsetof(UnlearnConfig, scrub_gamma), "G", 0.99, NULL, "weight of CE in the min-steps",
     NULL, NULL},
    {"scrub-alpha", OPT_DOUBLE, offsetof(UnlearnConfig, scrub_alpha), "A", 0.001, NULL,
     "weight of the KL in the min-steps", NULL, NULL},
    {"scrub-max-epochs", OPT_INT, offsetof(UnlearnConfig, scrub_max_epochs), "N", 2, NULL,
     "the first N epochs begin with a max-pass over D_f", NULL, NULL},
};
static const MethodOptionGroup SCRUB_OPTIONS = {SCRUB_ROWS, sizeof SCRUB_ROWS / sizeof *SCRUB_ROWS};

const MethodDef method_scrub = {
    .name = "scrub",
    .kind = METHOD_SCRUB,
    .summary = "teacher = original; max-KL passes on D_f, CE + KL passes on D_r",
    .stream = STREAM_NONE,
    .loss = LOSS_NONE,
    .retain_sign = +1,
    .forget_sign = -1,
    .run = scrub_run,
    .validate = scrub_validate,
    .options = &SCRUB_OPTIONS,
};
