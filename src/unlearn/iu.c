// iu.c — influence unlearning (IU, Koh & Liang 2017 as used by Jia et al. 2023) with the WoodFisher
// approximation of the inverse Hessian: the empirical Fisher of N retain samples,
//   F = damping·I + (1/N) Σ_i g_i g_iᵀ      (g_i: per-sample gradient, batch-1 backward, eval-mode BatchNorm)
// and the update  θ ← θ + scale · F⁻¹ v,  v = ∇ of the forget loss − ∇ of the retain loss, weighted as the
// public code (v = Σ_f g / (n_f+n_r) − Σ_r g · n_f / ((n_f+n_r)·n_r)).  F is never formed: F⁻¹v is the closed form
// (Woodbury) of the N Sherman-Morrison updates, from the N×N Gram matrix G Gᵀ.
// Data-parallel: the gradient sums and the per-sample gradients are computed across ranks; the rows of G are
// gathered on rank 0, which solves alone and broadcasts F⁻¹v.  Memory on rank 0: N·P floats (docs/BASELINES.md).
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dist/dist.h"
#include "nn/executor.h"
#include "nn/ops.h"
#include "nn/optim.h"
#include "unlearn/baselines.h"
#include "unlearn/loop.h"

// Cholesky factorisation A = L Lᵀ in place (lower triangle), then A y = b solved into b.  A is SPD here.
static void cholesky_solve(double* A, int n, double* b) {
    for (int j = 0; j < n; j++) {
        double d = A[(size_t)j * n + j];
        for (int k = 0; k < j; k++) d -= A[(size_t)j * n + k] * A[(size_t)j * n + k];
        UG_CHECK(d > 0, "iu: the Fisher system is not positive definite (pivot %d = %g); raise --iu-damping", j, d);
        double l = sqrt(d);
        A[(size_t)j * n + j] = l;
        for (int i = j + 1; i < n; i++) {
            double s = A[(size_t)i * n + j];
            for (int k = 0; k < j; k++) s -= A[(size_t)i * n + k] * A[(size_t)j * n + k];
            A[(size_t)i * n + j] = s / l;
        }
    }
    for (int i = 0; i < n; i++) {   // L z = b
        double s = b[i];
        for (int k = 0; k < i; k++) s -= A[(size_t)i * n + k] * b[k];
        b[i] = s / A[(size_t)i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {   // Lᵀ y = z
        double s = b[i];
        for (int k = i + 1; k < n; k++) s -= A[(size_t)k * n + i] * b[k];
        b[i] = s / A[(size_t)i * n + i];
    }
}

void woodfisher_ihvp(const float* G, int N, size_t P, double damping, const float* v, float* out) {
    UG_CHECK(damping > 0, "iu: --iu-damping must be > 0 (got %g)", damping);
    double* S = ug_malloc((size_t)N * N * sizeof(double) + 8);
    double* y = ug_malloc((size_t)N * sizeof(double) + 8);
    float* gram = ug_malloc((size_t)N * N * sizeof(float) + 8);
    // Gram matrix G Gᵀ (BLAS), then the N×N system in double.
    if (N > 0) cblas_ssyrk(CblasRowMajor, CblasLower, CblasNoTrans, N, (int)P, 1.0f, G, (int)P, 0.0f, gram, N);
    for (int i = 0; i < N; i++) {
        for (int j = 0; j <= i; j++) S[(size_t)i * N + j] = gram[(size_t)i * N + j];
        S[(size_t)i * N + i] += (double)N * damping;
        double s = 0;
        const float* g = G + (size_t)i * P;
        for (size_t p = 0; p < P; p++) s += (double)g[p] * v[p];
        y[i] = s;
    }
    cholesky_solve(S, N, y);
    float* yf = (float*)gram;   // reuse: N floats
    for (int i = 0; i < N; i++) yf[i] = (float)y[i];
    memcpy(out, v, P * sizeof(float));
    if (N > 0) cblas_sgemv(CblasRowMajor, CblasTrans, N, (int)P, -1.0f, G, (int)P, yf, 1, 1.0f, out, 1);
    const float inv = (float)(1.0 / damping);
    for (size_t p = 0; p < P; p++) out[p] *= inv;
    free(S); free(y); free(gram);
}

// Σ over the subset of per-sample CE gradients (eval mode), summed over ranks into acc.  Collective.
static void gradient_sum(const UnlearnConfig* c, Model* m, Dataset* ds, const int64_t* subset, int64_t n, float* acc) {
    LoaderConfig lc = unlearn_loader_config(c, subset, n, 0);
    lc.shuffle = 0;
    lc.augment = AUG_NONE;
    Loader* l = loader_create(ds, &lc, g_dist.rank, g_dist.world);
    memset(acc, 0, m->num_params * sizeof(float));
    loader_start_epoch(l, 0);
    Batch b;
    while (loader_next(l, &b)) {
        if (b.n == 0) continue;
        model_forward_resident(m, b.n, b.x, 0);
        model_loss_backward(m, b.y, NULL, NULL, 1.0f, NULL, NULL, NULL);
        model_grads_to_host(m);
        for (size_t i = 0; i < m->num_params; i++) acc[i] += m->grads[i];
    }
    loader_destroy(l);
    dist_allreduce_sum_f32(acc, m->num_params);
}

// This rank's per-sample gradients of the first N retain samples: rows [*n_local][P].  Collective.
static float* per_sample_grads(const UnlearnConfig* c, Model* m, Dataset* ds, const Split* sp, int N, int* n_local) {
    const size_t P = m->num_params;
    LoaderConfig lc = unlearn_loader_config(c, sp->retain, N, 0);
    lc.shuffle = 0;
    lc.augment = AUG_NONE;
    Loader* l = loader_create(ds, &lc, g_dist.rank, g_dist.world);
    size_t cap = (size_t)N / (size_t)g_dist.world + 2;
    float* rows = ug_aligned_alloc(cap * P * sizeof(float) + 64);
    int count = 0;
    loader_start_epoch(l, 0);
    Batch b;
    while (loader_next(l, &b)) {
        size_t per = (size_t)b.h * b.w * b.c;
        for (int i = 0; i < b.n; i++) {
            if ((size_t)count >= cap) rows = ug_realloc(rows, (cap *= 2) * P * sizeof(float));
            model_forward_resident(m, 1, b.x + (size_t)i * per, 0);
            model_loss_backward(m, b.y + i, NULL, NULL, 1.0f, NULL, NULL, NULL);
            model_grads_to_host(m);
            memcpy(rows + (size_t)count * P, m->grads, P * sizeof(float));
            count++;
        }
    }
    loader_destroy(l);
    *n_local = count;
    return rows;
}

void iu_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out) {
    memset(out, 0, sizeof *out);
    out->mean_alpha = NAN;
    Model* m = t->model;
    const size_t P = m->num_params;
    UG_CHECK(sp->n_retain > 0, "iu: the retain set of the split is empty");
    UG_CHECK(P <= INT_MAX, "iu: %zu parameters: more than one MPI message can carry", P);
    int N = c->iu_samples < sp->n_retain ? c->iu_samples : (int)sp->n_retain;
    double t_start = ug_now();

    // v = forget gradient − retain gradient, with the public code's weights.
    float* v = ug_aligned_alloc(P * sizeof(float) + 64);
    float* gr = ug_aligned_alloc(P * sizeof(float) + 64);
    gradient_sum(c, m, ds, sp->forget, sp->n_forget, v);
    gradient_sum(c, m, ds, sp->retain, sp->n_retain, gr);
    double nf = (double)sp->n_forget, nr = (double)sp->n_retain;
    for (size_t i = 0; i < P; i++) v[i] = (float)(v[i] / (nf + nr) - gr[i] * nf / ((nf + nr) * nr));
    free(gr);

    int n_local = 0;
    float* rows = per_sample_grads(c, m, ds, sp, N, &n_local);
    double t_grads = ug_now() - t_start;
    float* step = ug_aligned_alloc(P * sizeof(float) + 64);
    int* counts = ug_malloc((size_t)g_dist.world * sizeof(int));
    MPI_CHECK(MPI_Gather(&n_local, 1, MPI_INT, counts, 1, MPI_INT, 0, g_dist.comm));
    if (g_dist.rank == 0) {
        float* G = ug_aligned_alloc((size_t)N * P * sizeof(float) + 64);
        memcpy(G, rows, (size_t)n_local * P * sizeof(float));
        size_t row = (size_t)n_local;
        for (int r = 1; r < g_dist.world; r++)
            for (int i = 0; i < counts[r]; i++, row++)
                MPI_CHECK(MPI_Recv(G + row * P, (int)P, MPI_FLOAT, r, 7, g_dist.comm, MPI_STATUS_IGNORE));
        UG_CHECK(row == (size_t)N, "iu: gathered %zu per-sample gradients, expected %d", row, N);
        woodfisher_ihvp(G, N, P, c->iu_damping, v, step);
        free(G);
    } else {
        for (int i = 0; i < n_local; i++)
            MPI_CHECK(MPI_Send(rows + (size_t)i * P, (int)P, MPI_FLOAT, 0, 7, g_dist.comm));
    }
    MPI_CHECK(MPI_Bcast(step, (int)P, MPI_FLOAT, 0, g_dist.comm));
    double norm = grad_norm(step, P);   // the same value on every rank (broadcast)
    // The divergence guard (train/divergence.h) over the one update: a copy before it, the state and collapse checks
    // after it (its time is left out of the RTE).
    DivergenceGuard guard;
    RetainProbe probe;
    double tg = ug_now();
    divergence_init(&guard, m);
    retain_probe_open(&probe, c, ds, sp);
    divergence_epoch_begin(&guard);
    probe.seconds += ug_now() - tg;
    if (isfinite(norm)) {
        model_state_to_host(m);
        for (size_t i = 0; i < P; i++) m->params[i] += (float)c->iu_scale * step[i];
        model_state_to_device(m);
    }
    out->epochs_done = 1;
    out->steps = 1;
    if (!isfinite(norm)) {
        out->diverged = 1;
        snprintf(out->reason, sizeof out->reason, "the influence update is NaN/Inf, not applied (raise --iu-damping)");
    } else {
        unlearn_guard_epoch_end(&guard, &probe, t, 0, out);
    }
    out->rte_s = dist_max_f64(ug_now() - t_start - probe.seconds);
    divergence_free(&guard);
    retain_probe_close(&probe);
    ug_log("iu: N = %d retain samples, |F⁻¹v| = %.4g, scale %g; gradients %.2f s, solve + update %.2f s", N, norm,
           c->iu_scale, t_grads, out->rte_s - t_grads);
    free(v); free(rows); free(step); free(counts);
}

static void iu_validate(const UnlearnConfig* c) {
    UG_CHECK(c->iu_samples >= 1, "unlearn: --iu-samples must be >= 1 (got %d)", c->iu_samples);
    UG_CHECK(c->iu_damping > 0, "unlearn: --iu-damping must be > 0 (got %g)", c->iu_damping);
    UG_CHECK(isfinite(c->iu_scale), "unlearn: --iu-scale must be a number (got %g)", c->iu_scale);
}

static const MethodOption IU_ROWS[] = {
    {"iu-samples", OPT_INT, offsetof(UnlearnConfig, iu_samples), "N", 1000, NULL,
     "retain samples of the WoodFisher (empirical Fisher) estimate", NULL, NULL},
    {"iu-scale", OPT_DOUBLE, offsetof(UnlearnConfig, iu_scale), "S", 1, NULL, "θ += S·F⁻¹v", NULL, NULL},
    {"iu-damping", OPT_DOUBLE, offsetof(UnlearnConfig, iu_damping), "L", 1, NULL, "F = L·I + (1/N)Σ g gᵀ", NULL, NULL},
};
static const MethodOptionGroup IU_OPTIONS = {IU_ROWS, sizeof IU_ROWS / sizeof *IU_ROWS};

const MethodDef method_iu = {
    .name = "iu",
    .kind = METHOD_IU,
    .summary = "influence unlearning: one WoodFisher inverse-Fisher step",
    .stream = STREAM_NONE,
    .loss = LOSS_NONE,
    .run = iu_run,
    .validate = iu_validate,
    .options = &IU_OPTIONS,
};
