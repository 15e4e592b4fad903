// k_gls_xent.cu — fused GLS cross-entropy: one block per sample, double inside (as gls_xent on the CPU).
#include "ug_cuda.h"
#include "ug_block_reduce.cuh"
#include "ug_kernels.h"

enum { GLS_THREADS = 256 };

__global__ static void gls_xent_kernel(int K, float* loss, float* dlogits, double* wloss, const float* logits,
                                       const int32_t* labels, const float* alpha, const float* weight,
                                       float scale) {
    __shared__ double sh[GLS_THREADS];
    const int i = blockIdx.x;
    const float* z = logits + (size_t)i * K;
    double zmax = -INFINITY;
    for (int k = threadIdx.x; k < K; k += blockDim.x) zmax = fmax(zmax, (double)z[k]);
    zmax = ug_block_reduce(zmax, sh, 1);
    double se = 0.0, sz = 0.0;
    for (int k = threadIdx.x; k < K; k += blockDim.x) { se += exp((double)z[k] - zmax); sz += z[k]; }
    se = ug_block_reduce(se, sh, 0);
    sz = ug_block_reduce(sz, sh, 0);
    const double lse = zmax + log(se);
    const int y = labels[i];
    const double a = alpha ? alpha[i] : 0.0, wt = weight ? weight[i] : 1.0;
    if (threadIdx.x == 0) {
        double l = -(1.0 - a) * ((double)z[y] - lse) - a * (sz / K - lse);
        if (loss) loss[i] = (float)l;
        if (wloss) wloss[i] = wt * l;
    }
    if (dlogits) {
        const double g = (double)scale * wt;
        float* dz = dlogits + (size_t)i * K;
        for (int k = threadIdx.x; k < K; k += blockDim.x) {
            double target = a / K + (k == y ? 1.0 - a : 0.0);
            dz[k] = (float)(g * (exp((double)z[k] - lse) - target));
        }
    }
}

// One thread sums in index order: the same total on every run (N is a batch: small).
__global__ static void sum_in_order(double* total, const double* v, int n) {
    double s = 0.0;
    for (int i = 0; i < n; i++) s += v[i];
    *total = s;
}

extern "C" void ug_gls_xent(int N, int K, float* loss, float* dlogits, double* total, double* scratch,
                            const float* logits, const int32_t* labels, const float* alpha, const float* weight,
                            float scale, cudaStream_t s) {
    if (N <= 0) {
        if (total) CUDA_CHECK(cudaMemsetAsync(total, 0, sizeof(double), s));
        return;
    }
    gls_xent_kernel<<<N, GLS_THREADS, 0, s>>>(K, loss, dlogits, total ? scratch : NULL, logits, labels, alpha,
                                              weight, scale);
    CUDA_CHECK_LAUNCH();
    if (total) {
        sum_in_order<<<1, 1, 0, s>>>(total, scratch, N);
        CUDA_CHECK_LAUNCH();
    }
}
