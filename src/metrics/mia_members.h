// mia_members.h — which retain samples the MIA attacks take as members (docs/METRICS.md §3).
//
// Stratified like D_r and never by file order: class c gets a share of the n members proportional to its
// count in D_r (largest remainder, ties to the lower class), and within each class the samples with the
// smallest hash of (seed, dataset index) are drawn.  The draw is a pure function of (seed, the set of
// (index, label) pairs): the order the records arrive in does not matter, and a permuted packed file gives
// the same class histogram with members spread over the whole of every class.
#pragma once
#include <stdint.h>

#include "metrics/records.h"

#define MIA_MEMBER_STREAM 0x4d454d42   // "MEMB": Rng(seed, RNG_MISC, MEMB, index)

// The key a retain sample is ranked by within its class.
uint64_t mia_member_key(uint64_t seed, int64_t index);

// Draws min(n_want, n_retain) members from retain[0..n_retain) (labels must be >= 0).  Writes the chosen
// positions into retain (ascending) to pos[0..return) (pos holds n_retain entries).  When per_class is not NULL
// it receives a malloc'd array of the drawn count per class (*n_classes entries: max label + 1).
int64_t mia_draw_members(const SampleRecord* retain, int64_t n_retain, int64_t n_want, uint64_t seed, int64_t* pos,
                         int64_t** per_class, int* n_classes);
