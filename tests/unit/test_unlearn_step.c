// The unlearning step's loss pieces: p = 1 is exactly an FT step, p = 0 with alpha = 0 exactly a GA step
// (BatchNorm included), Eq. 8's per-sample terms by hand, RL's fixed random labels.
#include "harness.h"

#include <math.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "dist/dist.h"
#include "nn/ops.h"
#include "unlearn/method.h"

enum { N = 6, H = 8, C = 1, K = 4 };

static Model* make_model(void) {
    ModelConfig cfg = {.arch = ARCH_SMALL_CNN, .width = 4, .num_classes = K, .in_h = H, .in_w = H, .in_c = C};
    Model* m = model_create(&cfg, BACKEND_REF);
    model_init(m, 7);
    return m;
}

static void make_batch(Batch* b, float* x, int32_t* y, int64_t* idx, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, RNG_MISC, 0, 0);
    for (int i = 0; i < N * H * H * C; i++) x[i] = rng_normal(&r);
    for (int i = 0; i < N; i++) y[i] = (int32_t)rng_below(&r, K), idx[i] = i;
    *b = (Batch){.n = N, .h = H, .w = H, .c = C, .x = x, .y = y, .index = idx};
}

static UnlearnConfig base_config(MethodKind kind, double p, double alpha) {
    UnlearnConfig c;
    memset(&c, 0, sizeof c);
    c.method = kind;
    c.epochs = 1;
    c.lr = 0.05;
    c.batch = N;
    c.sgd = (SgdConfig){.momentum = 0.9, .weight_decay = 5e-4};
    c.p = p;
    c.alpha = alpha;
    c.beta = 0.5;
    c.alpha_scale = 1;
    c.stop_forget_acc = -1;
    return c;
}

static int same_state(const Model* a, const Model* b) {
    return !memcmp(a->params, b->params, a->num_params * sizeof(float)) &&
           !memcmp(a->buffers, b->buffers, a->num_buffers * sizeof(float));
}

static float xr[N * H * H * C], xf[N * H * H * C];
static int32_t yr[N], yf[N];
static int64_t ir[N], iff[N];

static void p1_equals_ft_step(void) {
    Batch br, bf;
    make_batch(&br, xr, yr, ir, 1);
    make_batch(&bf, xf, yf, iff, 2);
    Model *a = make_model(), *b = make_model();
    UnlearnConfig c = base_config(METHOD_UGRADSL, 1.0, -0.5);
    Trainer ta, tb;
    trainer_init(&ta, a, &c.sgd);
    trainer_init(&tb, b, &c.sgd);
    for (int step = 0; step < 2; step++) {
        UnlearnStep st;
        CHECK_TRUE(unlearn_step(&c, &ta, &br, &bf, &st));
        trainer_step(&tb, &br, NULL, NULL, c.lr);
    }
    CHECK(same_state(a, b), "ugradsl with p = 1 must be bit-identical to an FT step");
    // A p just below 1 must differ (the forget part now takes part): the identity is not vacuous.
    UnlearnConfig c2 = base_config(METHOD_UGRADSL, 0.9, -0.5);
    UnlearnStep st;
    unlearn_step(&c2, &ta, &br, &bf, &st);
    trainer_step(&tb, &br, NULL, NULL, c.lr);
    CHECK(!same_state(a, b), "p = 0.9 should not equal an FT step");
    trainer_free(&ta); trainer_free(&tb);
    model_destroy(a); model_destroy(b);
}

static void p0_alpha0_equals_ga_step(void) {
    Batch br, bf;
    make_batch(&br, xr, yr, ir, 3);
    make_batch(&bf, xf, yf, iff, 4);
    float minus_one[N];
    for (int i = 0; i < N; i++) minus_one[i] = -1.0f;
    Model *a = make_model(), *b = make_model(), *g = make_model();
    UnlearnConfig c = base_config(METHOD_UGRADSL_PLUS, 0.0, 0.0);
    UnlearnConfig cga = base_config(METHOD_GA, 0.0, 0.0);
    Trainer ta, tb, tg;
    trainer_init(&ta, a, &c.sgd);
    trainer_init(&tb, b, &c.sgd);
    trainer_init(&tg, g, &c.sgd);
    for (int step = 0; step < 2; step++) {
        UnlearnStep st;
        CHECK_TRUE(unlearn_step(&c, &ta, &br, &bf, &st));
        CHECK_TRUE(unlearn_step(&cga, &tg, NULL, &bf, &st));
        trainer_step(&tb, &bf, NULL, minus_one, c.lr);
    }
    CHECK(same_state(a, b), "ugradsl+ with p = 0, alpha = 0 must be bit-identical to a GA step");
    CHECK(same_state(g, b), "the ga method must be bit-identical to a GA step");
    // alpha != 0 changes the forget targets, so the step must differ.
    UnlearnConfig c3 = base_config(METHOD_UGRADSL_PLUS, 0.0, -1.0);
    UnlearnStep st;
    unlearn_step(&c3, &ta, &br, &bf, &st);
    trainer_step(&tb, &bf, NULL, minus_one, c.lr);
    CHECK(!same_state(a, b), "alpha = -1 should not equal a plain GA step");
    trainer_free(&ta); trainer_free(&tb); trainer_free(&tg);
    model_destroy(a); model_destroy(b); model_destroy(g);
}

// The step as it was written before it went through the trainer and the executor (direct nn calls, in this
// order: retain forward, gls_xent, backward, grad_save; forget forward, adaptive_alpha, gls_xent, backward,
// grad_add_saved; norm, SGD), one rank.  Returns the loss sum and the alpha sum.
static void old_formula_step(const UnlearnConfig* c, Model* m, Sgd* sgd, const Batch* br, const Batch* bf,
                             double* loss_sum, double* alpha_sum) {
    int n_r = br->n, n_f = bf->n, n = n_r + n_f;
    float alpha[2 * N], weight[2 * N], loss[2 * N], dl[N * K];
    eq8_terms(n_r, n_f, n_r, n_f, c->p, NULL, 0.0f, alpha, weight);
    float scale = 1.0f / (float)n;
    int cosine = c->alpha_distance == DIST_COSINE;
    int dim = cosine ? m->feature_dim : H * H * C;
    float* retain_rows = ug_malloc((size_t)n_r * dim * sizeof(float));
    const float* z = model_forward(m, n_r, br->x, 1);
    memcpy(retain_rows, cosine ? model_features(m) : br->x, (size_t)n_r * dim * sizeof(float));
    *loss_sum = gls_xent(n_r, K, loss, dl, z, br->y, alpha, weight, scale);
    model_backward(m, dl);
    model_grad_save(m);
    z = model_forward(m, n_f, bf->x, 1);
    adaptive_alpha(alpha + n_r, cosine ? model_features(m) : bf->x, n_f, retain_rows, n_r, dim, n_f, c->alpha_distance,
                   c->beta, c->alpha_sign, c->alpha_scale);
    *loss_sum += gls_xent(n_f, K, loss + n_r, dl, z, bf->y, alpha + n_r, weight + n_r, scale);
    model_backward(m, dl);
    model_grad_add_saved(m);
    *alpha_sum = 0;
    for (int i = 0; i < n_f; i++) *alpha_sum += alpha[n_r + i];
    grad_norm(m->grads, m->num_params);
    sgd_step(sgd, m->params, m->grads, NULL, (float)c->lr);
    free(retain_rows);
}

// UGradSL with the self-adaptive alpha (both distances) through the trainer and the executor: bit-identical
// to the old formula, step after step.
static void adaptive_step_equals_old_formula(void) {
    Batch br, bf;
    make_batch(&br, xr, yr, ir, 5);
    make_batch(&bf, xf, yf, iff, 6);
    for (int cosine = 0; cosine < 2; cosine++) {
        Model *a = make_model(), *b = make_model();
        UnlearnConfig c = base_config(METHOD_UGRADSL, 0.6, NAN);
        c.alpha_distance = cosine ? DIST_COSINE : DIST_PIXEL;
        c.alpha_sign = ALPHA_NEGATIVE;
        c.beta = cosine ? 0.02 : 0.7;
        Trainer ta;
        trainer_init(&ta, a, &c.sgd);
        Sgd sb;
        sgd_init(&sb, &c.sgd, b->num_params);
        double alpha_total = 0;
        for (int step = 0; step < 3; step++) {
            UnlearnStep st;
            double loss_b, alpha_b;
            CHECK_TRUE(unlearn_step(&c, &ta, &br, &bf, &st));
            old_formula_step(&c, b, &sb, &br, &bf, &loss_b, &alpha_b);
            CHECK(st.loss == loss_b / (2 * N), "%s step %d: loss %.17g vs %.17g", cosine ? "cosine" : "pixel", step,
                  st.loss, loss_b / (2 * N));
            CHECK(st.alpha_sum == alpha_b, "%s step %d: alpha sum %.17g vs %.17g", cosine ? "cosine" : "pixel", step,
                  st.alpha_sum, alpha_b);
            alpha_total += fabs(alpha_b);
        }
        CHECK(same_state(a, b), "%s: the unlearning step differs from the old formula", cosine ? "cosine" : "pixel");
        CHECK(alpha_total > 0, "%s: alpha was 0 in every step (the adaptive part untested)", cosine ? "cosine" : "pixel");
        trainer_free(&ta);
        sgd_free(&sb);
        model_destroy(a); model_destroy(b);
    }
}

static void eq8_terms_by_hand(void) {
    float alpha[5], weight[5];
    float adaptive[2] = {-0.25f, -0.75f};
    // Local: 3 retain, 2 forget; global: 6 retain, 4 forget; p = 0.3.  G = 10.
    eq8_terms(3, 2, 6, 4, 0.3, adaptive, 0.0f, alpha, weight);
    for (int i = 0; i < 3; i++) {
        CHECK_CLOSE(alpha[i], 0.0, 0);
        CHECK_CLOSE(weight[i], 0.3 * 10 / 6, 1e-6);
    }
    CHECK_CLOSE(alpha[3], -0.25, 0);
    CHECK_CLOSE(alpha[4], -0.75, 0);
    CHECK_CLOSE(weight[3], -0.7 * 10 / 4, 1e-6);
    eq8_terms(3, 2, 6, 4, 0.3, NULL, -2.0f, alpha, weight);
    CHECK_CLOSE(alpha[4], -2.0, 0);
}

static void rl_labels_fixed_and_uniform(void) {
    int hist[K] = {0};
    for (int64_t i = 0; i < 4000; i++) {
        int32_t l = rl_random_label(5, i, K);
        CHECK(l >= 0 && l < K, "label %d out of range", l);
        CHECK_EQ_INT(l, rl_random_label(5, i, K));
        if (l >= 0 && l < K) hist[l]++;
    }
    for (int k = 0; k < K; k++) CHECK(hist[k] > 850 && hist[k] < 1150, "class %d drawn %d times of 4000", k, hist[k]);
    int differ = 0;
    for (int64_t i = 0; i < 100; i++) differ += rl_random_label(5, i, K) != rl_random_label(6, i, K);
    CHECK(differ > 50, "the seed must change the labels (%d of 100 differ)", differ);
}

static void method_names_resolve(void) {
    CHECK_TRUE(method_find("ugradsl+") && method_find("ugradsl+")->kind == METHOD_UGRADSL_PLUS);
    CHECK_TRUE(method_find("ga") && method_find("ga")->kind == METHOD_GA);
    CHECK_TRUE(method_find("gradient-ascent") == NULL);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(eq8_terms_by_hand);
    TEST_CASE(rl_labels_fixed_and_uniform);
    TEST_CASE(method_names_resolve);
    TEST_CASE(p1_equals_ft_step);
    TEST_CASE(p0_alpha0_equals_ga_step);
    TEST_CASE(adaptive_step_equals_old_formula);
    return th_end();
}
