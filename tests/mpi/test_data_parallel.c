// test_data_parallel.c — the data-parallel step (run at np 1, 2, 3 by tests/run_tests.sh):
//  * without BatchNorm, W ranks each on their slice of a global batch (uneven counts, a rank with 0 samples)
//    give the same parameters as one process on the whole batch (float tolerance), with per-sample α and w;
//  * with BatchNorm (per-rank batch statistics) all ranks hold bit-identical parameters after several steps;
//  * the same seed twice gives bit-identical parameters.
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "dist/dist.h"
#include "harness.h"
#include "train/trainer.h"

enum { H = 8, C = 1, K = 5 };

// A deterministic global batch (same on every rank): images, labels, α, w.
static void global_batch(int B, int step, float* x, int32_t* y, float* alpha, float* weight) {
    Rng r;
    rng_init(&r, 77, RNG_MISC, (uint64_t)step, 0);
    for (int i = 0; i < B * H * H * C; i++) x[i] = rng_normal(&r);
    for (int i = 0; i < B; i++) {
        y[i] = (int32_t)rng_below(&r, K);
        alpha[i] = -0.5f + rng_uniform(&r);          // in [-0.5, 0.5)
        weight[i] = i % 4 == 3 ? -0.5f : 1.0f;      // some ascent samples
    }
}

// This rank's contiguous slice (sizes differ by at most one; first ranks get the larger ones).
static void my_slice(int B, int* lo, int* n) {
    int base = B / th_world, extra = B % th_world;
    *n = base + (th_rank < extra);
    *lo = th_rank * base + (th_rank < extra ? th_rank : extra);
}

static Model* make(int no_bn, uint64_t seed) {
    ModelConfig c = {.arch = ARCH_SMALL_CNN, .width = 4, .num_classes = K, .in_h = H, .in_w = H, .in_c = C, .no_bn = no_bn};
    Model* m = model_create(&c, BACKEND_FAST);
    model_init(m, seed);
    return m;
}

static void run_steps(Trainer* t, int B, int steps, int use_alpha) {
    float* x = malloc((size_t)B * H * H * C * sizeof(float));
    int32_t* y = malloc((size_t)B * sizeof(int32_t));
    float* alpha = malloc((size_t)B * sizeof(float));
    float* weight = malloc((size_t)B * sizeof(float));
    for (int s = 0; s < steps; s++) {
        global_batch(B, s, x, y, alpha, weight);
        int lo, n;
        my_slice(B, &lo, &n);
        Batch b = {n, H, H, C, x + (size_t)lo * H * H * C, y + lo, NULL};
        StepResult r = trainer_step(t, &b, use_alpha ? alpha + lo : NULL, use_alpha ? weight + lo : NULL, 0.05);
        CHECK(r.n == B && r.finite, "step %d: n %lld finite %d", s, (long long)r.n, r.finite);
    }
    free(x); free(y); free(alpha); free(weight);
}

// One process, whole batch, no communication: the reference.
static void run_reference(Model* m, Sgd* sgd, int B, int steps, int use_alpha) {
    float* x = malloc((size_t)B * H * H * C * sizeof(float));
    int32_t* y = malloc((size_t)B * sizeof(int32_t));
    float* alpha = malloc((size_t)B * sizeof(float));
    float* weight = malloc((size_t)B * sizeof(float));
    float* dl = malloc((size_t)B * K * sizeof(float));
    for (int s = 0; s < steps; s++) {
        global_batch(B, s, x, y, alpha, weight);
        const float* z = model_forward(m, B, x, 1);
        gls_xent(B, K, NULL, dl, z, y, use_alpha ? alpha : NULL, use_alpha ? weight : NULL, 1.0f / B);
        model_backward(m, dl);
        sgd_step(sgd, m->params, m->grads, NULL, 0.05f);
    }
    free(x); free(y); free(alpha); free(weight); free(dl);
}

static void equivalence(int B, int use_alpha) {
    Model* dist = make(1, 5);
    Model* ref = make(1, 5);
    Trainer t;
    SgdConfig sc = {0.9, 5e-4, 0};
    trainer_init(&t, dist, &sc);
    Sgd sgd;
    sgd_init(&sgd, &sc, ref->num_params);
    run_steps(&t, B, 4, use_alpha);
    run_reference(ref, &sgd, B, 4, use_alpha);
    double md = 0, mx = 1e-3;
    for (size_t i = 0; i < ref->num_params; i++) {
        md = fmax(md, fabs(dist->params[i] - ref->params[i]));
        mx = fmax(mx, fabs(ref->params[i]));
    }
    CHECK(md <= 1e-5 * mx, "B=%d: %d ranks differ from 1 process by %.3g (scale %.3g)", B, th_world, md, mx);
    sgd_free(&sgd);
    trainer_free(&t);
    model_destroy(dist);
    model_destroy(ref);
}

static void test_no_bn_equivalence(void) { equivalence(12, 0); }
static void test_no_bn_equivalence_gls_uneven(void) { equivalence(11, 1); }   // 11 = 4+4+3 at np 3
static void test_no_bn_rank_without_samples(void) { equivalence(2, 1); }      // np 3: one rank gets 0

static uint64_t hash_params(const Model* m) {
    uint64_t h = 1469598103934665603ULL;
    const unsigned char* p = (const unsigned char*)m->params;
    for (size_t i = 0; i < m->num_params * sizeof(float); i++) { h ^= p[i]; h *= 1099511628211ULL; }
    return h;
}

static void test_bn_ranks_agree_bitwise(void) {
    Model* m = make(0, 9);
    Trainer t;
    SgdConfig sc = {0.9, 5e-4, 1};
    trainer_init(&t, m, &sc);
    run_steps(&t, 3 * 8, 5, 1);
    uint64_t h = hash_params(m), h0 = h;
    MPI_Bcast(&h0, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    CHECK(h == h0, "rank %d parameters differ from rank 0's", th_rank);
    // momentum buffers agree too
    float probe = t.sgd.momentum_buf[m->num_params / 2], probe0 = probe;
    MPI_Bcast(&probe0, 1, MPI_FLOAT, 0, MPI_COMM_WORLD);
    CHECK(memcmp(&probe, &probe0, sizeof probe) == 0, "momentum differs");
    // the BN running stats are per rank; trainer_sync_buffers makes them rank 0's everywhere
    trainer_sync_buffers(&t);
    float rv = m->buffers[1], rv0 = rv;
    MPI_Bcast(&rv0, 1, MPI_FLOAT, 0, MPI_COMM_WORLD);
    CHECK(memcmp(&rv, &rv0, sizeof rv) == 0, "buffers differ after sync");
    trainer_free(&t);
    model_destroy(m);
}

static void test_same_seed_same_result(void) {
    uint64_t h[2];
    for (int k = 0; k < 2; k++) {
        Model* m = make(0, 21);
        Trainer t;
        SgdConfig sc = {0.9, 5e-4, 0};
        trainer_init(&t, m, &sc);
        run_steps(&t, 10, 3, 1);
        h[k] = hash_params(m);
        trainer_free(&t);
        model_destroy(m);
    }
    CHECK(h[0] == h[1], "two runs with the same seed differ");
}

static void test_global_count_and_stats(void) {
    Model* m = make(0, 3);
    Trainer t;
    SgdConfig sc = {0.0, 0.0, 0};
    trainer_init(&t, m, &sc);
    CHECK_EQ_INT(trainer_global_count(&t, th_rank + 1), th_world * (th_world + 1) / 2);
    trainer_free(&t);
    model_destroy(m);
}

int main(int argc, char** argv) {
    dist_init(&argc, &argv);   // MPI (funneled) and g_dist, as main.c does; th_begin then finds MPI up
    th_begin(&argc, &argv, 1);
    TEST_CASE(test_no_bn_equivalence);
    TEST_CASE(test_no_bn_equivalence_gls_uneven);
    TEST_CASE(test_no_bn_rank_without_samples);
    TEST_CASE(test_bn_ranks_agree_bitwise);
    TEST_CASE(test_same_seed_same_result);
    TEST_CASE(test_global_count_and_stats);
    return th_end();
}
