// records.h — per-sample evaluation records and the rank-0 reducer.
//
// Every rank runs the model on its shard of D_r, D_f, the test set (and val) and turns each output row into
// one SampleRecord.  Rank 0 gathers them (MPI_Gatherv) and sorts by (set, index), so everything computed from
// the gathered records is independent of how many ranks produced them.
#pragma once
#include <stdint.h>

typedef enum { SET_RETAIN = 0, SET_FORGET = 1, SET_TEST = 2, SET_VAL = 3, SET_COUNT = 4 } SampleSet;

typedef struct {
    int64_t index;     // row in the dataset split (train rows for retain/forget, test rows for test, ...)
    int32_t label;     // true label
    int32_t pred;      // argmax of the logits (lowest class on ties)
    float prob_true;   // softmax probability of the true label ("confidence")
    float entropy;     // -sum_k p_k log p_k
    float m_entropy;   // modified entropy (Song & Mittal 2021)
    float loss;        // cross-entropy -log p_y
    int8_t set;        // SampleSet
    int8_t pad_[7];    // explicit, zeroed: records are compared and sent as bytes
} SampleRecord;

typedef struct {
    SampleRecord* recs;   // sorted by (set, index) after records_gather
    int64_t n;
} RecordSet;

const char* sample_set_name(int set);   // "retain", "forget", "test", "val"

// Fills out[0..N) from logits [N,K] (row-major), true labels and dataset indices.  Probabilities are
// computed in double with a max-shifted softmax; logs of probabilities are clamped at 1e-30 as the public
// MIA code does.
void records_from_logits(SampleRecord* out, const float* logits, int N, int K, const int32_t* labels,
                         const int64_t* index, SampleSet set);

// Sorts by (set, index) — the canonical order.
void records_sort(SampleRecord* recs, int64_t n);

// Collective over `comm`: every rank passes its records (n may be 0).  On `root` returns the union sorted by
// (set, index) (caller frees out->recs); on other ranks out->recs = NULL, out->n = 0.
// Dies if a (set, index) pair appears twice (two ranks evaluated the same sample: a sharding bug).
#include <mpi.h>
void records_gather(const SampleRecord* mine, int64_t n, int root, MPI_Comm comm, RecordSet* out);

// Records of one set in a sorted RecordSet: the contiguous range [*begin, *begin + return).
int64_t records_range(const RecordSet* rs, SampleSet set, int64_t* begin);
