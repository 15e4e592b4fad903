// test_attack_ulira.c — the U-LiRA likelihood-ratio test on made-up shadow outputs: separable IN/OUT gives AUC 1
// and accuracy 1; IN and OUT from one distribution give AUC near 0.5; per-example offsets (hard and easy
// samples) are removed by the per-example means; hand-checked Lambda on a tiny case.
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "harness.h"
#include "metrics/attack_ulira.h"

// Each sample IN in exactly K/2 shadows (the balanced LiRA design), phi = offset_i + shift * in + noise.
static void make(int K, int64_t n, double shift, double noise, uint64_t seed, double* phi, uint8_t* in) {
    Rng g;
    rng_init(&g, seed, RNG_MISC, 7, 0);
    int64_t order[64];
    for (int64_t i = 0; i < n; i++) {
        for (int k = 0; k < K; k++) order[k] = k;
        rng_shuffle_i64(&g, order, K);
        double offset = 4.0 * rng_normal(&g);   // samples differ far more than IN from OUT
        for (int k = 0; k < K; k++) in[order[k] * n + i] = k < K / 2;
        for (int k = 0; k < K; k++) phi[k * n + i] = offset + shift * in[k * n + i] + noise * rng_normal(&g);
    }
}

static void separable_and_indistinguishable(void) {
    enum { K = 8, N = 400 };
    static double phi[K * N];
    static uint8_t in[K * N];
    UliraResult r;
    make(K, N, 3.0, 0.3, 1, phi, in);
    CHECK(ulira_lrt(phi, in, K, N, &r), "nothing scored");
    CHECK_EQ_INT(r.pairs, K * N);
    CHECK(r.roc.auc > 0.999, "separable: AUC %g", r.roc.auc);
    CHECK(r.accuracy > 0.99, "separable: accuracy %g", r.accuracy);
    CHECK(r.roc.tpr_at_01pct > 0.9, "separable: TPR at 0.1%% FPR %g", r.roc.tpr_at_01pct);
    // A global threshold on phi would be near chance here (offsets dominate); the per-example test is not.
    make(K, N, 0.0, 0.3, 2, phi, in);
    ulira_lrt(phi, in, K, N, &r);
    CHECK(fabs(r.roc.auc - 0.5) < 0.05, "indistinguishable: AUC %g", r.roc.auc);
    CHECK(r.roc.tpr_at_1pct < 0.05, "indistinguishable: TPR at 1%% FPR %g", r.roc.tpr_at_1pct);
    make(K, N, 0.3, 0.3, 3, phi, in);   // a partial leak: in between
    ulira_lrt(phi, in, K, N, &r);
    CHECK(r.roc.auc > 0.6 && r.roc.auc < 0.95, "partial: AUC %g", r.roc.auc);
}

// No signal at the smallest K the plan allows: the test must not separate IN from OUT on the reference counts
// alone (an IN target leaves K/2-1 IN references and K/2 OUT ones; with unequal counts AUC fell to about 0.3).
static void null_at_small_k(void) {
    enum { K = 4, N = 3000 };
    static double phi[K * N];
    static uint8_t in[K * N];
    make(K, N, 0.0, 1.0, 5, phi, in);
    UliraResult r;
    ulira_lrt(phi, in, K, N, &r);
    CHECK_EQ_INT(r.pairs, K * N);
    CHECK(fabs(r.roc.auc - 0.5) < 0.02, "K 4, no signal: AUC %g", r.roc.auc);
    CHECK(fabs(r.accuracy - 0.5) < 0.02, "K 4, no signal: accuracy %g", r.accuracy);
}

// K = 3, one sample: target 0 is IN (phi 2), references: shadow 1 IN (phi 2), shadow 2 OUT (phi 0).  One
// reference per side.  Pooled over all three shadows: the IN values {2, 2} have no spread and the OUT value is alone,
// so both sigmas fall to the floor and Lambda is hugely positive: correct.
static void tiny_by_hand(void) {
    double phi[3] = {2, 2, 0};
    uint8_t in[3] = {1, 1, 0};
    UliraResult r;
    CHECK(ulira_lrt(phi, in, 3, 1, &r), "nothing scored");
    // target 1 (IN, refs: 0 IN, 2 OUT) the same as target 0; target 2 (OUT) has two IN refs and no OUT one: skipped.
    CHECK_EQ_INT(r.pairs, 2);
    CHECK_CLOSE(r.accuracy, 1.0, 0);
    CHECK(isnan(r.roc.auc), "one class of pairs only: AUC must be NaN");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(separable_and_indistinguishable);
    TEST_CASE(null_at_small_k);
    TEST_CASE(tiny_by_hand);
    return th_end();
}
