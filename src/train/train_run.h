// train_run.h — the whole training run behind `ugradsl train` (also used by `unlearn --method retrain`):
// data, model, data-parallel SGD epochs, evaluation, metrics log, periodic / final / on-signal checkpoints,
// exact resume.  Files in out_dir (docs/TRAINING.md):
//   model.h5        final model (+ optimizer and state: a checkpoint that `--resume` accepts too)
//   checkpoint.h5   the latest periodic / on-signal checkpoint
//   metrics.jsonl   one JSON object per epoch (train loss/acc, lr, eval accuracies, timings)
//   train.json      summary (final accuracies, wall time, images/s, compute / all-reduce / data-wait split)
#pragma once

#include <stdint.h>

#include "common/opts.h"
#include "data/dataset.h"
#include "data/split.h"
#include "nn/model.h"

typedef struct {
    const char* data;            // dataset .h5
    const char* split;           // split .h5 or NULL
    int on_retain;               // 1: train on D_r (the Retrain baseline); 0: train \ val
    const char* out_dir;
    const char* json_path;       // --json FILE: a copy of train.json (NULL: none)
    ModelConfig model;           // arch, width, imagenet_stem; classes and input size come from the dataset
    Backend backend;
    int device;                  // 0 cpu, 1 cuda (src/gpu/gpu_setup.h)
    int epochs, batch;           // batch = global batch (summed over ranks)
    double lr, momentum, weight_decay;
    int nesterov;
    const char* schedule;        // constant | multistep | cosine
    const char* milestones;      // "80,120" (multistep, epochs)
    double gamma;
    double warmup_epochs;
    double clip_norm;
    const char* augment;         // auto | none | crop-flip | rrc-flip
    int pad;
    uint64_t seed;
    int eval_every;              // epochs between evaluations (0: only at the end)
    int checkpoint_every;        // epochs between checkpoints (0: none besides the final one / signals)
    int64_t checkpoint_every_steps;
    const char* resume;          // checkpoint to continue from, or NULL
    int64_t stop_after_steps;    // debug: checkpoint and exit 75 after this many global steps
    int cache;                   // loader: 1 keep the training images in RAM, 0 stream, -1 auto
    int eval_batch;
    const char* config_text;     // the run's options as INI text (stored in checkpoints)
    const OptSpec* options;      // the same options for train.json's "options" (NULL: not written)
    int drop_last;
    // Optional, already open (a command context: src/cmd/cmd_context.h): the run uses them and leaves them open.
    // NULL: the run opens `data` (and loads `split`) itself.
    Dataset* dataset;
    const Split* split_set;      // loaded from `split` for `dataset`
} TrainRunConfig;

// The option checks of a run (required paths, epochs, batch, lr, --on retain needs a split): dies with one line.
// train_run calls it first; a command calls it before it opens the data, so a bad option is reported first.
void train_run_check(const TrainRunConfig* c);

// Runs it: setup (data, model, loaders, optimizer, resume, device), the epochs, the summary (model.h5,
// train.json).  Returns 0, TRAIN_EXIT_REQUEUE (75) after a signal / stop_after_steps checkpoint, or
// UG_EXIT_DIVERGED (3, train/divergence.h) when the divergence guard stopped it (model.h5 is then the last finite
// state and train.json says "diverged": true with the reason).  Collective.
int train_run(const TrainRunConfig* c);
