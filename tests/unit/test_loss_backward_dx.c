// test_loss_backward_dx.c — the CPU executor's fused loss + backward with the input gradient (model_loss_backward's
// dx, Boundary Shrink's FGSM) against what it replaced: forward, gls_xent, model_backward_input, bit for bit; and
// dx = NULL changes nothing in the parameter gradients.
#include "harness.h"

#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "nn/executor.h"
#include "nn/ops.h"

enum { N = 6, H = 8, C = 3, K = 5, PER = H * H * C };

static Model* make_model(void) {
    ModelConfig cfg = {.arch = ARCH_SMALL_CNN, .width = 4, .num_classes = K, .in_h = H, .in_w = H, .in_c = C};
    Model* m = model_create(&cfg, BACKEND_REF);
    model_init(m, 23);
    return m;
}

static int same(const float* a, const float* b, size_t n) { return !memcmp(a, b, n * sizeof(float)); }

// One mode (eval: BN as a fixed affine map, as the pre-passes run; train: batch statistics), with α and w.
static void check_mode(int train) {
    static float x[N * PER], alpha[N], weight[N], dl[N * K], dx_ref[N * PER], dx[N * PER];
    int32_t y[N];
    Rng r;
    rng_init(&r, 5, RNG_MISC, (uint64_t)train, 0);
    for (int i = 0; i < N * PER; i++) x[i] = rng_normal(&r);
    for (int i = 0; i < N; i++) {
        y[i] = (int32_t)rng_below(&r, K);
        alpha[i] = i % 2 ? -0.3f : 0.1f;
        weight[i] = i % 3 ? 1.0f : -1.0f;
    }
    const char* mode = train ? "train" : "eval";
    Model *a = make_model(), *b = make_model(), *c = make_model();
    const float* z = model_forward(a, N, x, train);
    double want = gls_xent(N, K, NULL, dl, z, y, alpha, weight, 0.5f);
    model_backward_input(a, dl, dx_ref);
    model_forward_resident(b, N, x, train);
    double got = model_loss_backward(b, y, alpha, weight, 0.5f, NULL, NULL, dx);
    CHECK(got == want, "%s: loss sum %.17g vs %.17g", mode, got, want);
    CHECK(same(dx, dx_ref, N * PER), "%s: dx differs from gls_xent + model_backward_input", mode);
    CHECK(same(b->grads, a->grads, a->num_params), "%s: gradients differ from gls_xent + model_backward_input", mode);
    size_t nonzero = 0;
    for (int i = 0; i < N * PER; i++) nonzero += dx[i] != 0.0f;
    CHECK(nonzero > 0, "%s: dx all zero, the comparison is vacuous", mode);
    model_forward_resident(c, N, x, train);
    model_loss_backward(c, y, alpha, weight, 0.5f, NULL, NULL, NULL);
    CHECK(same(c->grads, a->grads, a->num_params), "%s: gradients with dx = NULL differ", mode);
    model_destroy(a); model_destroy(b); model_destroy(c);
}

static void eval_mode_equals_backward_input(void) { check_mode(0); }
static void train_mode_equals_backward_input(void) { check_mode(1); }

// An empty batch: zero loss, zero gradients, dx left as it was.
static void empty_batch_leaves_dx(void) {
    Model* m = make_model();
    float x[PER] = {0}, dx = 7.0f;
    model_forward_resident(m, 0, x, 0);
    double s = model_loss_backward(m, NULL, NULL, NULL, 1.0f, NULL, NULL, &dx);
    size_t nz = 0;
    for (size_t i = 0; i < m->num_params; i++) nz += m->grads[i] != 0.0f;
    CHECK(s == 0.0 && nz == 0 && dx == 7.0f, "empty batch: loss %g, %zu non-zero gradients, dx %g", s, nz, dx);
    model_destroy(m);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(eval_mode_equals_backward_input);
    TEST_CASE(train_mode_equals_backward_input);
    TEST_CASE(empty_batch_leaves_dx);
    return th_end();
}
