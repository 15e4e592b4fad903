// metrics.h — UA / RA / TA, MIA-efficacy (+ stability, extras), Add. MIA and the label-LDP epsilon from the
// gathered per-sample records, and metrics.json.  Definitions: docs/METRICS.md (METHOD.md §4).
//
// In-process use after unlearning (every rank):
//     SampleRecord* mine = ...;  // this rank's shard, e.g. from eval_model_records (eval.h)
//     RecordSet all;  records_gather(mine, n, 0, g_dist.comm, &all);
//     if (g_dist.rank == 0) { Metrics m; metrics_compute(&all, &opts, &m); metrics_write_json(path, &m, &opts, &run); }
#pragma once
#include <stdint.h>

#include "common/opts.h"
#include "metrics/attack_threshold.h"
#include "metrics/mia.h"
#include "metrics/records.h"

#define MIA_CLASSES_KEPT 1024   // per-class member counts kept in Metrics (ImageNet has 1000 classes)

typedef struct {
    int num_classes;        // K (for epsilon); 0 = unknown
    uint64_t seed;          // member draw, bootstrap and Add. MIA sampling
    int mia_bootstrap;      // resamples for the MIA stability interval (default 20; 0 = off)
    int mia_extras;         // 1: also the entropy / modified-entropy / correctness attacks (default 1)
    int add_mia;            // 1: Add. MIA (default 1)
    int mia_threshold;      // 1: the confidence / logit-confidence threshold attacks (default 1)
    // Label-LDP epsilon (Theorem 3), for NLS runs: computed when has_smoothing and alpha < 0.
    int has_smoothing;
    double alpha, p;        // smooth rate and the retain weight of Eq. 8 (gamma1 = p, gamma2 = 1 - p)
} MetricsOptions;

void metrics_options_default(MetricsOptions* o);

typedef struct {
    int computed;           // 1 when the run is NLS (alpha < 0) and K, p are known
    int valid;              // Theorem 3's condition gamma1 - gamma2 (1 + (1-K) alpha / K) > 0
    int K;
    double alpha, gamma1, gamma2;
    double epsilon;         // NaN unless computed && valid
} LdpResult;

typedef struct {
    int64_t n[SET_COUNT];   // records per set
    int64_t correct[SET_COUNT];
    double acc[SET_COUNT];  // percent; NaN for an empty set
    double mean_loss[SET_COUNT];
    double UA, RA, TA, VA;  // UA = 100 - acc(D_f); VA = val accuracy (NaN without val records)
    // MIA-efficacy (confidence feature) and its stability
    double MIA;
    int64_t mia_members, mia_nonmembers;
    // The member draw (mia_members.h): its seed, and the drawn count per class (the first MIA_CLASSES_KEPT).
    uint64_t mia_member_seed;
    int mia_member_classes;
    int64_t mia_member_per_class[MIA_CLASSES_KEPT];
    uint8_t mia_grid[MIA_GRID];   // fitted labels on [0, 1]: 1 member, 0 non-member
    MiaBootstrap mia_boot;
    double mia_entropy, mia_m_entropy, mia_correctness;   // extras (NaN when off)
    // Threshold attacks (attack_threshold.h) per score and pair; computed when mia_threshold is on.
    int threshold_computed;
    RocSummary threshold[THR_SCORES][THR_PAIRS];
    // Add. MIA
    double add_MIA;
    int64_t add_mia_n;      // samples per class
    double add_mia_fold[2];
    LdpResult ldp;
} Metrics;

// Rank 0: all metrics from the records sorted by (set, index) (any order; records_gather output is already sorted).
void metrics_compute(const RecordSet* rs, const MetricsOptions* o, Metrics* m);

// Theorem 3: eps = |log((K/alpha)(1 - g1/g2) + 1 - K)| for alpha < 0; returns 1 and sets *eps when valid
// (g2 > 0 and g1 - g2 (1 + (1-K) alpha / K) > 0), else 0 and *eps = NaN.
int ldp_epsilon(int K, double alpha, double gamma1, double gamma2, double* eps);

// What the caller knows about the run; written into metrics.json beside the metrics.  NaN / NULL -> null.
typedef struct {
    const char* method;        // "ugradsl", "retrain", "original", ...
    int64_t seed;
    int world_size;
    double rte_s;              // wall time of the unlearning phase alone
    double startup_s;          // MPI + HDF5 open + checkpoint load
    double compute_s, allreduce_s, data_wait_s;
    double eval_s;             // this evaluation
    const char* config_text;   // the effective configuration (INI text)
    const OptSpec* options;    // the command's options with their effective values (NULL: not written)
    const char* split_path;    // grouped on by `ugradsl report` (stored as an absolute path when it exists)
    const char* split_name;    // optional label for the report (default: the split file's name)
    const char* model_path;
    const char* model_hash;    // checkpoint_model_hash of the evaluated model (NULL: not known -> null)
    const char* model_method;  // the method its checkpoint records (eval; NULL: not written)
    const char* dataset_path;
    int diverged;              // 1: the method diverged (NaN/Inf or a collapsed model); metrics describe that model
    const char* diverged_reason;
    int64_t epochs, steps;     // -1 = unknown
} RunInfo;

void run_info_init(RunInfo* r);

// Writes metrics.json atomically (temp + fsync + rename).  Rank 0 only.
void metrics_write_json(const char* path, const Metrics* m, const MetricsOptions* o, const RunInfo* run);
// One-line summary on stderr (rank 0): "UA .. MIA .. RA .. TA .. Add.MIA .."
void metrics_log(const Metrics* m, const char* method);
