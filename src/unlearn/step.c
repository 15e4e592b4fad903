// step.c — one unlearning step on a retain part and a forget part (see method.h: unlearn_step, eq8_terms).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "dist/dist.h"
#include "nn/ops.h"
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
    float *alpha, *weight, *loss, *dlogits, *retain_all, *retain_local;   // retain rows: global (gathered), this rank's
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

static void ensure_work(size_t n, int K) {
    if (n <= W.cap_n && W.alpha) return;
    size_t c = n ? n : 1;
    free(W.alpha); free(W.weight); free(W.loss); free(W.dlogits);
    W.alpha = ug_malloc(c * sizeof(float));
    W.weight = ug_malloc(c * sizeof(float));
    W.loss = ug_malloc(c * sizeof(float));
    W.dlogits = ug_aligned_alloc(c * (size_t)K * sizeof(float));
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

static int argmax_row(const float* z, int K) {
    int best = 0;
    for (int k = 1; k < K; k++)
        if (z[k] > z[best]) best = k;
    return best;
}

int unlearn_step(const UnlearnConfig* c, Trainer* t, const Batch* retain, const Batch* forget, UnlearnStep* out) {
    static const Batch EMPTY = {0};
    Model* m = t->model;
    const int K = m->cfg.num_classes;
    // A part with zero weight is left out entirely (see method.h).
    int use_r = retain && (c->method != METHOD_UGRADSL && c->method != METHOD_UGRADSL_PLUS ? 1 : c->p > 0);
    int use_f = forget && (c->method != METHOD_UGRADSL && c->method != METHOD_UGRADSL_PLUS ? 1 : c->p < 1);
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

    t0 = ug_now();
    ensure_work((size_t)n, K);
    int adaptive = isnan(c->alpha) && (c->method == METHOD_UGRADSL || c->method == METHOD_UGRADSL_PLUS);
    // Per-sample alpha and weight of the whole local batch [retain ; forget].
    if (c->method == METHOD_GA) {
        for (int i = 0; i < n; i++) W.alpha[i] = 0, W.weight[i] = -1.0f;
    } else if (method_descends(c->method)) {
        for (int i = 0; i < n; i++) W.alpha[i] = 0, W.weight[i] = 1.0f;
    } else {
        eq8_terms(n_r, n_f, G[0], G[1], c->p, NULL, isnan(c->alpha) ? 0.0f : (float)c->alpha, W.alpha, W.weight);
    }
    // B_r and B_f go through separate forward passes (each with its own BatchNorm batch statistics, as two
    // forward calls in PyTorch); their gradients are summed.
    float scale = 1.0f / (float)(G[0] + G[1]);
    double stats[6] = {0};   // loss sum, correct_r, correct_f, alpha sum, stop, non-finite
    int dim = c->alpha_distance == DIST_COSINE ? m->feature_dim : (n_r ? br->h * br->w * br->c : bf->h * bf->w * bf->c);
    const float* retain_rows = NULL;
    if (n_r > 0) {
        const float* logits = model_forward(m, n_r, br->x, 1);
        if (adaptive) {
            grow(&W.retain_local, &W.cap_retain_local, (size_t)n_r * dim);   // kept for the gather
            memcpy(W.retain_local, c->alpha_distance == DIST_COSINE ? model_features(m) : br->x,
                   (size_t)n_r * dim * sizeof(float));
        }
        stats[0] += gls_xent(n_r, K, W.loss, W.dlogits, logits, br->y, W.alpha, W.weight, scale);
        for (int i = 0; i < n_r; i++) stats[1] += argmax_row(logits + (size_t)i * K, K) == br->y[i];
        model_backward(m, W.dlogits);
        if (n_f > 0) model_grad_save(m);   // where the gradients live (host or GPU)
    }
    if (adaptive && G[1] > 0 && G[0] > 0) {
        // Collective: every rank contributes its retain rows, even when it has none.
        double tg = ug_now();
        retain_rows = gather_retain(W.retain_local, n_r, dim, G[0]);
        t->timers.allreduce += ug_now() - tg;
    }
    if (n_f > 0) {
        const float* logits = model_forward(m, n_f, bf->x, 1);
        if (adaptive) {
            const float* rows = c->alpha_distance == DIST_COSINE ? model_features(m) : bf->x;
            if (retain_rows)
                adaptive_alpha(W.alpha + n_r, rows, n_f, retain_rows, (int)G[0], dim, (int)G[1], c->alpha_distance,
                               c->beta, c->alpha_sign, c->alpha_scale);
            else
                for (int i = 0; i < n_f; i++) W.alpha[n_r + i] = 0.0f;   // no retain batch: nothing near
        }
        stats[0] += gls_xent(n_f, K, W.loss + n_r, W.dlogits, logits, bf->y, W.alpha + n_r, W.weight + n_r, scale);
        for (int i = 0; i < n_f; i++) stats[2] += argmax_row(logits + (size_t)i * K, K) == bf->y[i];
        for (int i = 0; i < n_f; i++) stats[3] += W.alpha[n_r + i];
        model_backward(m, W.dlogits);
        if (n_r > 0) model_grad_add_saved(m);
    }
    if (n == 0) model_grad_zero(m);   // this rank adds nothing
    t->timers.compute += ug_now() - t0;
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

