// checkpoint.h — model / optimizer / run state in one HDF5 file (docs/TRAINING.md "Checkpoint format").
//
//   /            attrs  format = "ugradsl-checkpoint", format_version, checksum (hash of every array below)
//   /model       attrs  arch, width, num_classes, in_h, in_w, in_c, imagenet_stem (and no_bn = 1 for test models)
//                one dataset per tensor under its torchvision name and layout (conv OIHW, linear [out][in]),
//                float32; BN num_batches_tracked as a 0-dim int64 (as PyTorch)
//   /optimizer   momentum_buffer float32 [num_params] in the order of the model's tensor table (optional)
//                attrs lr, momentum, weight_decay, nesterov
//   /state       attrs epoch, step_in_epoch, global_step, seed, world_size
//   /config      attr  run_config (the run's effective options as INI text)
//
// Written by rank 0 only, atomically (temp file + fsync + rename).  Loading validates everything and dies
// with one clear line: not HDF5 / truncated, not a checkpoint, newer format, another model, checksum mismatch.
#pragma once
#include <stdint.h>

#include "nn/model.h"
#include "nn/optim.h"

#define CHECKPOINT_FORMAT_VERSION 1

typedef struct {
    int64_t epoch;           // the epoch to continue with
    int64_t step_in_epoch;   // global steps already done in that epoch
    int64_t global_step;     // steps done since the start
    uint64_t seed;
    int world_size;          // ranks of the run that wrote it (bit-identical resume needs the same count)
    double lr;               // lr of the last step (information)
} TrainState;

// opt, st, config_text may be NULL (a plain model file).
void checkpoint_save(const char* path, const Model* m, const Sgd* opt, const TrainState* st, const char* config_text);
// Reads the model config of a checkpoint (to create the model).  Dies when it is not a readable checkpoint.
void checkpoint_read_config(const char* path, ModelConfig* cfg);
// Loads parameters and buffers into m (which must match the file's config) and, when given, the optimizer
// buffer and the state.  opt != NULL requires the file to hold an optimizer buffer.
void checkpoint_load(const char* path, Model* m, Sgd* opt, TrainState* st);
// The run config text stored in the file (malloc'd, "" when absent).
char* checkpoint_read_config_text(const char* path);
// 1 when path is an HDF5 file with our format attribute (no error printed otherwise).
int checkpoint_is_valid(const char* path);
