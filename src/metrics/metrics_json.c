// metrics_json.c — metrics.json: the metrics, their stability and the run's facts (docs/METRICS.md lists the keys).
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/json.h"
#include "common/util.h"
#include "metrics/metrics.h"

#define METRICS_FORMAT_VERSION 1

void run_info_init(RunInfo* r) {
    memset(r, 0, sizeof *r);
    r->seed = -1;
    r->world_size = 1;
    r->rte_s = r->startup_s = r->compute_s = r->allreduce_s = r->data_wait_s = r->eval_s = NAN;
    r->epochs = r->steps = -1;
}

static const char* base_name(const char* path) {
    const char* s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static void write_set_counts(JsonWriter* j, const Metrics* m) {
    json_obj_open(j, "counts");
    for (int s = 0; s < SET_COUNT; s++) json_int(j, sample_set_name(s), m->n[s]);
    json_obj_close(j);
    json_obj_open(j, "accuracy");
    for (int s = 0; s < SET_COUNT; s++) json_num(j, sample_set_name(s), m->acc[s]);
    json_obj_close(j);
    json_obj_open(j, "mean_loss");
    for (int s = 0; s < SET_COUNT; s++) json_num(j, sample_set_name(s), m->mean_loss[s]);
    json_obj_close(j);
}

// The grid labels as intervals: [{"from": 0, "to": 0.37, "label": "non-member"}, ...].
static void write_regions(JsonWriter* j, const uint8_t* grid) {
    json_arr_open(j, "regions");
    int start = 0;
    for (int g = 1; g <= MIA_GRID; g++) {
        if (g < MIA_GRID && grid[g] == grid[start]) continue;
        json_obj_open(j, NULL);
        json_num(j, "from", (double)start / (MIA_GRID - 1));
        json_num(j, "to", (double)(g - 1) / (MIA_GRID - 1));
        json_str(j, "label", grid[start] ? "member" : "non-member");
        json_obj_close(j);
        start = g;
    }
    json_arr_close(j);
}

// How the members were drawn (mia_members.h), so a reader can check the class balance.
static void write_member_draw(JsonWriter* j, const Metrics* m) {
    json_obj_open(j, "member_sampling");
    json_str(j, "method", "stratified by class like D_r; within a class the smallest Rng(seed, MISC, MEMB, index)");
    json_int(j, "seed", (int64_t)m->mia_member_seed);
    json_int(j, "drawn", m->mia_members);
    json_arr_open(j, "per_class");
    for (int c = 0; c < m->mia_member_classes && c < MIA_CLASSES_KEPT; c++) json_int(j, NULL, m->mia_member_per_class[c]);
    json_arr_close(j);
    json_obj_close(j);
}

static void write_roc(JsonWriter* j, const char* key, const RocSummary* r) {
    json_obj_open(j, key);
    json_int(j, "positives", r->positives);
    json_int(j, "negatives", r->negatives);
    json_num(j, "auc", r->auc);
    json_num(j, "tpr_at_fpr_1e-2", r->tpr_at_1pct);
    json_num(j, "tpr_at_fpr_1e-3", r->tpr_at_01pct);
    json_obj_open(j, "roc");
    json_arr_open(j, "fpr");
    for (int g = 0; g < ROC_GRID; g++) json_num(j, NULL, r->fpr[g]);
    json_arr_close(j);
    json_arr_open(j, "tpr");
    for (int g = 0; g < ROC_GRID; g++) json_num(j, NULL, r->tpr[g]);
    json_arr_close(j);
    json_obj_close(j);
    json_obj_close(j);
}

// Threshold attacks (attack_threshold.h): AUC and TPR as fractions, the ROC on a log-spaced FPR grid.
static void write_threshold(JsonWriter* j, const Metrics* m) {
    if (!m->threshold_computed) {
        json_null(j, "threshold");
        return;
    }
    json_obj_open(j, "threshold");
    for (int s = 0; s < THR_SCORES; s++) {
        json_obj_open(j, threshold_score_name(s));
        for (int p = 0; p < THR_PAIRS; p++) write_roc(j, threshold_pair_name(p), &m->threshold[s][p]);
        json_obj_close(j);
    }
    json_obj_close(j);
}

static void write_mia(JsonWriter* j, const Metrics* m, const MetricsOptions* o) {
    json_obj_open(j, "mia");
    json_str(j, "feature", "confidence");
    json_num(j, "efficacy", m->MIA);
    json_int(j, "members", m->mia_members);
    json_int(j, "nonmembers", m->mia_nonmembers);
    write_member_draw(j, m);
    json_str(j, "svc", "libsvm C_SVC rbf C=3 gamma=1/n_features eps=1e-3 shrinking=1 cache=200MB");
    json_obj_open(j, "extras");
    json_num(j, "entropy", m->mia_entropy);
    json_num(j, "m_entropy", m->mia_m_entropy);
    json_num(j, "correctness", m->mia_correctness);
    json_obj_close(j);
    write_threshold(j, m);
    json_obj_open(j, "stability");
    int has_fit = isfinite(m->MIA);
    if (has_fit) {
        json_num(j, "grid_step", 1.0 / (MIA_GRID - 1));
        write_regions(j, m->mia_grid);
    } else {
        json_null(j, "regions");
    }
    const MiaBootstrap* b = &m->mia_boot;
    json_obj_open(j, "bootstrap");
    json_int(j, "resamples", b->resamples);
    json_int(j, "seed", (int64_t)o->seed);
    json_num(j, "mean", b->mean);
    json_num(j, "std", b->std);
    json_num(j, "lo", b->lo);
    json_num(j, "hi", b->hi);
    json_num(j, "min", b->min);
    json_num(j, "max", b->max);
    json_num(j, "flip_fraction", b->flip_fraction);
    json_obj_close(j);
    if (b->resamples > 0) json_bool(j, "flip", b->flip);
    else json_null(j, "flip");
    json_obj_close(j);
    json_obj_close(j);
}

static void write_add_mia(JsonWriter* j, const Metrics* m) {
    json_obj_open(j, "add_mia");
    json_num(j, "accuracy", m->add_MIA);
    json_int(j, "per_class", m->add_mia_n);
    json_int(j, "folds", 2);
    json_arr_open(j, "fold_accuracy");
    json_num(j, NULL, m->add_mia_fold[0]);
    json_num(j, NULL, m->add_mia_fold[1]);
    json_arr_close(j);
    json_obj_close(j);
}

static void write_ldp(JsonWriter* j, const Metrics* m) {
    const LdpResult* l = &m->ldp;
    json_obj_open(j, "label_ldp");
    json_bool(j, "computed", l->computed);
    json_int(j, "K", l->K);
    json_num(j, "alpha", l->alpha);
    json_num(j, "gamma1", l->gamma1);
    json_num(j, "gamma2", l->gamma2);
    json_bool(j, "valid", l->computed && l->valid);
    json_num(j, "epsilon", l->epsilon);
    json_obj_close(j);
}

static void write_run(JsonWriter* j, const RunInfo* r) {
    json_str(j, "method", r->method);
    if (r->seed >= 0) json_int(j, "seed", r->seed);
    else json_null(j, "seed");
    json_int(j, "world_size", r->world_size);
    char abs_split[PATH_MAX];
    const char* split = r->split_path;
    if (split && realpath(split, abs_split)) split = abs_split;
    json_str(j, "split", split);
    json_str(j, "split_name", r->split_name ? r->split_name : split ? base_name(split) : NULL);
    json_str(j, "model", r->model_path);
    json_str(j, "model_hash", r->model_hash && *r->model_hash ? r->model_hash : NULL);
    if (r->model_method) json_str(j, "model_method", *r->model_method ? r->model_method : NULL);
    json_str(j, "dataset", r->dataset_path);
    json_bool(j, "diverged", r->diverged);
    json_str(j, "diverged_reason", r->diverged ? r->diverged_reason : NULL);
    if (r->epochs >= 0) json_int(j, "epochs", r->epochs);
    if (r->steps >= 0) json_int(j, "steps", r->steps);
    json_obj_open(j, "timing");
    json_num(j, "rte_s", r->rte_s);
    json_num(j, "startup_s", r->startup_s);
    json_num(j, "compute_s", r->compute_s);
    json_num(j, "allreduce_s", r->allreduce_s);
    json_num(j, "data_wait_s", r->data_wait_s);
    json_num(j, "eval_s", r->eval_s);
    json_obj_close(j);
}

void metrics_write_json(const char* path, const Metrics* m, const MetricsOptions* o, const RunInfo* run) {
    AtomicFile af;
    atomic_open(&af, path);
    JsonWriter j;
    json_begin(&j, af.f, 1);
    json_obj_open(&j, NULL);
    json_str(&j, "format", "ugradsl-metrics");
    json_int(&j, "format_version", METRICS_FORMAT_VERSION);
    write_run(&j, run);
    // The headline numbers (percent), flat, as `ugradsl report` reads them.
    json_obj_open(&j, "metrics");
    json_num(&j, "UA", m->UA);
    json_num(&j, "MIA", m->MIA);
    json_num(&j, "RA", m->RA);
    json_num(&j, "TA", m->TA);
    json_num(&j, "add_MIA", m->add_MIA);
    json_num(&j, "VA", m->VA);
    json_num(&j, "epsilon", m->ldp.epsilon);
    json_obj_close(&j);
    write_set_counts(&j, m);
    write_mia(&j, m, o);
    write_add_mia(&j, m);
    write_ldp(&j, m);
    json_str(&j, "config", run->config_text);
    if (run->options) opts_write_json(&j, "options", run->options);
    json_obj_close(&j);
    json_end(&j);
    UG_CHECK(!ferror(af.f), "writing %s failed (disk full?)", path);
    atomic_commit(&af);
}
