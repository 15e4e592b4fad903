// test_mia_members.c — the MIA member draw: stratified like D_r, seeded, and a function of sample ids only
// (issue 19: the first |D_te| records of a class-by-class packed file were all from one or two classes).
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "harness.h"
#include "metrics/metrics.h"
#include "metrics/mia_members.h"

static SampleRecord rec(SampleSet set, int64_t index, int label, float conf) {
    SampleRecord r;
    memset(&r, 0, sizeof r);
    r.set = (int8_t)set;
    r.index = index;
    r.label = label;
    r.pred = label;
    r.prob_true = conf;
    r.entropy = 1 - conf;
    r.m_entropy = 2 * (1 - conf);
    r.loss = -logf(conf);
    return r;
}

// A class-by-class "packed file": class c holds count[c] consecutive indices from `first`.
static int64_t packed_retain(SampleRecord* out, const int* count, int k, int64_t first) {
    int64_t n = 0;
    for (int c = 0; c < k; c++)
        for (int i = 0; i < count[c]; i++, n++) out[n] = rec(SET_RETAIN, first + n, c, 0.5f + 0.05f * c);
    return n;
}

static void histogram_matches_retain(void) {
    int count[4] = {500, 300, 150, 50};   // D_r's histogram; 100 members -> 50, 30, 15, 5 exactly
    SampleRecord r[1000];
    int64_t n = packed_retain(r, count, 4, 0);
    int64_t pos[1000], *per = NULL;
    int k = 0;
    CHECK_EQ_INT(mia_draw_members(r, n, 100, 9, pos, &per, &k), 100);
    CHECK_EQ_INT(k, 4);
    int64_t seen[4] = {0};
    for (int i = 0; i < 100; i++) seen[r[pos[i]].label]++;
    for (int c = 0; c < 4; c++) {
        CHECK_EQ_INT(per[c], count[c] / 10);
        CHECK_EQ_INT(seen[c], per[c]);
    }
    // Not the first of each class either: class 0's members reach beyond its first 50 indices.
    int64_t last0 = 0;
    for (int i = 0; i < 100; i++) if (r[pos[i]].label == 0 && r[pos[i]].index > last0) last0 = r[pos[i]].index;
    CHECK(last0 >= 50, "class 0's members all among its first 50 samples (last %lld)", (long long)last0);
    for (int i = 1; i < 100; i++) CHECK(pos[i] > pos[i - 1], "positions not ascending at %d", i);
    free(per);
}

// Rounding: 3 classes of 7 and 10 members -> 4, 3, 3 (largest remainder, ties to the lower class); each
// class within one of its exact share.
static void rounding_within_one(void) {
    int count[3] = {7, 7, 7};
    SampleRecord r[21];
    int64_t n = packed_retain(r, count, 3, 100);
    int64_t pos[21], *per = NULL;
    CHECK_EQ_INT(mia_draw_members(r, n, 10, 1, pos, &per, NULL), 10);
    CHECK_EQ_INT(per[0], 4);
    CHECK_EQ_INT(per[1], 3);
    CHECK_EQ_INT(per[2], 3);
    free(per);
    int uneven[3] = {1, 13, 6};   // exact shares 0.5, 6.5, 3 of 10
    n = packed_retain(r, uneven, 3, 0);
    CHECK_EQ_INT(mia_draw_members(r, n, 10, 1, pos, &per, NULL), 10);
    for (int c = 0; c < 3; c++) {
        double exact = uneven[c] * 10.0 / 20;
        CHECK(fabs(per[c] - exact) < 1, "class %d: %lld members for an exact share %.2f", c, (long long)per[c], exact);
    }
    free(per);
    // More wanted than there are: all of D_r.
    CHECK_EQ_INT(mia_draw_members(r, n, 50, 1, pos, NULL, NULL), 20);
}

// The draw depends on (seed, index, label) only: the same records in another order give the same members.
static void order_of_records_does_not_matter(void) {
    int count[3] = {40, 40, 40};
    SampleRecord r[120], shuffled[120];
    int64_t n = packed_retain(r, count, 3, 0);
    int64_t perm[120];
    for (int i = 0; i < n; i++) perm[i] = i;
    Rng g;
    rng_init(&g, 5, RNG_MISC, 1, 0);
    rng_shuffle_i64(&g, perm, n);
    for (int i = 0; i < n; i++) shuffled[i] = r[perm[i]];
    int64_t pa[120], pb[120];
    int64_t na = mia_draw_members(r, n, 30, 77, pa, NULL, NULL);
    int64_t nb = mia_draw_members(shuffled, n, 30, 77, pb, NULL, NULL);
    CHECK_EQ_INT(na, nb);
    uint8_t in_a[120] = {0}, in_b[120] = {0};
    for (int i = 0; i < na; i++) in_a[r[pa[i]].index] = 1;
    for (int i = 0; i < nb; i++) in_b[shuffled[pb[i]].index] = 1;
    int same = 1;
    for (int i = 0; i < n; i++) same &= in_a[i] == in_b[i];
    CHECK(same, "the member set depends on the order of the records");
    // Another seed: another set, the same histogram.
    int64_t pc[120], *per = NULL;
    mia_draw_members(r, n, 30, 78, pc, &per, NULL);
    int differ = 0;
    for (int i = 0; i < 30; i++) differ += pc[i] != pa[i];
    CHECK(differ > 0, "seeds 77 and 78 drew the same members");
    for (int c = 0; c < 3; c++) CHECK_EQ_INT(per[c], 10);
    free(per);
}

// Shuffling the packed file (a permutation of which dataset index holds which sample) leaves MIA-Efficacy
// unchanged when the model's outputs depend on the class only: the drawn members have the same class
// histogram, so the SVC sees the same multiset of features.  Under the old "first |D_te| in index order" rule
// the class-by-class file gave members from class 0 only and the shuffled one a mixture.
static void packed_order_leaves_mia_unchanged(void) {
    enum { K = 4, PER = 60, NR = K * PER, NT = 40, NF = 20 };
    static SampleRecord recs[NR + NT + NF];
    int64_t perm[NR];
    for (int i = 0; i < NR; i++) perm[i] = i;
    Rng g;
    rng_init(&g, 11, RNG_MISC, 2, 0);
    rng_shuffle_i64(&g, perm, NR);
    double mia[2];
    int64_t hist[2][K];
    for (int variant = 0; variant < 2; variant++) {
        int n = 0;
        for (int i = 0; i < NR; i++) {
            int label = i / PER;   // class by class in the packed order
            int64_t index = variant ? perm[i] : i;
            recs[n++] = rec(SET_RETAIN, index, label, 0.2f + 0.2f * label);
        }
        for (int i = 0; i < NT; i++) recs[n++] = rec(SET_TEST, i, i % K, 0.3f + 0.1f * (i % K));
        for (int i = 0; i < NF; i++) recs[n++] = rec(SET_FORGET, NR + i, 0, 0.25f + 0.02f * i);
        records_sort(recs, n);
        RecordSet rs = {recs, n};
        MetricsOptions o;
        metrics_options_default(&o);
        o.seed = 4;
        o.mia_bootstrap = 0;
        o.mia_extras = 0;
        o.add_mia = 0;
        Metrics m;
        metrics_compute(&rs, &o, &m);
        mia[variant] = m.MIA;
        for (int c = 0; c < K; c++) hist[variant][c] = m.mia_member_per_class[c];
        CHECK_EQ_INT(m.mia_members, NT);
    }
    for (int c = 0; c < K; c++) {
        CHECK_EQ_INT(hist[0][c], NT / K);
        CHECK_EQ_INT(hist[1][c], NT / K);
    }
    CHECK(isfinite(mia[0]), "MIA not computed");
    CHECK_CLOSE(mia[0], mia[1], 0);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(histogram_matches_retain);
    TEST_CASE(rounding_within_one);
    TEST_CASE(order_of_records_does_not_matter);
    TEST_CASE(packed_order_leaves_mia_unchanged);
    return th_end();
}
