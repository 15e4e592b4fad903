// ops_internal.h — what the reference and the oneDNN/OpenBLAS paths share behind ops.h.
// Not for use outside src/nn/ops*.c.
#pragma once
#include "nn/ops.h"

struct ConvOp {
    ConvDims d;
    int has_bias;
    Backend backend;
    void* fast;           // oneDNN state (ops_dnnl_conv.c); NULL for BACKEND_REF
};

struct BnOp {
    int HW, C;
    Backend backend;      // FAST: ops_bn_nhwc.c (stateless)
};

// ---- reference path (ops_ref_*.c): double accumulation, the truth ----
void conv_forward_ref(ConvDims d, int N, float* out, const float* in, const float* w, const float* bias);
void conv_backward_ref(ConvDims d, int N, float* din, float* dw, float* dbias,
                       const float* dout, const float* in, const float* w);
void bn_forward_train_ref(int HW, int C, int N, float* out, float* save_mean, float* save_invstd,
                          const float* in, const float* gamma, const float* beta, float* run_mean,
                          float* run_var, float momentum, float eps);
void bn_forward_eval_ref(int HW, int C, int N, float* out, const float* in, const float* gamma,
                         const float* beta, const float* run_mean, const float* run_var, float eps);
void bn_backward_ref(int HW, int C, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                     const float* in, const float* gamma, const float* save_mean, const float* save_invstd);
void linear_forward_ref(int N, int In, int Out, float* out, const float* in, const float* w, const float* bias);
void linear_backward_ref(int N, int In, int Out, float* din, float* dw, float* dbias,
                         const float* dout, const float* in, const float* w);

// ---- fast path (ops_dnnl_*.c, ops_blas.c) ----
void* conv_fast_create(ConvDims d, int has_bias);
void conv_fast_destroy(void* st);
void conv_forward_fast(void* st, int N, float* out, const float* in, const float* w, const float* bias);
void conv_backward_fast(void* st, int N, float* din, float* dw, float* dbias,
                        const float* dout, const float* in, const float* w);
void linear_forward_fast(int N, int In, int Out, float* out, const float* in, const float* w, const float* bias);
void linear_backward_fast(int N, int In, int Out, float* din, float* dw, float* dbias,
                          const float* dout, const float* in, const float* w);
// hand-written NHWC batch norm (ops_bn_nhwc.c), optionally fused with a following ReLU (relu = 1;
// backward: relu_out = the fused forward's output, NULL for plain BN)
void bn_nhwc_forward_train(int HW, int C, int N, float* out, float* save_mean, float* save_invstd,
                           const float* in, const float* gamma, const float* beta, float* run_mean,
                           float* run_var, float momentum, float eps, int relu);
void bn_nhwc_forward_eval(int HW, int C, int N, float* out, const float* in, const float* gamma,
                          const float* beta, const float* run_mean, const float* run_var, float eps, int relu);
void bn_nhwc_backward(int HW, int C, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                      const float* relu_out, const float* in, const float* gamma, const float* save_mean,
                      const float* save_invstd);
