// test_divergence.c — the divergence guard: non-finite parameters or BN statistics put the epoch's copy back
// (the model stays finite) and mark the run; the collapse rule against the most frequent class.
#include <string.h>

#include "harness.h"
#include "nn/model.h"
#include "train/divergence.h"

static Model* small_model(void) {
    ModelConfig c = {ARCH_SMALL_CNN, 4, 10, 8, 8, 1, 0, 0};
    Model* m = model_create(&c, BACKEND_REF);
    model_init(m, 7);
    return m;
}

static void test_finite_state_is_kept(void) {
    Model* m = small_model();
    DivergenceGuard g;
    divergence_init(&g, m);
    divergence_epoch_begin(&g);
    CHECK_EQ_INT(divergence_check_state(&g, "epoch 1"), 0);   // nothing wrong: nothing marked
    m->params[3] += 1.0f;                                      // a normal update is kept as it is
    float moved = m->params[3];
    CHECK_EQ_INT(divergence_check_state(&g, "epoch 1"), 0);
    CHECK_TRUE(m->params[3] == moved);
    divergence_free(&g);
    model_destroy(m);
}

static void test_nonfinite_bn_restored(void) {
    Model* m = small_model();
    CHECK_TRUE(m->num_buffers > 0);
    DivergenceGuard g;
    divergence_init(&g, m);
    divergence_epoch_begin(&g);
    float* p0 = malloc(m->num_params * sizeof(float));
    float* b0 = malloc(m->num_buffers * sizeof(float));
    memcpy(p0, m->params, m->num_params * sizeof(float));
    memcpy(b0, m->buffers, m->num_buffers * sizeof(float));
    m->params[0] = 5.0f;              // an update of the diverging epoch
    m->buffers[1] = NAN;              // a train-mode forward of a NaN batch
    m->buffers[2] = INFINITY;
    CHECK_EQ_INT(divergence_state_finite(m), 0);
    CHECK_EQ_INT(divergence_check_state(&g, "epoch 2"), 1);
    CHECK_TRUE(divergence_state_finite(m));
    CHECK_TRUE(memcmp(p0, m->params, m->num_params * sizeof(float)) == 0);
    CHECK_TRUE(memcmp(b0, m->buffers, m->num_buffers * sizeof(float)) == 0);
    CHECK(strstr(g.reason, "non-finite BatchNorm statistics after epoch 2") != NULL, "%s", g.reason);
    free(p0);
    free(b0);
    divergence_free(&g);
    model_destroy(m);
}

static void test_nonfinite_step_restored(void) {
    Model* m = small_model();
    DivergenceGuard g;
    divergence_init(&g, m);
    divergence_epoch_begin(&g);
    float p0 = m->params[1];
    m->params[1] = NAN;
    divergence_nonfinite_step(&g, "epoch 1 step 4");
    CHECK_TRUE(g.diverged && m->params[1] == p0 && divergence_state_finite(m));
    CHECK(strstr(g.reason, "epoch 1 step 4") != NULL, "%s", g.reason);
    divergence_free(&g);
    model_destroy(m);
}

static void test_collapse_rule(void) {
    CHECK_TRUE(divergence_is_collapsed(10.0, 10.0));     // all one class on a balanced set
    CHECK_TRUE(divergence_is_collapsed(11.1, 11.1));     // the class-wise retain set (9 classes)
    CHECK_TRUE(divergence_is_collapsed(12.0, 11.1));     // within the margin
    CHECK_TRUE(!divergence_is_collapsed(60.0, 11.1));    // a damaged but working model
    CHECK_TRUE(!divergence_is_collapsed(98.0, 50.0));
    Model* m = small_model();
    DivergenceGuard g;
    divergence_init(&g, m);
    CHECK_EQ_INT(divergence_check_collapse(&g, 900, 100, 1000, "retain accuracy", "epoch 1"), 0);
    CHECK_EQ_INT(g.diverged, 0);
    CHECK_EQ_INT(divergence_check_collapse(&g, 101, 100, 1000, "retain accuracy", "epoch 2"), 1);
    CHECK(strstr(g.reason, "collapsed: retain accuracy 10.10% after epoch 2") != NULL, "%s", g.reason);
    divergence_free(&g);
    model_destroy(m);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_finite_state_is_kept);
    TEST_CASE(test_nonfinite_bn_restored);
    TEST_CASE(test_nonfinite_step_restored);
    TEST_CASE(test_collapse_rule);
    return th_end();
}
