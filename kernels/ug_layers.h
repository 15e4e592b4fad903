// ug_layers.h — cuDNN / cuBLAS layers with the semantics of src/nn/ops.h (NHWC activations, OIHW weights
// unless filter_ohwi, backward writes every gradient it is given, NULL = not needed).  Device pointers.
// The kernels include no src/ header: the dimensions are their own structs, laid out as ConvDims / PoolDims of
// src/nn/ops.h (src/gpu/gpu_dims.h converts).
#pragma once
#include "ug_cuda.h"
#include "ug_kernels.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { int H, W, C, K, R, S, stride, pad, P, Q; } UgConvDims;   // P,Q: output size
typedef struct { int H, W, C, R, stride, pad, P, Q; } UgPoolDims;         // square window R x R, floor mode

// ---- convolution: algorithms found once per batch size (cudnnFind*, cached), workspace from ctx ----
typedef struct GpuConv GpuConv;
// filter_ohwi: weights are [K][R][S][C] (cuDNN's NHWC filter format; convert with ug_oihw_to_ohwi).
// With OIHW weights the op transposes them into its own scratch copy around each call (one extra kernel).
GpuConv* gpu_conv_create(GpuCtx* ctx, UgConvDims d, int has_bias, int filter_ohwi);
// dt: the type of in / out / w / din / dw / dout (UG_BF16: bf16 tensors with float accumulation, tensor cores;
// needs filter_ohwi).  The bias and its gradient are fp32 either way.
GpuConv* gpu_conv_create_t(GpuCtx* ctx, UgConvDims d, int has_bias, int filter_ohwi, UgDtype dt);
void gpu_conv_destroy(GpuConv* op);
void gpu_conv_forward(GpuConv* op, int N, void* out, const void* in, const void* w, const float* bias);
void gpu_conv_backward(GpuConv* op, int N, void* din, void* dw, float* dbias,
                       const void* dout, const void* in, const void* w);
// Which algorithms the cache picked for N (for logs and the benchmark); -1 when not chosen yet.
void gpu_conv_algos(const GpuConv* op, int N, int* fwd, int* bwd_data, int* bwd_filter);

// ---- batch norm (spatial, PyTorch semantics as bn_* in ops.h) ----
typedef struct GpuBn GpuBn;
GpuBn* gpu_bn_create(GpuCtx* ctx, int HW, int C);
void gpu_bn_destroy(GpuBn* op);
void gpu_bn_forward_train(GpuBn* op, int N, float* out, float* save_mean, float* save_invstd, const float* in,
                          const float* gamma, const float* beta, float* run_mean, float* run_var,
                          float momentum, float eps);
void gpu_bn_forward_eval(GpuBn* op, int N, float* out, const float* in, const float* gamma, const float* beta,
                         const float* run_mean, const float* run_var, float eps);
void gpu_bn_backward(GpuBn* op, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                     const float* in, const float* gamma, const float* save_mean, const float* save_invstd);

// ---- max-pool (cuDNN, deterministic mode; padding never wins) ----
typedef struct GpuPool GpuPool;
GpuPool* gpu_maxpool_create(GpuCtx* ctx, UgPoolDims d);
GpuPool* gpu_maxpool_create_t(GpuCtx* ctx, UgPoolDims d, UgDtype dt);   // buffers of type dt
void gpu_maxpool_destroy(GpuPool* op);
void gpu_maxpool_forward(GpuPool* op, int N, void* out, const void* in);
// out: the forward's output (cuDNN finds the maximum from it).
void gpu_maxpool_backward(GpuPool* op, int N, void* din, const void* dout, const void* out, const void* in);

// ---- linear (cuBLAS sgemm; TF32 when ctx->tf32): out[N,Out] = in[N,In] · W[Out,In]^T + b ----
void gpu_linear_forward(GpuCtx* ctx, int N, int In, int Out, float* out, const float* in, const float* w,
                        const float* bias);
void gpu_linear_backward(GpuCtx* ctx, int N, int In, int Out, float* din, float* dw, float* dbias,
                         const float* dout, const float* in, const float* w);

#ifdef __cplusplus
}
#endif
