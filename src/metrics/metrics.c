// metrics.c — the numbers of METHOD.md §4 from the gathered per-sample records.
#include "metrics/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "metrics/mia_members.h"

void metrics_options_default(MetricsOptions* o) {
    memset(o, 0, sizeof *o);
    o->seed = 0;
    o->mia_bootstrap = 20;
    o->mia_extras = 1;
    o->add_mia = 1;
    o->mia_threshold = 1;
    o->alpha = NAN;
    o->p = NAN;
}

int ldp_epsilon(int K, double alpha, double gamma1, double gamma2, double* eps) {
    *eps = NAN;
    if (!(alpha < 0) || K < 2 || !(gamma2 > 0) || !isfinite(gamma1)) return 0;
    if (!(gamma1 - gamma2 * (1 + (1 - K) * alpha / K) > 0)) return 0;
    double arg = (K / alpha) * (1 - gamma1 / gamma2) + 1 - K;   // > 0 exactly when the condition holds
    if (!(arg > 0)) return 0;
    *eps = fabs(log(arg));
    return 1;
}

typedef enum { FEAT_CONFIDENCE, FEAT_ENTROPY, FEAT_M_ENTROPY, FEAT_CORRECTNESS } Feature;

static float feature_of(const SampleRecord* r, Feature f) {
    switch (f) {
    case FEAT_CONFIDENCE: return r->prob_true;
    case FEAT_ENTROPY: return r->entropy;
    case FEAT_M_ENTROPY: return r->m_entropy;
    case FEAT_CORRECTNESS: return r->pred == r->label ? 1.0f : 0.0f;
    }
    return 0;
}

static float* features(const SampleRecord* recs, int64_t n, Feature f) {
    float* out = ug_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++) out[i] = feature_of(&recs[i], f);
    return out;
}

// One attack on one feature: members = the drawn retain records (metrics_compute), non-members = test,
// targets = forget.
static double attack(const SampleRecord* members, int64_t n_members, const SampleRecord* test, int64_t n_test,
                     const SampleRecord* forget, int64_t n_forget, Feature f, uint8_t* grid,
                     const MetricsOptions* o, MiaBootstrap* boot) {
    float* mem = features(members, n_members, f);
    float* non = features(test, n_test, f);
    float* tgt = features(forget, n_forget, f);
    double score = mia_efficacy(mem, n_members, non, n_test, tgt, n_forget, grid);
    if (boot) mia_bootstrap(mem, n_members, non, n_test, tgt, n_forget, score, o->mia_bootstrap, o->seed, boot);
    free(mem);
    free(non);
    free(tgt);
    return score;
}

static int records_sorted(const RecordSet* rs) {
    for (int64_t i = 1; i < rs->n; i++) {
        const SampleRecord* a = &rs->recs[i - 1];
        const SampleRecord* b = &rs->recs[i];
        if (a->set > b->set || (a->set == b->set && a->index > b->index)) return 0;
    }
    return 1;
}

void metrics_compute(const RecordSet* rs_in, const MetricsOptions* o, Metrics* m) {
    memset(m, 0, sizeof *m);
    // Everything below reads sets as contiguous ranges in index order: sort a copy when needed.
    RecordSet sorted = *rs_in;
    if (!records_sorted(rs_in)) {
        sorted.recs = ug_malloc(sizeof(SampleRecord) * (size_t)(rs_in->n > 0 ? rs_in->n : 1));
        memcpy(sorted.recs, rs_in->recs, sizeof(SampleRecord) * (size_t)rs_in->n);
        records_sort(sorted.recs, sorted.n);
    }
    const RecordSet* rs = &sorted;
    const SampleRecord* set_recs[SET_COUNT];
    for (int s = 0; s < SET_COUNT; s++) {
        int64_t begin;
        m->n[s] = records_range(rs, (SampleSet)s, &begin);
        set_recs[s] = rs->recs + begin;
        double loss = 0;
        for (int64_t i = 0; i < m->n[s]; i++) {
            m->correct[s] += set_recs[s][i].pred == set_recs[s][i].label;
            loss += set_recs[s][i].loss;
        }
        m->acc[s] = m->n[s] ? 100.0 * (double)m->correct[s] / (double)m->n[s] : NAN;
        m->mean_loss[s] = m->n[s] ? loss / (double)m->n[s] : NAN;
    }
    m->UA = 100.0 - m->acc[SET_FORGET];
    m->RA = m->acc[SET_RETAIN];
    m->TA = m->acc[SET_TEST];
    m->VA = m->acc[SET_VAL];

    const SampleRecord* retain = set_recs[SET_RETAIN];
    const SampleRecord* forget = set_recs[SET_FORGET];
    const SampleRecord* test = set_recs[SET_TEST];
    int64_t n_forget = m->n[SET_FORGET], n_test = m->n[SET_TEST];
    // Members: |D_te| retain samples (all of D_r when it is smaller), drawn stratified like D_r by a seeded hash
    // of the dataset index (mia_members.h) -- never the first ones in file order, which are one class in a
    // class-by-class packed file.
    int64_t n_retain = m->n[SET_RETAIN];
    int64_t* pos = ug_malloc(sizeof(int64_t) * (size_t)(n_retain > 0 ? n_retain : 1));
    int64_t* per_class = NULL;
    int64_t n_members = mia_draw_members(retain, n_retain, n_test, o->seed, pos, &per_class, &m->mia_member_classes);
    for (int c = 0; c < m->mia_member_classes && c < MIA_CLASSES_KEPT; c++) m->mia_member_per_class[c] = per_class[c];
    free(per_class);
    SampleRecord* members = ug_malloc(sizeof(SampleRecord) * (size_t)(n_members > 0 ? n_members : 1));
    for (int64_t i = 0; i < n_members; i++) members[i] = retain[pos[i]];
    free(pos);
    m->mia_member_seed = o->seed;
    m->mia_members = n_members;
    m->mia_nonmembers = n_test;
    m->MIA = attack(members, n_members, test, n_test, forget, n_forget, FEAT_CONFIDENCE, m->mia_grid, o, &m->mia_boot);
    m->mia_entropy = m->mia_m_entropy = m->mia_correctness = NAN;
    if (o->mia_extras) {   // independent fits: one per thread
        static const Feature extra[3] = {FEAT_ENTROPY, FEAT_M_ENTROPY, FEAT_CORRECTNESS};
        double score[3];
        #pragma omp parallel for schedule(dynamic, 1)
        for (int e = 0; e < 3; e++)
            score[e] = attack(members, n_members, test, n_test, forget, n_forget, extra[e], NULL, o, NULL);
        m->mia_entropy = score[0];
        m->mia_m_entropy = score[1];
        m->mia_correctness = score[2];
    }
    m->threshold_computed = o->mia_threshold;
    if (o->mia_threshold)
        for (int sc = 0; sc < THR_SCORES; sc++) {
            threshold_attack(forget, n_forget, test, n_test, (ThresholdScore)sc, &m->threshold[sc][THR_FORGET_VS_TEST]);
            threshold_attack(members, n_members, test, n_test, (ThresholdScore)sc, &m->threshold[sc][THR_MEMBERS_VS_TEST]);
        }
    free(members);
    m->add_MIA = m->add_mia_fold[0] = m->add_mia_fold[1] = NAN;
    if (o->add_mia) {
        float* f = features(forget, n_forget, FEAT_CONFIDENCE);
        float* t = features(test, n_test, FEAT_CONFIDENCE);
        m->add_MIA = add_mia(f, n_forget, t, n_test, o->seed, &m->add_mia_n, m->add_mia_fold);
        free(f);
        free(t);
    }
    LdpResult* l = &m->ldp;
    l->K = o->num_classes;
    l->alpha = o->alpha;
    l->gamma1 = o->p;
    l->gamma2 = 1 - o->p;
    l->epsilon = NAN;
    l->computed = o->has_smoothing && o->alpha < 0 && o->num_classes >= 2 && isfinite(o->p);
    if (l->computed) l->valid = ldp_epsilon(l->K, l->alpha, l->gamma1, l->gamma2, &l->epsilon);
    if (sorted.recs != rs_in->recs) free(sorted.recs);
}

void metrics_log(const Metrics* m, const char* method) {
    ug_log("metrics%s%s: UA %.2f  MIA %.2f [%.2f, %.2f]%s  RA %.2f  TA %.2f  Add.MIA %.2f  (|D_r| %lld, |D_f| %lld, "
           "|D_te| %lld)",
           method ? " " : "", method ? method : "", m->UA, m->MIA, m->mia_boot.lo, m->mia_boot.hi,
           m->mia_boot.flip ? " FLIPS" : "", m->RA, m->TA, m->add_MIA, (long long)m->n[SET_RETAIN],
           (long long)m->n[SET_FORGET], (long long)m->n[SET_TEST]);
}
