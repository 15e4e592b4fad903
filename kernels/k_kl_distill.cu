// k_kl_distill.cu — SCRUB's fused distillation loss (mirrors kl_distill_loss, src/nn/loss_kl.c): one block per
// row, double inside as on the CPU, the same formulas in the same order per element; only the row sums are
// reduced in another order (a tree), so results agree to rounding, not bit for bit.
#include "ug_cuda.h"
#include "ug_block_reduce.cuh"
#include "ug_kernels.h"

enum { KL_THREADS = 128 };

// Row i: wce[i] = ce_weight·CE_i (labels only), wkl[i] = T²·KL_i / n_global, argmax[i], and the logit gradient
// (gls_xent's CE gradient rounded to float, plus the KL gradient rounded to float: the CPU's two passes).
__global__ static void kl_distill_kernel(int K, float* dlogits, double* wce, double* wkl, int32_t* argmax,
                                         const float* student, const float* teacher, const int32_t* labels, double T,
                                         double kl_weight, float ce_weight, double n_global) {
    __shared__ double sh[KL_THREADS];
    const int i = blockIdx.x;
    const float *zs = student + (size_t)i * K, *zt = teacher + (size_t)i * K;
    double ms = -INFINITY, mt = -INFINITY;
    for (int k = threadIdx.x; k < K; k += blockDim.x) ms = fmax(ms, zs[k] / T), mt = fmax(mt, zt[k] / T);
    ms = ug_block_reduce(ms, sh, 1);
    mt = ug_block_reduce(mt, sh, 1);
    double ss = 0, st = 0;
    for (int k = threadIdx.x; k < K; k += blockDim.x) ss += exp(zs[k] / T - ms), st += exp(zt[k] / T - mt);
    const double log_ss = log(ug_block_reduce(ss, sh, 0)), log_st = log(ug_block_reduce(st, sh, 0));
    // the CE part (gls_xent with alpha 0, weight ce_weight, scale 1/(float)n_global): log-sum-exp of the raw logits
    double lse = 0, g = 0;
    int y = 0;
    if (labels) {
        double zmax = -INFINITY;
        for (int k = threadIdx.x; k < K; k += blockDim.x) zmax = fmax(zmax, (double)zs[k]);
        zmax = ug_block_reduce(zmax, sh, 1);
        double se = 0, sz = 0;
        for (int k = threadIdx.x; k < K; k += blockDim.x) { se += exp((double)zs[k] - zmax); sz += zs[k]; }
        se = ug_block_reduce(se, sh, 0);
        sz = ug_block_reduce(sz, sh, 0);
        lse = zmax + log(se);
        y = labels[i];
        g = (double)(1.0f / (float)n_global) * (double)ce_weight;
        if (threadIdx.x == 0) {
            double l = -(1.0 - 0.0) * ((double)zs[y] - lse) - 0.0 * (sz / K - lse);
            wce[i] = (double)ce_weight * l;
        }
    }
    double kl = 0;
    for (int k = threadIdx.x; k < K; k += blockDim.x) {
        double log_q = zs[k] / T - ms - log_ss, log_p = zt[k] / T - mt - log_st;
        double q = exp(log_q), p = exp(log_p);
        kl += p * (log_p - log_q);
        if (dlogits) {
            float ce = labels ? (float)(g * (exp((double)zs[k] - lse) - (k == y ? 1.0 : 0.0))) : 0.0f;
            dlogits[(size_t)i * K + k] = ce + (float)(kl_weight * (q - p) * T / n_global);
        }
    }
    kl = ug_block_reduce(kl, sh, 0);
    if (threadIdx.x == 0) {
        wkl[i] = kl * T * T / n_global;
        if (argmax) {   // ug_argmax: the first of the largest
            int best = 0;
            for (int k = 1; k < K; k++)
                if (zs[k] > zs[best]) best = k;
            argmax[i] = best;
        }
    }
}

// One thread sums in row order, as the CPU's loops: the same total on every run (N is a batch: small).
__global__ static void kl_distill_total(double* total, const double* wce, const double* wkl, int n, int with_ce,
                                        double kl_weight, double n_global) {
    double ce = 0, kl = 0;
    for (int i = 0; i < n; i++) kl += wkl[i];
    if (!with_ce) { *total = kl_weight * kl; return; }
    for (int i = 0; i < n; i++) ce += wce[i];
    *total = ce / n_global + kl_weight * kl;
}

extern "C" void ug_kl_distill(int N, int K, float* dlogits, double* total, double* scratch, int32_t* argmax,
                              const float* student, const float* teacher, const int32_t* labels, double T,
                              double kl_weight, float ce_weight, long long n_global, cudaStream_t s) {
    if (N <= 0) {
        if (total) CUDA_CHECK(cudaMemsetAsync(total, 0, sizeof(double), s));
        return;
    }
    double* wce = scratch;
    double* wkl = scratch + N;
    kl_distill_kernel<<<N, KL_THREADS, 0, s>>>(K, dlogits, wce, wkl, argmax, student, teacher, labels, T, kl_weight,
                                               ce_weight, (double)n_global);
    CUDA_CHECK_LAUNCH();
    if (total) {
        kl_distill_total<<<1, 1, 0, s>>>(total, wce, wkl, N, labels != NULL, kl_weight, (double)n_global);
        CUDA_CHECK_LAUNCH();
    }
}
