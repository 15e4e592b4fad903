// report.h — `ugradsl report`: gather metrics.json files, group by (split, method), mean ± std over seeds,
// Avg. Gap against the Retrain rows of the same split; Markdown / CSV / JSON tables (docs/METRICS.md).
// Library functions return 0 with a one-line message in err instead of dying, so tests can check errors.
#pragma once
#include <stdint.h>
#include <stdio.h>

// The per-run values a report uses (REPORT_NUM_VALUES numbers, NaN when absent / null).
// RV_THR_*: the logit-confidence threshold attack on D_f vs the test set (AUC, TPR at 1% / 0.1% FPR; fractions).
enum { RV_UA, RV_MIA, RV_RA, RV_TA, RV_ADD_MIA, RV_RTE, RV_STARTUP, RV_EPSILON, RV_MIA_LO, RV_MIA_HI,
       RV_THR_AUC, RV_THR_TPR_1E2, RV_THR_TPR_1E3, REPORT_NUM_VALUES };
extern const char* const REPORT_VALUE_KEYS[REPORT_NUM_VALUES];   // "UA", "MIA", ..., "rte_s", ...

typedef struct {
    char path[4096];
    char method[64];
    char split[4096];        // the grouping key (absolute split path, or split_name when no path)
    char split_name[256];
    int64_t seed;            // -1 when null
    int world_size;
    int diverged;
    int mia_flip;            // the run's MIA bootstrap flipped the verdict
    double v[REPORT_NUM_VALUES];
    char model_hash[32];     // "model_hash" of metrics.json: the model it evaluated ("" when not recorded)
    char beside_hash[32];    // the model hash of the model.h5 beside it (caller fills; "" when none / not recorded)
    int model_mismatch;      // report_check_provenance: metrics of another model than the model.h5 beside them
    int copy_of;             // report_check_provenance: index of an earlier run with the same model hash (-1: none)
} RunMetrics;

// Reads one metrics.json.  Returns 1, or 0 with "FILE: what is wrong" in err.
int report_load_run(const char* path, RunMetrics* out, char* err, size_t err_cap);

// Finds metrics.json files under each root (recursively; a root may also be a metrics.json file itself),
// sorted by path, duplicates removed.  Returns 1, or 0 with the reason in err (a root that does not exist,
// or roots holding no metrics.json at all).  *paths: malloc'd array of malloc'd strings.
int report_find_files(char* const* roots, int n_roots, char*** paths, int* n_paths, char* err, size_t err_cap);

// Marks the runs whose metrics.json names another model than the model.h5 beside it (model_mismatch) and the runs
// of a split that evaluated the same model as an earlier run (copy_of: a copied folder is no second seed).
// Returns the number of such runs; err gets one line naming the first of each kind.
int report_check_provenance(RunMetrics* runs, int n_runs, char* err, size_t err_cap);

typedef struct {
    char method[64];
    char split[4096];
    char split_name[256];
    int runs;
    int suspect_runs;                      // runs marked by report_check_provenance (kept by --keep-suspect)
    int diverged_runs, mia_flip_runs;
    int n[REPORT_NUM_VALUES];             // runs with a value
    double mean[REPORT_NUM_VALUES], std[REPORT_NUM_VALUES];   // std with n-1 (0 for one run); NaN when n = 0
    double avg_gap;      // mean |mean - Retrain's mean| over UA, MIA, RA, TA (+ Add. MIA when both have it)
    double avg_gap_4;    // the same over UA, MIA, RA, TA only (the paper's Table 1)
    double avg_gap_std;  // std (n-1) over seeds of each run's own Avg. Gap to Retrain's means (error bars)
    int is_retrain;
} ReportRow;

typedef struct {
    ReportRow* rows;     // grouped by split (first-seen order of sorted paths), then by method order
    int n;
    int splits_without_retrain;
} Report;

// Groups runs, computes means / stds / gaps.  Warns (stderr) about splits without Retrain rows and about
// duplicate (split, method, seed) runs.
void report_build(const RunMetrics* runs, int n_runs, Report* out);
void report_free(Report* r);

void report_write_markdown(FILE* f, const Report* r);
void report_write_csv(FILE* f, const Report* r);
void report_write_json(FILE* f, const Report* r);   // array of objects: method UA MIA RA TA avg_gap rte_s + _std ...
