// step.c — one unlearning step on a retain part and a forget part (see method.h: unlearn_step, eq8_terms).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "dist/dist.h"
#include "nn/executor.h"
#include "unlearn/baselines.h"
#include "unlearn/method.h"

void eq8_terms(int n_r, int n_f, int64_t G_r, int64_t G_f, double p, const float* alpha_forget, float fixed_alpha,
               float* alpha, float* weight) {
    double G = (double)(G_r + G_f);
    for (int i = 0; i < n_r; i++) {
        alpha[i] = 0.0f;
        weight[i] = (float)(p * G / (double)G_r);
    }
    for (int i = 0; i < n_f; i++) {
        alpha[n_r + i] = alpha_forget ? alpha_forget[i] : fixed_alpha;
        weight[n_r + i] = (float)(-(1.0 - p) * G / (double)G_f);
    }
}

int32_t rl_random_label(uint64_t seed, int64_t index, int K) {
    Rng r;
    rng_init(&r, seed, RNG_LABELS, (uint64_t)index, 0);
    return (int32_t)rng_below(&r, (uint32_t)K);
}

// Scratch space reused across steps (grown on demand).
static struct {
    float *alpha, *weight, *retain_all, *retain_local;   // retain rows: global (gathered), this rank's
    size_t cap_n, cap_retain_all, cap_retain_local;
    int* counts;
    int* displs;
} W;

static void grow(float** p, size_t* cap, size_t need) {
    if (need <= *cap && *p) return;
    free(*p);
    *p = ug_aligned_alloc((need ? need : 1) * sizeof(float));
    *cap = need;
}

static void ensure_work(size_t n) {
    if (n <= W.cap_n && W.alpha) return;
    size_t c = n ? n : 1;
    free(W.alpha); free(W.weight);
    W.alpha = ug_malloc(c * sizeof(float));
    W.weight = ug_malloc(c * sizeof(float));
    W.cap_n = c;
}

// Gathers the retain rows of every rank: the self-adaptive alpha compares each forget sample with the whole
// global retain batch, so alpha does not depend on the rank count.
static const float* gather_retain(const float* local, int n_local, int dim, int64_t G_r) {
    grow(&W.retain_all, &W.cap_retain_all, (size_t)G_r * dim);
    if (g_dist.world == 1) {
        memcpy(W.retain_all, local, (size_t)n_local * dim * sizeof(float));
        return W.retain_all;
    }
    if (!W.counts) {
        W.counts = ug_calloc((size_t)g_dist.world, sizeof(int));
        W.displs = ug_calloc((size_t)g_dist.world, sizeof(int));
    }
    int mine = n_local * dim;
    MPI_CHECK(MPI_Allgather(&mine, 1, MPI_INT, W.counts, 1, MPI_INT, g_dist.comm));
    int off = 0;
    for (int r = 0; r < g_dist.world; r++) W.displs[r] = off, off += W.counts[r];
    MPI_CHECK(MPI_Allgatherv(local, mine, MPI_FLOAT, W.retain_all, W.counts, W.displs, MPI_FLOAT, g_dist.comm));
    return W.retain_all;
}

int unlearn_step(const UnlearnConfig* c, Trainer* t, const Batch* retain, const Batch* forget, UnlearnStep* out) {
    static const Batch EMPTY = {0};
    Model* m = t->model;
    // The method's row says what each part's loss is (registry.h); a part whose Eq. 8 weight is zero is left out
    // entirely (see method.h).
    const MethodDef* def = method_def_of(c);
    UG_CHECK(def->loss == LOSS_CE || def->loss == LOSS_EQ8, "unlearn_step: method %s has no per-step loss", def->name);
    const int eq8 = def->loss == LOSS_EQ8;
    int use_r = retain && (eq8 ? c->p > 0 : 1);
    int use_f = forget && (eq8 ? c->p < 1 : 1);
    const Batch* br = use_r ? retain : &EMPTY;
    const Batch* bf = use_f ? forget : &EMPTY;
    int n_r = br->n, n_f = bf->n, n = n_r + n_f;

    double t0 = ug_now();
    int64_t G[2] = {n_r, n_f};
    dist_allreduce_sum_i64(G, 2);
    t->timers.allreduce += ug_now() - t0;
    UG_CHECK(G[0] + G[1] > 0, "unlearning step %lld: the global batch is empty", (long long)t->step);
    memset(out, 0, sizeof *out);
    out->G_r = G[0];
    out->G_f = G[1];

    ensure_work((size_t)n);
    int adaptive = eq8 && isnan(c->alpha);
    // Per-sample alpha and weight of the whole local batch [retain ; forget].
    if (eq8) {
        eq8_terms(n_r, n_f, G[0], G[1], c->p, NULL, isnan(c->alpha) ? 0.0f : (float)c->alpha, W.alpha, W.weight);
    } else {   // CE with the row's sign per part (GA: -1 on D_f; FT: +1 on D_r; RL: +1 on the relabelled union)
        for (int i = 0; i < n_r; i++) W.alpha[i] = 0, W.weight[i] = (float)def->retain_sign;
        for (int i = n_r; i < n; i++) W.alpha[i] = 0, W.weight[i] = (float)def->forget_sign;
    }
    // B_r and B_f go through separate forward passes (each with its own BatchNorm batch statistics, as two
    // forward calls in PyTorch); their gradients are summed.  Both go through the trainer and the model's
    // executor: on a GPU the logits, the loss and the gradients stay on the device (only per-sample losses and
    // logits come back) and the adaptive alpha is the device kernel.
    int64_t n_global = G[0] + G[1];   // the loss scale 1/|B| of trainer_compute
    double stats[6] = {0};   // loss sum, correct_r, correct_f, alpha sum, stop, non-finite
    int from_features = c->alpha_distance == DIST_COSINE;
    int dim = from_features ? m->feature_dim : (n_r ? br->h * br->w * br->c : bf->h * bf->w * bf->c);
    const float* retain_rows = NULL;
    if (n_r > 0) {
        trainer_compute(t, n_r, br->x, br->y, W.alpha, W.weight, n_global);
        if (adaptive) {   // kept for the gather (backward does not touch the forward's activations)
            grow(&W.retain_local, &W.cap_retain_local, (size_t)n_r * dim);
            memcpy(W.retain_local, from_features ? model_features(m) : br->x, (size_t)n_r * dim * sizeof(float));
        }
        stats[0] += t->local_loss_sum;
        stats[1] += t->local_correct;
        if (n_f > 0) model_grad_save(m);   // where the gradients live (host or GPU)
    }
    if (adaptive && G[1] > 0 && G[0] > 0) {
        // Collective: every rank contributes its retain rows, even when it has none.
        double tg = ug_now();
        retain_rows = gather_retain(W.retain_local, n_r, dim, G[0]);
        t->timers.allreduce += ug_now() - tg;
    }
    if (n_f > 0) {
        trainer_forward(t, n_f, bf->x);
        if (adaptive) {
            double ta = ug_now();
            if (retain_rows) {
                AlphaQuery q = {.from_features = from_features, .forget_host = bf->x, .n_forget = n_f,
                                .retain = retain_rows, .n_retain = (int)G[0], .dim = dim, .n_forget_global = (int)G[1],
                                .kind = c->alpha_distance, .beta = c->beta, .sign = c->alpha_sign,
                                .scale = c->alpha_scale};
                model_adaptive_alpha(m, W.alpha + n_r, &q);
            } else {
                for (int i = 0; i < n_f; i++) W.alpha[n_r + i] = 0.0f;   // no retain batch: nothing near
            }
            t->timers.compute += ug_now() - ta;
        }
        trainer_loss_backward(t, n_f, bf->y, W.alpha + n_r, W.weight + n_r, n_global);
        stats[0] += t->local_loss_sum;
        stats[2] += t->local_correct;
        for (int i = 0; i < n_f; i++) stats[3] += W.alpha[n_r + i];
        if (n_r > 0) model_grad_add_saved(m);
    }
    if (n == 0) model_grad_zero(m);   // this rank adds nothing
    trainer_allreduce_grads(t);
    stats[4] = trainer_signal_received();
    stats[5] = !isfinite(stats[0]);
    t0 = ug_now();
    dist_allreduce_sum_f64(stats, 6);
    t->timers.allreduce += ug_now() - t0;
    out->loss = stats[0] / (double)(G[0] + G[1]);
    out->correct_r = (int64_t)stats[1];
    out->correct_f = (int64_t)stats[2];
    out->alpha_sum = stats[3];
    out->stop = stats[4] > 0;
    if (stats[5] > 0) return 0;
    return isfinite(trainer_apply(t, c->lr));
}

