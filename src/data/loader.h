// loader.h — sharded, deterministic, prefetching batch streams over one split of a dataset.
//
// Each global batch is a pure function of (seed, epoch, step): the epoch's order is a permutation drawn from
// Rng(seed, RNG_SHUFFLE, epoch); global batch `step` is positions [step·B, (step+1)·B) of it, and rank r of W
// takes its contiguous slice of that batch (sizes differ by at most one).  Every sample is seen exactly once
// per epoch across ranks; the last, short global batch is kept unless drop_last (docs/DATA.md).
// Augmentation draws from Rng(seed, RNG_AUGMENT, epoch, sample index), so it does not depend on rank count.
// A prefetch thread prepares the next batch while the caller computes on the current one.
#pragma once
#include <stdint.h>

#include "data/dataset.h"

typedef enum { AUG_NONE = 0, AUG_CROP_FLIP = 1, AUG_RRC_FLIP = 2 } Augment;  // 32px-style / ImageNet-style

typedef struct {
    const char* split;        // "train", "val", "test"
    const int64_t* subset;    // indices into the split (e.g. the retain set); NULL = the whole split
    int64_t subset_n;
    int global_batch;         // samples per step summed over ranks
    int shuffle;              // 0: index order (eval)
    int drop_last;
    Augment augment;
    int pad;                  // AUG_CROP_FLIP padding (default 4)
    int out_h, out_w;         // output size (0 = stored size; JPEG mode / eval: resize + centre crop)
    uint64_t seed;
    int cache;                // 1: read the subset into RAM once (small datasets); 0: stream from HDF5
} LoaderConfig;

typedef struct {
    int n;                    // samples on this rank in this step (may be 0 on some ranks)
    int h, w, c;
    float* x;                 // [n,h,w,c], normalised by the dataset mean/std
    int32_t* y;               // [n]
    int64_t* index;           // [n] indices into the split (not the subset)
} Batch;

typedef struct Loader Loader;
Loader* loader_create(Dataset* ds, const LoaderConfig* cfg, int rank, int world);
void loader_destroy(Loader* l);
int64_t loader_steps_per_epoch(const Loader* l);      // global steps (same on every rank)
void loader_start_epoch(Loader* l, int epoch);        // may be called again to restart / seek
void loader_seek(Loader* l, int epoch, int64_t step); // resume mid-epoch
// Fills *b with this rank's part of the next global step.  Returns 0 when the epoch is over.
// The batch stays valid until the next call.
int loader_next(Loader* l, Batch* b);

// Paired retain/forget stream for the unlearning methods: |B_f| = |B_r| = global_batch; the set that does not
// define the epoch is cycled (reshuffled each time it wraps).
typedef enum { EPOCH_BY_RETAIN = 0, EPOCH_BY_FORGET = 1 } EpochBy;
typedef struct PairedLoader PairedLoader;
PairedLoader* paired_create(Dataset* ds, const LoaderConfig* retain_cfg, const LoaderConfig* forget_cfg,
                            EpochBy by, int rank, int world);
void paired_destroy(PairedLoader* p);
int64_t paired_steps_per_epoch(const PairedLoader* p);
void paired_start_epoch(PairedLoader* p, int epoch);
int paired_next(PairedLoader* p, Batch* retain, Batch* forget);
