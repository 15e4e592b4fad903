// cudnn_conv.cu — convolution on cuDNN: NHWC activations, OIHW (or OHWI) weights, algorithms found once per
// batch size with cudnnFind*Ex and cached, workspace shared through the context, deterministic-only on request.
// cuDNN always sees the all-NHWC configuration (activations NHWC, filter KRSC = OHWI), the one PyTorch's
// channels_last path uses: OIHW weights are transposed into a scratch copy (and dw back) around each call.
#include <stdlib.h>
#include <string.h>

#include "ug_kernels.h"
#include "ug_layers.h"

#include "ug_host.h"

enum { ALGO_CACHE = 8, MAX_FOUND = 16 };

typedef struct {
    int N;                                   // 0: empty slot
    cudnnTensorDescriptor_t x, y;
    int fwd, bwd_data, bwd_filter;           // algorithm ids, -1 until found
    cudnnMathType_t fwd_math, data_math, filter_math;
    size_t fwd_ws, data_ws, filter_ws;
} ConvShape;

struct GpuConv {
    GpuCtx* ctx;
    UgConvDims d;
    int has_bias, filter_ohwi;
    UgDtype dt;                              // tensor type (bf16: float accumulation)
    cudnnDataType_t cdt;
    float *w_ohwi, *dw_ohwi;                 // scratch copies when the caller's weights are OIHW
    cudnnFilterDescriptor_t w;
    cudnnConvolutionDescriptor_t conv;
    ConvShape cache[ALGO_CACHE];
    int next_slot;
};

GpuConv* gpu_conv_create(GpuCtx* ctx, UgConvDims d, int has_bias, int filter_ohwi) {
    return gpu_conv_create_t(ctx, d, has_bias, filter_ohwi, UG_F32);
}

GpuConv* gpu_conv_create_t(GpuCtx* ctx, UgConvDims d, int has_bias, int filter_ohwi, UgDtype dt) {
    UG_CHECK(dt == UG_F32 || filter_ohwi, "gpu_conv_create: bf16 convolutions need OHWI weights");
    GpuConv* op = (GpuConv*)ug_calloc(1, sizeof *op);
    op->ctx = ctx;
    op->d = d;
    op->has_bias = has_bias;
    op->filter_ohwi = filter_ohwi;
    op->dt = dt;
    op->cdt = dt == UG_BF16 ? CUDNN_DATA_BFLOAT16 : CUDNN_DATA_FLOAT;
    if (!filter_ohwi) {
        size_t bytes = (size_t)d.K * d.C * d.R * d.S * sizeof(float);
        op->w_ohwi = (float*)gpu_malloc(bytes, "conv weights in OHWI layout");
        op->dw_ohwi = (float*)gpu_malloc(bytes, "conv weight gradient in OHWI layout");
    }
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&op->w));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(op->w, op->cdt, CUDNN_TENSOR_NHWC, d.K, d.C, d.R, d.S));
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&op->conv));
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(op->conv, d.pad, d.pad, d.stride, d.stride, 1, 1,
                                                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    return op;
}

void gpu_conv_destroy(GpuConv* op) {
    if (!op) return;
    for (int i = 0; i < ALGO_CACHE; i++)
        if (op->cache[i].N) {
            CUDNN_CHECK(cudnnDestroyTensorDescriptor(op->cache[i].x));
            CUDNN_CHECK(cudnnDestroyTensorDescriptor(op->cache[i].y));
        }
    CUDNN_CHECK(cudnnDestroyConvolutionDescriptor(op->conv));
    CUDNN_CHECK(cudnnDestroyFilterDescriptor(op->w));
    gpu_free(op->w_ohwi);
    gpu_free(op->dw_ohwi);
    free(op);
}

// The descriptors for batch size N (created on first use; the oldest slot is reused when the cache is full).
static ConvShape* shape_for(GpuConv* op, int N) {
    for (int i = 0; i < ALGO_CACHE; i++)
        if (op->cache[i].N == N) return &op->cache[i];
    ConvShape* s = &op->cache[op->next_slot];
    op->next_slot = (op->next_slot + 1) % ALGO_CACHE;
    if (s->N) {
        CUDNN_CHECK(cudnnDestroyTensorDescriptor(s->x));
        CUDNN_CHECK(cudnnDestroyTensorDescriptor(s->y));
    }
    memset(s, 0, sizeof *s);
    s->N = N;
    s->fwd = s->bwd_data = s->bwd_filter = -1;
    const UgConvDims d = op->d;
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&s->x));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&s->y));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(s->x, CUDNN_TENSOR_NHWC, op->cdt, N, d.C, d.H, d.W));
    int n, k, p, q;
    CUDNN_CHECK(cudnnGetConvolution2dForwardOutputDim(op->conv, s->x, op->w, &n, &k, &p, &q));
    UG_CHECK(n == N && k == d.K && p == d.P && q == d.Q, "cuDNN conv: output %dx%dx%dx%d, expected %dx%dx%dx%d",
             n, p, q, k, N, d.P, d.Q, d.K);
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(s->y, CUDNN_TENSOR_NHWC, op->cdt, N, d.K, d.P, d.Q));
    return s;
}

// The first result cudnnFind ranked fastest that ran, fits the workspace limit and, when asked, is deterministic.
// A shape with no deterministic algorithm (seen possible for bf16 with 3 input channels) takes the fastest other
// one and says so once per shape, rather than ending the run.
#define PICK(results, count, ctx, what, algo_out, math_out, ws_out) do { \
    int found_ = 0; \
    for (int pass_ = (ctx)->deterministic ? 0 : 1; pass_ < 2 && !found_; pass_++) { \
        for (int i_ = 0; i_ < (count) && !found_; i_++) { \
            if ((results)[i_].status != CUDNN_STATUS_SUCCESS || (results)[i_].memory > (ctx)->ws_limit) continue; \
            if (pass_ == 0 && (results)[i_].determinism != CUDNN_DETERMINISTIC) continue; \
            (algo_out) = (int)(results)[i_].algo; (math_out) = (results)[i_].mathType; \
            (ws_out) = (results)[i_].memory; found_ = 1; \
            if (pass_ == 1 && (ctx)->deterministic) \
                fprintf(stderr, "ugradsl: note: cuDNN conv %s (C=%d K=%d %dx%d, %s): no deterministic algorithm; " \
                        "using a non-deterministic one\n", what, op->d.C, op->d.K, op->d.R, op->d.S, \
                        op->dt == UG_BF16 ? "bf16" : "fp32"); \
        } \
    } \
    UG_CHECK(found_, "cuDNN conv %s: no algorithm fits %zu MiB of workspace (raise UG_CUDNN_WS_MB)", what, \
             (ctx)->ws_limit >> 20); \
} while (0)

// The weights as cuDNN sees them (OHWI): the caller's, or a fresh transpose of the caller's OIHW ones.
static const void* weights_ohwi(GpuConv* op, const void* w) {
    if (op->filter_ohwi) return w;
    const UgConvDims d = op->d;
    ug_oihw_to_ohwi(op->w_ohwi, (const float*)w, d.K, d.C, d.R, d.S, op->ctx->stream);
    return op->w_ohwi;
}

// The math type searched with: bf16 always may use tensor cores; fp32 only with TF32 allowed.
static cudnnMathType_t search_math(const GpuConv* op) {
    if (op->dt == UG_BF16) return CUDNN_TENSOR_OP_MATH;
    return op->ctx->tf32 ? CUDNN_DEFAULT_MATH : CUDNN_FMA_MATH;
}
static cudnnMathType_t math_for(const GpuConv* op, cudnnMathType_t found) {
    return op->dt == UG_BF16 || op->ctx->tf32 ? found : CUDNN_FMA_MATH;
}

void gpu_conv_forward(GpuConv* op, int N, void* out, const void* in, const void* w, const float* bias) {
    GpuCtx* ctx = op->ctx;
    ConvShape* s = shape_for(op, N);
    const float one = 1.0f, zero = 0.0f;
    w = weights_ohwi(op, w);
    if (s->fwd < 0) {
        cudnnConvolutionFwdAlgoPerf_t r[MAX_FOUND];
        int count = 0;
        CUDNN_CHECK(cudnnSetConvolutionMathType(op->conv, search_math(op)));
        void* ws = gpu_ctx_workspace(ctx, ctx->ws_limit);
        CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(ctx->cudnn, s->x, in, op->w, w, op->conv, s->y, out,
                                                           MAX_FOUND, &count, r, ws, ctx->ws_limit));
        PICK(r, count, ctx, "forward", s->fwd, s->fwd_math, s->fwd_ws);
    }
    CUDNN_CHECK(cudnnSetConvolutionMathType(op->conv, math_for(op, s->fwd_math)));
    void* ws = gpu_ctx_workspace(ctx, s->fwd_ws);
    CUDNN_CHECK(cudnnConvolutionForward(ctx->cudnn, &one, s->x, in, op->w, w, op->conv,
                                        (cudnnConvolutionFwdAlgo_t)s->fwd, ws, s->fwd_ws, &zero, s->y, out));
    if (op->has_bias && bias) ug_bias_add_rows_t(op->dt, out, bias, N * op->d.P * op->d.Q, op->d.K, ctx->stream);
}

void gpu_conv_backward(GpuConv* op, int N, void* din, void* dw, float* dbias, const void* dout,
                       const void* in, const void* w) {
    GpuCtx* ctx = op->ctx;
    ConvShape* s = shape_for(op, N);
    const float one = 1.0f, zero = 0.0f;
    if (din) w = weights_ohwi(op, w);
    void* dw_caller = dw;
    if (dw && !op->filter_ohwi) dw = op->dw_ohwi;
    if (din) {
        if (s->bwd_data < 0) {
            cudnnConvolutionBwdDataAlgoPerf_t r[MAX_FOUND];
            int count = 0;
            CUDNN_CHECK(cudnnSetConvolutionMathType(op->conv, search_math(op)));
            void* ws = gpu_ctx_workspace(ctx, ctx->ws_limit);
            CUDNN_CHECK(cudnnFindConvolutionBackwardDataAlgorithmEx(ctx->cudnn, op->w, w, s->y, dout, op->conv, s->x,
                                                                    din, MAX_FOUND, &count, r, ws, ctx->ws_limit));
            PICK(r, count, ctx, "backward-data", s->bwd_data, s->data_math, s->data_ws);
        }
        CUDNN_CHECK(cudnnSetConvolutionMathType(op->conv, math_for(op, s->data_math)));
        void* ws = gpu_ctx_workspace(ctx, s->data_ws);
        CUDNN_CHECK(cudnnConvolutionBackwardData(ctx->cudnn, &one, op->w, w, s->y, dout, op->conv,
                                                 (cudnnConvolutionBwdDataAlgo_t)s->bwd_data, ws, s->data_ws, &zero,
                                                 s->x, din));
    }
    if (dw) {
        if (s->bwd_filter < 0) {
            cudnnConvolutionBwdFilterAlgoPerf_t r[MAX_FOUND];
            int count = 0;
            CUDNN_CHECK(cudnnSetConvolutionMathType(op->conv, search_math(op)));
            void* ws = gpu_ctx_workspace(ctx, ctx->ws_limit);
            CUDNN_CHECK(cudnnFindConvolutionBackwardFilterAlgorithmEx(ctx->cudnn, s->x, in, s->y, dout, op->conv,
                                                                      op->w, dw, MAX_FOUND, &count, r, ws,
                                                                      ctx->ws_limit));
            PICK(r, count, ctx, "backward-filter", s->bwd_filter, s->filter_math, s->filter_ws);
        }
        CUDNN_CHECK(cudnnSetConvolutionMathType(op->conv, math_for(op, s->filter_math)));
        void* ws = gpu_ctx_workspace(ctx, s->filter_ws);
        CUDNN_CHECK(cudnnConvolutionBackwardFilter(ctx->cudnn, &one, s->x, in, s->y, dout, op->conv,
                                                   (cudnnConvolutionBwdFilterAlgo_t)s->bwd_filter, ws, s->filter_ws,
                                                   &zero, op->w, dw));
        if (dw != dw_caller) ug_ohwi_to_oihw((float*)dw_caller, (const float*)dw, op->d.K, op->d.C, op->d.R, op->d.S, ctx->stream);
    }
    if (dbias) ug_sum_rows_t(op->dt, dbias, dout, N * op->d.P * op->d.Q, op->d.K, ctx->stream);
}

void gpu_conv_algos(const GpuConv* op, int N, int* fwd, int* bwd_data, int* bwd_filter) {
    *fwd = *bwd_data = *bwd_filter = -1;
    for (int i = 0; i < ALGO_CACHE; i++)
        if (op->cache[i].N == N) {
            *fwd = op->cache[i].fwd;
            *bwd_data = op->cache[i].bwd_data;
            *bwd_filter = op->cache[i].bwd_filter;
        }
}
