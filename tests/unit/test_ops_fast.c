// test_ops_fast.c — the fast path (oneDNN conv/BN, OpenBLAS linear) against the reference, forward and
// backward, on random shapes (batch norm: also fused with ReLU): odd sizes, stride 1/2, pad 0/1/3, 1x1/3x3/7x7, batch 1 and > 1, with and
// without bias.  Error = max|fast - ref| / max|ref| per tensor (normalised); tolerances below, fp32.
#include <omp.h>
#include <string.h>

#include "nn/ops.h"
#include "ops_check.h"

static Rng g_rng;
static const double TOL_FWD = 2e-5;     // sums of up to C·R·S products
static const double TOL_BWD = 5e-5;     // dw sums over N·P·Q positions

static void expect_close(const char* what, const float* fast, const float* ref, size_t n, double tol) {
    double e = oc_norm_err(fast, ref, n, 1e-6);
    CHECK(e <= tol, "%s: normalised max error %.3g > tol %.3g", what, e, tol);
}

static void conv_case(int N, int H, int W, int C, int K, int R, int S, int stride, int pad, int bias) {
    ConvDims d = conv_dims(H, W, C, K, R, S, stride, pad);
    size_t nin = (size_t)N * H * W * C, nw = (size_t)K * C * R * S, nout = (size_t)N * d.P * d.Q * K;
    ConvOp *ref = conv_create(d, bias, BACKEND_REF), *fast = conv_create(d, bias, BACKEND_FAST);
    float *in = oc_rand(&g_rng, nin, -1, 1), *w = oc_rand(&g_rng, nw, -1, 1), *b = oc_rand(&g_rng, K, -1, 1);
    float *g = oc_rand(&g_rng, nout, -1, 1), *o1 = oc_rand(&g_rng, nout, 9, 9), *o2 = oc_rand(&g_rng, nout, 7, 7);
    float *di1 = oc_rand(&g_rng, nin, 9, 9), *di2 = oc_rand(&g_rng, nin, 7, 7);
    float *dw1 = oc_rand(&g_rng, nw, 9, 9), *dw2 = oc_rand(&g_rng, nw, 7, 7);
    float *db1 = oc_rand(&g_rng, K, 9, 9), *db2 = oc_rand(&g_rng, K, 7, 7);
    for (int rep = 0; rep < 2; rep++) {           // the second round runs on cached primitives
        conv_forward(ref, N, o1, in, w, b);
        conv_forward(fast, N, o2, in, w, b);
        expect_close("conv out", o2, o1, nout, TOL_FWD);
        conv_backward(ref, N, di1, dw1, db1, g, in, w);
        conv_backward(fast, N, di2, dw2, db2, g, in, w);
        expect_close("conv din", di2, di1, nin, TOL_FWD);
        expect_close("conv dw", dw2, dw1, nw, TOL_BWD);
        if (bias) expect_close("conv dbias", db2, db1, K, TOL_BWD);
        for (size_t i = 0; i < nw; i++) w[i] *= -0.5f;  // weights change between steps: must be re-read
    }
    // partial requests: weight gradient only, and input gradient only
    float* dw3 = oc_rand(&g_rng, nw, 5, 5);
    conv_backward(fast, N, NULL, dw3, NULL, g, in, w);
    conv_backward(ref, N, NULL, dw1, NULL, g, in, w);
    expect_close("conv dw (alone)", dw3, dw1, nw, TOL_BWD);
    conv_backward(fast, N, di2, NULL, NULL, g, in, w);
    conv_backward(ref, N, di1, NULL, NULL, g, in, w);
    expect_close("conv din (alone)", di2, di1, nin, TOL_FWD);
    conv_destroy(ref);
    conv_destroy(fast);
    free(in); free(w); free(b); free(g); free(o1); free(o2); free(di1); free(di2);
    free(dw1); free(dw2); free(db1); free(db2); free(dw3);
}

static void test_conv_3x3_s1_p1(void) { conv_case(4, 8, 8, 16, 16, 3, 3, 1, 1, 0); }
static void test_conv_3x3_s1_p1_odd(void) { conv_case(3, 7, 9, 5, 7, 3, 3, 1, 1, 1); }
static void test_conv_3x3_s2_p1(void) { conv_case(2, 9, 8, 16, 32, 3, 3, 2, 1, 0); }
static void test_conv_1x1_s2_p0(void) { conv_case(2, 8, 7, 16, 32, 1, 1, 2, 0, 0); }
// ResNet-18 downsample convs at widths 4 and 8 (channels not a multiple of the vector width): oneDNN's jit_1x1
// wrote past its scratchpad here and crashed training (ops_dnnl_conv.c picks another implementation).
static void test_conv_1x1_s2_few_channels(void) {
    conv_case(32, 64, 64, 4, 8, 1, 1, 2, 0, 0);
    conv_case(32, 32, 32, 8, 16, 1, 1, 2, 0, 0);
}
static void test_conv_1x1_s1_bias(void) { conv_case(1, 5, 5, 3, 10, 1, 1, 1, 0, 1); }
static void test_conv_7x7_s2_p3(void) { conv_case(2, 17, 15, 3, 8, 7, 7, 2, 3, 0); }
static void test_conv_3x3_s2_p0_batch1(void) { conv_case(1, 10, 11, 6, 4, 3, 3, 2, 0, 1); }
static void test_conv_5x3_s1_p3(void) { conv_case(2, 6, 6, 4, 5, 5, 3, 1, 3, 1); }
static void test_conv_cifar_stem(void) { conv_case(2, 32, 32, 3, 16, 3, 3, 1, 1, 0); }

static void test_conv_random_shapes(void) {
    for (int t = 0; t < 8; t++) {
        int R = 1 + 2 * (int)rng_below(&g_rng, 3);
        int stride = 1 + (int)rng_below(&g_rng, 2), pad = (int)rng_below(&g_rng, R / 2 + 2);
        int H = R + (int)rng_below(&g_rng, 9), W = R + (int)rng_below(&g_rng, 9);
        conv_case(1 + (int)rng_below(&g_rng, 3), H, W, 1 + (int)rng_below(&g_rng, 20),
                  1 + (int)rng_below(&g_rng, 20), R, R, stride, pad, (int)rng_below(&g_rng, 2));
    }
}

// One op, batch sizes alternating (train batch, partial last batch, eval batch, more than the cache holds).
static void test_conv_batch_size_cache(void) {
    ConvDims d = conv_dims(6, 6, 8, 8, 3, 3, 1, 1);
    ConvOp *ref = conv_create(d, 0, BACKEND_REF), *fast = conv_create(d, 0, BACKEND_FAST);
    int sizes[] = {4, 3, 4, 1, 5, 6, 2, 4, 3};
    size_t maxin = 6 * 6 * 6 * 8;
    float *in = oc_rand(&g_rng, maxin, -1, 1), *w = oc_rand(&g_rng, 8 * 8 * 9, -1, 1);
    float *o1 = oc_rand(&g_rng, maxin, 0, 0), *o2 = oc_rand(&g_rng, maxin, 0, 0);
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        conv_forward(ref, sizes[t], o1, in, w, NULL);
        conv_forward(fast, sizes[t], o2, in, w, NULL);
        expect_close("conv out (cache)", o2, o1, (size_t)sizes[t] * 6 * 6 * 8, TOL_FWD);
    }
    conv_destroy(ref);
    conv_destroy(fast);
    free(in); free(w); free(o1); free(o2);
}

static void bn_case(int N, int HW, int C) {
    size_t n = (size_t)N * HW * C;
    BnOp *ref = bn_create(HW, C, BACKEND_REF), *fast = bn_create(HW, C, BACKEND_FAST);
    float *in = oc_rand(&g_rng, n, -3, 5), *g = oc_rand(&g_rng, n, -1, 1);
    float *gamma = oc_rand(&g_rng, C, 0.5f, 1.5f), *beta = oc_rand(&g_rng, C, -1, 1);
    float *rm1 = oc_rand(&g_rng, C, -1, 1), *rv1 = oc_rand(&g_rng, C, 0.5f, 2), *rm2 = ug_malloc(C * 4), *rv2 = ug_malloc(C * 4);
    memcpy(rm2, rm1, C * 4);
    memcpy(rv2, rv1, C * 4);
    float *o1 = oc_rand(&g_rng, n, 0, 0), *o2 = oc_rand(&g_rng, n, 0, 0), *m1 = oc_rand(&g_rng, C, 0, 0);
    float *m2 = oc_rand(&g_rng, C, 0, 0), *s1 = oc_rand(&g_rng, C, 0, 0), *s2 = oc_rand(&g_rng, C, 0, 0);
    float *di1 = oc_rand(&g_rng, n, 9, 9), *di2 = oc_rand(&g_rng, n, 7, 7), *dg1 = oc_rand(&g_rng, C, 9, 9);
    float *dg2 = oc_rand(&g_rng, C, 7, 7), *dbt1 = oc_rand(&g_rng, C, 9, 9), *dbt2 = oc_rand(&g_rng, C, 7, 7);
    for (int rep = 0; rep < 2; rep++) {
        bn_forward_train(ref, N, o1, m1, s1, in, gamma, beta, rm1, rv1, 0.1f, 1e-5f);
        bn_forward_train(fast, N, o2, m2, s2, in, gamma, beta, rm2, rv2, 0.1f, 1e-5f);
        expect_close("bn out", o2, o1, n, TOL_FWD);
        expect_close("bn save_mean", m2, m1, C, TOL_FWD);
        expect_close("bn save_invstd", s2, s1, C, TOL_FWD);
        expect_close("bn running_mean", rm2, rm1, C, TOL_FWD);
        expect_close("bn running_var", rv2, rv1, C, TOL_FWD);
        bn_backward(ref, N, di1, dg1, dbt1, g, in, gamma, m1, s1);
        bn_backward(fast, N, di2, dg2, dbt2, g, in, gamma, m2, s2);
        expect_close("bn din", di2, di1, n, TOL_BWD);
        expect_close("bn dgamma", dg2, dg1, C, TOL_BWD);
        expect_close("bn dbeta", dbt2, dbt1, C, TOL_BWD);
        bn_forward_eval(ref, N, o1, in, gamma, beta, rm1, rv1, 1e-5f);
        bn_forward_eval(fast, N, o2, in, gamma, beta, rm2, rv2, 1e-5f);
        expect_close("bn eval out", o2, o1, n, TOL_FWD);
    }
    bn_destroy(ref);
    bn_destroy(fast);
    float* bufs[] = {in, g, gamma, beta, rm1, rv1, rm2, rv2, o1, o2, m1, m2, s1, s2, di1, di2, dg1, dg2, dbt1, dbt2};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

static void test_bn_16ch(void) { bn_case(4, 64, 16); }
static void test_bn_odd(void) { bn_case(3, 7, 5); }
static void test_bn_batch1(void) { bn_case(1, 9, 33); }
static void test_bn_spatial1(void) { bn_case(8, 1, 64); }

static void linear_case(int N, int In, int Out, int bias) {
    float *in = oc_rand(&g_rng, (size_t)N * In, -1, 1), *w = oc_rand(&g_rng, (size_t)Out * In, -1, 1);
    float *b = bias ? oc_rand(&g_rng, Out, -1, 1) : NULL, *g = oc_rand(&g_rng, (size_t)N * Out, -1, 1);
    float *o1 = oc_rand(&g_rng, (size_t)N * Out, 9, 9), *o2 = oc_rand(&g_rng, (size_t)N * Out, 7, 7);
    float *di1 = oc_rand(&g_rng, (size_t)N * In, 9, 9), *di2 = oc_rand(&g_rng, (size_t)N * In, 7, 7);
    float *dw1 = oc_rand(&g_rng, (size_t)Out * In, 9, 9), *dw2 = oc_rand(&g_rng, (size_t)Out * In, 7, 7);
    float *db1 = oc_rand(&g_rng, Out, 9, 9), *db2 = oc_rand(&g_rng, Out, 7, 7);
    linear_forward(BACKEND_REF, N, In, Out, o1, in, w, b);
    linear_forward(BACKEND_FAST, N, In, Out, o2, in, w, b);
    expect_close("linear out", o2, o1, (size_t)N * Out, TOL_FWD);
    linear_backward(BACKEND_REF, N, In, Out, di1, dw1, bias ? db1 : NULL, g, in, w);
    linear_backward(BACKEND_FAST, N, In, Out, di2, dw2, bias ? db2 : NULL, g, in, w);
    expect_close("linear din", di2, di1, (size_t)N * In, TOL_FWD);
    expect_close("linear dw", dw2, dw1, (size_t)Out * In, TOL_BWD);
    if (bias) expect_close("linear dbias", db2, db1, Out, TOL_BWD);
    free(in); free(w); free(b); free(g); free(o1); free(o2); free(di1); free(di2); free(dw1); free(dw2);
    free(db1); free(db2);
}

static void test_linear(void) { linear_case(16, 64, 10, 1); }
static void test_linear_odd_nobias(void) { linear_case(3, 17, 5, 0); }
static void test_linear_batch1(void) { linear_case(1, 512, 100, 1); }

// Fast batch norm (plain, then fused with ReLU) against the reference through the public API, including a
// large channel mean (cancellation) and many rows (several row blocks per thread).
static void bn_more_case(int N, int HW, int C, float offset, int relu) {
    size_t n = (size_t)N * HW * C;
    BnOp *ref = bn_create(HW, C, BACKEND_REF), *fast = bn_create(HW, C, BACKEND_FAST);
    float *in = oc_rand(&g_rng, n, -1, 1), *g = oc_rand(&g_rng, n, -1, 1);
    for (size_t i = 0; i < n; i++) in[i] += offset;
    float *gamma = oc_rand(&g_rng, C, 0.5f, 1.5f), *beta = oc_rand(&g_rng, C, -1, 1);
    float *rm1 = oc_rand(&g_rng, C, 0, 0), *rv1 = oc_rand(&g_rng, C, 1, 1), *rm2 = oc_rand(&g_rng, C, 0, 0), *rv2 = oc_rand(&g_rng, C, 1, 1);
    float *o1 = oc_rand(&g_rng, n, 0, 0), *o2 = oc_rand(&g_rng, n, 0, 0), *m1 = oc_rand(&g_rng, C, 0, 0);
    float *m2 = oc_rand(&g_rng, C, 0, 0), *s1 = oc_rand(&g_rng, C, 0, 0), *s2 = oc_rand(&g_rng, C, 0, 0);
    float *di1 = oc_rand(&g_rng, n, 9, 9), *di2 = oc_rand(&g_rng, n, 7, 7), *dg1 = oc_rand(&g_rng, C, 9, 9);
    float *dg2 = oc_rand(&g_rng, C, 7, 7), *dbt1 = oc_rand(&g_rng, C, 9, 9), *dbt2 = oc_rand(&g_rng, C, 7, 7);
    if (relu) {
        bn_relu_forward_train(ref, N, o1, m1, s1, in, gamma, beta, rm1, rv1, 0.1f, 1e-5f);
        bn_relu_forward_train(fast, N, o2, m2, s2, in, gamma, beta, rm2, rv2, 0.1f, 1e-5f);
    } else {
        bn_forward_train(ref, N, o1, m1, s1, in, gamma, beta, rm1, rv1, 0.1f, 1e-5f);
        bn_forward_train(fast, N, o2, m2, s2, in, gamma, beta, rm2, rv2, 0.1f, 1e-5f);
    }
    expect_close("bn out", o2, o1, n, TOL_FWD);
    expect_close("bn save_mean", m2, m1, C, TOL_FWD);
    expect_close("bn save_invstd", s2, s1, C, TOL_FWD);
    expect_close("bn running_mean", rm2, rm1, C, TOL_FWD);
    expect_close("bn running_var", rv2, rv1, C, TOL_FWD);
    if (relu) {
        // same saved stats and the same mask on both sides, so only the backward itself is compared
        bn_relu_backward(ref, N, di1, dg1, dbt1, g, o1, in, gamma, m1, s1);
        bn_relu_backward(fast, N, di2, dg2, dbt2, g, o1, in, gamma, m1, s1);
    } else {
        bn_backward(ref, N, di1, dg1, dbt1, g, in, gamma, m1, s1);
        bn_backward(fast, N, di2, dg2, dbt2, g, in, gamma, m1, s1);
    }
    expect_close("bn din", di2, di1, n, TOL_BWD);
    expect_close("bn dgamma", dg2, dg1, C, TOL_BWD);
    expect_close("bn dbeta", dbt2, dbt1, C, TOL_BWD);
    if (relu) {                                   // in place: din == dout
        memcpy(di2, g, n * sizeof(float));
        bn_relu_backward(fast, N, di2, NULL, NULL, di2, o1, in, gamma, m1, s1);
        expect_close("bn din (in place)", di2, di1, n, TOL_BWD);
        bn_relu_forward_eval(ref, N, o1, in, gamma, beta, rm1, rv1, 1e-5f);
        bn_relu_forward_eval(fast, N, o2, in, gamma, beta, rm1, rv1, 1e-5f);
    } else {
        bn_forward_eval(ref, N, o1, in, gamma, beta, rm1, rv1, 1e-5f);
        bn_forward_eval(fast, N, o2, in, gamma, beta, rm1, rv1, 1e-5f);
    }
    expect_close("bn eval out", o2, o1, n, TOL_FWD);
    bn_destroy(ref);
    bn_destroy(fast);
    float* bufs[] = {in, g, gamma, beta, rm1, rv1, rm2, rv2, o1, o2, m1, m2, s1, s2, di1, di2, dg1, dg2, dbt1, dbt2};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]);
}

static void test_bn_offsets_and_sizes(void) {
    for (int relu = 0; relu < 2; relu++) {
        bn_more_case(4, 64, 16, 0.0f, relu);
        bn_more_case(3, 7, 5, 0.0f, relu);
        bn_more_case(1, 3, 3, 0.0f, relu);       // (M = 2 would make din ~0: pure rounding, nothing to compare)
        bn_more_case(16, 100, 8, 30.0f, relu);   // mean 30 x std: the shifted sums must not lose the variance
        bn_more_case(8, 1, 64, -5.0f, relu);
        bn_more_case(2, 300, 40, 0.5f, relu);    // 40 channels: two full chunks of 16 and a tail
    }
}

static void test_add_relu(void) {
    size_t n = 4099;
    float *a = oc_rand(&g_rng, n, -1, 1), *b = oc_rand(&g_rng, n, -1, 1), *o = oc_rand(&g_rng, n, 0, 0);
    float* want = oc_rand(&g_rng, n, 0, 0);
    add_forward(want, a, b, n);
    relu_forward(want, want, n);
    add_relu_forward(o, a, b, n);
    CHECK(memcmp(o, want, n * sizeof(float)) == 0, "add_relu differs from add then relu");
    add_relu_forward(a, a, b, n);
    CHECK(memcmp(a, want, n * sizeof(float)) == 0, "in-place add_relu differs");
    free(a); free(b); free(o); free(want);
}

// Same inputs, same thread count -> bit-identical outputs and gradients (2 threads, fresh ops).
static void test_fast_deterministic(void) {
    int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    ConvDims d = conv_dims(12, 12, 16, 32, 3, 3, 1, 1);
    int N = 8, HW = 144, K = 32;
    size_t nin = (size_t)N * HW * 16, nout = (size_t)N * HW * K, nw = 32 * 16 * 9;
    float *in = oc_rand(&g_rng, nin, -1, 1), *w = oc_rand(&g_rng, nw, -1, 1), *g = oc_rand(&g_rng, nout, -1, 1);
    float *gamma = oc_rand(&g_rng, K, 0.5f, 1.5f), *beta = oc_rand(&g_rng, K, -1, 1);
    float* res[2][6];
    for (int run = 0; run < 2; run++) {
        ConvOp* c = conv_create(d, 0, BACKEND_FAST);
        BnOp* b = bn_create(HW, K, BACKEND_FAST);
        float *out = oc_rand(&g_rng, nout, 0, 0), *bout = oc_rand(&g_rng, nout, 0, 0), *din = oc_rand(&g_rng, nin, 0, 0);
        float *dw = oc_rand(&g_rng, nw, 0, 0), *bdin = oc_rand(&g_rng, nout, 0, 0), *st = oc_rand(&g_rng, 4 * K, 1, 1);
        conv_forward(c, N, out, in, w, NULL);
        bn_forward_train(b, N, bout, st, st + K, out, gamma, beta, st + 2 * K, st + 3 * K, 0.1f, 1e-5f);
        bn_backward(b, N, bdin, NULL, NULL, g, out, gamma, st, st + K);
        conv_backward(c, N, din, dw, NULL, bdin, in, w);
        float* r[6] = {out, bout, din, dw, bdin, st};
        memcpy(res[run], r, sizeof r);
        conv_destroy(c);
        bn_destroy(b);
    }
    size_t sizes[6] = {nout, nout, nin, nw, nout, 4 * (size_t)K};
    for (int i = 0; i < 6; i++) {
        CHECK(memcmp(res[0][i], res[1][i], sizes[i] * sizeof(float)) == 0, "result %d differs between runs", i);
        free(res[0][i]);
        free(res[1][i]);
    }
    free(in); free(w); free(g); free(gamma); free(beta);
    omp_set_num_threads(saved);
}

// A rank may get no samples in a step: every op accepts N = 0 and gives zero parameter gradients.
static void test_empty_batch(void) {
    ConvDims d = conv_dims(5, 5, 3, 4, 3, 3, 1, 1);
    for (int b = 0; b < 2; b++) {
        Backend be = b ? BACKEND_FAST : BACKEND_REF;
        ConvOp* c = conv_create(d, 1, be);
        BnOp* bn = bn_create(25, 4, be);
        float dw[108], db[4], dg[4], dbt[4], ldw[12], ldb[4], dummy[4] = {0};
        for (int i = 0; i < 108; i++) dw[i] = 1;
        for (int i = 0; i < 4; i++) db[i] = dg[i] = dbt[i] = ldb[i] = 1;
        for (int i = 0; i < 12; i++) ldw[i] = 1;
        conv_forward(c, 0, dummy, dummy, dw, db);
        conv_backward(c, 0, dummy, dw, db, dummy, dummy, dw);
        bn_backward(bn, 0, dummy, dg, dbt, dummy, dummy, dummy, dummy, dummy);
        linear_backward(be, 0, 3, 4, dummy, ldw, ldb, dummy, dummy, ldw);
        double s = 0;
        for (int i = 0; i < 108; i++) s += fabs(dw[i]);
        for (int i = 0; i < 4; i++) s += fabs(db[i]) + fabs(dg[i]) + fabs(dbt[i]) + fabs(ldb[i]);
        for (int i = 0; i < 12; i++) s += fabs(ldw[i]);
        CHECK(s == 0, "backend %d: gradients of an empty batch are not zero (sum |g| = %g)", b, s);
        conv_destroy(c);
        bn_destroy(bn);
    }
}

// The comparison must be able to fail: a reference perturbed by 1e-3 of its scale is caught.
static void test_comparison_catches_error(void) {
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3.004f, 4};
    CHECK(oc_norm_err(b, a, 4, 1e-6) > TOL_BWD, "a 1e-3 error passed");
    float c[2] = {0, NAN}, z[2] = {0, 1};
    CHECK(!(oc_norm_err(c, z, 2, 1e-6) <= TOL_BWD), "NaN passed");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    rng_init(&g_rng, 4321, RNG_MISC, 5, 0);
    TEST_CASE(test_conv_3x3_s1_p1);
    TEST_CASE(test_conv_3x3_s1_p1_odd);
    TEST_CASE(test_conv_3x3_s2_p1);
    TEST_CASE(test_conv_1x1_s2_p0);
    TEST_CASE(test_conv_1x1_s2_few_channels);
    TEST_CASE(test_conv_1x1_s1_bias);
    TEST_CASE(test_conv_7x7_s2_p3);
    TEST_CASE(test_conv_3x3_s2_p0_batch1);
    TEST_CASE(test_conv_5x3_s1_p3);
    TEST_CASE(test_conv_cifar_stem);
    TEST_CASE(test_conv_random_shapes);
    TEST_CASE(test_conv_batch_size_cache);
    TEST_CASE(test_bn_16ch);
    TEST_CASE(test_bn_odd);
    TEST_CASE(test_bn_batch1);
    TEST_CASE(test_bn_spatial1);
    TEST_CASE(test_linear);
    TEST_CASE(test_linear_odd_nobias);
    TEST_CASE(test_linear_batch1);
    TEST_CASE(test_bn_offsets_and_sizes);
    TEST_CASE(test_add_relu);
    TEST_CASE(test_fast_deterministic);
    TEST_CASE(test_empty_batch);
    TEST_CASE(test_comparison_catches_error);
    return th_end();
}
