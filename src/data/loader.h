// loader.h — sharded, deterministic, prefetching batch streams over one split of a dataset (docs/LOADER.md).
//
// Each global batch is a pure function of (seed, epoch, step): the epoch's order is a permutation drawn from
// Rng(seed, RNG_SHUFFLE, epoch, stream); global batch `step` is positions [step·B, (step+1)·B) of it, and rank r
// of W takes its contiguous slice of that batch (sizes differ by at most one; the first B % W ranks get the
// larger ones).  Every sample is seen exactly once per epoch across ranks.
// Last batch: the short final global batch (n % B samples) is kept and sliced the same way, unless drop_last
// (then those samples are skipped this epoch; the next epoch's order is new, so no sample is skipped for good).
// A rank whose slice is empty (e.g. 2 samples on 3 ranks) gets a batch with n = 0 and loader_next still
// returns 1, so all ranks take the same number of steps and collectives stay matched.
// Augmentation draws from Rng(seed, RNG_AUGMENT, pass, sample index) (pass = the epoch for a single stream), so
// it does not depend on the rank count.
// Prefetch worker threads (cfg.workers, default 1) transform the next batch while the caller computes on the
// current one, each a share of its samples; they never call HDF5 or MPI (the HDF5 reads happen inside loader_next on the caller's thread).  Batches are identical with
// and without the thread.  Call the loader from one thread only.
#pragma once
#include <stdint.h>

#include "data/dataset.h"

typedef enum { AUG_NONE = 0, AUG_CROP_FLIP = 1, AUG_RRC_FLIP = 2 } Augment;  // 32px-style / ImageNet-style

// --augment NAME: auto (JPEG mode: rrc-flip; decoded: crop+flip for RGB images of 32 px and more, none
// otherwise), none, crop-flip, rrc-flip.  Dies on an unknown name.
Augment augment_pick(const char* name, const DatasetInfo* info);

// The model input (= loader output) size for a dataset: the stored size in decoded mode; JPEG mode (sizes
// vary) LOADER_JPEG_CROP square: train RandomResizedCrop(224), evaluation Resize(256) + CenterCrop(224).
#define LOADER_JPEG_CROP 224
void loader_input_size(const DatasetInfo* info, int* h, int* w);
// Worker threads per rank for LoaderConfig.workers: UG_LOADER_WORKERS when set; JPEG mode: the node's cores
// divided by the ranks on the node (decoding is the bottleneck; with --device cuda those cores are otherwise
// idle); decoded mode 1.  The batches do not depend on it.
int loader_auto_workers(const DatasetInfo* info, int ranks_on_node);

typedef struct {
    const char* split;        // "train", "val", "test"
    const int64_t* subset;    // indices into the split (e.g. the retain set); NULL = the whole split (copied)
    int64_t subset_n;
    int global_batch;         // samples per step summed over ranks
    int shuffle;              // 0: index order (eval)
    int drop_last;
    Augment augment;          // train only; AUG_NONE for eval (resize + centre crop when out size != stored)
    int pad;                  // AUG_CROP_FLIP zero padding: 0 = default 4, < 0 = none
    int out_h, out_w;         // output size (0 = stored size; JPEG mode with varying sizes: required)
    uint64_t seed;
    int cache;                // 1: read the subset into RAM once (small datasets); 0: stream from HDF5
    int no_prefetch;          // 1: prepare each batch inside loader_next (no thread); same batches either way
    int workers;              // threads that transform the next batch (decode JPEGs) while the caller computes;
                              // 0 = 1.  Same batches for any count (paired streams: the retain config's count)
    float resize_ratio;       // eval resize + centre crop: shorter side → out·resize_ratio (0: 256/224)
    int full_decode;          // JPEG mode: decode whole images (the reference) instead of only the crop's region
} LoaderConfig;

typedef struct {
    int n;                    // samples on this rank in this step (may be 0 on some ranks)
    int h, w, c;
    float* x;                 // [n,h,w,c], normalised by the dataset mean/std
    int32_t* y;               // [n]
    int64_t* index;           // [n] indices into the split (not the subset)
} Batch;

typedef struct Loader Loader;
// Call loader_create / loader_destroy on all ranks together (they open and close HDF5 objects of a file that
// may be open with MPI-IO); loader_next's reads are independent.  cfg.cache reads the subset into RAM now.
Loader* loader_create(Dataset* ds, const LoaderConfig* cfg, int rank, int world);
void loader_destroy(Loader* l);
int64_t loader_steps_per_epoch(const Loader* l);      // global steps (same on every rank)
void loader_start_epoch(Loader* l, int epoch);        // may be called again to restart / seek
void loader_seek(Loader* l, int epoch, int64_t step); // resume mid-epoch
// Fills *b with this rank's part of the next global step.  Returns 0 when the epoch is over.
// The batch stays valid until the next call.
int loader_next(Loader* l, Batch* b);

// Paired retain/forget stream for the unlearning methods: |B_f| = |B_r| = global_batch (both configs must
// agree).  The set named by `by` defines the epoch (UGradSL: forget; UGradSL+: retain) and is walked exactly as
// a single stream; the other set is an endless stream of passes, each a fresh permutation (reshuffled at every
// wrap), of which step s of epoch e takes positions [e·M + s·B, ...), M = samples per epoch of the defining set.
// The short last step is short for both sets.  Pure function of (seeds, epoch, step), like the single stream.
typedef enum { EPOCH_BY_RETAIN = 0, EPOCH_BY_FORGET = 1 } EpochBy;
typedef struct PairedLoader PairedLoader;
PairedLoader* paired_create(Dataset* ds, const LoaderConfig* retain_cfg, const LoaderConfig* forget_cfg,
                            EpochBy by, int rank, int world);
void paired_destroy(PairedLoader* p);
int64_t paired_steps_per_epoch(const PairedLoader* p);
void paired_start_epoch(PairedLoader* p, int epoch);
void paired_seek(PairedLoader* p, int epoch, int64_t step);
int paired_next(PairedLoader* p, Batch* retain, Batch* forget);
