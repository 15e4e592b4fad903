// ops.c — shapes, op objects, and the choice between the reference and the fast path.
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "nn/ops_internal.h"

ConvDims conv_dims(int H, int W, int C, int K, int R, int S, int stride, int pad) {
    UG_CHECK(H > 0 && W > 0 && C > 0 && K > 0 && R > 0 && S > 0 && stride > 0 && pad >= 0,
             "conv_dims: bad shape H=%d W=%d C=%d K=%d R=%d S=%d stride=%d pad=%d (all positive, pad >= 0)",
             H, W, C, K, R, S, stride, pad);
    ConvDims d = {H, W, C, K, R, S, stride, pad, 0, 0};
    d.P = (H + 2 * pad - R) / stride + 1;
    d.Q = (W + 2 * pad - S) / stride + 1;
    UG_CHECK(H + 2 * pad >= R && W + 2 * pad >= S,
             "conv_dims: %dx%d kernel larger than the padded %dx%d input", R, S, H + 2 * pad, W + 2 * pad);
    return d;
}

ConvOp* conv_create(ConvDims d, int has_bias, Backend b) {
    ConvOp* op = ug_calloc(1, sizeof *op);
    op->d = d;
    op->has_bias = has_bias;
    op->backend = b;
    if (b == BACKEND_FAST) op->fast = conv_fast_create(d, has_bias);
    return op;
}

void conv_destroy(ConvOp* op) {
    if (!op) return;
    if (op->fast) conv_fast_destroy(op->fast);
    free(op);
}

void conv_forward(ConvOp* op, int N, float* out, const float* in, const float* w, const float* bias) {
    UG_CHECK(N >= 0, "conv_forward: negative batch %d", N);
    if (N == 0) return;
    const float* b = op->has_bias ? bias : NULL;     // a NULL bias on a biased conv counts as zero
    if (op->backend == BACKEND_FAST) conv_forward_fast(op->fast, N, out, in, w, b);
    else conv_forward_ref(op->d, N, out, in, w, b);
}

void conv_backward(ConvOp* op, int N, float* din, float* dw, float* dbias,
                   const float* dout, const float* in, const float* w) {
    float* db = op->has_bias ? dbias : NULL;
    UG_CHECK(N >= 0, "conv_backward: negative batch %d", N);
    if (N == 0) {   // an empty batch has zero parameter gradients
        const ConvDims d = op->d;
        if (dw) memset(dw, 0, (size_t)d.K * d.C * d.R * d.S * sizeof(float));
        if (db) memset(db, 0, (size_t)d.K * sizeof(float));
        return;
    }
    if (op->backend == BACKEND_FAST) conv_backward_fast(op->fast, N, din, dw, db, dout, in, w);
    else conv_backward_ref(op->d, N, din, dw, db, dout, in, w);
}

BnOp* bn_create(int HW, int C, Backend b) {
    UG_CHECK(HW > 0 && C > 0, "bn_create: bad shape HW=%d C=%d", HW, C);
    BnOp* op = ug_calloc(1, sizeof *op);
    op->HW = HW;
    op->C = C;
    op->backend = b;
    return op;
}

void bn_destroy(BnOp* op) { free(op); }

static void bn_check_train(const BnOp* op, int N) {
    // PyTorch refuses this too: the unbiased variance of one value is undefined.
    UG_CHECK((long long)N * op->HW > 1, "batchnorm (train) needs more than 1 value per channel "
             "(batch %d x %d positions); use a larger batch or eval mode", N, op->HW);
}

void bn_forward_train(BnOp* op, int N, float* out, float* save_mean, float* save_invstd, const float* in,
                      const float* gamma, const float* beta, float* run_mean, float* run_var,
                      float momentum, float eps) {
    bn_check_train(op, N);
    if (op->backend == BACKEND_FAST)
        bn_nhwc_forward_train(op->HW, op->C, N, out, save_mean, save_invstd, in, gamma, beta, run_mean, run_var,
                              momentum, eps, 0);
    else
        bn_forward_train_ref(op->HW, op->C, N, out, save_mean, save_invstd, in, gamma, beta, run_mean, run_var,
                             momentum, eps);
}

// An empty batch (a rank without samples) has zero parameter gradients.
static int bn_empty_backward(const BnOp* op, int N, float* dgamma, float* dbeta) {
    UG_CHECK(N >= 0, "bn_backward: negative batch %d", N);
    if (N > 0) return 0;
    if (dgamma) memset(dgamma, 0, (size_t)op->C * sizeof(float));
    if (dbeta) memset(dbeta, 0, (size_t)op->C * sizeof(float));
    return 1;
}

void bn_forward_eval(BnOp* op, int N, float* out, const float* in, const float* gamma, const float* beta,
                     const float* run_mean, const float* run_var, float eps) {
    if (op->backend == BACKEND_FAST)
        bn_nhwc_forward_eval(op->HW, op->C, N, out, in, gamma, beta, run_mean, run_var, eps, 0);
    else
        bn_forward_eval_ref(op->HW, op->C, N, out, in, gamma, beta, run_mean, run_var, eps);
}

void bn_backward(BnOp* op, int N, float* din, float* dgamma, float* dbeta, const float* dout, const float* in,
                 const float* gamma, const float* save_mean, const float* save_invstd) {
    if (bn_empty_backward(op, N, dgamma, dbeta)) return;
    if (op->backend == BACKEND_FAST)
        bn_nhwc_backward(op->HW, op->C, N, din, dgamma, dbeta, dout, NULL, in, gamma, save_mean, save_invstd);
    else
        bn_backward_ref(op->HW, op->C, N, din, dgamma, dbeta, dout, in, gamma, save_mean, save_invstd);
}

void bn_relu_forward_train(BnOp* op, int N, float* out, float* save_mean, float* save_invstd, const float* in,
                           const float* gamma, const float* beta, float* run_mean, float* run_var,
                           float momentum, float eps) {
    bn_check_train(op, N);
    if (op->backend == BACKEND_FAST) {
        bn_nhwc_forward_train(op->HW, op->C, N, out, save_mean, save_invstd, in, gamma, beta, run_mean, run_var,
                              momentum, eps, 1);
    } else {
        bn_forward_train_ref(op->HW, op->C, N, out, save_mean, save_invstd, in, gamma, beta, run_mean, run_var,
                             momentum, eps);
        relu_forward(out, out, (size_t)N * op->HW * op->C);
    }
}

void bn_relu_forward_eval(BnOp* op, int N, float* out, const float* in, const float* gamma, const float* beta,
                          const float* run_mean, const float* run_var, float eps) {
    if (op->backend == BACKEND_FAST) {
        bn_nhwc_forward_eval(op->HW, op->C, N, out, in, gamma, beta, run_mean, run_var, eps, 1);
    } else {
        bn_forward_eval_ref(op->HW, op->C, N, out, in, gamma, beta, run_mean, run_var, eps);
        relu_forward(out, out, (size_t)N * op->HW * op->C);
    }
}

void bn_relu_backward(BnOp* op, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                      const float* out, const float* in, const float* gamma, const float* save_mean,
                      const float* save_invstd) {
    if (bn_empty_backward(op, N, dgamma, dbeta)) return;
    if (op->backend == BACKEND_FAST) {
        bn_nhwc_backward(op->HW, op->C, N, din, dgamma, dbeta, dout, out, in, gamma, save_mean, save_invstd);
    } else {
        size_t n = (size_t)N * op->HW * op->C;
        float* masked = ug_malloc(n * sizeof(float));
        relu_backward(masked, dout, out, n);
        bn_backward_ref(op->HW, op->C, N, din, dgamma, dbeta, masked, in, gamma, save_mean, save_invstd);
        free(masked);
    }
}

void linear_forward(Backend b, int N, int In, int Out, float* out, const float* in, const float* w,
                    const float* bias) {
    if (b == BACKEND_FAST) linear_forward_fast(N, In, Out, out, in, w, bias);
    else linear_forward_ref(N, In, Out, out, in, w, bias);
}

void linear_backward(Backend b, int N, int In, int Out, float* din, float* dw, float* dbias,
                     const float* dout, const float* in, const float* w) {
    if (b == BACKEND_FAST) linear_backward_fast(N, In, Out, din, dw, dbias, dout, in, w);
    else linear_backward_ref(N, In, Out, din, dw, dbias, dout, in, w);
}
