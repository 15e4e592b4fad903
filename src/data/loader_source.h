// loader_source.h — one stream's data: which rows it may draw from, how they are fetched (HDF5 or RAM cache)
// and how they are turned into normalised float images.  Internal to the loader (loader.c).
//
// Work on one batch is split in two phases so that HDF5 and MPI stay on the calling thread:
//   job_fetch      (caller's thread)  reads the raw bytes of the batch's rows: one independent HDF5 read of the
//                                     sorted, de-duplicated rows with contiguous runs coalesced; or cache pointers
//   job_transform  (prefetch thread)  decodes / augments / normalises into the Batch; no HDF5, no MPI
#pragma once
#include <stdint.h>

#include "common/rng.h"
#include "data/dataset.h"
#include "data/image_codec.h"
#include "data/loader.h"
#include "data/sampler.h"

typedef struct {
    Dataset* ds;
    DatasetSplit split;
    LoaderConfig cfg;           // cfg.subset points at `subset` below (owned copy)
    int64_t n;                  // samples this source draws from (subset size or split size)
    int64_t* subset;            // [n] split indices, or NULL (identity)
    int in_h, in_w, c;          // stored size (decoded mode); JPEG mode: the info's size (0 = varies)
    int out_h, out_w;
    int64_t row_bytes;          // decoded mode: in_h·in_w·c
    float resize_ratio;         // eval resize: shorter side → out·resize_ratio
    float lut[4 * 256];
    uint8_t* cache;             // cfg.cache: decoded rows [n][row_bytes] or JPEG bytes, in subset order
    int64_t* cache_off;         // JPEG cache: [n+1]
    SampleStream stream;
} Source;

// One sample of a batch: its position in the source (0..n-1), its split index, and its pass (keys augmentation).
typedef struct { int64_t pos, index, pass; } Item;

// Per-thread scratch for transforms (decoder handles, temporary pixels).
typedef struct {
    ImageCodec* codec;
    void* tj;                   // turbojpeg handle for reading JPEG headers
    uint8_t* pixels;
    size_t pixels_cap;
} Scratch;

typedef struct {
    Source* src;
    int n, cap;                 // items in this job / capacity (the largest rank slice)
    Item* items;                // [cap]
    const uint8_t** ptr;        // [cap] fetched bytes of each item
    int64_t* len;               // [cap]
    uint8_t* raw;               // staging buffer of the HDF5 read
    size_t raw_cap;
    int64_t* uniq;              // [cap] sorted distinct split indices of the items
    Batch batch;                // x [cap,out_h,out_w,c], y, index
    char err[512];              // set by job_transform on a bad sample; the caller dies with it
    int err_at;                 // item of err (the lowest bad one when several workers found one); INT_MAX: none
} Job;

void source_init(Source* s, Dataset* ds, const LoaderConfig* cfg, uint64_t stream_id);
void source_free(Source* s);
void job_init(Job* j, Source* s, int cap);
void job_free(Job* j);
void job_fetch(Job* j);                      // caller's thread (HDF5)
void job_transform(Job* j, Scratch* sc);     // any thread; sets j->err on failure
// The same in parts, for several worker threads: begin (labels, indices, clears err) once, then any split of
// the items into ranges, each on its own thread and Scratch.  A range returns the first bad item (message in
// err) or -1.  Every sample's pixels depend only on the sample, so the split does not change the batch.
void job_transform_begin(Job* j);
int job_transform_range(Job* j, Scratch* sc, int k0, int k1, char* err, size_t cap);
void scratch_init(Scratch* sc);
void scratch_free(Scratch* sc);
