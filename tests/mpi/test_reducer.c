// test_reducer.c — the rank-0 reducer: whatever the rank count (np 1, 2, 3; at np 3 one rank holds no
// records) rank 0 gets the same records in (set, index) order and computes the same metrics.
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "harness.h"
#include "metrics/metrics.h"

#define N_TOTAL 600

// Record g of the synthetic evaluation: a pure function of g.  Sets: 300 retain, 60 forget, 200 test, 40 val.
static SampleRecord synthetic(int g) {
    SampleRecord r;
    memset(&r, 0, sizeof r);
    int set = g < 300 ? SET_RETAIN : g < 360 ? SET_FORGET : g < 560 ? SET_TEST : SET_VAL;
    Rng rng;
    rng_init(&rng, 99, RNG_MISC, (uint64_t)g, 0);
    r.set = (int8_t)set;
    r.index = (int64_t)(rng_hash((uint64_t)g) % 100000) * 1000 + g;   // unique, not in g order
    r.label = g % 10;
    // Accuracy by set: retain every 10th wrong (90%), forget 3 in 4 wrong (25%), test every 5th wrong (80%).
    int wrong = set == SET_RETAIN ? g % 10 == 0 : set == SET_FORGET ? g % 4 != 0 : set == SET_TEST ? g % 5 == 0 : g % 2;
    r.pred = wrong ? (r.label + 1) % 10 : r.label;
    r.prob_true = set == SET_FORGET ? 0.3f * rng_uniform(&rng)
                : set == SET_TEST ? 0.5f * rng_uniform(&rng) : 0.6f + 0.4f * rng_uniform(&rng);
    r.entropy = 1 - r.prob_true;
    r.m_entropy = 0.5f * r.entropy;
    r.loss = -logf(r.prob_true + 1e-6f);
    return r;
}

static int owner(int g, int world) {
    if (world == 3) return g % 2 == 0 ? 0 : 1;   // rank 2 has no records but still joins the collectives
    return (int)(rng_hash((uint64_t)g + 5) % (uint64_t)world);
}

static void gathered_records_are_canonical(void) {
    SampleRecord* mine = malloc(sizeof(SampleRecord) * N_TOTAL);
    int64_t n = 0;
    for (int g = N_TOTAL - 1; g >= 0; g--)   // reverse order on purpose: the reducer must sort
        if (owner(g, th_world) == th_rank) mine[n++] = synthetic(g);
    if (th_world == 3 && th_rank == 2) CHECK_EQ_INT(n, 0);
    RecordSet all;
    records_gather(mine, n, 0, MPI_COMM_WORLD, &all);
    if (th_rank != 0) {
        CHECK(all.recs == NULL && all.n == 0, "non-root ranks get nothing");
    } else {
        SampleRecord* ref = malloc(sizeof(SampleRecord) * N_TOTAL);
        for (int g = 0; g < N_TOTAL; g++) ref[g] = synthetic(g);
        records_sort(ref, N_TOTAL);
        CHECK_EQ_INT(all.n, N_TOTAL);
        CHECK(all.n == N_TOTAL && memcmp(all.recs, ref, sizeof(SampleRecord) * N_TOTAL) == 0,
              "gathered records differ from the single-process reference");
        MetricsOptions o;
        metrics_options_default(&o);
        o.mia_bootstrap = 4;
        o.seed = 5;
        Metrics m, m_ref;
        metrics_compute(&all, &o, &m);
        RecordSet rs_ref = {ref, N_TOTAL};
        metrics_compute(&rs_ref, &o, &m_ref);
        CHECK(memcmp(&m, &m_ref, sizeof m) == 0, "metrics differ from the single-process reference");
        CHECK_CLOSE(m.RA, 90.0, 1e-12);
        CHECK_CLOSE(m.UA, 75.0, 1e-12);
        CHECK_CLOSE(m.TA, 80.0, 1e-12);
        CHECK_CLOSE(m.VA, 50.0, 1e-12);
        CHECK_CLOSE(m.MIA, 100.0, 1e-12);   // forget < 0.3 and test < 0.5 below members >= 0.6
        CHECK_EQ_INT(m.mia_members, 200);
        free(ref);
    }
    free(all.recs);
    free(mine);
}

static void range_lookup(void) {
    SampleRecord r[5];
    memset(r, 0, sizeof r);
    int sets[5] = {SET_RETAIN, SET_RETAIN, SET_TEST, SET_TEST, SET_TEST};
    for (int i = 0; i < 5; i++) { r[i].set = (int8_t)sets[i]; r[i].index = i; }
    RecordSet rs = {r, 5};
    int64_t begin;
    CHECK_EQ_INT(records_range(&rs, SET_RETAIN, &begin), 2);
    CHECK_EQ_INT(begin, 0);
    CHECK_EQ_INT(records_range(&rs, SET_FORGET, &begin), 0);
    CHECK_EQ_INT(records_range(&rs, SET_TEST, &begin), 3);
    CHECK_EQ_INT(begin, 2);
    CHECK_EQ_INT(records_range(&rs, SET_VAL, &begin), 0);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 1);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    TEST_CASE(gathered_records_are_canonical);
    TEST_CASE(range_lookup);
    return th_end();
}
