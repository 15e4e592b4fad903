// test_gpu_kernels.c — our CUDA kernels (kernels/k_*.cu) against their CPU twins.
#include "gpu_check.h"

#ifdef UG_HAVE_CUDA
#include "nn/ops.h"
#include "nn/optim.h"
#include "ug_kernels.h"
#include "nn/adaptive_alpha.h"

// GLS cross-entropy for one shape, with per-sample alpha (negative ones too) and weights, against gls_xent.
static void check_gls(int N, int K, int with_alpha_weight, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 1, N, K);
    float* logits = oc_rand(&r, (size_t)N * K, -8, 8);
    float* alpha = oc_rand(&r, N, -2, 1);
    float* weight = oc_rand(&r, N, 0, 2);
    int32_t* labels = ug_malloc(N * sizeof(int32_t));
    for (int i = 0; i < N; i++) labels[i] = (int32_t)rng_below(&r, K);
    const float* a = with_alpha_weight ? alpha : NULL;
    const float* w = with_alpha_weight ? weight : NULL;
    float* loss = ug_malloc(N * sizeof(float));
    float* dz = ug_malloc((size_t)N * K * sizeof(float));
    double total = gls_xent(N, K, loss, dz, logits, labels, a, w, 0.25f);

    float *d_logits = gc_devf(logits, (size_t)N * K), *d_alpha = gc_devf(alpha, N), *d_weight = gc_devf(weight, N);
    float *d_loss = gc_devf(NULL, N), *d_dz = gc_devf(NULL, (size_t)N * K);
    int32_t* d_labels = gc_dev(labels, N * sizeof(int32_t));
    double *d_total = gc_dev(NULL, sizeof(double)), *d_scratch = gc_dev(NULL, N * sizeof(double));
    ug_gls_xent(N, K, d_loss, d_dz, d_total, d_scratch, d_logits, d_labels, with_alpha_weight ? d_alpha : NULL,
                with_alpha_weight ? d_weight : NULL, 0.25f, g_ctx->stream);
    float* g_loss = gc_host(d_loss, N);
    float* g_dz = gc_host(d_dz, (size_t)N * K);
    double g_total = 0;
    gpu_download(&g_total, d_total, sizeof(double), g_ctx->stream);
    double e_loss = oc_norm_err(g_loss, loss, N, 1e-6), e_dz = oc_norm_err(g_dz, dz, (size_t)N * K, 1e-6);
    CHECK(e_loss < 1e-6, "N=%d K=%d loss error %.3g", N, K, e_loss);
    CHECK(e_dz < 1e-6, "N=%d K=%d dlogits error %.3g", N, K, e_dz);
    CHECK_CLOSE(g_total, total, 1e-9 * (fabs(total) + 1));
    gpu_free(d_logits); gpu_free(d_alpha); gpu_free(d_weight); gpu_free(d_loss); gpu_free(d_dz);
    gpu_free(d_labels); gpu_free(d_total); gpu_free(d_scratch);
    free(logits); free(alpha); free(weight); free(labels); free(loss); free(dz); free(g_loss); free(g_dz);
}

static void test_gls_xent(void) {
    GPU_CASE_BEGIN();
    check_gls(37, 10, 1, 1);
    check_gls(5, 1000, 1, 2);
    check_gls(64, 100, 0, 3);
}

// Three steps on the GPU and the CPU from the same state must agree bit for bit (same rounding order).
static void check_sgd(double mu, double wd, int nesterov, int use_mask) {
    const size_t n = 100003;
    Rng r;
    rng_init(&r, 7, 2, (uint64_t)(mu * 100), nesterov * 2 + use_mask);
    float* p = oc_rand(&r, n, -1, 1);
    uint8_t* mask = ug_malloc(n);
    for (size_t i = 0; i < n; i++) mask[i] = rng_below(&r, 4) != 0;
    SgdConfig cfg = {mu, wd, nesterov};
    Sgd s;
    sgd_init(&s, &cfg, n);
    float *d_p = gc_devf(p, n), *d_buf = gc_devf(NULL, n);
    uint8_t* d_mask = gc_dev(mask, n);
    for (int step = 0; step < 3; step++) {
        float* g = oc_rand(&r, n, -0.1f, 0.1f);
        float* d_g = gc_devf(g, n);
        sgd_step(&s, p, g, use_mask ? mask : NULL, 0.05f);
        ug_sgd_step(n, d_p, mu != 0 ? d_buf : NULL, d_g, use_mask ? d_mask : NULL, 0.05f, (float)mu, (float)wd,
                    nesterov, g_ctx->stream);
        gpu_free(d_g);
        free(g);
    }
    float* gp = gc_host(d_p, n);
    float* gbuf = gc_host(d_buf, n);
    size_t dp = gc_bit_diffs(gp, p, n), db = mu != 0 ? gc_bit_diffs(gbuf, s.momentum_buf, n) : 0;
    CHECK(dp == 0, "mu=%g wd=%g nesterov=%d mask=%d: %zu params differ", mu, wd, nesterov, use_mask, dp);
    CHECK(db == 0, "mu=%g wd=%g nesterov=%d mask=%d: %zu momentum entries differ", mu, wd, nesterov, use_mask, db);
    gpu_free(d_p); gpu_free(d_buf); gpu_free(d_mask);
    sgd_free(&s);
    free(p); free(mask); free(gp); free(gbuf);
}

static void test_sgd_step(void) {
    GPU_CASE_BEGIN();
    check_sgd(0.9, 5e-4, 0, 0);
    check_sgd(0.9, 5e-4, 1, 1);
    check_sgd(0.0, 1e-3, 0, 1);
    check_sgd(0.5, 0.0, 0, 1);
}

// beta between two well-separated CPU distances near the median, so rounding cannot flip a count.
static double safe_beta(AlphaDistance kind, const float* f, int nf, const float* r, int nr, int dim) {
    int n = nf * nr;
    double* d = ug_malloc(n * sizeof(double));
    for (int i = 0; i < nf; i++)
        for (int j = 0; j < nr; j++) d[i * nr + j] = alpha_distance(kind, r + (size_t)j * dim, f + (size_t)i * dim, dim);
    for (int i = 1; i < n; i++)   // insertion sort: n is small
        for (int j = i; j > 0 && d[j - 1] > d[j]; j--) { double t = d[j]; d[j] = d[j - 1]; d[j - 1] = t; }
    int best = n / 2;
    for (int k = n / 4; k < 3 * n / 4; k++)
        if (d[k + 1] - d[k] > d[best + 1] - d[best]) best = k;
    double beta = (d[best] + d[best + 1]) / 2;
    free(d);
    return beta;
}

static void check_alpha(AlphaDistance kind, int dim, AlphaSign sign) {
    const int nf = 7, nr = 64, nglobal = 21;
    Rng r;
    rng_init(&r, 11, 3, kind, dim);
    float* f = oc_rand(&r, (size_t)nf * dim, -1, 1);
    float* re = oc_rand(&r, (size_t)nr * dim, -1, 1);
    for (int k = 0; k < dim; k++) re[k] = f[k] * 1.01f;                 // near-duplicates: small distances
    for (int k = 0; k < dim; k++) re[(size_t)5 * dim + k] = f[(size_t)3 * dim + k];
    double beta = safe_beta(kind, f, nf, re, nr, dim);
    float alpha[7], g_alpha[7];
    int32_t counts[7];
    adaptive_alpha(alpha, f, nf, re, nr, dim, nglobal, kind, beta, sign, 2.0);
    float *d_f = gc_devf(f, (size_t)nf * dim), *d_r = gc_devf(re, (size_t)nr * dim), *d_a = gc_devf(NULL, nf);
    int32_t* d_c = gc_dev(NULL, nf * sizeof(int32_t));
    ug_adaptive_alpha(d_a, d_c, d_f, nf, d_r, nr, dim, nglobal, kind, beta, sign, 2.0, g_ctx->stream);
    gpu_download(g_alpha, d_a, sizeof g_alpha, g_ctx->stream);
    gpu_download(counts, d_c, sizeof counts, g_ctx->stream);
    int some = 0;
    for (int i = 0; i < nf; i++) {
        CHECK(g_alpha[i] == alpha[i], "kind %d dim %d sample %d: alpha %g on the GPU, %g on the CPU", kind, dim, i,
              g_alpha[i], alpha[i]);
        some += counts[i] > 0 && counts[i] < nr;
    }
    CHECK(some > 0, "kind %d: every count is 0 or all (the test data do not discriminate)", kind);
    gpu_free(d_f); gpu_free(d_r); gpu_free(d_a); gpu_free(d_c);
    free(f); free(re);
}

static void test_adaptive_alpha(void) {
    GPU_CASE_BEGIN();
    check_alpha(DIST_COSINE, 512, ALPHA_NEGATIVE);
    check_alpha(DIST_PIXEL, 3072, ALPHA_LITERAL);
    check_alpha(DIST_COSINE, 33, ALPHA_LITERAL);
}

static void test_elementwise(void) {
    GPU_CASE_BEGIN();
    const int N = 3, HW = 49, C = 40;
    const size_t n = (size_t)N * HW * C;
    Rng r;
    rng_init(&r, 5, 4, 0, 0);
    float* x = oc_rand(&r, n, -1, 1);
    float* y = oc_rand(&r, n, -1, 1);
    for (size_t i = 0; i < n; i += 17) x[i] = 0.0f;   // the kink
    float* want = ug_malloc(n * sizeof(float));
    float *d_x = gc_devf(x, n), *d_y = gc_devf(y, n), *d_o = gc_devf(NULL, n);

    relu_forward(want, x, n);
    ug_relu_forward(d_o, d_x, n, g_ctx->stream);
    float* got = gc_host(d_o, n);
    CHECK(gc_bit_diffs(got, want, n) == 0, "relu forward differs");
    free(got);
    relu_backward(want, y, x, n);
    ug_relu_backward(d_o, d_y, d_x, n, g_ctx->stream);
    got = gc_host(d_o, n);
    CHECK(gc_bit_diffs(got, want, n) == 0, "relu backward differs");
    free(got);
    add_forward(want, x, y, n);
    ug_add_forward(d_o, d_x, d_y, n, g_ctx->stream);
    got = gc_host(d_o, n);
    CHECK(gc_bit_diffs(got, want, n) == 0, "residual add differs");
    free(got);

    avgpool_global_forward(N, HW, C, want, x);
    ug_avgpool_global_forward(N, HW, C, d_o, d_x, g_ctx->stream);
    got = gc_host(d_o, (size_t)N * C);
    CHECK(gc_bit_diffs(got, want, (size_t)N * C) == 0, "global average pool forward differs");
    free(got);
    avgpool_global_backward(N, HW, C, want, y);     // y's first N*C entries as dout
    ug_avgpool_global_backward(N, HW, C, d_o, d_y, g_ctx->stream);
    got = gc_host(d_o, n);
    CHECK(gc_bit_diffs(got, want, n) == 0, "global average pool backward differs");
    free(got);

    // row sums (bias gradients) and bias add
    const int rows = N * HW;
    double* sums = ug_calloc(C, sizeof(double));
    for (int i = 0; i < rows; i++)
        for (int c = 0; c < C; c++) sums[c] += x[(size_t)i * C + c];
    ug_sum_rows(d_o, d_x, rows, C, g_ctx->stream);
    got = gc_host(d_o, C);
    for (int c = 0; c < C; c++) CHECK_CLOSE(got[c], sums[c], 1e-6);
    free(got);
    ug_bias_add_rows(d_x, d_y, rows, C, g_ctx->stream);
    got = gc_host(d_x, n);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) bad += got[i] != x[i] + y[i % C];
    CHECK(bad == 0, "bias add: %zu entries differ", bad);
    free(got);

    // weight layout round trip OIHW -> OHWI -> OIHW, and one element checked by index
    const int K = 4, Cw = 3, R = 3, S = 2;
    const size_t nw = (size_t)K * Cw * R * S;
    float* w = oc_rand(&r, nw, -1, 1);
    float *d_w = gc_devf(w, nw), *d_t = gc_devf(NULL, nw), *d_b = gc_devf(NULL, nw);
    ug_oihw_to_ohwi(d_t, d_w, K, Cw, R, S, g_ctx->stream);
    ug_ohwi_to_oihw(d_b, d_t, K, Cw, R, S, g_ctx->stream);
    float* t = gc_host(d_t, nw);
    got = gc_host(d_b, nw);
    CHECK(gc_bit_diffs(got, w, nw) == 0, "weight layout round trip differs");
    // w[k=2][c=1][r=2][s=1] must land at t[k=2][r=2][s=1][c=1]
    CHECK(t[((2 * R + 2) * S + 1) * Cw + 1] == w[((2 * Cw + 1) * R + 2) * S + 1], "OHWI index mapping is wrong");
    free(t); free(got); free(w);
    gpu_free(d_w); gpu_free(d_t); gpu_free(d_b);
    gpu_free(d_x); gpu_free(d_y); gpu_free(d_o);
    free(x); free(y); free(want); free(sums);
}
static const char* g_self;   // this binary, re-run as the child of the OOM test

// A child process asks for 1 PiB: it must die (not hang, not crash) naming the size and what it was for.
static void test_oom_message(void) {
    GPU_CASE_BEGIN();
    char cmd[4096], out[8192] = "";
    snprintf(cmd, sizeof cmd, "'%s' --oom-child 2>&1", g_self);
    FILE* f = popen(cmd, "r");
    CHECK(f != NULL, "popen failed");
    if (!f) return;
    size_t len = fread(out, 1, sizeof out - 1, f);
    out[len] = 0;
    int status = pclose(f);
    CHECK(status != 0, "the child exited with status 0; output: %s", out);
    CHECK(strstr(out, "out of GPU memory") && strstr(out, "1073741824.0 MiB") && strstr(out, "batch size 4096"),
          "the OOM message lacks the size or the cause: %s", out);
}
#else
static void test_oom_message(void) { GPU_CASE_BEGIN(); }
static void test_gls_xent(void) { GPU_CASE_BEGIN(); }
static void test_sgd_step(void) { GPU_CASE_BEGIN(); }
static void test_adaptive_alpha(void) { GPU_CASE_BEGIN(); }
static void test_elementwise(void) { GPU_CASE_BEGIN(); }
#endif

int main(int argc, char** argv) {
#ifdef UG_HAVE_CUDA
    g_self = argv[0];
    if (argc > 1 && !strcmp(argv[1], "--oom-child")) {
        gpu_malloc((size_t)1 << 50, "the OOM test (batch size 4096)");
        return 0;
    }
#endif
    th_begin(&argc, &argv, 0);
    gc_begin();
    TEST_CASE(test_gls_xent);
    TEST_CASE(test_sgd_step);
    TEST_CASE(test_adaptive_alpha);
    TEST_CASE(test_elementwise);
    TEST_CASE(test_oom_message);
    gc_end();
    return th_end();
}
