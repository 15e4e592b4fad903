// k_bn_nhwc.cu — batch norm over NHWC activations (rows = N·H·W, C channels innermost), our own kernels.
// cuDNN's NHWC fp32 batch norm took 87% of a ResNet-18 training step on an H100 (docs/GPU.md, the profile);
// these are memory-bound passes instead: forward = one statistics pass + one normalise pass, backward = one
// reduction pass + one dx pass.  Semantics of src/nn/ops.h (bn_* and PyTorch): biased variance to normalise,
// unbiased in the running average, save_invstd = 1/sqrt(var + eps).
//
// Statistics: a block covers 32 channels (threadIdx.x: coalesced 128-byte rows) and a slice of the rows
// (threadIdx.y + blockIdx.y·16, stride 16·gridDim.y); sums in double; the slices are summed by a second kernel
// in a fixed order, so the result does not depend on scheduling (deterministic).
#include "ug_cuda.h"
#include "ug_dtype.cuh"
#include "ug_kernels.h"

enum { BN_TX = 32, BN_TY = 16 };

static int bn_slices(size_t rows, int C) {
    int gx = (C + BN_TX - 1) / BN_TX;
    size_t want = (rows + 32 * BN_TY - 1) / (32 * BN_TY);   // at least ~32 rows per thread
    size_t cap = 2048 / (size_t)gx;                           // ~2048 blocks in all
    if (cap < 1) cap = 1;
    if (want > cap) want = cap;
    return (int)(want < 1 ? 1 : want);
}

static size_t partial_doubles(size_t rows, int C) { return 2 * (size_t)C * bn_slices(rows, C); }
// The slice partials, then 3·C floats of backward coefficients.
extern "C" size_t ug_bn_nhwc_scratch_bytes(size_t rows, int C) {
    return partial_doubles(rows, C) * sizeof(double) + 3 * (size_t)C * sizeof(float);
}

// partial[slice][0][c] = Σ a, partial[slice][1][c] = Σ b over the slice's rows, where (a, b) = (x, x²) for the
// forward and (dy, dy·(x − mean)) for the backward (mean == NULL: forward).
// relu_y (backward, may be NULL): the output of a ReLU fused into the forward; dy counts only where it is > 0.
template <typename T>
__global__ static void bn_partial_k(size_t rows, int C, const T* x, const T* dy, const float* mean,
                                    const T* relu_y, double* partial) {
    __shared__ double sa[BN_TY][BN_TX], sb[BN_TY][BN_TX];
    int c = blockIdx.x * BN_TX + threadIdx.x;
    double a = 0, b = 0;
    if (c < C) {
        size_t stride = (size_t)BN_TY * gridDim.y;
        if (!dy) {
            for (size_t r = blockIdx.y * (size_t)BN_TY + threadIdx.y; r < rows; r += stride) {
                double v = ld(x, r * C + c);
                a += v;
                b += v * v;
            }
        } else {
            double m = mean[c];
            for (size_t r = blockIdx.y * (size_t)BN_TY + threadIdx.y; r < rows; r += stride) {
                double g = relu_y && !(ld(relu_y, r * C + c) > 0.0f) ? 0.0 : (double)ld(dy, r * C + c);
                a += g;
                b += g * ((double)ld(x, r * C + c) - m);
            }
        }
    }
    sa[threadIdx.y][threadIdx.x] = a;
    sb[threadIdx.y][threadIdx.x] = b;
    __syncthreads();
    for (int s = BN_TY / 2; s > 0; s /= 2) {
        if (threadIdx.y < s) {
            sa[threadIdx.y][threadIdx.x] += sa[threadIdx.y + s][threadIdx.x];
            sb[threadIdx.y][threadIdx.x] += sb[threadIdx.y + s][threadIdx.x];
        }
        __syncthreads();
    }
    if (threadIdx.y == 0 && c < C) {
        partial[(size_t)blockIdx.y * 2 * C + c] = sa[0][threadIdx.x];
        partial[(size_t)blockIdx.y * 2 * C + C + c] = sb[0][threadIdx.x];
    }
}

enum { RED = 256 };

// Σ over the slices of channel c, both sums, by one block: thread t takes slices t, t+RED, ... in order, then a
// fixed tree: the same result every run.
__device__ static void sum_slices(int C, int slices, const double* partial, int c, double* a_out, double* b_out) {
    __shared__ double sa[RED], sb[RED];
    double a = 0, b = 0;
    for (int k = threadIdx.x; k < slices; k += RED) {
        a += partial[(size_t)k * 2 * C + c];
        b += partial[(size_t)k * 2 * C + C + c];
    }
    sa[threadIdx.x] = a;
    sb[threadIdx.x] = b;
    __syncthreads();
    for (int s = RED / 2; s > 0; s /= 2) {
        if (threadIdx.x < s) { sa[threadIdx.x] += sa[threadIdx.x + s]; sb[threadIdx.x] += sb[threadIdx.x + s]; }
        __syncthreads();
    }
    *a_out = sa[0];
    *b_out = sb[0];
}

// One block per channel: statistics and running averages (forward).
__global__ static void bn_stats_k(size_t rows, int C, int slices, const double* partial, float* save_mean,
                                  float* save_invstd, float* run_mean, float* run_var, float momentum, float eps) {
    int c = blockIdx.x;
    double s, ss;
    sum_slices(C, slices, partial, c, &s, &ss);
    if (threadIdx.x != 0) return;
    double n = (double)rows, mean = s / n, var = ss / n - mean * mean;
    if (var < 0) var = 0;
    save_mean[c] = (float)mean;
    save_invstd[c] = (float)(1.0 / sqrt(var + (double)eps));
    if (run_mean) {
        double unbiased = rows > 1 ? var * n / (n - 1) : var;
        run_mean[c] = (float)((1.0 - momentum) * run_mean[c] + momentum * mean);
        run_var[c] = (float)((1.0 - momentum) * run_var[c] + momentum * unbiased);
    }
}

// Backward, one block per channel: dγ = Σ dy·(x − μ)·invstd, dβ = Σ dy, and the coefficients of
// dx = γ·is·(dy − dβ/n − x̂·dγ/n) = k0·dy − k1 − k2·(x − μ):  k0 = γ·is, k1 = k0·dβ/n, k2 = k0·is·dγ/n.
__global__ static void bn_bwd_stats_k(size_t rows, int C, int slices, const double* partial, const float* gamma,
                                      const float* invstd, float* dgamma, float* dbeta, float* coef) {
    int c = blockIdx.x;
    double sdy, sdyx;
    sum_slices(C, slices, partial, c, &sdy, &sdyx);
    if (threadIdx.x != 0) return;
    double is = invstd[c], n = (double)rows;
    double dg = sdyx * is;
    if (dgamma) dgamma[c] = (float)dg;
    if (dbeta) dbeta[c] = (float)sdy;
    double k0 = (double)gamma[c] * is;
    coef[c] = (float)k0;
    coef[C + c] = (float)(k0 * sdy / n);
    coef[2 * C + c] = (float)(k0 * is * dg / n);
}

// Elementwise passes: 4 channels per thread when C % 4 == 0 (all our networks), 32-bit indices when they fit
// (the channel of an element is a division: 64-bit ones are slow enough to matter in a memory-bound pass).
template <typename I, typename T>
__global__ static void bn_norm_k(I nvec, int C, T* y, const T* x, const float* mean, const float* invstd,
                                 const float* gamma, const float* beta, const float* rvar, float eps, int relu) {
    const int C4 = C / 4;
    for (I v = blockIdx.x * (I)blockDim.x + threadIdx.x; v < nvec; v += (I)gridDim.x * blockDim.x) {
        int c = (int)(v % (I)C4) * 4;
        float in[4], out[4];
        ld4(x, v, in);
        for (int k = 0; k < 4; k++) {
            float is = rvar ? rsqrtf(rvar[c + k] + eps) : invstd[c + k];
            float o = (in[k] - mean[c + k]) * is * gamma[c + k] + beta[c + k];
            out[k] = relu && o < 0.0f ? 0.0f : o;
        }
        st4(y, v, out);
    }
}
template <typename I, typename T>
__global__ static void bn_norm1_k(I total, int C, T* y, const T* x, const float* mean, const float* invstd,
                                  const float* gamma, const float* beta, const float* rvar, float eps, int relu) {
    for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < total; i += (I)gridDim.x * blockDim.x) {
        int c = (int)(i % (I)C);
        float is = rvar ? rsqrtf(rvar[c] + eps) : invstd[c];
        float o = (ld(x, i) - mean[c]) * is * gamma[c] + beta[c];
        st(y, i, relu && o < 0.0f ? 0.0f : o);
    }
}
template <typename I, typename T>
__global__ static void bn_dx_k(I nvec, int C, T* dx, const T* dy, const T* x, const float* mean,
                               const float* coef, const T* relu_y) {
    const int C4 = C / 4;
    for (I v = blockIdx.x * (I)blockDim.x + threadIdx.x; v < nvec; v += (I)gridDim.x * blockDim.x) {
        int c = (int)(v % (I)C4) * 4;
        float g[4], xs[4], o[4];
        ld4(dy, v, g);
        ld4(x, v, xs);
        if (relu_y) {
            float yv[4];
            ld4(relu_y, v, yv);
            for (int k = 0; k < 4; k++)
                if (!(yv[k] > 0.0f)) g[k] = 0.0f;
        }
        for (int k = 0; k < 4; k++)
            o[k] = coef[c + k] * g[k] - coef[C + c + k] - coef[2 * C + c + k] * (xs[k] - mean[c + k]);
        st4(dx, v, o);
    }
}
template <typename I, typename T>
__global__ static void bn_dx1_k(I total, int C, T* dx, const T* dy, const T* x, const float* mean,
                                const float* coef, const T* relu_y) {
    for (I i = blockIdx.x * (I)blockDim.x + threadIdx.x; i < total; i += (I)gridDim.x * blockDim.x) {
        int c = (int)(i % (I)C);
        float g = relu_y && !(ld(relu_y, i) > 0.0f) ? 0.0f : ld(dy, i);
        st(dx, i, coef[c] * g - coef[C + c] - coef[2 * C + c] * (ld(x, i) - mean[c]));
    }
}

static unsigned elem_grid(size_t n) {
    size_t b = (n + 255) / 256;
    return (unsigned)(b > 16384 ? 16384 : (b ? b : 1));
}

// y = norm(x) with batch statistics (mean, invstd) or the running ones (rvar != NULL: mean = running mean).
template <typename T>
static void launch_norm(size_t rows, int C, T* y, const T* x, const float* mean, const float* invstd,
                        const float* gamma, const float* beta, const float* rvar, float eps, int relu,
                        cudaStream_t s) {
    size_t total = rows * (size_t)C, vb = 4 * sizeof(T);
    int vec = C % 4 == 0 && ((uintptr_t)x % vb == 0) && ((uintptr_t)y % vb == 0);
    size_t n = vec ? total / 4 : total;
    int small = n < 0xFFFFFFFFu;
    if (vec && small) bn_norm_k<unsigned, T><<<elem_grid(n), 256, 0, s>>>((unsigned)n, C, y, x, mean, invstd, gamma, beta, rvar, eps, relu);
    else if (vec) bn_norm_k<size_t, T><<<elem_grid(n), 256, 0, s>>>(n, C, y, x, mean, invstd, gamma, beta, rvar, eps, relu);
    else if (small) bn_norm1_k<unsigned, T><<<elem_grid(n), 256, 0, s>>>((unsigned)n, C, y, x, mean, invstd, gamma, beta, rvar, eps, relu);
    else bn_norm1_k<size_t, T><<<elem_grid(n), 256, 0, s>>>(n, C, y, x, mean, invstd, gamma, beta, rvar, eps, relu);
    CUDA_CHECK_LAUNCH();
}

template <typename T>
static void forward_train(size_t rows, int C, T* out, float* save_mean, float* save_invstd, const T* in,
                          const float* gamma, const float* beta, float* run_mean, float* run_var, float momentum,
                          float eps, int relu, double* scratch, cudaStream_t s) {
    int slices = bn_slices(rows, C);
    dim3 grid((C + BN_TX - 1) / BN_TX, slices), block(BN_TX, BN_TY);
    bn_partial_k<T><<<grid, block, 0, s>>>(rows, C, in, NULL, NULL, NULL, scratch);
    CUDA_CHECK_LAUNCH();
    bn_stats_k<<<C, RED, 0, s>>>(rows, C, slices, scratch, save_mean, save_invstd, run_mean, run_var, momentum, eps);
    CUDA_CHECK_LAUNCH();
    launch_norm<T>(rows, C, out, in, save_mean, save_invstd, gamma, beta, NULL, eps, relu, s);
}

template <typename T>
static void backward(size_t rows, int C, T* din, float* dgamma, float* dbeta, const T* dout, const T* in,
                     const float* gamma, const float* save_mean, const float* save_invstd, const T* relu_y,
                     double* scratch, cudaStream_t s) {
    int slices = bn_slices(rows, C);
    float* coef = (float*)(scratch + partial_doubles(rows, C));
    dim3 grid((C + BN_TX - 1) / BN_TX, slices), block(BN_TX, BN_TY);
    bn_partial_k<T><<<grid, block, 0, s>>>(rows, C, in, dout, save_mean, relu_y, scratch);
    CUDA_CHECK_LAUNCH();
    bn_bwd_stats_k<<<C, RED, 0, s>>>(rows, C, slices, scratch, gamma, save_invstd, dgamma, dbeta, coef);
    CUDA_CHECK_LAUNCH();
    if (!din) return;
    size_t total = rows * (size_t)C, vb = 4 * sizeof(T);
    int vec = C % 4 == 0 && ((uintptr_t)din % vb == 0) && ((uintptr_t)dout % vb == 0) && ((uintptr_t)in % vb == 0) &&
              ((uintptr_t)relu_y % vb == 0);
    size_t n = vec ? total / 4 : total;
    int small = n < 0xFFFFFFFFu;
    if (vec && small) bn_dx_k<unsigned, T><<<elem_grid(n), 256, 0, s>>>((unsigned)n, C, din, dout, in, save_mean, coef, relu_y);
    else if (vec) bn_dx_k<size_t, T><<<elem_grid(n), 256, 0, s>>>(n, C, din, dout, in, save_mean, coef, relu_y);
    else if (small) bn_dx1_k<unsigned, T><<<elem_grid(n), 256, 0, s>>>((unsigned)n, C, din, dout, in, save_mean, coef, relu_y);
    else bn_dx1_k<size_t, T><<<elem_grid(n), 256, 0, s>>>(n, C, din, dout, in, save_mean, coef, relu_y);
    CUDA_CHECK_LAUNCH();
}

extern "C" void ug_bn_nhwc_forward_train_t(UgDtype t, size_t rows, int C, void* out, float* save_mean,
                                           float* save_invstd, const void* in, const float* gamma, const float* beta,
                                           float* run_mean, float* run_var, float momentum, float eps, int relu,
                                           double* scratch, cudaStream_t s) {
    DISPATCH_DT(t, T, forward_train<T>(rows, C, (T*)out, save_mean, save_invstd, (const T*)in, gamma, beta, run_mean,
                                       run_var, momentum, eps, relu, scratch, s));
}

extern "C" void ug_bn_nhwc_forward_eval_t(UgDtype t, size_t rows, int C, void* out, const void* in,
                                          const float* gamma, const float* beta, const float* run_mean,
                                          const float* run_var, float eps, int relu, cudaStream_t s) {
    DISPATCH_DT(t, T, launch_norm<T>(rows, C, (T*)out, (const T*)in, run_mean, NULL, gamma, beta, run_var, eps, relu, s));
}

// scratch: ug_bn_nhwc_scratch_bytes(rows, C) bytes.
extern "C" void ug_bn_nhwc_backward_t(UgDtype t, size_t rows, int C, void* din, float* dgamma, float* dbeta,
                                      const void* dout, const void* in, const float* gamma, const float* save_mean,
                                      const float* save_invstd, const void* relu_y, double* scratch, cudaStream_t s) {
    DISPATCH_DT(t, T, backward<T>(rows, C, (T*)din, dgamma, dbeta, (const T*)dout, (const T*)in, gamma, save_mean,
                                  save_invstd, (const T*)relu_y, scratch, s));
}

extern "C" void ug_bn_nhwc_forward_train(size_t rows, int C, float* out, float* save_mean, float* save_invstd,
                                         const float* in, const float* gamma, const float* beta, float* run_mean,
                                         float* run_var, float momentum, float eps, int relu, double* scratch,
                                         cudaStream_t s) {
    forward_train<float>(rows, C, out, save_mean, save_invstd, in, gamma, beta, run_mean, run_var, momentum, eps, relu,
                         scratch, s);
}

extern "C" void ug_bn_nhwc_forward_eval(size_t rows, int C, float* out, const float* in, const float* gamma,
                                        const float* beta, const float* run_mean, const float* run_var, float eps,
                                        int relu, cudaStream_t s) {
    launch_norm<float>(rows, C, out, in, run_mean, NULL, gamma, beta, run_var, eps, relu, s);
}

extern "C" void ug_bn_nhwc_backward(size_t rows, int C, float* din, float* dgamma, float* dbeta, const float* dout,
                                    const float* in, const float* gamma, const float* save_mean,
                                    const float* save_invstd, const float* relu_y, double* scratch, cudaStream_t s) {
    backward<float>(rows, C, din, dgamma, dbeta, dout, in, gamma, save_mean, save_invstd, relu_y, scratch, s);
}
