// test_gpu_layers.c — the cuDNN / cuBLAS layers (kernels/cudnn_*.cu, cublas_linear.cu) against the CPU
// reference ops (src/nn/ops_ref_*.c, ops_pool.c): same semantics, fp32 math (TF32 checked separately).
#include "gpu_check.h"

#ifdef UG_HAVE_CUDA
#include "nn/ops_internal.h"
#include "ug_kernels.h"
#include "ug_layers.h"


static void expect_close(const char* what, const float* dev, const float* want, size_t n, double tol) {
    float* got = gc_host(dev, n);
    double e = oc_norm_err(got, want, n, 1e-3);
    CHECK(e < tol, "%s: normalised error %.3g > %.3g", what, e, tol);
    free(got);
}

// One conv shape at two batch sizes (the algorithm cache), OIHW or OHWI weights, against the reference.
static void check_conv(ConvDims d, int ohwi, double tol) {
    GpuConv* op = gpu_conv_create(g_ctx, gpu_conv_dims(d), 1, ohwi);
    const size_t nw = (size_t)d.K * d.C * d.R * d.S;
    Rng r;
    rng_init(&r, 21, d.C, d.K, d.R * 10 + ohwi);
    float* w = oc_rand(&r, nw, -0.5f, 0.5f);
    float* b = oc_rand(&r, d.K, -0.5f, 0.5f);
    float *d_w = gc_devf(w, nw), *d_b = gc_devf(b, d.K), *d_wl = gc_devf(NULL, nw), *d_dw = gc_devf(NULL, nw);
    float *d_dwl = gc_devf(NULL, nw), *d_db = gc_devf(NULL, d.K);
    if (ohwi) ug_oihw_to_ohwi(d_wl, d_w, d.K, d.C, d.R, d.S, g_ctx->stream);
    else CUDA_CHECK(cudaMemcpyAsync(d_wl, d_w, nw * sizeof(float), cudaMemcpyDeviceToDevice, g_ctx->stream));
    for (int N = 3; N >= 2; N--) {
        const size_t nin = (size_t)N * d.H * d.W * d.C, nout = (size_t)N * d.P * d.Q * d.K;
        float* x = oc_rand(&r, nin, -1, 1);
        float* dy = oc_rand(&r, nout, -1, 1);
        float *y = ug_malloc(nout * 4), *dx = ug_malloc(nin * 4), *dw = ug_malloc(nw * 4), *db = ug_malloc(d.K * 4);
        conv_forward_ref(d, N, y, x, w, b);
        conv_backward_ref(d, N, dx, dw, db, dy, x, w);
        float *d_x = gc_devf(x, nin), *d_dy = gc_devf(dy, nout), *d_y = gc_devf(NULL, nout), *d_dx = gc_devf(NULL, nin);
        gpu_conv_forward(op, N, d_y, d_x, d_wl, d_b);
        gpu_conv_backward(op, N, d_dx, d_dwl, d_db, d_dy, d_x, d_wl);
        if (ohwi) ug_ohwi_to_oihw(d_dw, d_dwl, d.K, d.C, d.R, d.S, g_ctx->stream);
        else CUDA_CHECK(cudaMemcpyAsync(d_dw, d_dwl, nw * sizeof(float), cudaMemcpyDeviceToDevice, g_ctx->stream));
        char what[96];
        snprintf(what, sizeof what, "conv %dx%d C%d K%d R%d s%d p%d N%d %s", d.H, d.W, d.C, d.K, d.R, d.stride,
                 d.pad, N, ohwi ? "OHWI" : "OIHW");
        expect_close(what, d_y, y, nout, tol);
        expect_close(what, d_dx, dx, nin, tol);
        expect_close(what, d_dw, dw, nw, tol);
        expect_close(what, d_db, db, d.K, tol);
        int fa, da, wa;
        gpu_conv_algos(op, N, &fa, &da, &wa);
        CHECK(fa >= 0 && da >= 0 && wa >= 0, "%s: algorithms not cached (%d %d %d)", what, fa, da, wa);
        gpu_free(d_x); gpu_free(d_dy); gpu_free(d_y); gpu_free(d_dx);
        free(x); free(dy); free(y); free(dx); free(dw); free(db);
    }
    gpu_free(d_w); gpu_free(d_b); gpu_free(d_wl); gpu_free(d_dw); gpu_free(d_dwl); gpu_free(d_db);
    free(w); free(b);
    gpu_conv_destroy(op);
}

static void test_conv(void) {
    GPU_CASE_BEGIN();
    for (int ohwi = 0; ohwi <= 1; ohwi++) {
        check_conv(gc_conv_dims(9, 9, 5, 7, 3, 1, 1), ohwi, 2e-4);   // Winograd / FFT algorithms: ~1e-5
        check_conv(gc_conv_dims(12, 10, 8, 16, 1, 2, 0), ohwi, 2e-4);
        check_conv(gc_conv_dims(20, 20, 3, 8, 7, 2, 3), ohwi, 2e-4);
        check_conv(gc_conv_dims(8, 8, 64, 64, 3, 1, 1), ohwi, 2e-4);
    }
}

static void test_conv_tf32(void) {
    GPU_CASE_BEGIN();
    gpu_ctx_set_tf32(g_ctx, 1);
    g_ctx->deterministic = 0;
    check_conv(gc_conv_dims(14, 14, 32, 64, 3, 1, 1), 1, 5e-3);   // TF32: ~10 mantissa bits
    g_ctx->deterministic = 1;
    gpu_ctx_set_tf32(g_ctx, 0);
}

static void test_batchnorm(void) {
    GPU_CASE_BEGIN();
    const int N = 4, HW = 25, C = 12;
    const size_t n = (size_t)N * HW * C;
    Rng r;
    rng_init(&r, 31, 0, 0, 0);
    float* x = oc_rand(&r, n, -2, 3);
    float* dy = oc_rand(&r, n, -1, 1);
    float* gamma = oc_rand(&r, C, 0.5f, 1.5f);
    float* beta = oc_rand(&r, C, -0.5f, 0.5f);
    float* rm = oc_rand(&r, C, -0.1f, 0.1f);
    float* rv = oc_rand(&r, C, 0.9f, 1.1f);
    float *y = ug_malloc(n * 4), *sm = ug_malloc(C * 4), *si = ug_malloc(C * 4), *dx = ug_malloc(n * 4);
    float *dg = ug_malloc(C * 4), *dbt = ug_malloc(C * 4), *ye = ug_malloc(n * 4);
    float *d_x = gc_devf(x, n), *d_dy = gc_devf(dy, n), *d_g = gc_devf(gamma, C), *d_b = gc_devf(beta, C);
    float *d_rm = gc_devf(rm, C), *d_rv = gc_devf(rv, C), *d_y = gc_devf(NULL, n), *d_sm = gc_devf(NULL, C);
    float *d_si = gc_devf(NULL, C), *d_dx = gc_devf(NULL, n), *d_dg = gc_devf(NULL, C), *d_db = gc_devf(NULL, C);
    bn_forward_train_ref(HW, C, N, y, sm, si, x, gamma, beta, rm, rv, 0.1f, 1e-5f);
    bn_backward_ref(HW, C, N, dx, dg, dbt, dy, x, gamma, sm, si);
    bn_forward_eval_ref(HW, C, N, ye, x, gamma, beta, rm, rv, 1e-5f);
    GpuBn* op = gpu_bn_create(g_ctx, HW, C);
    gpu_bn_forward_train(op, N, d_y, d_sm, d_si, d_x, d_g, d_b, d_rm, d_rv, 0.1f, 1e-5f);
    gpu_bn_backward(op, N, d_dx, d_dg, d_db, d_dy, d_x, d_g, d_sm, d_si);
    expect_close("bn train out", d_y, y, n, 1e-5);
    expect_close("bn save_mean", d_sm, sm, C, 1e-5);
    expect_close("bn save_invstd", d_si, si, C, 1e-5);
    expect_close("bn running mean", d_rm, rm, C, 1e-5);
    expect_close("bn running var (unbiased)", d_rv, rv, C, 1e-5);
    expect_close("bn din", d_dx, dx, n, 1e-4);
    expect_close("bn dgamma", d_dg, dg, C, 1e-5);
    expect_close("bn dbeta", d_db, dbt, C, 1e-5);
    gpu_bn_forward_eval(op, N, d_y, d_x, d_g, d_b, d_rm, d_rv, 1e-5f);
    expect_close("bn eval out", d_y, ye, n, 1e-5);
    gpu_bn_destroy(op);
    float* bufs[] = {x, dy, gamma, beta, rm, rv, y, sm, si, dx, dg, dbt, ye};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    float* dbufs[] = {d_x, d_dy, d_g, d_b, d_rm, d_rv, d_y, d_sm, d_si, d_dx, d_dg, d_db};
    for (size_t i = 0; i < sizeof dbufs / sizeof *dbufs; i++) gpu_free(dbufs[i]);
}

// Our NHWC batch norm (kernels/k_bn_nhwc.cu): both elementwise paths (C % 4 == 0 and not), a partial channel
// tile, many row slices, the fused ReLU, eval mode and backward, against the reference.
static void check_bn_ours(int N, int HW, int C, int relu) {
    const size_t n = (size_t)N * HW * C, rows = (size_t)N * HW;
    Rng r;
    rng_init(&r, 37, (uint64_t)HW, (uint64_t)C, (uint64_t)relu);
    float* x = oc_rand(&r, n, -2, 3);
    float* dy = oc_rand(&r, n, -1, 1);
    float* gamma = oc_rand(&r, C, 0.5f, 1.5f);
    float* beta = oc_rand(&r, C, -0.5f, 0.5f);
    float* rm = oc_rand(&r, C, -0.1f, 0.1f);
    float* rv = oc_rand(&r, C, 0.9f, 1.1f);
    float *y = ug_malloc(n * 4), *sm = ug_malloc(C * 4), *si = ug_malloc(C * 4), *dx = ug_malloc(n * 4);
    float *dg = ug_malloc(C * 4), *dbt = ug_malloc(C * 4), *ye = ug_malloc(n * 4);
    float *d_x = gc_devf(x, n), *d_dy = gc_devf(dy, n), *d_g = gc_devf(gamma, C), *d_b = gc_devf(beta, C);
    float *d_rm = gc_devf(rm, C), *d_rv = gc_devf(rv, C), *d_y = gc_devf(NULL, n), *d_sm = gc_devf(NULL, C);
    float *d_si = gc_devf(NULL, C), *d_dx = gc_devf(NULL, n), *d_dg = gc_devf(NULL, C), *d_db = gc_devf(NULL, C);
    double* d_scratch = (double*)gc_dev(NULL, ug_bn_nhwc_scratch_bytes(rows, C));
    bn_forward_eval_ref(HW, C, N, ye, x, gamma, beta, rm, rv, 1e-5f);   // before the running stats move
    bn_forward_train_ref(HW, C, N, y, sm, si, x, gamma, beta, rm, rv, 0.1f, 1e-5f);
    if (relu) {   // the gradient arrives at the ReLU's output: mask it as relu_backward would
        for (size_t i = 0; i < n; i++) { y[i] = y[i] > 0 ? y[i] : 0; ye[i] = ye[i] > 0 ? ye[i] : 0; }
        float* dym = ug_malloc(n * 4);
        for (size_t i = 0; i < n; i++) dym[i] = y[i] > 0 ? dy[i] : 0;
        bn_backward_ref(HW, C, N, dx, dg, dbt, dym, x, gamma, sm, si);
        free(dym);
    } else {
        bn_backward_ref(HW, C, N, dx, dg, dbt, dy, x, gamma, sm, si);
    }
    char what[96];
    snprintf(what, sizeof what, "our bn N%d HW%d C%d%s", N, HW, C, relu ? " +relu" : "");
    ug_bn_nhwc_forward_eval(rows, C, d_y, d_x, d_g, d_b, d_rm, d_rv, 1e-5f, relu, g_ctx->stream);
    expect_close(what, d_y, ye, n, 1e-5);
    ug_bn_nhwc_forward_train(rows, C, d_y, d_sm, d_si, d_x, d_g, d_b, d_rm, d_rv, 0.1f, 1e-5f, relu, d_scratch,
                             g_ctx->stream);
    ug_bn_nhwc_backward(rows, C, d_dx, d_dg, d_db, d_dy, d_x, d_g, d_sm, d_si, relu ? d_y : NULL, d_scratch,
                        g_ctx->stream);
    expect_close(what, d_y, y, n, 1e-5);
    expect_close(what, d_sm, sm, C, 1e-5);
    expect_close(what, d_si, si, C, 1e-5);
    expect_close(what, d_rm, rm, C, 1e-5);
    expect_close(what, d_rv, rv, C, 1e-5);
    expect_close(what, d_dx, dx, n, 1e-4);
    expect_close(what, d_dg, dg, C, 1e-4);
    expect_close(what, d_db, dbt, C, 1e-4);
    float* dx2 = gc_host(d_dx, n);   // run-to-run: bit-identical (fixed reduction order)
    ug_bn_nhwc_backward(rows, C, d_dx, d_dg, d_db, d_dy, d_x, d_g, d_sm, d_si, relu ? d_y : NULL, d_scratch,
                        g_ctx->stream);
    float* dx3 = gc_host(d_dx, n);
    CHECK(gc_bit_diffs(dx2, dx3, n) == 0, "%s: backward differs between two runs", what);
    free(dx2); free(dx3);
    gpu_free(d_scratch);
    float* bufs[] = {x, dy, gamma, beta, rm, rv, y, sm, si, dx, dg, dbt, ye};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    float* dbufs[] = {d_x, d_dy, d_g, d_b, d_rm, d_rv, d_y, d_sm, d_si, d_dx, d_dg, d_db};
    for (size_t i = 0; i < sizeof dbufs / sizeof *dbufs; i++) gpu_free(dbufs[i]);
}

static void test_batchnorm_ours(void) {
    GPU_CASE_BEGIN();
    check_bn_ours(4, 25, 12, 0);
    check_bn_ours(4, 25, 12, 1);
    check_bn_ours(3, 7, 10, 1);      // C % 4 != 0: the scalar path
    check_bn_ours(2, 9, 40, 0);      // a partial 32-channel tile
    check_bn_ours(16, 1024, 64, 1);  // 16384 rows: many slices
}

static void test_maxpool(void) {
    GPU_CASE_BEGIN();
    const int N = 2;
    PoolDims d = pool_dims(11, 11, 6, 3, 2, 1);
    const size_t nin = (size_t)N * d.H * d.W * d.C, nout = (size_t)N * d.P * d.Q * d.C;
    Rng r;
    rng_init(&r, 41, 0, 0, 0);
    float* x = oc_rand(&r, nin, -1, 1);
    float* dy = oc_rand(&r, nout, -1, 1);
    float *y = ug_malloc(nout * 4), *dx = ug_malloc(nin * 4);
    int32_t* am = ug_malloc(nout * sizeof(int32_t));
    maxpool_forward(d, N, y, am, x);
    maxpool_backward(d, N, dx, dy, am);
    float *d_x = gc_devf(x, nin), *d_dy = gc_devf(dy, nout), *d_y = gc_devf(NULL, nout), *d_dx = gc_devf(NULL, nin);
    GpuPool* op = gpu_maxpool_create(g_ctx, gpu_pool_dims(d));
    gpu_maxpool_forward(op, N, d_y, d_x);
    gpu_maxpool_backward(op, N, d_dx, d_dy, d_y, d_x);
    float* got = gc_host(d_y, nout);
    CHECK(gc_bit_diffs(got, y, nout) == 0, "max-pool forward differs");
    free(got);
    expect_close("max-pool backward", d_dx, dx, nin, 1e-6);
    gpu_maxpool_destroy(op);
    gpu_free(d_x); gpu_free(d_dy); gpu_free(d_y); gpu_free(d_dx);
    free(x); free(dy); free(y); free(dx); free(am);
}

static void check_linear(int N, int In, int Out, double tol) {
    Rng r;
    rng_init(&r, 51, N, In, Out);
    float* x = oc_rand(&r, (size_t)N * In, -1, 1);
    float* w = oc_rand(&r, (size_t)Out * In, -0.3f, 0.3f);
    float* b = oc_rand(&r, Out, -1, 1);
    float* dy = oc_rand(&r, (size_t)N * Out, -1, 1);
    float *y = ug_malloc((size_t)N * Out * 4), *dx = ug_malloc((size_t)N * In * 4);
    float *dw = ug_malloc((size_t)Out * In * 4), *db = ug_malloc(Out * 4);
    linear_forward_ref(N, In, Out, y, x, w, b);
    linear_backward_ref(N, In, Out, dx, dw, db, dy, x, w);
    float *d_x = gc_devf(x, (size_t)N * In), *d_w = gc_devf(w, (size_t)Out * In), *d_b = gc_devf(b, Out);
    float *d_dy = gc_devf(dy, (size_t)N * Out), *d_y = gc_devf(NULL, (size_t)N * Out);
    float *d_dx = gc_devf(NULL, (size_t)N * In), *d_dw = gc_devf(NULL, (size_t)Out * In), *d_db = gc_devf(NULL, Out);
    gpu_linear_forward(g_ctx, N, In, Out, d_y, d_x, d_w, d_b);
    gpu_linear_backward(g_ctx, N, In, Out, d_dx, d_dw, d_db, d_dy, d_x, d_w);
    expect_close("linear out", d_y, y, (size_t)N * Out, tol);
    expect_close("linear din", d_dx, dx, (size_t)N * In, tol);
    expect_close("linear dw", d_dw, dw, (size_t)Out * In, tol);
    expect_close("linear dbias", d_db, db, Out, tol);
    float* h[] = {x, w, b, dy, y, dx, dw, db};
    for (size_t i = 0; i < 8; i++) free(h[i]);
    float* dv[] = {d_x, d_w, d_b, d_dy, d_y, d_dx, d_dw, d_db};
    for (size_t i = 0; i < 8; i++) gpu_free(dv[i]);
}

static void test_linear(void) {
    GPU_CASE_BEGIN();
    check_linear(33, 70, 10, 1e-5);
    check_linear(256, 512, 1000, 1e-5);
    gpu_ctx_set_tf32(g_ctx, 1);
    check_linear(256, 512, 1000, 5e-3);
    gpu_ctx_set_tf32(g_ctx, 0);
}
#else
static void test_conv(void) { GPU_CASE_BEGIN(); }
static void test_conv_tf32(void) { GPU_CASE_BEGIN(); }
static void test_batchnorm(void) { GPU_CASE_BEGIN(); }
static void test_batchnorm_ours(void) { GPU_CASE_BEGIN(); }
static void test_maxpool(void) { GPU_CASE_BEGIN(); }
static void test_linear(void) { GPU_CASE_BEGIN(); }
#endif

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    gc_begin();
    TEST_CASE(test_conv);
    TEST_CASE(test_conv_tf32);
    TEST_CASE(test_batchnorm);
    TEST_CASE(test_batchnorm_ours);
    TEST_CASE(test_maxpool);
    TEST_CASE(test_linear);
    gc_end();
    return th_end();
}
