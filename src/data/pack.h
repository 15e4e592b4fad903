// pack.h — building dataset files (docs/DATA.md) from the supported sources.
//
// Small sources (digits CSV, CIFAR binaries) are read whole into a MemDataset by rank 0 and written with the
// serial writer.  Image folders are packed by all ranks: each decodes its slice and the writes are collective
// (pack_folder.c, pack_writer.c).
#pragma once
#include <stdint.h>

#include "data/dataset.h"

// One split held in memory, decoded: images [n,h,w,c] uint8, labels [n], coarse [n] or NULL.
typedef struct {
    int64_t n;
    uint8_t* images;
    int32_t* labels;
    int32_t* coarse;
} MemSplit;

typedef struct {
    int h, w, c;
    int num_classes, num_coarse;
    char** class_names;   // num_classes malloc'd strings
    char source[256];
    MemSplit train, test;
} MemDataset;

// What a pack run did: printed by `ugradsl pack` and written with --json.
typedef struct {
    int64_t n_train, n_val, n_test;
    int64_t skipped;      // bad files skipped (--skip-bad)
    int64_t warned;       // JPEGs that decoded with a libjpeg warning (kept)
    int64_t reencoded;    // PNGs re-encoded as JPEG (JPEG mode)
    int num_classes, channels, height, width;
    DatasetMode mode;
    float mean[4], std[4];
    double seconds;
    int ranks;
    char first_skipped[512];   // a bad file and why (for the report), empty when none
} PackReport;

// Readers of the small sources (die with a clear message naming the file on bad input).
// The digits CSV has no test split: a stratified, seeded one is drawn (test_fraction of each class).
void pack_read_digits_csv(const char* path, double test_fraction, uint64_t seed, MemDataset* out);
// CIFAR-10 (data_batch_1..5.bin, test_batch.bin) or CIFAR-100 (train.bin, test.bin, with coarse labels)
// binary distribution directory.
void pack_read_cifar_bin(const char* dir, int cifar100, MemDataset* out);
// The stratified split used for sources without a test split: marks is_test[i] = 1 for round(f * n_c) samples
// of each class c, chosen by Rng(seed, RNG_SPLIT, class).  Pure function of (labels, f, seed).
void pack_stratified_test(const int32_t* labels, int64_t n, int num_classes, double test_fraction, uint64_t seed,
                          uint8_t* is_test);
// Writes a MemDataset (decoded mode) to `output` atomically; computes mean/std over train; fills *report.
void pack_write_memory(const MemDataset* m, const char* output, PackReport* report);
void mem_dataset_free(MemDataset* m);
