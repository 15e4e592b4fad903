// grad_buckets.h — the flat gradient buffer cut into buckets that can be all-reduced while backward still runs
// (the GPU path: gpu_model.c in src/gpu).  Backward walks the layer list from the last layer to the first; a bucket
// may be sent once every layer owning a parameter in it has had its backward, i.e. after the backward of the
// lowest-indexed such layer (after_layer).  The plan is a pure function of the network, so every rank computes
// the same buckets in the same order (NCCL needs the collectives in the same order everywhere).
#pragma once
#include <stddef.h>

#include "nn/model.h"

typedef struct {
    size_t lo, hi;       // [lo, hi) of the flat parameter / gradient buffer
    int after_layer;     // index into the layer list: send after this layer's backward
} GradBucket;

// Buckets of at least target floats (the one nearest the start of the buffer may be smaller), together exactly
// covering [0, num_params), in the order backward completes them (after_layer non-increasing).  Returns how many
// (out NULL: only counts), or 0 when the parameters cannot be mapped to layers or out has fewer than that many
// entries (cap) — then: no overlap, one all-reduce after backward.
int grad_buckets_plan(const Model* m, size_t target, GradBucket* out, int cap);
