// test_gpu_kl.c — SCRUB's fused distillation loss on the GPU against its CPU twin (src/nn/loss_kl.c): the kernel
// (kernels/k_kl_distill.cu) on random logits, with and without the CE term, ascent and descent, K from 10 to 1000;
// then the executor's op (model_kl_loss_backward) on a student and a teacher on the GPU (the teacher placed with
// model_place_like) against the same two models on the CPU: loss, predictions and the whole gradient, and the
// empty batch.  SKIP without a GPU.
#include "gpu_check.h"

#include <math.h>

#include "gpu/gpu_model.h"
#include "nn/executor.h"
#include "nn/loss_kl.h"
#include "nn/model.h"

#ifdef UG_HAVE_CUDA
#include "ug_kernels.h"

static double l2_rel_err(const float* a, const float* b, size_t n) {
    double d = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        r += (double)b[i] * b[i];
    }
    return sqrt(d / (r > 0 ? r : 1));
}

static void check_kernel(int N, int K, int with_ce, double T, double kl_weight, float spread, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, 1, N, K);
    size_t nk = (size_t)N * K;
    float* zs = oc_rand(&r, nk, -spread, spread);
    float* zt = oc_rand(&r, nk, -spread, spread);
    int32_t* labels = ug_malloc((size_t)N * sizeof(int32_t));
    for (int i = 0; i < N; i++) labels[i] = (int32_t)rng_below(&r, K);
    DistillLoss l = {.temperature = T, .kl_weight = kl_weight, .labels = with_ce ? labels : NULL, .ce_weight = 0.99f,
                     .n_global = N + 3};
    float* dz = ug_malloc(nk * sizeof(float));
    double total = kl_distill_loss(N, K, zs, zt, &l, dz);
    int32_t* want_pred = ug_malloc((size_t)N * sizeof(int32_t));
    for (int i = 0; i < N; i++) want_pred[i] = ug_argmax(zs + (size_t)i * K, K);

    float *d_zs = gc_devf(zs, nk), *d_zt = gc_devf(zt, nk), *d_dz = gc_devf(NULL, nk);
    int32_t* d_labels = gc_dev(labels, (size_t)N * sizeof(int32_t));
    int32_t* d_pred = gc_dev(NULL, (size_t)N * sizeof(int32_t));
    double *d_total = gc_dev(NULL, sizeof(double)), *d_scratch = gc_dev(NULL, 2 * (size_t)N * sizeof(double));
    ug_kl_distill(N, K, d_dz, d_total, d_scratch, d_pred, d_zs, d_zt, with_ce ? d_labels : NULL, T, kl_weight, 0.99f,
                  N + 3, g_ctx->stream);
    float* g_dz = gc_host(d_dz, nk);
    int32_t* g_pred = ug_malloc((size_t)N * sizeof(int32_t));
    gpu_download(g_pred, d_pred, (size_t)N * sizeof(int32_t), g_ctx->stream);
    double g_total = 0;
    gpu_download(&g_total, d_total, sizeof(double), g_ctx->stream);
    double e = oc_norm_err(g_dz, dz, nk, 1e-6);
    CHECK(e < 1e-6, "N=%d K=%d ce=%d T=%g: dlogits error %.3g", N, K, with_ce, T, e);
    CHECK(fabs(g_total - total) <= 1e-9 * (fabs(total) + 1), "N=%d K=%d ce=%d T=%g: loss %.17g, CPU %.17g", N, K,
          with_ce, T, g_total, total);
    CHECK(fabs(total) > 1e-6 && oc_dot(dz, dz, nk) > 0, "N=%d K=%d: a zero loss, the check is vacuous", N, K);
    int bad = 0;
    for (int i = 0; i < N; i++) bad += g_pred[i] != want_pred[i];
    CHECK(bad == 0, "N=%d K=%d: %d of %d predictions differ from ug_argmax", N, K, bad, N);
    gpu_free(d_zs); gpu_free(d_zt); gpu_free(d_dz); gpu_free(d_labels); gpu_free(d_pred); gpu_free(d_total);
    gpu_free(d_scratch);
    free(zs); free(zt); free(labels); free(dz); free(want_pred); free(g_dz); free(g_pred);
}

static void test_kl_kernel(void) {
    GPU_CASE_BEGIN();
    check_kernel(37, 10, 0, 4.0, -1.0, 6, 1);     // SCRUB's max-step
    check_kernel(37, 10, 1, 4.0, 0.001, 6, 2);    // its min-step with the default weights
    check_kernel(5, 1000, 1, 2.0, 0.5, 8, 3);     // wide rows: many threads per row
    check_kernel(64, 100, 1, 1.0, 1.0, 20, 4);    // T = 1 and large logits (the max shift)
}

static Model* make_model(int width, int h, int K, uint64_t seed) {
    ModelConfig mc = {.arch = ARCH_RESNET18, .width = width, .num_classes = K, .in_h = h, .in_w = h, .in_c = 3};
    Model* m = model_create(&mc, BACKEND_REF);
    model_init(m, seed);
    return m;
}

// The same step on CPU models and on GPU models: forward the student (train) and the teacher (eval), the fused op.
static void check_executor(int with_ce) {
    const int N = 12, h = 32, K = 10;
    Model *cs = make_model(8, h, K, 13), *ct = make_model(8, h, K, 14);
    Model *gs = make_model(8, h, K, 13), *gt = make_model(8, h, K, 14);
    GpuModelOptions o = {.device = 0, .tf32 = 0, .deterministic = 1};
    gpu_model_attach(gs, &o, NULL);
    model_place_like(gt, gs);
    CHECK(model_on_device(gt), "model_place_like left the teacher on the CPU");
    Rng r;
    rng_init(&r, 21, 1, 2, with_ce);
    size_t per = (size_t)h * h * 3;
    float* x = oc_rand(&r, (size_t)N * per, -1.5f, 1.5f);
    int32_t y[12];
    for (int i = 0; i < N; i++) y[i] = (int32_t)rng_below(&r, K);
    DistillLoss l = {.temperature = 4, .kl_weight = with_ce ? 0.5 : -1.0, .labels = with_ce ? y : NULL,
                     .ce_weight = 0.99f, .n_global = N};
    int32_t cpred[12], gpred[12];
    model_forward_resident(cs, N, x, 1);
    model_forward_resident(ct, N, x, 0);
    double closs = model_kl_loss_backward(cs, ct, &l, cpred);
    model_forward_resident(gs, N, x, 1);
    model_forward_resident(gt, N, x, 0);
    double gloss = model_kl_loss_backward(gs, gt, &l, gpred);
    model_grads_to_host(gs);
    const char* what = with_ce ? "ce + kl" : "kl (ascent)";
    CHECK(fabs(gloss - closs) <= 1e-3 * fabs(closs) + 1e-6, "%s: loss %.9g, CPU %.9g", what, gloss, closs);
    double e = l2_rel_err(gs->grads, cs->grads, cs->num_params);
    CHECK(e < 2e-3, "%s: gradient error %.3g (relative L2)", what, e);
    CHECK(oc_dot(cs->grads, cs->grads, cs->num_params) > 0, "%s: zero CPU gradient, the check is vacuous", what);
    int differ = 0;
    for (int i = 0; i < N; i++) differ += gpred[i] != cpred[i];
    CHECK(differ <= 1, "%s: %d of %d predictions differ from the CPU model's", what, differ, N);
    printf("note kl executor %s: loss %.6g (CPU %.6g), gradient error %.2g, %d predictions differ\n", what, gloss,
           closs, e, differ);
    // An empty batch on this rank: zero gradients, loss 0, the teacher not read.
    model_forward_resident(gs, 0, x, 1);
    CHECK(model_kl_loss_backward(gs, gt, &l, NULL) == 0.0, "%s: empty batch: loss not 0", what);
    model_grads_to_host(gs);
    CHECK(oc_dot(gs->grads, gs->grads, gs->num_params) == 0, "%s: empty batch: gradients not zero", what);
    free(x);
    model_destroy(cs); model_destroy(ct); model_destroy(gs); model_destroy(gt);
}

static void test_kl_executor(void) {
    GPU_CASE_BEGIN();
    check_executor(0);
    check_executor(1);
}
#else
static void test_kl_kernel(void) { GPU_CASE_BEGIN(); }
static void test_kl_executor(void) { GPU_CASE_BEGIN(); }
#endif

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    gc_begin();
    TEST_CASE(test_kl_kernel);
    TEST_CASE(test_kl_executor);
    gc_end();
    return th_end();
}
