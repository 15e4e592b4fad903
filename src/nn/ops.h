// ops.h — the layer operations: forward and backward, a plain-C reference and a fast path.
//
// Conventions (the whole engine follows them):
//   activations are NHWC float32; conv weights are OIHW [K][C][R][S] and linear weights [out][in]
//   (torchvision layouts, so checkpoints map 1:1).
//   Outputs first, then inputs, then parameters, then dimensions.  Backward *writes* (=) every gradient
//   it is given (activation and parameter); a NULL gradient pointer means "not needed" (e.g. din of the
//   first layer).  Residual sums are handled by the network, not by the ops.
//   N = 0 (a rank without samples) is accepted everywhere except BN train forward; parameter gradients of
//   an empty batch are zero.  Not thread-safe: call the ops from one host thread (they use OpenMP inside).
//   The reference path accumulates in double; it is the truth the fast path is tested against.
//   Details, tolerances and benchmarks: docs/OPS.md.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum { BACKEND_REF = 0, BACKEND_FAST = 1 } Backend;   // FAST = oneDNN / OpenBLAS on the CPU

// ---- convolution (no groups, no dilation) ----
typedef struct { int H, W, C, K, R, S, stride, pad, P, Q; } ConvDims;   // P,Q: output size (filled by conv_dims)
ConvDims conv_dims(int H, int W, int C, int K, int R, int S, int stride, int pad);
typedef struct ConvOp ConvOp;    // dims + backend state (oneDNN primitives cached per batch size)
ConvOp* conv_create(ConvDims d, int has_bias, Backend b);   // has_bias: a NULL bias then counts as zero
void conv_destroy(ConvOp* op);
void conv_forward(ConvOp* op, int N, float* out, const float* in, const float* w, const float* bias);
void conv_backward(ConvOp* op, int N, float* din, float* dw, float* dbias,
                   const float* dout, const float* in, const float* w);

// ---- batch normalisation over N,H,W per channel (PyTorch semantics: eps inside sqrt, running var unbiased) ----
typedef struct BnOp BnOp;
BnOp* bn_create(int HW, int C, Backend b);
void bn_destroy(BnOp* op);
// Train mode: normalises with batch stats (biased var), saves mean/invstd [C] for backward, updates running
// stats in place: run = (1-momentum)·run + momentum·batch (unbiased var).  Needs N·HW > 1 (as PyTorch).
void bn_forward_train(BnOp* op, int N, float* out, float* save_mean, float* save_invstd, const float* in,
                      const float* gamma, const float* beta, float* run_mean, float* run_var,
                      float momentum, float eps);
void bn_forward_eval(BnOp* op, int N, float* out, const float* in, const float* gamma, const float* beta,
                     const float* run_mean, const float* run_var, float eps);
// Backward of train mode (the batch stats depend on the input), from the saved mean/invstd.
void bn_backward(BnOp* op, int N, float* din, float* dgamma, float* dbeta, const float* dout, const float* in,
                 const float* gamma, const float* save_mean, const float* save_invstd);

// Fused BN + ReLU (optional, same results as bn_* then relu_forward / relu_backward then bn_backward, and
// 4 memory passes cheaper on the fast path).  Backward: dout is the gradient at the ReLU output, out the
// fused forward's output (the ReLU mask); din may equal dout.
void bn_relu_forward_train(BnOp* op, int N, float* out, float* save_mean, float* save_invstd, const float* in,
                           const float* gamma, const float* beta, float* run_mean, float* run_var,
                           float momentum, float eps);
void bn_relu_forward_eval(BnOp* op, int N, float* out, const float* in, const float* gamma, const float* beta,
                          const float* run_mean, const float* run_var, float eps);
void bn_relu_backward(BnOp* op, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                      const float* out, const float* in, const float* gamma, const float* save_mean,
                      const float* save_invstd);

// ---- elementwise ----
void relu_forward(float* out, const float* in, size_t n);                      // out may equal in
void relu_backward(float* din, const float* dout, const float* out, size_t n); // din may equal dout; 0 at 0
void add_forward(float* out, const float* a, const float* b, size_t n);          // out may equal a or b
void add_relu_forward(float* out, const float* a, const float* b, size_t n);     // max(0, a+b); bwd: relu_backward

// ---- pooling ----
typedef struct { int H, W, C, R, stride, pad, P, Q; } PoolDims;   // square window R x R, pad <= R/2, floor mode
PoolDims pool_dims(int H, int W, int C, int R, int stride, int pad);
// argmax [N,P,Q,C] int32 index into the input plane (h*W+w), used by backward; first maximum wins ties.
// Pooling, relu, add and global average pool have one (parallel, deterministic) implementation for both backends.
void maxpool_forward(PoolDims d, int N, float* out, int32_t* argmax, const float* in);
void maxpool_backward(PoolDims d, int N, float* din, const float* dout, const int32_t* argmax);
void avgpool_global_forward(int N, int HW, int C, float* out, const float* in);     // out [N,C]
void avgpool_global_backward(int N, int HW, int C, float* din, const float* dout);

// ---- linear: out[N,Out] = in[N,In] · W[Out,In]^T + b[Out]  (not I/O: complex.h, pulled in by cblas.h, defines I) ----
void linear_forward(Backend b, int N, int In, int Out, float* out, const float* in, const float* w, const float* bias);
void linear_backward(Backend b, int N, int In, int Out, float* din, float* dw, float* dbias,
                     const float* dout, const float* in, const float* w);

// ---- the loss: softmax cross-entropy with generalised label smoothing, per-sample rate and weight ----
// Target of sample i: (1-alpha_i)·onehot(y_i) + alpha_i/K (alpha_i <= 1, negative allowed: NLS).
// loss[i] = -sum_k target_ik · log softmax(z_i)_k = (1-alpha_i)·CE(z_i,y_i) + alpha_i·mean_k CE(z_i,k)
// dlogits[i] = scale · weight_i · (softmax(z_i) - target_i)   (the gradient of scale·sum_i weight_i·loss_i)
// alpha == NULL means 0 for all; weight == NULL means 1 for all.  loss/dlogits may be NULL (not needed).
// Returns sum_i weight_i·loss_i (double).
double gls_xent(int N, int K, float* loss, float* dlogits, const float* logits, const int32_t* labels,
                const float* alpha, const float* weight, float scale);
