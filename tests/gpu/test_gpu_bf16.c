// test_gpu_bf16.c — the bf16 paths of the kernels and layers the mixed-precision model uses, against the fp32 CPU
// reference ops run on the same bf16-representable inputs: the cast (bit for bit against round-to-nearest-even on
// the host), convolution (cuDNN bf16 tensors, float accumulation), our NHWC batch norm with the fused ReLU (train,
// eval, backward, eval-mode backward), max-pool, ReLU, add, global average pool, bias and row sums.
// Tolerances are bf16-sized (8 significant bits: one rounding of an output is ≤ 2^-9 of it).
#include "gpu_check.h"

#ifdef UG_HAVE_CUDA
#include <stdint.h>

#include "nn/model_impl.h"
#include "nn/ops_internal.h"
#include "ug_kernels.h"
#include "ug_layers.h"

// Round to nearest even, as __float2bfloat16_rn (NaN stays NaN): the CPU reference's bf16_round, as bits.
static uint16_t h_bf16(float f) {
    float r = bf16_round(f);
    uint32_t u;
    memcpy(&u, &r, 4);
    return (uint16_t)(u >> 16);
}
static float h_f32(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}
static float* rounded(float* x, size_t n) {
    bf16_round_n(x, n);
    return x;
}
// n distinct bf16 values (distinct bit patterns from 2^-15 up, random signs) in random order: no two inputs of a
// max-pool window tie, so the gradient's route does not depend on how cuDNN breaks ties.
static float* distinct16(Rng* r, size_t n) {
    UG_CHECK(n < 0x4000, "distinct16: %zu values", n);
    float* x = ug_malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = h_f32((uint16_t)(0x3800u + i)) * (rng_below(r, 2) ? -1.0f : 1.0f);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = rng_below(r, (uint32_t)(i + 1));
        float t = x[i]; x[i] = x[j]; x[j] = t;
    }
    return x;
}

// A device bf16 copy of host floats (through the device cast), and a host fp32 copy of a device bf16 buffer.
static void* dev16(const float* host, size_t n) {
    float* d32 = gc_devf(host, n);
    void* d = gc_dev(NULL, n * 2);
    ug_cast(UG_BF16, d, UG_F32, d32, n, g_ctx->stream);
    gpu_sync(g_ctx);
    gpu_free(d32);
    return d;
}
static float* host16(const void* dev, size_t n) {
    float* d32 = gc_devf(NULL, n);
    ug_cast(UG_F32, d32, UG_BF16, dev, n, g_ctx->stream);
    float* h = gc_host(d32, n);
    gpu_free(d32);
    return h;
}
static void expect16(const char* what, const void* dev, const float* want, size_t n, double tol) {
    float* got = host16(dev, n);
    double e = oc_norm_err(got, want, n, 1e-3);
    CHECK(e < tol, "%s: normalised error %.3g > %.3g", what, e, tol);
    free(got);
}
static void expect32(const char* what, const float* dev, const float* want, size_t n, double tol) {
    float* got = gc_host(dev, n);
    double e = oc_norm_err(got, want, n, 1e-3);
    CHECK(e < tol, "%s: normalised error %.3g > %.3g", what, e, tol);
    free(got);
}

static void test_cast(void) {
    GPU_CASE_BEGIN();
    const size_t n = 100000;
    Rng r;
    rng_init(&r, 61, 0, 0, 0);
    float* x = oc_rand(&r, n, -3, 3);
    // halfway cases both ways, values near the limits, signed zero and infinities
    const uint32_t special[] = {0x3f808000u, 0x3f818000u, 0xbf808000u, 0x3f80ffffu, 0x7f7fffffu, 0x00000001u,
                                0x80000000u, 0x7f800000u, 0xff800000u, 0x00800000u, 0x3f7fffffu};
    for (size_t i = 0; i < sizeof special / sizeof *special; i++) memcpy(&x[i], &special[i], 4);
    for (size_t i = 20; i < 200; i++) x[i] *= 1e30f * (float)(i % 7);   // big (and some overflow to ±inf)
    float* d_x = gc_devf(x, n);
    uint16_t* d_b = gc_dev(NULL, n * 2);
    ug_cast(UG_BF16, d_b, UG_F32, d_x, n, g_ctx->stream);
    uint16_t* got = ug_malloc(n * 2);
    gpu_download(got, d_b, n * 2, g_ctx->stream);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += got[i] != h_bf16(x[i]);
    CHECK(bad == 0, "f32 -> bf16: %zu of %zu differ from round-to-nearest-even", bad, n);
    float* back = host16(d_b, n);
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        float w = h_f32(got[i]);
        bad += memcmp(&back[i], &w, 4) != 0;
    }
    CHECK(bad == 0, "bf16 -> f32: %zu of %zu are not exact", bad, n);
    gpu_free(d_x); gpu_free(d_b);
    free(x); free(got); free(back);
}


static void check_conv16(ConvDims d, int N) {
    GpuConv* op = gpu_conv_create_t(g_ctx, gpu_conv_dims(d), 1, 1, UG_BF16);
    const size_t nw = (size_t)d.K * d.C * d.R * d.S, nin = (size_t)N * d.H * d.W * d.C, nout = (size_t)N * d.P * d.Q * d.K;
    Rng r;
    rng_init(&r, 67, d.C, d.K, d.R);
    float* w = rounded(oc_rand(&r, nw, -0.5f, 0.5f), nw);
    float* b = oc_rand(&r, d.K, -0.5f, 0.5f);
    float* x = rounded(oc_rand(&r, nin, -1, 1), nin);
    float* dy = rounded(oc_rand(&r, nout, -1, 1), nout);
    float *y = ug_malloc(nout * 4), *dx = ug_malloc(nin * 4), *dw = ug_malloc(nw * 4), *db = ug_malloc(d.K * 4);
    conv_forward_ref(d, N, y, x, w, b);
    conv_backward_ref(d, N, dx, dw, db, dy, x, w);
    float* d_w32 = gc_devf(w, nw);
    float* d_wl32 = gc_devf(NULL, nw);
    ug_oihw_to_ohwi(d_wl32, d_w32, d.K, d.C, d.R, d.S, g_ctx->stream);
    void* d_w = gc_dev(NULL, nw * 2);
    ug_cast(UG_BF16, d_w, UG_F32, d_wl32, nw, g_ctx->stream);
    void *d_x = dev16(x, nin), *d_dy = dev16(dy, nout), *d_y = gc_dev(NULL, nout * 2), *d_dx = gc_dev(NULL, nin * 2);
    void* d_dw = gc_dev(NULL, nw * 2);
    float *d_b = gc_devf(b, d.K), *d_db = gc_devf(NULL, d.K);
    gpu_conv_forward(op, N, d_y, d_x, d_w, d_b);
    gpu_conv_backward(op, N, d_dx, d_dw, d_db, d_dy, d_x, d_w);
    ug_cast(UG_F32, d_wl32, UG_BF16, d_dw, nw, g_ctx->stream);
    ug_ohwi_to_oihw(d_w32, d_wl32, d.K, d.C, d.R, d.S, g_ctx->stream);
    char what[96];
    snprintf(what, sizeof what, "bf16 conv %dx%d C%d K%d R%d s%d N%d", d.H, d.W, d.C, d.K, d.R, d.stride, N);
    expect16(what, d_y, y, nout, 1e-2);
    expect16(what, d_dx, dx, nin, 1e-2);
    expect32(what, d_w32, dw, nw, 1e-2);
    expect32(what, d_db, db, d.K, 1e-5);   // sums of bf16 values in double: exact up to fp32 rounding
    gpu_free(d_w32); gpu_free(d_wl32); gpu_free(d_w); gpu_free(d_x); gpu_free(d_dy); gpu_free(d_y); gpu_free(d_dx);
    gpu_free(d_dw); gpu_free(d_b); gpu_free(d_db);
    free(w); free(b); free(x); free(dy); free(y); free(dx); free(dw); free(db);
    gpu_conv_destroy(op);
}

static void test_conv(void) {
    GPU_CASE_BEGIN();
    check_conv16(gc_conv_dims(9, 9, 8, 16, 3, 1, 1), 3);
    check_conv16(gc_conv_dims(12, 10, 16, 32, 1, 2, 0), 2);
    check_conv16(gc_conv_dims(20, 20, 3, 8, 7, 2, 3), 2);   // the ImageNet stem's shape (C = 3)
    check_conv16(gc_conv_dims(8, 8, 64, 64, 3, 1, 1), 4);
}

// Our batch norm on bf16 activations: statistics and γ/β gradients in fp32 (double sums), outputs rounded once.
static void check_bn16(int N, int HW, int C, int relu) {
    const size_t n = (size_t)N * HW * C, rows = (size_t)N * HW;
    Rng r;
    rng_init(&r, 71, (uint64_t)HW, (uint64_t)C, (uint64_t)relu);
    float* x = rounded(oc_rand(&r, n, -2, 3), n);
    float* dy = rounded(oc_rand(&r, n, -1, 1), n);
    float* gamma = oc_rand(&r, C, 0.5f, 1.5f);
    float* beta = oc_rand(&r, C, -0.5f, 0.5f);
    float* rm = oc_rand(&r, C, -0.1f, 0.1f);
    float* rv = oc_rand(&r, C, 0.9f, 1.1f);
    float *y = ug_malloc(n * 4), *sm = ug_malloc(C * 4), *si = ug_malloc(C * 4), *dx = ug_malloc(n * 4);
    float *dg = ug_malloc(C * 4), *dbt = ug_malloc(C * 4), *ye = ug_malloc(n * 4), *dxe = ug_malloc(n * 4);
    float *dge = ug_malloc(C * 4), *dbe = ug_malloc(C * 4);
    float *rm0 = ug_malloc(C * 4), *rv0 = ug_malloc(C * 4);
    memcpy(rm0, rm, C * 4);
    memcpy(rv0, rv, C * 4);
    bn_forward_eval_ref(HW, C, N, ye, x, gamma, beta, rm, rv, 1e-5f);
    // eval-mode backward (BN as a fixed affine map): dx = dy·γ·s, dγ = Σ dy·(x−μ)·s, dβ = Σ dy
    for (int c = 0; c < C; c++) {
        double s = 1.0 / sqrt((double)rv0[c] + 1e-5), g = 0, b = 0;
        for (size_t rr = 0; rr < rows; rr++) {
            size_t i = rr * C + c;
            dxe[i] = (float)(dy[i] * gamma[c] * s);
            g += (double)dy[i] * (x[i] - rm0[c]) * s;
            b += dy[i];
        }
        dge[c] = (float)g;
        dbe[c] = (float)b;
    }
    bn_forward_train_ref(HW, C, N, y, sm, si, x, gamma, beta, rm, rv, 0.1f, 1e-5f);
    float* y16 = ug_malloc(n * 4);   // what the device stores (the ReLU mask is taken from the rounded output)
    for (size_t i = 0; i < n; i++) {
        if (relu && y[i] < 0) y[i] = 0;
        y16[i] = h_f32(h_bf16(y[i]));
    }
    float* dym = ug_malloc(n * 4);
    for (size_t i = 0; i < n; i++) dym[i] = relu && !(y16[i] > 0) ? 0 : dy[i];
    bn_backward_ref(HW, C, N, dx, dg, dbt, dym, x, gamma, sm, si);
    if (relu)
        for (size_t i = 0; i < n; i++) ye[i] = ye[i] > 0 ? ye[i] : 0;

    void *d_x = dev16(x, n), *d_dy = dev16(dy, n), *d_y = gc_dev(NULL, n * 2), *d_dx = gc_dev(NULL, n * 2);
    float *d_g = gc_devf(gamma, C), *d_b = gc_devf(beta, C), *d_rm = gc_devf(rm0, C), *d_rv = gc_devf(rv0, C);
    float *d_sm = gc_devf(NULL, C), *d_si = gc_devf(NULL, C), *d_dg = gc_devf(NULL, C), *d_db = gc_devf(NULL, C);
    double* d_scratch = (double*)gc_dev(NULL, ug_bn_nhwc_scratch_bytes(rows, C));
    char what[96];
    snprintf(what, sizeof what, "bf16 bn N%d HW%d C%d%s", N, HW, C, relu ? " +relu" : "");
    ug_bn_nhwc_forward_eval_t(UG_BF16, rows, C, d_y, d_x, d_g, d_b, d_rm, d_rv, 1e-5f, relu, g_ctx->stream);
    expect16(what, d_y, ye, n, 1e-2);
    ug_bn_backward_eval_t(UG_BF16, N, HW, C, d_dx, d_dg, d_db, d_dy, d_x, d_g, d_rm, d_rv, 1e-5f, g_ctx->stream);
    expect16(what, d_dx, dxe, n, 1e-2);
    expect32(what, d_dg, dge, C, 1e-5);
    expect32(what, d_db, dbe, C, 1e-5);
    ug_bn_nhwc_forward_train_t(UG_BF16, rows, C, d_y, d_sm, d_si, d_x, d_g, d_b, d_rm, d_rv, 0.1f, 1e-5f, relu,
                               d_scratch, g_ctx->stream);
    expect16(what, d_y, y, n, 1e-2);
    expect32(what, d_sm, sm, C, 1e-5);   // statistics of bf16 inputs: as exact as fp32 allows
    expect32(what, d_si, si, C, 1e-5);
    expect32(what, d_rm, rm, C, 1e-5);
    expect32(what, d_rv, rv, C, 1e-5);
    ug_bn_nhwc_backward_t(UG_BF16, rows, C, d_dx, d_dg, d_db, d_dy, d_x, d_g, d_sm, d_si, relu ? d_y : NULL, d_scratch,
                          g_ctx->stream);
    expect16(what, d_dx, dx, n, 2e-2);
    expect32(what, d_dg, dg, C, 1e-4);
    expect32(what, d_db, dbt, C, 1e-4);
    gpu_free(d_scratch);
    void* dv[] = {d_x, d_dy, d_y, d_dx, d_g, d_b, d_rm, d_rv, d_sm, d_si, d_dg, d_db};
    for (size_t i = 0; i < sizeof dv / sizeof *dv; i++) gpu_free(dv[i]);
    float* h[] = {x, dy, gamma, beta, rm, rv, y, sm, si, dx, dg, dbt, ye, dxe, dge, dbe, rm0, rv0, y16, dym};
    for (size_t i = 0; i < sizeof h / sizeof *h; i++) free(h[i]);
}

static void test_batchnorm(void) {
    GPU_CASE_BEGIN();
    check_bn16(4, 25, 12, 0);
    check_bn16(4, 25, 12, 1);
    check_bn16(3, 7, 10, 1);       // C % 4 != 0: the scalar path
    check_bn16(2, 9, 40, 0);       // a partial 32-channel tile
    check_bn16(16, 1024, 64, 1);   // many slices
}

static void test_maxpool(void) {
    GPU_CASE_BEGIN();
    const int N = 2;
    PoolDims d = pool_dims(11, 11, 6, 3, 2, 1);
    const size_t nin = (size_t)N * d.H * d.W * d.C, nout = (size_t)N * d.P * d.Q * d.C;
    Rng r;
    rng_init(&r, 73, 0, 0, 0);
    float* x = distinct16(&r, nin);
    float* dy = rounded(oc_rand(&r, nout, -1, 1), nout);
    float *y = ug_malloc(nout * 4), *dx = ug_malloc(nin * 4);
    int32_t* am = ug_malloc(nout * sizeof(int32_t));
    maxpool_forward(d, N, y, am, x);
    maxpool_backward(d, N, dx, dy, am);
    void *d_x = dev16(x, nin), *d_dy = dev16(dy, nout), *d_y = gc_dev(NULL, nout * 2), *d_dx = gc_dev(NULL, nin * 2);
    GpuPool* op = gpu_maxpool_create_t(g_ctx, gpu_pool_dims(d), UG_BF16);
    gpu_maxpool_forward(op, N, d_y, d_x);
    gpu_maxpool_backward(op, N, d_dx, d_dy, d_y, d_x);
    float* got = host16(d_y, nout);
    CHECK(gc_bit_diffs(got, y, nout) == 0, "bf16 max-pool forward differs (a maximum of bf16 values is exact)");
    free(got);
    expect16("bf16 max-pool backward", d_dx, dx, nin, 1e-2);
    gpu_maxpool_destroy(op);
    gpu_free(d_x); gpu_free(d_dy); gpu_free(d_y); gpu_free(d_dx);
    free(x); free(dy); free(y); free(dx); free(am);
}

// ReLU forward / backward, add, global average pool (bf16 in, fp32 out) and its backward, bias add, row sums.
static void test_elementwise(void) {
    GPU_CASE_BEGIN();
    const int N = 3, HW = 49, C = 24;
    const size_t n = (size_t)N * HW * C;
    Rng r;
    rng_init(&r, 79, 0, 0, 0);
    float* a = rounded(oc_rand(&r, n, -2, 2), n);
    float* b = rounded(oc_rand(&r, n, -2, 2), n);
    float* bias = oc_rand(&r, C, -1, 1);
    float* g = oc_rand(&r, (size_t)N * C, -1, 1);
    float *want = ug_malloc(n * 4), *pooled = ug_malloc((size_t)N * C * 4), *sums = ug_malloc(C * 4);
    void *d_a = dev16(a, n), *d_b = dev16(b, n), *d_o = gc_dev(NULL, n * 2);
    float *d_bias = gc_devf(bias, C), *d_g = gc_devf(g, (size_t)N * C), *d_p = gc_devf(NULL, (size_t)N * C);
    float* d_s = gc_devf(NULL, C);

    for (size_t i = 0; i < n; i++) want[i] = a[i] > 0 ? a[i] : 0;
    ug_relu_forward_t(UG_BF16, d_o, d_a, n, g_ctx->stream);
    expect16("bf16 relu forward", d_o, want, n, 1e-7);   // exact
    for (size_t i = 0; i < n; i++) want[i] = want[i] > 0 ? b[i] : 0;
    ug_relu_backward_t(UG_BF16, d_o, d_b, d_o, n, g_ctx->stream);
    expect16("bf16 relu backward", d_o, want, n, 1e-7);
    for (size_t i = 0; i < n; i++) want[i] = a[i] + b[i];
    ug_add_forward_t(UG_BF16, d_o, d_a, d_b, n, g_ctx->stream);
    expect16("bf16 add", d_o, want, n, 5e-3);
    avgpool_global_forward(N, HW, C, pooled, a);
    ug_avgpool_global_forward_t(UG_BF16, N, HW, C, d_p, d_a, g_ctx->stream);
    expect32("bf16 global average pool", d_p, pooled, (size_t)N * C, 1e-6);
    avgpool_global_backward(N, HW, C, want, g);
    ug_avgpool_global_backward_t(UG_BF16, N, HW, C, d_o, d_g, g_ctx->stream);
    expect16("bf16 global average pool backward", d_o, want, n, 5e-3);
    for (size_t i = 0; i < n; i++) want[i] = a[i] + bias[i % C];
    ug_cast(UG_BF16, d_o, UG_BF16, d_a, n, g_ctx->stream);   // same-type cast: a copy
    ug_bias_add_rows_t(UG_BF16, d_o, d_bias, N * HW, C, g_ctx->stream);
    expect16("bf16 bias add", d_o, want, n, 5e-3);
    for (int c = 0; c < C; c++) {
        double s = 0;
        for (int rr = 0; rr < N * HW; rr++) s += a[(size_t)rr * C + c];
        sums[c] = (float)s;
    }
    ug_sum_rows_t(UG_BF16, d_s, d_a, N * HW, C, g_ctx->stream);
    expect32("bf16 row sums", d_s, sums, C, 1e-6);
    void* dv[] = {d_a, d_b, d_o, d_bias, d_g, d_p, d_s};
    for (size_t i = 0; i < sizeof dv / sizeof *dv; i++) gpu_free(dv[i]);
    free(a); free(b); free(bias); free(g); free(want); free(pooled); free(sums);
}
#else
static void test_cast(void) { GPU_CASE_BEGIN(); }
static void test_conv(void) { GPU_CASE_BEGIN(); }
static void test_batchnorm(void) { GPU_CASE_BEGIN(); }
static void test_maxpool(void) { GPU_CASE_BEGIN(); }
static void test_elementwise(void) { GPU_CASE_BEGIN(); }
#endif

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    gc_begin();
    TEST_CASE(test_cast);
    TEST_CASE(test_conv);
    TEST_CASE(test_batchnorm);
    TEST_CASE(test_maxpool);
    TEST_CASE(test_elementwise);
    gc_end();
    return th_end();
}
