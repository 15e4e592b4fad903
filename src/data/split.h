// split.h — forget/retain split files (docs/SPLITS.md) for the four unlearning paradigms of METHOD.md §3.
//
// A split file (HDF5, small, read whole by every rank) holds sorted int64 index arrays into the dataset's
// train split:
//   val        the seeded validation hold-out (val_fraction of each class; may be empty)
//   forget     D_f
//   retain     D_r         forget ∪ retain = train \ val, disjoint, both sorted
//   val_keep   val indices whose class is not forgotten (class-wise; all of val otherwise)
// and one array into the dataset's test split:
//   test_keep  test indices whose class is not forgotten (class-wise; every test index otherwise)
// Root attributes: format_version, paradigm, seed, val_fraction, fraction (random: as asked, else 0),
// classes (class-wise), coarse/fine (group), groups (identity), and the dataset it belongs to:
// source, num_classes, n_train, n_test, labels_hash — split_load rejects a split made from another dataset.
#pragma once
#include <stdint.h>

#include "data/dataset.h"

#define SPLIT_FORMAT_VERSION 1

typedef enum { PARADIGM_CLASS = 0, PARADIGM_RANDOM = 1, PARADIGM_GROUP = 2, PARADIGM_IDENTITY = 3 } Paradigm;

// What to forget.  Fields not used by the paradigm are ignored.
typedef struct {
    Paradigm paradigm;
    uint64_t seed;
    double val_fraction;        // hold-out per class, in [0, 1)  (METHOD.md: 0.1)
    const int32_t* classes;     // class-wise: forgotten classes
    int num_classes_forgotten;
    double fraction;            // random: fraction of train \ val in (0,1) ...
    int64_t count;              // ... or an exact count (> 0); exactly one of the two
    int coarse, fine;           // group: forget fine class `fine` (a value of `labels`) inside coarse class `coarse`
    const int32_t* groups;      // identity: forgotten group ids ...
    int num_groups_forgotten;
    double group_fraction;      // ... or this fraction of the distinct group ids of train \ val, in (0,1)
} SplitParams;

// The label arrays a split is computed from (the dataset's train and test splits).
typedef struct {
    int num_classes;
    int64_t n_train;
    const int32_t* labels;         // [n_train]
    const int32_t* coarse_labels;  // [n_train] or NULL
    const int32_t* groups;         // [n_train] or NULL
    int64_t n_test;
    const int32_t* test_labels;    // [n_test] (NULL when n_test == 0)
} SplitInputs;

typedef struct {
    int format_version;
    Paradigm paradigm;
    uint64_t seed;
    double val_fraction, fraction;
    int32_t* classes;  int num_classes_forgotten;    // class-wise (else NULL/0)
    int coarse, fine;                                // group (else -1)
    int32_t* groups;   int num_groups_forgotten;     // identity: the forgotten group ids (else NULL/0)
    // the dataset this split belongs to
    char source[256];
    int num_classes;
    int64_t n_train, n_test;
    uint64_t labels_hash;      // split_labels_hash of the train labels
    // index arrays (sorted, int64)
    int64_t n_val, n_forget, n_retain, n_val_keep, n_test_keep;
    int64_t *val, *forget, *retain, *val_keep, *test_keep;
} Split;

const char* paradigm_name(Paradigm p);
int paradigm_parse(const char* s, Paradigm* out);   // 1 on success

// Computes a split from label arrays.  Pure: the same inputs and seed give the same split.
// On bad input returns 0 and writes one line naming the problem into err (the split is left empty);
// returns 1 on success.  `source` is recorded in the split.
int split_make(const SplitParams* p, const SplitInputs* in, const char* source, Split* out, char* err, size_t err_cap);

// A 64-bit fingerprint of a label array (ties a split to its dataset).
uint64_t split_labels_hash(const int32_t* labels, int64_t n);

// Writes the split file atomically (temp + rename).  Serial: call on one rank.
void split_write(const char* path, const Split* s);
// Reads a split file and validates it against ds (source, num_classes, n_train, n_test, labels hash) and its
// own invariants (sorted, in range, disjoint, union).  Dies with a clear message on any mismatch.
// Every rank may call it (the file is opened read-only without MPI-IO).
void split_load(const char* path, const Dataset* ds, Split* out);
// Reads without validating against a dataset (for `inspect`); still checks the file's own invariants.
void split_read(const char* path, Split* out);
void split_free(Split* s);
// train \\ val = forget ∪ retain, sorted (malloc'd, split_train_count(s) entries).
int64_t* split_train_indices(const Split* s);
static inline int64_t split_train_count(const Split* s) { return s->n_forget + s->n_retain; }
