// cublas_linear.cu — the fully connected layer on cuBLAS (row-major buffers seen as column-major transposes).
//   out[N,Out] = in[N,In]·W^T + b      ->  out^T = W·in^T        (W^T is W read column-major)
//   din[N,In]  = dout[N,Out]·W         ->  din^T = W^T·dout^T
//   dW[Out,In] = dout^T·in             ->  dW^T  = in^T·dout
#include "ug_kernels.h"
#include "ug_layers.h"

void gpu_linear_forward(GpuCtx* ctx, int N, int In, int Out, float* out, const float* in, const float* w,
                        const float* bias) {
    const float one = 1.0f, zero = 0.0f;
    CUBLAS_CHECK(cublasSgemm(ctx->cublas, CUBLAS_OP_T, CUBLAS_OP_N, Out, N, In, &one, w, In, in, In, &zero, out, Out));
    if (bias) ug_bias_add_rows(out, bias, N, Out, ctx->stream);
}

void gpu_linear_backward(GpuCtx* ctx, int N, int In, int Out, float* din, float* dw, float* dbias,
                         const float* dout, const float* in, const float* w) {
    const float one = 1.0f, zero = 0.0f;
    if (din)
        CUBLAS_CHECK(cublasSgemm(ctx->cublas, CUBLAS_OP_N, CUBLAS_OP_N, In, N, Out, &one, w, In, dout, Out, &zero,
                                 din, In));
    if (dw)
        CUBLAS_CHECK(cublasSgemm(ctx->cublas, CUBLAS_OP_N, CUBLAS_OP_T, In, Out, N, &one, in, In, dout, Out, &zero,
                                 dw, In));
    if (dbias) ug_sum_rows(dbias, dout, N, Out, ctx->stream);
}
