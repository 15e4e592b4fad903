// ℓ1-sparse: the hook adds exactly α_t·sign(θ) to the (all-reduced) gradient, α_t = α(1 - epoch/epochs), and a
// whole unlearning step applies it (plain SGD: Δθ = -lr·(g + α_t·sign θ)).
#include "harness.h"

#include <stdlib.h>

#include "test_baselines_common.h"

static void alpha_schedule(void) {
    CHECK_CLOSE(l1_alpha_at(1e-4, 0, 10), 1e-4, 1e-18);
    CHECK_CLOSE(l1_alpha_at(1e-4, 5, 10), 5e-5, 1e-18);
    CHECK_CLOSE(l1_alpha_at(1e-4, 9, 10), 1e-5, 1e-18);
    CHECK_CLOSE(l1_alpha_at(2.0, 3, 4), 0.5, 0);
}

static void hook_adds_sign_times_alpha(void) {
    Model* m = tb_model(4, TB_K, 7);
    m->params[0] = 0.0f;   // sign(0) = 0: this entry must not move
    TbBatch b;
    tb_batch(&b, TB_K, 1);
    UnlearnConfig c = tb_config(METHOD_L1_SPARSE);
    Trainer t;
    trainer_init(&t, m, &c.sgd);
    trainer_compute(&t, b.b.n, b.b.x, b.b.y, NULL, NULL, b.b.n);
    float* g0 = malloc(m->num_params * sizeof(float));
    memcpy(g0, m->grads, m->num_params * sizeof(float));
    L1Ctx ctx = {.alpha_t = l1_alpha_at(0.25, 2, 8)};   // 0.1875: exact in binary
    l1_hook(&t, &ctx);
    int bad = 0;
    for (size_t i = 0; i < m->num_params; i++) {
        float s = m->params[i] > 0 ? 1.0f : (m->params[i] < 0 ? -1.0f : 0.0f);
        // g + a is rounded once: within half an ulp of |g| + a
        if (fabsf(m->grads[i] - g0[i] - 0.1875f * s) > 1e-6f * (fabsf(g0[i]) + 0.1875f)) bad++;
    }
    CHECK(bad == 0, "%d gradient entries are not g + α_t·sign(θ)", bad);
    CHECK(m->grads[0] == g0[0], "sign(0) must add nothing");
    free(g0);
    trainer_free(&t);
    model_destroy(m);
}

static void step_applies_the_term(void) {
    Model *a = tb_model(4, TB_K, 7), *b = tb_model(4, TB_K, 7);
    TbBatch r;
    tb_batch(&r, TB_K, 2);
    UnlearnConfig c = tb_config(METHOD_L1_SPARSE);
    c.sgd = (SgdConfig){0};   // plain SGD: the update is the gradient itself
    Trainer ta, tb;
    trainer_init(&ta, a, &c.sgd);
    trainer_init(&tb, b, &c.sgd);
    L1Ctx ctx = {.alpha_t = 0.01};
    ta.hook = l1_hook;
    ta.hook_ctx = &ctx;
    UnlearnStep st;
    float* before = malloc(a->num_params * sizeof(float));
    memcpy(before, a->params, a->num_params * sizeof(float));
    CHECK_TRUE(unlearn_step(&c, &ta, &r.b, NULL, &st));
    CHECK_TRUE(unlearn_step(&c, &tb, &r.b, NULL, &st));   // the same step without the term
    int bad = 0;
    for (size_t i = 0; i < a->num_params; i++) {
        float s = before[i] > 0 ? 1.0f : (before[i] < 0 ? -1.0f : 0.0f);
        double want = (double)b->params[i] - c.lr * 0.01 * s;
        if (fabs(a->params[i] - want) > 1e-6) bad++;
    }
    CHECK(bad == 0, "%d parameters differ from the FT step minus lr·α_t·sign(θ)", bad);
    trainer_free(&ta); trainer_free(&tb);
    model_destroy(a); model_destroy(b);
    free(before);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(alpha_schedule);
    TEST_CASE(hook_adds_sign_times_alpha);
    TEST_CASE(step_applies_the_term);
    return th_end();
}
