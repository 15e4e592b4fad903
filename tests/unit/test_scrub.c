// SCRUB: the KL of the public DistillKL (value and gradient against central differences, zero for equal
// logits), and a max-step increases the KL between student and teacher on the forget batch.
#include "harness.h"

#include <stdlib.h>

#include "test_baselines_common.h"

static void kl_value_and_gradient(void) {
    enum { n = 3, K = 5 };
    float zs[n * K], zt[n * K], dl[n * K];
    Rng r;
    rng_init(&r, 1, RNG_MISC, 0, 0);
    for (int i = 0; i < n * K; i++) zs[i] = 2 * rng_normal(&r), zt[i] = 2 * rng_normal(&r);
    CHECK_CLOSE(scrub_kl(n, K, zt, zt, 4.0, 1.0, n, NULL), 0.0, 1e-12);
    memset(dl, 0, sizeof dl);
    double kl = scrub_kl(n, K, zs, zt, 4.0, 1.0, 6, dl);
    CHECK(kl > 0, "KL of different distributions must be > 0 (%g)", kl);
    for (int j = 0; j < n * K; j++) {
        float keep = zs[j];
        double h = 1e-3;
        zs[j] = keep + (float)h;
        double up = scrub_kl(n, K, zs, zt, 4.0, 1.0, 6, NULL);
        zs[j] = keep - (float)h;
        double dn = scrub_kl(n, K, zs, zt, 4.0, 1.0, 6, NULL);
        zs[j] = keep;
        CHECK_CLOSE(dl[j], (up - dn) / (2 * h), 1e-4);
    }
}

static void max_step_increases_kl(void) {
    Model *student = tb_model(4, TB_K, 7), *teacher = tb_model(4, TB_K, 7);
    // The student starts as the teacher, moved a little (otherwise the KL and its gradient are ~0).
    Rng r;
    rng_init(&r, 2, RNG_MISC, 0, 0);
    for (size_t i = 0; i < student->num_params; i++) student->params[i] += 0.05f * rng_normal(&r);
    TbBatch f;
    tb_batch(&f, TB_K, 9);
    UnlearnConfig c = tb_config(METHOD_SCRUB);
    c.lr = 0.05;
    Trainer t;
    trainer_init(&t, student, &c.sgd);
    double kl0 = scrub_max_step(&c, &t, teacher, &f.b);
    double kl1 = scrub_max_step(&c, &t, teacher, &f.b);   // returns the KL before its own step: after the first
    double kl2 = scrub_max_step(&c, &t, teacher, &f.b);
    CHECK(kl0 > 0, "the starting KL must be > 0 (%g)", kl0);
    CHECK(kl1 > kl0 && kl2 > kl1, "max-steps must increase the KL on D_f: %g -> %g -> %g", kl0, kl1, kl2);
    // The teacher is never changed.
    Model* fresh = tb_model(4, TB_K, 7);
    CHECK(tb_same(teacher->params, fresh->params, fresh->num_params), "the teacher moved");
    trainer_free(&t);
    model_destroy(student); model_destroy(teacher); model_destroy(fresh);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(kl_value_and_gradient);
    TEST_CASE(max_step_increases_kl);
    return th_end();
}
