// sampler.h — which samples go where: epoch orders, rank slices, cycled streams (docs/LOADER.md).
// Everything here is a pure function of its arguments, so every rank computes the same global batches
// without talking to the others, and a run can resume at any (epoch, step).
#pragma once
#include <stdint.h>

// The order of pass `pass` over n samples: out[k] = the k-th position (0..n-1) of that pass.
// shuffle = 0: index order.  Otherwise a permutation drawn from Rng(seed, RNG_SHUFFLE, pass, stream).
void sampler_order(int64_t n, int shuffle, uint64_t seed, uint64_t stream, int64_t pass, int64_t* out);

// Rank r of W takes the contiguous slice [lo, hi) of a global batch of `batch` samples; slice sizes differ by
// at most one and the first (batch % W) ranks get the larger ones.
void shard_slice(int64_t batch, int rank, int world, int64_t* lo, int64_t* hi);

// Global steps in one epoch over n samples: ceil(n / batch), or floor(n / batch) with drop_last.
int64_t sampler_steps(int64_t n, int64_t batch, int drop_last);

// An endless stream over n samples made of consecutive passes (pass p uses sampler_order(..., p)).
// Global position g belongs to pass g / n, at offset g % n.  Keeps the order of the current pass.
typedef struct {
    int64_t n;
    int shuffle;
    uint64_t seed, stream;
    int64_t pass;          // pass whose order is in `order` (-1: none yet)
    int64_t* order;        // [n]
} SampleStream;

void stream_init(SampleStream* s, int64_t n, int shuffle, uint64_t seed, uint64_t stream);
void stream_free(SampleStream* s);
// The sample position (0..n-1) at global position g; *pass_out (may be NULL) receives its pass.
int64_t stream_at(SampleStream* s, int64_t g, int64_t* pass_out);

// The global positions of step `step` of epoch `epoch` (see docs/LOADER.md):
//   the stream that defines the epoch (n_def samples): [epoch·n_def + step·B, ... + size), size = min(B, n_def - step·B)
//   a cycled partner stream: [epoch·M + step·B, ... + size), M = samples the defining stream yields per epoch
// Returns the global batch size of that step (0 when step is past the epoch's end).
int64_t sampler_step_span(int64_t n_def, int64_t batch, int drop_last, int64_t epoch, int64_t step,
                          int64_t* def_start, int64_t* cyc_start);
