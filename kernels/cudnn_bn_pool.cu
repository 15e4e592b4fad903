// cudnn_bn_pool.cu — batch norm (train / eval / backward) and max-pool (forward / backward) on cuDNN, NHWC.
// cuDNN's batch norm has PyTorch's semantics: biased variance to normalise, unbiased in the running average,
// saved inverse standard deviation 1/sqrt(var+eps).
#include <stdio.h>
#include <stdlib.h>

#include "ug_layers.h"

#include "ug_host.h"

struct GpuBn {
    GpuCtx* ctx;
    int HW, C, N;        // N: the batch the x descriptor is set for
    int H, W;            // a factorisation of HW (cuDNN wants 4-d; the spatial split does not matter)
    cudnnBatchNormMode_t mode;
    float eps;           // last training eps (cuDNN's backward wants it even with saved statistics)
    cudnnTensorDescriptor_t x, param;
    float* scratch;      // [2C] for dgamma/dbeta when the caller does not want them
};

GpuBn* gpu_bn_create(GpuCtx* ctx, int HW, int C) {
    GpuBn* op = (GpuBn*)ug_calloc(1, sizeof *op);
    op->ctx = ctx;
    op->HW = HW;
    op->C = C;
    op->H = HW;
    op->W = 1;
    op->eps = 1e-5f;
    // Persistent mode is faster on NHWC but not guaranteed deterministic: opt in with UG_CUDNN_BN_PERSISTENT=1.
    const char* p = getenv("UG_CUDNN_BN_PERSISTENT");
    op->mode = (p && atoi(p) && !ctx->deterministic) ? CUDNN_BATCHNORM_SPATIAL_PERSISTENT : CUDNN_BATCHNORM_SPATIAL;
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&op->x));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&op->param));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(op->param, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, 1, C, 1, 1));
    return op;
}

void gpu_bn_destroy(GpuBn* op) {
    if (!op) return;
    gpu_free(op->scratch);
    CUDNN_CHECK(cudnnDestroyTensorDescriptor(op->x));
    CUDNN_CHECK(cudnnDestroyTensorDescriptor(op->param));
    free(op);
}

static void bn_set_batch(GpuBn* op, int N) {
    if (op->N == N) return;
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(op->x, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, N, op->C, op->H, op->W));
    op->N = N;
}

void gpu_bn_forward_train(GpuBn* op, int N, float* out, float* save_mean, float* save_invstd, const float* in,
                          const float* gamma, const float* beta, float* run_mean, float* run_var,
                          float momentum, float eps) {
    UG_CHECK((size_t)N * op->HW > 1, "batch norm: training needs more than one value per channel (N*H*W = %zu)",
             (size_t)N * op->HW);
    UG_CHECK(eps >= CUDNN_BN_MIN_EPSILON, "batch norm: eps %g is below cuDNN's minimum %g", eps,
             CUDNN_BN_MIN_EPSILON);
    bn_set_batch(op, N);
    op->eps = eps;
    const float one = 1.0f, zero = 0.0f;
    CUDNN_CHECK(cudnnBatchNormalizationForwardTraining(op->ctx->cudnn, op->mode, &one, &zero, op->x, in, op->x, out,
                                                       op->param, gamma, beta, momentum, run_mean, run_var, eps,
                                                       save_mean, save_invstd));
}

void gpu_bn_forward_eval(GpuBn* op, int N, float* out, const float* in, const float* gamma, const float* beta,
                         const float* run_mean, const float* run_var, float eps) {
    UG_CHECK(eps >= CUDNN_BN_MIN_EPSILON, "batch norm: eps %g is below cuDNN's minimum %g", eps,
             CUDNN_BN_MIN_EPSILON);
    bn_set_batch(op, N);
    const float one = 1.0f, zero = 0.0f;
    // Eval has no persistent variant: plain spatial.
    CUDNN_CHECK(cudnnBatchNormalizationForwardInference(op->ctx->cudnn, CUDNN_BATCHNORM_SPATIAL, &one, &zero, op->x,
                                                        in, op->x, out, op->param, gamma, beta, run_mean, run_var,
                                                        eps));
}

void gpu_bn_backward(GpuBn* op, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                     const float* in, const float* gamma, const float* save_mean, const float* save_invstd) {
    UG_CHECK(din, "gpu_bn_backward: din is required (cuDNN always computes it)");
    bn_set_batch(op, N);
    if ((!dgamma || !dbeta) && !op->scratch)
        op->scratch = (float*)gpu_malloc(2 * (size_t)op->C * sizeof(float), "batch-norm gradient scratch");
    const float one = 1.0f, zero = 0.0f;
    CUDNN_CHECK(cudnnBatchNormalizationBackward(op->ctx->cudnn, op->mode, &one, &zero, &one, &zero, op->x, in,
                                                op->x, dout, op->x, din, op->param, gamma,
                                                dgamma ? dgamma : op->scratch, dbeta ? dbeta : op->scratch + op->C,
                                                op->eps, save_mean, save_invstd));
}

struct GpuPool {
    GpuCtx* ctx;
    UgPoolDims d;
    cudnnDataType_t cdt;
    UgDtype dt;
    int N;
    cudnnPoolingDescriptor_t pool;
    cudnnTensorDescriptor_t x, y;
    // bf16 where this cuDNN has no bf16 pooling (CUDNN_STATUS_NOT_SUPPORTED at the first call): the fp32 pooling on
    // fp32 copies (exact: a maximum of bf16 values is one of them; the gradients are rounded once when cast back)
    int via_f32, Nf, cap_f;
    cudnnTensorDescriptor_t xf, yf;
    float* f32;              // x, y, dy, dx for Nf samples
};

GpuPool* gpu_maxpool_create(GpuCtx* ctx, UgPoolDims d) { return gpu_maxpool_create_t(ctx, d, UG_F32); }

GpuPool* gpu_maxpool_create_t(GpuCtx* ctx, UgPoolDims d, UgDtype dt) {
    GpuPool* op = (GpuPool*)ug_calloc(1, sizeof *op);
    op->ctx = ctx;
    op->d = d;
    op->dt = dt;
    op->cdt = dt == UG_BF16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    CUDNN_CHECK(cudnnCreatePoolingDescriptor(&op->pool));
    // Deterministic max; NaN propagates (as the CPU path and PyTorch).
    CUDNN_CHECK(cudnnSetPooling2dDescriptor(op->pool, CUDNN_POOLING_MAX_DETERMINISTIC, CUDNN_PROPAGATE_NAN, d.R, d.R,
                                            d.pad, d.pad, d.stride, d.stride));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&op->x));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&op->y));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&op->xf));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&op->yf));
    return op;
}

void gpu_maxpool_destroy(GpuPool* op) {
    if (!op) return;
    CUDNN_CHECK(cudnnDestroyPoolingDescriptor(op->pool));
    CUDNN_CHECK(cudnnDestroyTensorDescriptor(op->x));
    CUDNN_CHECK(cudnnDestroyTensorDescriptor(op->y));
    CUDNN_CHECK(cudnnDestroyTensorDescriptor(op->xf));
    CUDNN_CHECK(cudnnDestroyTensorDescriptor(op->yf));
    gpu_free(op->f32);
    free(op);
}

static void pool_set_batch(GpuPool* op, int N) {
    if (op->N == N) return;
    const UgPoolDims d = op->d;
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(op->x, CUDNN_TENSOR_NHWC, op->cdt, N, d.C, d.H, d.W));
    int n, c, p, q;
    CUDNN_CHECK(cudnnGetPooling2dForwardOutputDim(op->pool, op->x, &n, &c, &p, &q));
    UG_CHECK(p == d.P && q == d.Q, "cuDNN max-pool: output %dx%d, expected %dx%d", p, q, d.P, d.Q);
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(op->y, CUDNN_TENSOR_NHWC, op->cdt, N, d.C, d.P, d.Q));
    op->N = N;
}

// The fp32 route of a bf16 pool: descriptors and the four fp32 buffers for N samples.
static void f32_set_batch(GpuPool* op, int N) {
    if (op->Nf == N) return;
    const UgPoolDims d = op->d;
    size_t nin = (size_t)N * d.H * d.W * d.C, nout = (size_t)N * d.P * d.Q * d.C;
    if (N > op->cap_f) {
        gpu_free(op->f32);
        op->f32 = (float*)gpu_malloc(2 * (nin + nout) * sizeof(float), "max-pool fp32 copies (bf16 mode)");
        op->cap_f = N;
    }
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(op->xf, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, N, d.C, d.H, d.W));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(op->yf, CUDNN_TENSOR_NHWC, CUDNN_DATA_FLOAT, N, d.C, d.P, d.Q));
    op->Nf = N;
}

// The status of a first bf16 pooling call: 1 when it ran; 0 when this cuDNN has no bf16 pooling (from then on the
// op pools through fp32 copies, said once); any other error ends the job.
static int bf16_pool_ran(GpuPool* op, cudnnStatus_t st, const char* what) {
    if (st == CUDNN_STATUS_SUCCESS) return 1;
    if (st != CUDNN_STATUS_NOT_SUPPORTED && st != CUDNN_STATUS_BAD_PARAM) CUDNN_CHECK(st);
    op->via_f32 = 1;
    fprintf(stderr, "ugradsl: note: this cuDNN has no bf16 max-pool %s (%s): pooling through fp32 copies\n", what,
            cudnnGetErrorString(st));
    return 0;
}

void gpu_maxpool_forward(GpuPool* op, int N, void* out, const void* in) {
    pool_set_batch(op, N);
    const float one = 1.0f, zero = 0.0f;
    if (op->dt == UG_BF16 && !op->via_f32 &&
        bf16_pool_ran(op, cudnnPoolingForward(op->ctx->cudnn, op->pool, &one, op->x, in, &zero, op->y, out), "forward"))
        return;
    if (op->via_f32) {
        const UgPoolDims d = op->d;
        size_t nin = (size_t)N * d.H * d.W * d.C, nout = (size_t)N * d.P * d.Q * d.C;
        f32_set_batch(op, N);
        float *x = op->f32, *y = x + nin;
        ug_cast(UG_F32, x, UG_BF16, in, nin, op->ctx->stream);
        CUDNN_CHECK(cudnnPoolingForward(op->ctx->cudnn, op->pool, &one, op->xf, x, &zero, op->yf, y));
        ug_cast(UG_BF16, out, UG_F32, y, nout, op->ctx->stream);
        return;
    }
    CUDNN_CHECK(cudnnPoolingForward(op->ctx->cudnn, op->pool, &one, op->x, in, &zero, op->y, out));
}

void gpu_maxpool_backward(GpuPool* op, int N, void* din, const void* dout, const void* out, const void* in) {
    pool_set_batch(op, N);
    const float one = 1.0f, zero = 0.0f;
    if (op->dt == UG_BF16 && !op->via_f32 &&
        bf16_pool_ran(op, cudnnPoolingBackward(op->ctx->cudnn, op->pool, &one, op->y, out, op->y, dout, op->x, in,
                                               &zero, op->x, din), "backward"))
        return;
    if (op->via_f32) {
        const UgPoolDims d = op->d;
        size_t nin = (size_t)N * d.H * d.W * d.C, nout = (size_t)N * d.P * d.Q * d.C;
        f32_set_batch(op, N);
        float *x = op->f32, *y = x + nin, *dy = y + nout, *dx = dy + nout;
        cudaStream_t s = op->ctx->stream;
        ug_cast(UG_F32, x, UG_BF16, in, nin, s);
        ug_cast(UG_F32, y, UG_BF16, out, nout, s);   // the stored (rounded) maximum is one of the inputs, exactly
        ug_cast(UG_F32, dy, UG_BF16, dout, nout, s);
        CUDNN_CHECK(cudnnPoolingBackward(op->ctx->cudnn, op->pool, &one, op->yf, y, op->yf, dy, op->xf, x, &zero,
                                         op->xf, dx));
        ug_cast(UG_BF16, din, UG_F32, dx, nin, s);
        return;
    }
    CUDNN_CHECK(cudnnPoolingBackward(op->ctx->cudnn, op->pool, &one, op->y, out, op->y, dout, op->x, in, &zero, op->x,
                                     din));
}
