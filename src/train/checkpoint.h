// checkpoint.h — model / optimizer / run state in one HDF5 file (docs/TRAINING.md "Checkpoint format").
//
//   /            attrs  format = "ugradsl-checkpoint", format_version, checksum (hash of every array below and,
//                       from version 2, of every /provenance attribute and the run config), model_hash
//   /model       attrs  arch, width, num_classes, in_h, in_w, in_c, imagenet_stem (and no_bn = 1 for test models)
//                one dataset per tensor under its torchvision name and layout (conv OIHW, linear [out][in]),
//                float32; BN num_batches_tracked as a 0-dim int64 (as PyTorch)
//   /optimizer   momentum_buffer float32 [num_params] in the order of the model's tensor table (optional)
//                attrs lr, momentum, weight_decay, nesterov
//   /state       attrs epoch, step_in_epoch, global_step, seed, world_size
//   /config      attr  run_config (the run's effective options as INI text)
//   /provenance  attrs  method, parent_model_hash, split_hash, split, dataset_id, dataset (version 2; each optional)
//
// The model hash (checkpoint_model_hash) is FNV-1a 64 of the parameters and buffers only: it names the model's
// values, so it is the same for model.h5 and for a copy with other provenance or without an optimizer.
//
// Written by rank 0 only, atomically (temp file + fsync + rename).  Loading validates everything and dies
// with one clear line: not HDF5 / truncated, not a checkpoint, newer format, another model, checksum mismatch.
#pragma once
#include <stdint.h>

#include "nn/model.h"
#include "nn/optim.h"

#define CHECKPOINT_FORMAT_VERSION 2   // 2: /provenance and the run config inside the checksum; 1 still loads

enum { MODEL_HASH_CHARS = 17 };      // 16 hex digits + NUL

typedef struct {
    int64_t epoch;           // the epoch to continue with
    int64_t step_in_epoch;   // global steps already done in that epoch
    int64_t global_step;     // steps done since the start
    uint64_t seed;
    int world_size;          // ranks of the run that wrote it (bit-identical resume needs the same count)
    double lr;               // lr of the last step (information)
} TrainState;

// Where a model comes from (all fields may be NULL: not recorded).
typedef struct {
    const char* method;        // "original" (train --on all), "retrain" (--on retain), the unlearning method / label
    const char* parent_hash;   // model hash of the model it started from (unlearn: --model); NULL for train
    const char* split_hash;    // provenance_split_hash (src/train/provenance.h) of the split it used
    const char* split_path;
    const char* dataset_id;    // provenance_dataset_id: what the dataset is, independent of its path
    const char* dataset_path;
    const char* config_text;   // the run's effective options as INI text
} Provenance;

// What checkpoint_read_provenance found (strings "" when absent).
typedef struct {
    int format_version;        // 1: written before provenance existed (everything below is "")
    char model_hash[MODEL_HASH_CHARS];   // as recorded (version 2)
    char method[64];
    char parent_hash[MODEL_HASH_CHARS];
    char split_hash[MODEL_HASH_CHARS];
    char split_path[1024];
    char dataset_id[512];
    char dataset_path[1024];
} CheckpointProvenance;

// opt, st, config_text may be NULL (a plain model file).  Records no method (checkpoint_save_with does).
void checkpoint_save(const char* path, const Model* m, const Sgd* opt, const TrainState* st, const char* config_text);
// The same with provenance (prov may be NULL).
void checkpoint_save_with(const char* path, const Model* m, const Sgd* opt, const TrainState* st,
                          const Provenance* prov);
// The model hash of m's parameters and buffers as 16 hex digits (host arrays; see the note at the top).
void checkpoint_model_hash(const Model* m, char out[MODEL_HASH_CHARS]);
// Reads the provenance attributes without loading tensors (the checksum is checked by checkpoint_load).  Dies
// when path is not a readable checkpoint.
void checkpoint_read_provenance(const char* path, CheckpointProvenance* out);
// The model_hash attribute of a checkpoint: 1 read, 0 absent (version 1) or not a readable checkpoint.  Never dies.
int checkpoint_read_model_hash(const char* path, char out[MODEL_HASH_CHARS]);
// Reads the model config of a checkpoint (to create the model).  Dies when it is not a readable checkpoint.
void checkpoint_read_config(const char* path, ModelConfig* cfg);
// Loads parameters and buffers into m (which must match the file's config) and, when given, the optimizer
// buffer and the state.  opt != NULL requires the file to hold an optimizer buffer.
void checkpoint_load(const char* path, Model* m, Sgd* opt, TrainState* st);
// The run config text stored in the file (malloc'd, "" when absent).
char* checkpoint_read_config_text(const char* path);
// 1 when path is an HDF5 file with our format attribute (no error printed otherwise).
int checkpoint_is_valid(const char* path);
