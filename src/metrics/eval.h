// eval.h — run a model over the sets of a split and produce the metrics (augmentation off, BN eval).
//
// Collective over g_dist.comm: every rank evaluates its shard of D_r, D_f, the test set (test_keep: the
// forgotten classes removed for class-wise splits) and val_keep, rank 0 gathers the per-sample records
// (records_gather), computes the metrics and writes metrics.json.  The unlearning command calls eval_run
// in-process after unlearning; `ugradsl eval` calls it after loading a checkpoint.
#pragma once
#include <stdint.h>

#include "data/dataset.h"
#include "data/split.h"
#include "metrics/metrics.h"
#include "metrics/records.h"
#include "nn/model.h"

typedef struct {
    int batch;          // samples per rank per step (default 256)
    int cache;          // 1: the loader reads each set into RAM first (small datasets)
    int include_val;    // 1 (default): also evaluate val_keep (VA)
} EvalConfig;

void eval_config_default(EvalConfig* c);

typedef struct {
    SampleRecord* recs;
    int64_t n, cap;
} RecordBuf;

// Appends this rank's records of one set: rows `subset[0..n)` of dataset split `split` ("train" / "test").
// Collective (all ranks pass the same subset).  n = 0 is allowed (nothing happens).
void eval_set_records(Model* m, Dataset* ds, const char* split, const int64_t* subset, int64_t n, SampleSet set,
                      const EvalConfig* ec, RecordBuf* out);

// Evaluates D_r, D_f, test_keep (and val_keep) on every rank and gathers: on rank 0 *all holds every record
// sorted by (set, index) (caller frees all->recs); elsewhere it is empty.  BN running statistics are first
// broadcast from rank 0 so every rank evaluates the same model.  Collective.
void eval_collect(Model* m, Dataset* ds, const Split* s, const EvalConfig* ec, RecordSet* all);

// The whole evaluation: eval_collect, then on rank 0 metrics_compute and metrics_write_json.  On rank 0:
// fills *out (if not NULL) and writes json_path (if not NULL), with run->eval_s set to the measured time.  Options with num_classes = 0 take the model's.
void eval_run(Model* m, Dataset* ds, const Split* s, const EvalConfig* ec, const MetricsOptions* mo,
              const RunInfo* run, const char* json_path, Metrics* out);
