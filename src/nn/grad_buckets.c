// grad_buckets.c — see grad_buckets.h.
#include "nn/grad_buckets.h"

#include <limits.h>
#include <stdlib.h>

#include "common/util.h"
#include "nn/model_impl.h"

typedef struct { size_t off, n; int layer; } Piece;

static int by_offset(const void* a, const void* b) {
    size_t x = ((const Piece*)a)->off, y = ((const Piece*)b)->off;
    return x < y ? -1 : x > y;
}
static int by_readiness(const void* a, const void* b) {   // later layer first; ties: higher offset first
    const GradBucket *x = a, *y = b;
    if (x->after_layer != y->after_layer) return x->after_layer > y->after_layer ? -1 : 1;
    return x->lo > y->lo ? -1 : x->lo < y->lo;
}

int grad_buckets_plan(const Model* m, size_t target, GradBucket* out, int cap) {
    const Net* n = (const Net*)m->impl;
    if (m->num_params == 0) return 0;
    Piece* p = ug_calloc((size_t)m->num_tensors, sizeof *p);
    int np = 0;
    for (int t = 0; t < m->num_tensors; t++) {
        const TensorInfo* ti = &m->tensors[t];
        if (ti->is_buffer) continue;
        int owner = -1;
        for (int i = 0; i < n->num_layers && owner < 0; i++)
            if (n->layers[i].w == ti->offset || (n->layers[i].b != SIZE_MAX && n->layers[i].b == ti->offset)) owner = i;
        if (owner < 0) { free(p); return 0; }   // a parameter no layer owns: no plan
        p[np++] = (Piece){ti->offset, ti->numel, owner};
    }
    qsort(p, (size_t)np, sizeof *p, by_offset);
    size_t end = 0;
    for (int i = 0; i < np; i++) {   // the tensors must tile the buffer exactly
        if (p[i].off != end) { free(p); return 0; }
        end += p[i].n;
    }
    if (end != m->num_params) { free(p); return 0; }
    if (target == 0) target = 1;
    int nb = 0;
    size_t hi = m->num_params, acc = 0;
    int first = INT_MAX;
    GradBucket* tmp = ug_calloc((size_t)np, sizeof *tmp);
    for (int i = np - 1; i >= 0; i--) {   // from the end of the buffer: the classifier's side, done first
        acc += p[i].n;
        if (p[i].layer < first) first = p[i].layer;
        if (acc >= target || i == 0) {
            tmp[nb++] = (GradBucket){p[i].off, hi, first};
            hi = p[i].off;
            acc = 0;
            first = INT_MAX;
        }
    }
    qsort(tmp, (size_t)nb, sizeof *tmp, by_readiness);
    if (out && nb > cap) nb = 0;   // never a partial plan
    for (int k = 0; out && k < nb; k++) out[k] = tmp[k];
    free(tmp);
    free(p);
    return nb;
}
