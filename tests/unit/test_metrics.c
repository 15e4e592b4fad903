// test_metrics.c — record fields, UA/RA/TA, MIA-efficacy, Add. MIA and epsilon on constructed inputs with
// hand-computed answers.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "harness.h"
#include "metrics/metrics.h"
#include "metrics/mia_members.h"

static SampleRecord rec(SampleSet set, int64_t index, int label, int pred, float conf) {
    SampleRecord r;
    memset(&r, 0, sizeof r);
    r.set = (int8_t)set;
    r.index = index;
    r.label = label;
    r.pred = pred;
    r.prob_true = conf;
    r.entropy = 1 - conf;
    r.m_entropy = 2 * (1 - conf);
    r.loss = -logf(conf > 1e-6f ? conf : 1e-6f);
    return r;
}

static void record_fields_uniform_logits(void) {
    float logits[3] = {0, 0, 0};
    int32_t y = 1;
    int64_t idx = 42;
    SampleRecord r;
    records_from_logits(&r, logits, 1, 3, &y, &idx, SET_FORGET);
    CHECK_EQ_INT(r.index, 42);
    CHECK_EQ_INT(r.set, SET_FORGET);
    CHECK_EQ_INT(r.pred, 0);   // ties go to the lowest class
    CHECK_CLOSE(r.prob_true, 1.0 / 3, 1e-7);
    CHECK_CLOSE(r.entropy, log(3.0), 1e-6);
    CHECK_CLOSE(r.loss, log(3.0), 1e-6);
    // (1 - 1/3) log 3 + 2 * (1/3) * (-log(2/3))
    CHECK_CLOSE(r.m_entropy, 2.0 / 3 * log(3.0) + 2.0 / 3 * log(1.5), 1e-6);
}

static void record_fields_extreme_logits(void) {
    float logits[4] = {100, -100, 3, 1};   // two samples, K = 2
    int32_t y[2] = {1, 0};
    int64_t idx[2] = {7, 8};
    SampleRecord r[2];
    records_from_logits(r, logits, 2, 2, y, idx, SET_TEST);
    CHECK_EQ_INT(r[0].pred, 0);
    CHECK_CLOSE(r[0].loss, 200.0, 1e-3);      // log-sum-exp: finite even though p_y underflows
    CHECK(r[0].prob_true < 1e-30f, "prob_true %g", r[0].prob_true);
    // p_y ~ 0 -> clamp 1e-30: m_entropy = (1 - 0) * -log(1e-30) + 1 * -log(max(1 - 1, 1e-30)) = 2 * 69.08
    CHECK_CLOSE(r[0].m_entropy, 2 * 30 * log(10.0), 1e-3);
    double p = 1 / (1 + exp(-2.0));           // sample 2: logits (3, 1), label 0
    CHECK_CLOSE(r[1].prob_true, p, 1e-6);
    CHECK_CLOSE(r[1].entropy, -(p * log(p) + (1 - p) * log(1 - p)), 1e-6);
    CHECK_CLOSE(r[1].m_entropy, (1 - p) * -log(p) + (1 - p) * -log(p), 1e-6);
    CHECK_CLOSE(r[1].loss, -log(p), 1e-6);
}

static void metrics_options_quiet(MetricsOptions* o) {
    metrics_options_default(o);
    o->mia_bootstrap = 0;
    o->mia_extras = 0;
}

static void accuracies_by_hand(void) {
    SampleRecord r[17];
    int n = 0;
    // retain: 4 records, 3 correct -> RA 75
    r[n++] = rec(SET_RETAIN, 3, 1, 1, 0.9f);
    r[n++] = rec(SET_RETAIN, 0, 2, 2, 0.9f);
    r[n++] = rec(SET_RETAIN, 9, 0, 1, 0.2f);
    r[n++] = rec(SET_RETAIN, 4, 0, 0, 0.9f);
    // forget: 5 records, 1 correct -> UA 80
    for (int i = 0; i < 5; i++) r[n++] = rec(SET_FORGET, 100 + i, 3, i == 2 ? 3 : 1, 0.1f);
    // test: 8 records, 6 correct -> TA 75
    for (int i = 0; i < 8; i++) r[n++] = rec(SET_TEST, 50 - i, 1, i < 6 ? 1 : 2, 0.8f);
    records_sort(r, n);
    RecordSet rs = {r, n};
    MetricsOptions o;
    metrics_options_quiet(&o);
    o.add_mia = 0;
    Metrics m;
    metrics_compute(&rs, &o, &m);
    CHECK_EQ_INT(m.n[SET_RETAIN], 4);
    CHECK_EQ_INT(m.n[SET_FORGET], 5);
    CHECK_EQ_INT(m.n[SET_TEST], 8);
    CHECK_EQ_INT(m.n[SET_VAL], 0);
    CHECK_CLOSE(m.RA, 75.0, 1e-12);
    CHECK_CLOSE(m.UA, 80.0, 1e-12);
    CHECK_CLOSE(m.TA, 75.0, 1e-12);
    CHECK(isnan(m.VA), "VA without val records should be NaN, got %g", m.VA);
    CHECK(isnan(m.add_MIA), "Add. MIA off should be NaN");
    CHECK_EQ_INT(m.mia_members, 4);   // |D_r| < |D_te|: all of D_r
}

// Members are the drawn retain records (mia_members.h), not the first |D_te| in index order: the headline must
// equal an SVC fitted on exactly the drawn ones, and the fitted regions still split low from high confidence.
static void mia_uses_drawn_retain_records(void) {
    SampleRecord r[40];
    int n = 0;
    for (int i = 19; i >= 0; i--) r[n++] = rec(SET_RETAIN, i, 0, 0, i < 10 ? 0.95f : 0.90f - 0.01f * i);
    for (int i = 0; i < 10; i++) r[n++] = rec(SET_TEST, i, 0, 0, 0.05f);
    for (int i = 0; i < 5; i++) r[n++] = rec(SET_FORGET, 1000 + i, 0, 1, i < 4 ? 0.05f : 0.95f);
    records_sort(r, n);
    RecordSet rs = {r, n};
    MetricsOptions o;
    metrics_options_quiet(&o);
    o.add_mia = 0;
    o.seed = 3;
    Metrics m;
    metrics_compute(&rs, &o, &m);
    CHECK_EQ_INT(m.mia_members, 10);
    CHECK_EQ_INT(m.mia_nonmembers, 10);
    CHECK_EQ_INT(m.mia_member_classes, 1);
    CHECK_EQ_INT(m.mia_member_per_class[0], 10);
    CHECK_EQ_INT((int64_t)m.mia_member_seed, 3);
    int64_t pos[20];
    CHECK_EQ_INT(mia_draw_members(r, 20, 10, 3, pos, NULL, NULL), 10);
    int later = 0;   // the draw reaches past the first ten in index order
    float mem[10], non[10], tgt[5];
    for (int i = 0; i < 10; i++) { mem[i] = r[pos[i]].prob_true; later += r[pos[i]].index >= 10; non[i] = 0.05f; }
    for (int i = 0; i < 5; i++) tgt[i] = i < 4 ? 0.05f : 0.95f;
    CHECK(later > 0 && later < 10, "seed 3 drew %d of 10 members from indices >= 10", later);
    CHECK_CLOSE(m.MIA, mia_efficacy(mem, 10, non, 10, tgt, 5, NULL), 0);
    CHECK_CLOSE(m.MIA, 80.0, 1e-12);   // 4 of 5 forget samples sit with the non-members
    CHECK_EQ_INT(m.mia_grid[0], 0);
    CHECK_EQ_INT(m.mia_grid[MIA_GRID - 1], 1);
}

static void mia_efficacy_simple(void) {
    float members[6] = {1, 1, 0.99f, 0.98f, 1, 0.97f};
    float non[6] = {0, 0.01f, 0.02f, 0, 0.03f, 0.01f};
    float all_low[3] = {0.05f, 0.0f, 0.1f};
    float all_high[3] = {0.95f, 1.0f, 0.9f};
    float half[4] = {0.02f, 0.98f, 0.01f, 0.99f};
    CHECK_CLOSE(mia_efficacy(members, 6, non, 6, all_low, 3, NULL), 100.0, 0);
    CHECK_CLOSE(mia_efficacy(members, 6, non, 6, all_high, 3, NULL), 0.0, 0);
    CHECK_CLOSE(mia_efficacy(members, 6, non, 6, half, 4, NULL), 50.0, 0);
    CHECK(isnan(mia_efficacy(members, 6, non, 0, half, 4, NULL)), "no non-members -> NaN");
    CHECK(isnan(mia_efficacy(members, 6, non, 6, half, 0, NULL)), "no targets -> NaN");
}

static void mia_bootstrap_stable_and_seeded(void) {
    float members[20], non[20], targets[5];
    for (int i = 0; i < 20; i++) { members[i] = 0.9f + 0.005f * i; non[i] = 0.005f * i; }
    for (int i = 0; i < 5; i++) targets[i] = 0.02f * i;
    MiaBootstrap a, b, c;
    mia_bootstrap(members, 20, non, 20, targets, 5, 100.0, 10, 7, &a);
    CHECK_EQ_INT(a.resamples, 10);
    CHECK_CLOSE(a.lo, 100.0, 0);
    CHECK_CLOSE(a.hi, 100.0, 0);
    CHECK_CLOSE(a.std, 0.0, 0);
    CHECK_EQ_INT(a.flip, 0);
    // Seeded: the same seed repeats, another seed may differ but is also deterministic.
    float mixed_m[12] = {0.9f, 0.95f, 1, 1, 0.97f, 0.99f, 0.5f, 0.93f, 0.96f, 0.98f, 0.6f, 1};
    float mixed_n[12] = {0.9f, 0.2f, 1, 0.99f, 0.4f, 0.95f, 0.1f, 0.92f, 0.97f, 0.3f, 0.94f, 0.96f};
    float tgt[6] = {0.05f, 0.15f, 0.25f, 0.45f, 0.55f, 0.7f};
    double head = mia_efficacy(mixed_m, 12, mixed_n, 12, tgt, 6, NULL);
    mia_bootstrap(mixed_m, 12, mixed_n, 12, tgt, 6, head, 20, 3, &b);
    mia_bootstrap(mixed_m, 12, mixed_n, 12, tgt, 6, head, 20, 3, &c);
    CHECK(memcmp(&b, &c, sizeof b) == 0, "bootstrap with the same seed differs");
    CHECK(b.min <= b.lo && b.lo <= b.hi && b.hi <= b.max, "interval order %g %g %g %g", b.min, b.lo, b.hi, b.max);
}

// The accident of METHOD.md §4: members and non-members both confident, one non-member outlier at low
// confidence decides the label of the empty low region.  Resamples without the outlier must flip it.
static void mia_bootstrap_flags_flip(void) {
    float members[30], non[30], targets[10];
    for (int i = 0; i < 30; i++) { members[i] = 0.90f + 0.003f * i; non[i] = 0.905f + 0.003f * i; }
    non[0] = 0.0f;   // the one that decides
    for (int i = 0; i < 10; i++) targets[i] = 0.01f * i;
    double head = mia_efficacy(members, 30, non, 30, targets, 10, NULL);
    MiaBootstrap b;
    mia_bootstrap(members, 30, non, 30, targets, 10, head, 20, 11, &b);
    CHECK_CLOSE(head, 100.0, 0);
    CHECK(b.min < 50, "no resample flipped (min %g)", b.min);
    CHECK_EQ_INT(b.flip, 1);
    CHECK(b.flip_fraction > 0 && b.flip_fraction < 1, "flip fraction %g", b.flip_fraction);
}

static void add_mia_by_hand(void) {
    float forget[7], test[30];
    for (int i = 0; i < 7; i++) forget[i] = 0.02f;
    for (int i = 0; i < 30; i++) test[i] = 0.98f;
    int64_t n;
    double folds[2];
    CHECK_CLOSE(add_mia(forget, 7, test, 30, 1, &n, folds), 100.0, 0);   // separable
    CHECK_EQ_INT(n, 7);
    CHECK_CLOSE(folds[0], 100.0, 0);
    CHECK_CLOSE(folds[1], 100.0, 0);
    for (int i = 0; i < 30; i++) test[i] = 0.02f;
    // Identical features: every held-out point gets the same label, half of them right.
    CHECK_CLOSE(add_mia(forget, 7, test, 30, 1, &n, folds), 50.0, 1e-12);
    CHECK(isnan(add_mia(forget, 1, test, 30, 1, &n, folds)), "n < 2 -> NaN");
}

static void epsilon_by_hand(void) {
    double eps;
    CHECK_EQ_INT(ldp_epsilon(10, -0.5, 0.8, 0.2, &eps), 1);     // (10/-0.5)(1-4) + 1 - 10 = 51
    CHECK_CLOSE(eps, log(51.0), 1e-12);
    CHECK_EQ_INT(ldp_epsilon(2, -1.0, 0.7, 0.3, &eps), 1);      // (2/-1)(1-7/3) + 1 - 2 = 5/3
    CHECK_CLOSE(eps, log(5.0 / 3), 1e-12);
    CHECK_EQ_INT(ldp_epsilon(10, -0.5, 0.5, 0.5, &eps), 0);     // 0.5 - 0.5 (1 + 0.45) < 0
    CHECK(isnan(eps), "invalid -> NaN");
    CHECK_EQ_INT(ldp_epsilon(2, -1.0, 0.6, 0.4, &eps), 0);      // boundary: condition = 0, not > 0
    CHECK_EQ_INT(ldp_epsilon(10, 0.1, 0.8, 0.2, &eps), 0);      // alpha >= 0: not NLS
    CHECK_EQ_INT(ldp_epsilon(10, -0.5, 1.0, 0.0, &eps), 0);     // p = 1: gamma2 = 0
}

static void epsilon_through_metrics(void) {
    SampleRecord r[2] = {rec(SET_RETAIN, 0, 0, 0, 0.9f), rec(SET_FORGET, 1, 0, 0, 0.9f)};
    RecordSet rs = {r, 2};
    MetricsOptions o;
    metrics_options_quiet(&o);
    o.num_classes = 10;
    o.has_smoothing = 1;
    o.alpha = -0.5;
    o.p = 0.8;
    Metrics m;
    metrics_compute(&rs, &o, &m);
    CHECK_EQ_INT(m.ldp.computed, 1);
    CHECK_EQ_INT(m.ldp.valid, 1);
    CHECK_CLOSE(m.ldp.epsilon, log(51.0), 1e-12);
    o.alpha = 0.2;   // not NLS -> not computed, null
    metrics_compute(&rs, &o, &m);
    CHECK_EQ_INT(m.ldp.computed, 0);
    CHECK(isnan(m.ldp.epsilon), "alpha >= 0 -> null epsilon");
}

static void metrics_json_written(void) {
    char dir[] = "/tmp/ug_test_metrics_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    SampleRecord r[40];
    int n = 0;
    for (int i = 0; i < 20; i++) r[n++] = rec(SET_RETAIN, i, 0, 0, 0.9f + 0.004f * i);
    for (int i = 0; i < 10; i++) r[n++] = rec(SET_TEST, i, 0, i < 9 ? 0 : 1, 0.7f + 0.02f * i);
    for (int i = 0; i < 10; i++) r[n++] = rec(SET_FORGET, 100 + i, 0, 1, 0.01f * i);
    RecordSet rs = {r, n};
    MetricsOptions o;
    metrics_options_default(&o);
    o.mia_bootstrap = 5;
    Metrics m;
    metrics_compute(&rs, &o, &m);
    RunInfo run;
    run_info_init(&run);
    run.method = "ga";
    run.seed = 3;
    run.rte_s = 1.5;
    run.config_text = "[unlearn]\nlr = 0.01\n";
    run.split_path = "/nonexistent/split \"x\".h5";
    char path[512];
    snprintf(path, sizeof path, "%s/metrics.json", dir);
    metrics_write_json(path, &m, &o, &run);
    char* text = ug_read_file(path, NULL);
    double v;
    char buf[256];
    CHECK(json_find_number(text, "UA", &v) && fabs(v - 100.0) < 1e-9, "UA in metrics.json");
    CHECK(json_find_number(text, "rte_s", &v) && v == 1.5, "rte_s in metrics.json");
    CHECK(json_find_string(text, "method", buf, sizeof buf) && !strcmp(buf, "ga"), "method in metrics.json");
    CHECK(json_find_string(text, "split_name", buf, sizeof buf) && !strcmp(buf, "split \"x\".h5"), "split_name %s", buf);
    CHECK(strstr(text, "\"startup_s\": null") != NULL, "unknown timings are null");
    CHECK(strstr(text, "\"regions\": [") != NULL, "decision regions present");
    CHECK(strstr(text, "\"label\": \"non-member\"") != NULL, "a non-member region");
    free(text);
    unlink(path);
    rmdir(dir);
}


int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(record_fields_uniform_logits);
    TEST_CASE(record_fields_extreme_logits);
    TEST_CASE(accuracies_by_hand);
    TEST_CASE(mia_uses_drawn_retain_records);
    TEST_CASE(mia_efficacy_simple);
    TEST_CASE(mia_bootstrap_stable_and_seeded);
    TEST_CASE(mia_bootstrap_flags_flip);
    TEST_CASE(add_mia_by_hand);
    TEST_CASE(epsilon_by_hand);
    TEST_CASE(epsilon_through_metrics);
    TEST_CASE(metrics_json_written);
    return th_end();
}
