// k_alpha.cu — self-adaptive alpha: for each forget sample, how many retain samples lie within beta.
// One warp per (forget, retain) pair sums the four dot products in double; the distance and its clamps
// follow alpha_distance (src/nn/adaptive_alpha.c).  Counts are integers: deterministic.
#include "ug_cuda.h"
#include "ug_kernels.h"

enum { WARPS = 8 };

__device__ static double warp_sum(double v) {
    for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
    return v;
}

__device__ static double pair_distance(int kind, const float* a, const float* b, int dim, int lane) {
    double na = 0, nb = 0, dot = 0, diff = 0;
    for (int k = lane; k < dim; k += 32) {
        double x = a[k], y = b[k], d = x - y;
        na += x * x; nb += y * y; dot += x * y; diff += d * d;
    }
    na = sqrt(warp_sum(na)); nb = sqrt(warp_sum(nb)); dot = warp_sum(dot); diff = warp_sum(diff);
    if (kind == 0) {
        if (na == 0 || nb == 0) return 0.5;
        double c = dot / (na * nb);
        c = c > 1 ? 1 : (c < -1 ? -1 : c);
        return (1 - c) / 2;
    }
    if (na + nb == 0) return 0;
    double d = sqrt(diff) / (na + nb);
    return d > 1 ? 1 : d;
}

// grid.x = forget sample; each warp walks retain samples j = warp, warp + WARPS, ...
__global__ static void alpha_count_kernel(int32_t* counts, const float* forget, const float* retain, int n_retain,
                                          int dim, int kind, double beta) {
    __shared__ int block_count;
    const int i = blockIdx.x, warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    if (threadIdx.x == 0) block_count = 0;
    __syncthreads();
    const float* f = forget + (size_t)i * dim;
    int mine = 0;
    for (int j = warp; j < n_retain; j += WARPS)
        if (pair_distance(kind, retain + (size_t)j * dim, f, dim, lane) < beta) mine++;
    if (lane == 0) atomicAdd(&block_count, mine);
    __syncthreads();
    if (threadIdx.x == 0) counts[i] = block_count;
}

__global__ static void alpha_from_counts(float* alpha, const int32_t* counts, int n, int n_forget_global, int sign,
                                         double scale) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    double a = n_forget_global > 0 ? (double)counts[i] / n_forget_global : 0;
    alpha[i] = (float)(sign == 0 ? a : -scale * a);
}

extern "C" void ug_adaptive_alpha(float* alpha, int32_t* counts, const float* forget, int n_forget_local,
                                  const float* retain, int n_retain, int dim, int n_forget_global, int kind,
                                  double beta, int sign, double scale, cudaStream_t s) {
    if (n_forget_local <= 0) return;
    int32_t* c = counts;
    if (!c) CUDA_CHECK(cudaMallocAsync((void**)&c, (size_t)n_forget_local * sizeof(int32_t), s));
    alpha_count_kernel<<<n_forget_local, WARPS * 32, 0, s>>>(c, forget, retain, n_retain, dim, kind, beta);
    CUDA_CHECK_LAUNCH();
    alpha_from_counts<<<(n_forget_local + 255) / 256, 256, 0, s>>>(alpha, c, n_forget_local, n_forget_global, sign,
                                                                   scale);
    CUDA_CHECK_LAUNCH();
    if (!counts) CUDA_CHECK(cudaFreeAsync(c, s));
}
