// ug_kernels.h — our own CUDA kernels (launchers take the stream; all pointers are device pointers).
// Each one mirrors a CPU function; tests/gpu/test_gpu_kernels.c checks it against that function.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

// Element type of an activation buffer: fp32, or bf16 in the mixed-precision mode (gpu_model.h; the parameters,
// gradients, optimizer state and BN statistics stay fp32 there).  The *_t launchers below take `void*` buffers of
// that type; compute is in float (sums in double), one rounding per stored value.
typedef enum { UG_F32 = 0, UG_BF16 = 1 } UgDtype;
static inline size_t ug_dtype_size(UgDtype t) { return t == UG_BF16 ? 2 : 4; }
// dst[i] = src[i] converted (f32 -> bf16: round to nearest even; bf16 -> f32 exact; same type: a copy).
void ug_cast(UgDtype dst_type, void* dst, UgDtype src_type, const void* src, size_t n, cudaStream_t s);

// Fused GLS cross-entropy (mirrors gls_xent, src/nn/loss_gls.c; same formula, double inside).
// loss [N] and dlogits [N,K] may be NULL.  total (one double) may be NULL; when given, scratch must hold N
// doubles and total receives sum_i weight_i·loss_i summed in a fixed order (deterministic).
// Labels are not range-checked here (the host checked them when the batch was formed).
void ug_gls_xent(int N, int K, float* loss, float* dlogits, double* total, double* scratch, const float* logits,
                 const int32_t* labels, const float* alpha, const float* weight, float scale, cudaStream_t s);

// SCRUB's fused distillation loss (mirrors kl_distill_loss, src/nn/loss_kl.c; double inside): on the student's
// and the teacher's logits [N,K], dlogits = the gradient w.r.t. the student's of
// ce_weight·Σ CE(labels)/n_global + kl_weight·Σ T²·KL(p_teacher(T) ‖ p_student(T))/n_global; total (may be NULL)
// receives that loss summed in row order (scratch: 2N doubles); argmax [N] (may be NULL) the student's first largest
// logit per row.  labels NULL: no CE term.  dlogits may be NULL.
void ug_kl_distill(int N, int K, float* dlogits, double* total, double* scratch, int32_t* argmax,
                   const float* student, const float* teacher, const int32_t* labels, double T, double kl_weight,
                   float ce_weight, long long n_global, cudaStream_t s);

// SGD momentum / weight decay / Nesterov with optional update mask (mirrors sgd_step, src/nn/optim.c;
// same rounding order, no FMA contraction: bit-identical).  momentum_buf may be NULL when momentum == 0.
void ug_sgd_step(size_t n, float* params, float* momentum_buf, const float* grads, const uint8_t* mask,
                 float lr, float momentum, float weight_decay, int nesterov, cudaStream_t s);

// Self-adaptive alpha (mirrors adaptive_alpha, src/nn/adaptive_alpha.c): counts[i] = #{j : d(r_j,f_i) < beta}
// and alpha[i] from it.  kind: 0 cosine, 1 pixel; sign: 0 literal, 1 negative.  counts may be NULL.
void ug_adaptive_alpha(float* alpha, int32_t* counts, const float* forget, int n_forget_local,
                       const float* retain, int n_retain, int dim, int n_forget_global, int kind, double beta,
                       int sign, double scale, cudaStream_t s);

// Elementwise glue (mirror src/nn/ops.h).
void ug_relu_forward(float* out, const float* in, size_t n, cudaStream_t s);
void ug_relu_backward(float* din, const float* dout, const float* out, size_t n, cudaStream_t s);
void ug_add_forward(float* out, const float* a, const float* b, size_t n, cudaStream_t s);
void ug_avgpool_global_forward(int N, int HW, int C, float* out, const float* in, cudaStream_t s);
void ug_avgpool_global_backward(int N, int HW, int C, float* din, const float* dout, cudaStream_t s);
void ug_bias_add_rows(float* out, const float* bias, int rows, int cols, cudaStream_t s);   // out[r,c] += b[c]
void ug_sum_rows(float* out, const float* in, int rows, int cols, cudaStream_t s);          // out[c] = sum_r in[r,c]
void ug_scale(float* x, float a, size_t n, cudaStream_t s);
// The same on buffers of type t (gap: in of type t, out fp32; its backward: dout fp32, din of type t;
// bias_add_rows / sum_rows: the bias and the sums fp32).
void ug_relu_forward_t(UgDtype t, void* out, const void* in, size_t n, cudaStream_t s);
void ug_relu_backward_t(UgDtype t, void* din, const void* dout, const void* out, size_t n, cudaStream_t s);
void ug_add_forward_t(UgDtype t, void* out, const void* a, const void* b, size_t n, cudaStream_t s);
void ug_avgpool_global_forward_t(UgDtype t, int N, int HW, int C, float* out, const void* in, cudaStream_t s);
void ug_avgpool_global_backward_t(UgDtype t, int N, int HW, int C, void* din, const float* dout, cudaStream_t s);
void ug_bias_add_rows_t(UgDtype t, void* out, const float* bias, int rows, int cols, cudaStream_t s);
void ug_sum_rows_t(UgDtype t, float* out, const void* in, int rows, int cols, cudaStream_t s);
// Weight layouts: OIHW [K][C][R][S] <-> OHWI [K][R][S][C] (cuDNN's NHWC filter format).
void ug_oihw_to_ohwi(float* dst, const float* src, int K, int C, int R, int S, cudaStream_t s);
void ug_ohwi_to_oihw(float* dst, const float* src, int K, int C, int R, int S, cudaStream_t s);

// Eval-mode batch norm backward (mirrors bn_backward_eval in src/nn/model.c): y = γ·(x − μ_run)·s + β with
// s = 1/sqrt(σ²_run + eps); din may be NULL.  Per-channel sums in double.
void ug_bn_backward_eval(int N, int HW, int C, float* din, float* dgamma, float* dbeta, const float* dout,
                         const float* in, const float* gamma, const float* run_mean, const float* run_var, float eps,
                         cudaStream_t s);
void ug_bn_backward_eval_t(UgDtype t, int N, int HW, int C, void* din, float* dgamma, float* dbeta, const void* dout,
                           const void* in, const float* gamma, const float* run_mean, const float* run_var, float eps,
                           cudaStream_t s);
// Σ x_i² in double into scratch[0] (deterministic; scratch holds ug_sumsq_scratch_doubles() doubles).
size_t ug_sumsq_scratch_doubles(void);
void ug_add_scalar(float* x, float a, cudaStream_t s);   // *x += a (one element on the device)

// Batch norm over NHWC activations [rows = N·H·W][C] (mirrors bn_forward_train / bn_forward_eval / bn_backward of
// src/nn/ops.h; relu: a ReLU applied to the output in the same pass).  Deterministic.  scratch: a device buffer
// of ug_bn_nhwc_scratch_bytes(rows, C) bytes.  run_mean/run_var may be NULL (no running average); dgamma, dbeta
// and din may be NULL (not needed).
size_t ug_bn_nhwc_scratch_bytes(size_t rows, int C);
void ug_bn_nhwc_forward_train(size_t rows, int C, float* out, float* save_mean, float* save_invstd, const float* in,
                              const float* gamma, const float* beta, float* run_mean, float* run_var, float momentum,
                              float eps, int relu, double* scratch, cudaStream_t s);
void ug_bn_nhwc_forward_eval(size_t rows, int C, float* out, const float* in, const float* gamma, const float* beta,
                             const float* run_mean, const float* run_var, float eps, int relu, cudaStream_t s);
// relu_y: NULL, or the output of a ReLU fused into the forward (dout is then the gradient at the ReLU's output
// and is taken only where relu_y > 0).
void ug_bn_nhwc_backward(size_t rows, int C, float* din, float* dgamma, float* dbeta, const float* dout,
                         const float* in, const float* gamma, const float* save_mean, const float* save_invstd,
                         const float* relu_y, double* scratch, cudaStream_t s);
// The same with in / out / dout / din / relu_y of type t (statistics, γ, β and their gradients fp32).
void ug_bn_nhwc_forward_train_t(UgDtype t, size_t rows, int C, void* out, float* save_mean, float* save_invstd,
                                const void* in, const float* gamma, const float* beta, float* run_mean, float* run_var,
                                float momentum, float eps, int relu, double* scratch, cudaStream_t s);
void ug_bn_nhwc_forward_eval_t(UgDtype t, size_t rows, int C, void* out, const void* in, const float* gamma,
                               const float* beta, const float* run_mean, const float* run_var, float eps, int relu,
                               cudaStream_t s);
void ug_bn_nhwc_backward_t(UgDtype t, size_t rows, int C, void* din, float* dgamma, float* dbeta, const void* dout,
                           const void* in, const float* gamma, const float* save_mean, const float* save_invstd,
                           const void* relu_y, double* scratch, cudaStream_t s);
void ug_sumsq(size_t n, const float* x, double* scratch, cudaStream_t s);

#ifdef __cplusplus
}
#endif
