// k_model.cu — glue the device model needs beyond the layer wrappers: eval-mode batch-norm backward and the
// gradient norm.  CPU twins: bn_backward_eval in src/nn/model.c and grad_norm in src/nn/optim.c.
#include "ug_cuda.h"
#include "ug_dtype.cuh"
#include "ug_kernels.h"

enum { RED_THREADS = 256, NORM_BLOCKS = 1024 };

__device__ static double block_sum(double v, double* sh) {
    int t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (t < stride) sh[t] += sh[t + stride];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}

// One block per channel: the channel is the fastest NHWC index, so a block strides by C (fine: this path only
// serves the eval-mode gradients of IU / SalUn / boundary shrink, never the training step).
template <typename T>
__global__ static void bn_bwd_eval_k(size_t rows, int C, T* din, float* dgamma, float* dbeta, const T* dout,
                                     const T* in, const float* gamma, const float* run_mean, const float* run_var,
                                     float eps) {
    __shared__ double sh[RED_THREADS];
    int c = blockIdx.x;
    double s = 1.0 / sqrt((double)run_var[c] + (double)eps), dg = 0, db = 0;
    float k = (float)((double)gamma[c] * s);
    for (size_t r = threadIdx.x; r < rows; r += blockDim.x) {
        size_t i = r * C + c;
        float g = ld(dout, i);
        dg += (double)g * ((double)ld(in, i) - run_mean[c]) * s;
        db += g;
        if (din) st(din, i, g * k);
    }
    dg = block_sum(dg, sh);
    db = block_sum(db, sh);
    if (threadIdx.x == 0) { dgamma[c] = (float)dg; dbeta[c] = (float)db; }
}

extern "C" void ug_bn_backward_eval_t(UgDtype t, int N, int HW, int C, void* din, float* dgamma, float* dbeta,
                                      const void* dout, const void* in, const float* gamma, const float* run_mean,
                                      const float* run_var, float eps, cudaStream_t s) {
    if (C == 0) return;
    DISPATCH_DT(t, T, bn_bwd_eval_k<T><<<C, RED_THREADS, 0, s>>>((size_t)N * HW, C, (T*)din, dgamma, dbeta,
                                                               (const T*)dout, (const T*)in, gamma, run_mean, run_var,
                                                               eps));
    CUDA_CHECK_LAUNCH();
}

extern "C" void ug_bn_backward_eval(int N, int HW, int C, float* din, float* dgamma, float* dbeta, const float* dout,
                                    const float* in, const float* gamma, const float* run_mean, const float* run_var,
                                    float eps, cudaStream_t s) {
    ug_bn_backward_eval_t(UG_F32, N, HW, C, din, dgamma, dbeta, dout, in, gamma, run_mean, run_var, eps, s);
}

// Sum of squares in double, in a fixed order (fixed grid, fixed strides, tree sums): deterministic.
__global__ static void sumsq_partial_k(size_t n, const float* x, double* partial) {
    __shared__ double sh[RED_THREADS];
    double acc = 0;
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x)
        acc += (double)x[i] * x[i];
    acc = block_sum(acc, sh);
    if (threadIdx.x == 0) partial[blockIdx.x] = acc;
}
__global__ static void sum_partials_k(int n, const double* partial, double* out) {
    __shared__ double sh[RED_THREADS];
    double acc = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) acc += partial[i];
    acc = block_sum(acc, sh);
    if (threadIdx.x == 0) *out = acc;
}

extern "C" size_t ug_sumsq_scratch_doubles(void) { return NORM_BLOCKS + 1; }

extern "C" void ug_sumsq(size_t n, const float* x, double* scratch, cudaStream_t s) {
    sumsq_partial_k<<<NORM_BLOCKS, RED_THREADS, 0, s>>>(n, x, scratch + 1);
    CUDA_CHECK_LAUNCH();
    sum_partials_k<<<1, RED_THREADS, 0, s>>>(NORM_BLOCKS, scratch + 1, scratch);
    CUDA_CHECK_LAUNCH();
}

__global__ static void add_scalar_k(float* x, float a) { *x += a; }

// BatchNorm's num_batches_tracked lives in the device buffer as a float (as on the host).
extern "C" void ug_add_scalar(float* x, float a, cudaStream_t s) {
    add_scalar_k<<<1, 1, 0, s>>>(x, a);
    CUDA_CHECK_LAUNCH();
}
