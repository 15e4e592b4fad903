// test_loss_gls.c — the fused GLS cross-entropy: values against the definition (-sum target·log softmax),
// gradient against central finite differences for alpha < 0, = 0, > 0, per-sample alpha and weights
// (negative weights = ascent), stability on huge logits, and the NULL defaults.
#include <string.h>

#include "nn/ops.h"
#include "ops_check.h"

static Rng g_rng;

// The definition, in long double with no max shift (only used on moderate logits).
static double naive_loss(int K, const float* z, int y, double alpha) {
    long double sum = 0;
    for (int k = 0; k < K; k++) sum += expl((long double)z[k]);
    long double l = 0;
    for (int k = 0; k < K; k++) {
        long double target = alpha / K + (k == y ? 1.0 - alpha : 0.0);
        l -= target * logl(expl((long double)z[k]) / sum);
    }
    return (double)l;
}

typedef struct { int N, K; float* z; int32_t* y; float *alpha, *weight; float scale; } GlsCtx;

static double gls_loss(void* p) {
    GlsCtx* g = p;
    return g->scale * gls_xent(g->N, g->K, NULL, NULL, g->z, g->y, g->alpha, g->weight, 1.0f);
}

static void gls_case(int N, int K, const float* alpha, const float* weight, float scale) {
    GlsCtx g = {N, K, oc_rand(&g_rng, (size_t)N * K, -3, 3), ug_malloc(N * sizeof(int32_t)),
                (float*)alpha, (float*)weight, scale};
    for (int i = 0; i < N; i++) g.y[i] = (int32_t)rng_below(&g_rng, K);
    float* loss = ug_malloc(N * sizeof(float));
    float* dz = ug_malloc((size_t)N * K * sizeof(float));
    double total = gls_xent(N, K, loss, dz, g.z, g.y, alpha, weight, scale);
    double want_total = 0;
    for (int i = 0; i < N; i++) {
        double a = alpha ? alpha[i] : 0, w = weight ? weight[i] : 1;
        double want = naive_loss(K, g.z + (size_t)i * K, g.y[i], a);
        CHECK_CLOSE(loss[i], want, 1e-5 * (1 + fabs(want)));
        want_total += w * want;
        double rowsum = 0;                           // softmax - target sums to 0 over classes
        for (int k = 0; k < K; k++) rowsum += dz[(size_t)i * K + k];
        CHECK_CLOSE(rowsum, 0.0, 1e-6 * (1 + fabs(scale * w)));
    }
    CHECK_CLOSE(total, want_total, 1e-5 * (1 + fabs(want_total)));
    int checked = oc_gradcheck("gls dlogits", gls_loss, &g, g.z, dz, (size_t)N * K, 200, 1e-3, 2e-5, 1e-4, &g_rng);
    CHECK(checked > 0, "nothing checked");
    free(g.z); free(g.y); free(loss); free(dz);
}

static void test_alpha_zero(void) {
    float a[4] = {0, 0, 0, 0};
    gls_case(4, 10, a, NULL, 1.0f);
}
static void test_alpha_positive(void) {
    float a[5] = {0.1f, 0.1f, 0.1f, 0.1f, 0.1f};
    gls_case(5, 7, a, NULL, 0.5f);
}
static void test_alpha_negative(void) {                 // NLS: negative smoothing
    float a[3] = {-0.8f, -0.8f, -0.8f};
    gls_case(3, 10, a, NULL, 1.0f);
}
static void test_alpha_one(void) {                      // uniform target
    float a[2] = {1.0f, 1.0f};
    gls_case(2, 5, a, NULL, 1.0f);
}
static void test_per_sample_alpha_and_weight(void) {    // forget samples ascend (w < 0), retain descend
    float a[6] = {-2.0f, -0.5f, 0.0f, 0.2f, 0.9f, 1.0f};
    float w[6] = {-1.0f, 0.7f, 2.0f, -0.3f, 0.0f, 1.0f};
    gls_case(6, 10, a, w, 1.0f / 6);
}
static void test_null_defaults(void) { gls_case(4, 3, NULL, NULL, 0.25f); }
static void test_many_classes(void) {
    float a[3] = {0.3f, -0.4f, 0.0f};
    float w[3] = {1.0f, -1.0f, 0.5f};
    gls_case(3, 100, a, w, 2.0f);
}

// alpha = 0 is plain cross-entropy; NULL alpha/weight are 0/1; shifting all logits changes nothing;
// huge logits stay finite.
static void test_plain_ce_and_stability(void) {
    int N = 3, K = 4;
    float z[12] = {1, 2, 3, 4, -1, 0, 5, 2, 0.5f, 0.5f, 0.5f, 0.5f};
    int32_t y[3] = {3, 0, 2};
    float loss[3], dz[12], dz2[12], zero[3] = {0, 0, 0}, ones[3] = {1, 1, 1};
    double t1 = gls_xent(N, K, loss, dz, z, y, NULL, NULL, 1.0f);
    double t2 = gls_xent(N, K, NULL, dz2, z, y, zero, ones, 1.0f);
    CHECK(t1 == t2, "NULL alpha/weight differ from 0/1: %.17g vs %.17g", t1, t2);
    CHECK(memcmp(dz, dz2, sizeof dz) == 0, "NULL alpha/weight gradients differ from 0/1");
    CHECK_CLOSE(loss[2], log(4.0), 1e-6);                     // equal logits: log K
    double lse0 = log(exp(1.0) + exp(2.0) + exp(3.0) + exp(4.0));
    CHECK_CLOSE(loss[0], lse0 - 4.0, 1e-6);
    float big[12], a[3] = {-0.5f, 0.3f, 0.0f};
    float lb[3], ls[3], db[12], ds[12];
    for (int i = 0; i < 12; i++) big[i] = z[i] + 1000.0f * (i < 8 ? 1 : -1);
    gls_xent(N, K, lb, db, big, y, a, NULL, 1.0f);
    gls_xent(N, K, ls, ds, z, y, a, NULL, 1.0f);
    for (int i = 0; i < N; i++) CHECK(isfinite(lb[i]) && fabs(lb[i] - ls[i]) < 1e-3, "shifted loss %g vs %g", lb[i], ls[i]);
    for (int i = 0; i < 12; i++) CHECK(isfinite(db[i]) && fabs(db[i] - ds[i]) < 1e-4, "shifted grad %g vs %g", db[i], ds[i]);
    float huge[4] = {1e30f, -1e30f, 0.0f, 3e38f};
    int32_t yh = 1;
    float lh, dh[4];
    gls_xent(1, 4, &lh, dh, huge, &yh, NULL, NULL, 1.0f);
    CHECK(isfinite(lh) && lh > 1e30f, "loss at extreme logits should be large and finite, got %g", lh);
    for (int k = 0; k < 4; k++) CHECK(isfinite(dh[k]), "gradient at extreme logits not finite");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    rng_init(&g_rng, 99, RNG_MISC, 7, 0);
    TEST_CASE(test_alpha_zero);
    TEST_CASE(test_alpha_positive);
    TEST_CASE(test_alpha_negative);
    TEST_CASE(test_alpha_one);
    TEST_CASE(test_per_sample_alpha_and_weight);
    TEST_CASE(test_null_defaults);
    TEST_CASE(test_many_classes);
    TEST_CASE(test_plain_ce_and_stability);
    return th_end();
}
