// test_executor.c — the CPU executor (src/nn/exec_cpu.c) against the nn functions it stands for, bit for bit:
// the fused loss + backward against forward / gls_xent / backward, the resident forward, gradient save / add /
// zero, the norm, the scaling against grad_clip, SGD against sgd_step, momentum and residency as no-ops, and the
// self-adaptive alpha against adaptive_alpha on the features and on the input.
#include "harness.h"

#include <math.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "nn/executor.h"
#include "nn/ops.h"

enum { N = 5, H = 8, C = 1, K = 4 };

static Model* make_model(void) {
    ModelConfig cfg = {.arch = ARCH_SMALL_CNN, .width = 4, .num_classes = K, .in_h = H, .in_w = H, .in_c = C};
    Model* m = model_create(&cfg, BACKEND_REF);
    model_init(m, 11);
    return m;
}

static float x[N * H * H * C], alpha[N], weight[N];
static int32_t y[N];

static void make_batch(uint64_t seed) {
    Rng r;
    rng_init(&r, seed, RNG_MISC, 1, 0);
    for (int i = 0; i < N * H * H * C; i++) x[i] = rng_normal(&r);
    for (int i = 0; i < N; i++) {
        y[i] = (int32_t)rng_below(&r, K);
        alpha[i] = i % 2 ? -0.4f : 0.2f;
        weight[i] = i % 3 ? 0.7f : -1.1f;
    }
}

static int same(const float* a, const float* b, size_t n) { return !memcmp(a, b, n * sizeof(float)); }

static void cpu_is_the_default_executor(void) {
    Model* m = make_model();
    CHECK_TRUE(m->exec == &model_exec_cpu);
    CHECK_TRUE(!model_on_device(m));
    CHECK_TRUE(m->exec_state == NULL);
    model_destroy(m);
}

// model_compute = forward (train) + gls_xent + backward from its logit gradient, the trainer's old CPU path.
static void compute_equals_forward_loss_backward(void) {
    make_batch(1);
    Model *a = make_model(), *b = make_model();
    float loss_a[N], loss_b[N], logits_a[N * K], dl[N * K];
    double sa = model_compute(a, N, x, y, alpha, weight, 1.0f / N, loss_a, logits_a);
    const float* z = model_forward(b, N, x, 1);
    CHECK(same(logits_a, z, (size_t)N * K), "compute: logits differ from model_forward's");
    double sb = gls_xent(N, K, loss_b, dl, z, y, alpha, weight, 1.0f / N);
    model_backward(b, dl);
    CHECK(sa == sb, "compute: loss sum %.17g vs %.17g", sa, sb);
    CHECK(same(loss_a, loss_b, N), "compute: per-sample losses differ");
    CHECK(same(a->grads, b->grads, a->num_params), "compute: gradients differ");
    CHECK(same(a->buffers, b->buffers, a->num_buffers), "compute: BN running statistics differ");
    // the same as two halves: a resident forward, then the loss and backward
    Model* c = make_model();
    model_forward_resident(c, N, x, 1);
    double sc = model_loss_backward(c, y, alpha, weight, 1.0f / N, NULL, NULL, NULL);
    CHECK(sc == sb, "forward_resident + loss_backward: loss sum %.17g vs %.17g", sc, sb);
    CHECK(same(c->grads, b->grads, c->num_params), "forward_resident + loss_backward: gradients differ");
    // an empty batch: zero gradients, zero loss
    double s0 = model_compute(c, 0, x, y, NULL, NULL, 1.0f, NULL, NULL);
    size_t nz = 0;
    for (size_t i = 0; i < c->num_params; i++) nz += c->grads[i] != 0.0f;
    CHECK(s0 == 0.0 && nz == 0, "empty batch: loss %g, %zu non-zero gradients", s0, nz);
    model_destroy(a); model_destroy(b); model_destroy(c);
}

static void gradient_arithmetic(void) {
    make_batch(2);
    Model* m = make_model();
    model_compute(m, N, x, y, alpha, weight, 1.0f / N, NULL, NULL);
    size_t P = m->num_params;
    float* g = ug_malloc(P * sizeof(float));
    float* ref = ug_malloc(P * sizeof(float));
    memcpy(g, m->grads, P * sizeof(float));
    model_grad_save(m);
    model_grad_add_saved(m);
    for (size_t i = 0; i < P; i++) ref[i] = g[i] + g[i];
    CHECK(same(m->grads, ref, P), "save + add_saved is not g + g");
    // norm and scaling: grad_norm, and grad_clip's float coefficient
    memcpy(m->grads, g, P * sizeof(float));
    double norm = model_grad_norm(m);
    CHECK(norm == grad_norm(g, P), "model_grad_norm differs from grad_norm");
    memcpy(ref, g, P * sizeof(float));
    double coef = grad_clip(ref, P, norm, 0.5 * norm);
    CHECK(coef < 1.0, "the clip must act (coefficient %g)", coef);
    model_scale_grads(m, (float)(0.5 * norm / (norm + 1e-6)));
    CHECK(same(m->grads, ref, P), "model_scale_grads differs from grad_clip");
    model_grad_zero(m);
    size_t nz = 0;
    for (size_t i = 0; i < P; i++) nz += m->grads[i] != 0.0f;
    CHECK_EQ_INT(nz, 0);
    // the all-reduce on one rank leaves the gradient alone; residency calls change nothing on the CPU
    memcpy(m->grads, g, P * sizeof(float));
    model_allreduce_grads(m);
    model_grads_to_host(m); model_grads_to_device(m); model_state_to_host(m); model_state_to_device(m);
    model_overlap_next_backward(m);
    CHECK(same(m->grads, g, P), "all-reduce / residency on one CPU rank changed the gradient");
    free(g); free(ref);
    model_destroy(m);
}

static void sgd_equals_sgd_step(void) {
    make_batch(3);
    Model *a = make_model(), *b = make_model();
    SgdConfig sc = {.momentum = 0.9, .weight_decay = 5e-4, .nesterov = 1};
    Sgd sa, sb;
    sgd_init(&sa, &sc, a->num_params);
    sgd_init(&sb, &sc, b->num_params);
    uint8_t* mask = ug_malloc(a->num_params);
    for (size_t i = 0; i < a->num_params; i++) mask[i] = (uint8_t)(i % 3 != 0);
    for (int step = 0; step < 3; step++) {
        model_compute(a, N, x, y, alpha, weight, 1.0f / N, NULL, NULL);
        model_compute(b, N, x, y, alpha, weight, 1.0f / N, NULL, NULL);
        model_sgd(a, &sa, step == 1 ? mask : NULL, 0.05f);
        sgd_step(&sb, b->params, b->grads, step == 1 ? mask : NULL, 0.05f);
    }
    model_momentum_to_host(a, &sa);
    model_momentum_to_device(a, &sa);
    CHECK(same(a->params, b->params, a->num_params), "model_sgd differs from sgd_step");
    CHECK(same(sa.momentum_buf, sb.momentum_buf, a->num_params), "momentum differs");
    free(mask);
    sgd_free(&sa); sgd_free(&sb);
    model_destroy(a); model_destroy(b);
}

static void adaptive_alpha_equals_the_function(void) {
    make_batch(4);
    Model* m = make_model();
    enum { R = 7 };
    Rng r;
    rng_init(&r, 9, RNG_MISC, 2, 0);
    int fd = m->feature_dim, pd = H * H * C;
    float* retain_f = ug_malloc((size_t)R * fd * sizeof(float));
    float* retain_p = ug_malloc((size_t)R * pd * sizeof(float));
    for (int i = 0; i < R * fd; i++) retain_f[i] = rng_uniform(&r);
    for (int i = 0; i < R * pd; i++) retain_p[i] = rng_normal(&r);
    model_forward_resident(m, N, x, 1);
    float got[N], want[N];
    for (int kind = 0; kind < 2; kind++) {
        int feat = kind == 0;
        AlphaQuery q = {.from_features = feat, .forget_host = x, .n_forget = N, .retain = feat ? retain_f : retain_p,
                        .n_retain = R, .dim = feat ? fd : pd, .n_forget_global = N + 2,
                        .kind = feat ? DIST_COSINE : DIST_PIXEL, .beta = feat ? 0.3 : 0.7, .sign = ALPHA_NEGATIVE,
                        .scale = 1.5};
        model_adaptive_alpha(m, got, &q);
        adaptive_alpha(want, feat ? model_features(m) : x, N, q.retain, R, q.dim, N + 2, q.kind, q.beta, q.sign,
                       q.scale);
        CHECK(same(got, want, N), "adaptive alpha (%s) differs from adaptive_alpha", feat ? "cosine" : "pixel");
        int nonzero = 0;
        for (int i = 0; i < N; i++) nonzero += got[i] != 0.0f;
        CHECK(nonzero > 0, "adaptive alpha (%s): all zero, the comparison is vacuous", feat ? "cosine" : "pixel");
    }
    free(retain_f); free(retain_p);
    model_destroy(m);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(cpu_is_the_default_executor);
    TEST_CASE(compute_equals_forward_loss_backward);
    TEST_CASE(gradient_arithmetic);
    TEST_CASE(sgd_equals_sgd_step);
    TEST_CASE(adaptive_alpha_equals_the_function);
    return th_end();
}
