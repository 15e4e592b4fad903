// sampler.c — epoch orders, rank slices and cycled streams (pure functions; see sampler.h).
#include "data/sampler.h"

#include <stdlib.h>

#include "common/rng.h"
#include "common/util.h"

void sampler_order(int64_t n, int shuffle, uint64_t seed, uint64_t stream, int64_t pass, int64_t* out) {
    for (int64_t k = 0; k < n; k++) out[k] = k;
    if (!shuffle) return;
    Rng rng;
    rng_init(&rng, seed, RNG_SHUFFLE, (uint64_t)pass, stream);
    rng_shuffle_i64(&rng, out, n);
}

void shard_slice(int64_t batch, int rank, int world, int64_t* lo, int64_t* hi) {
    int64_t base = batch / world, extra = batch % world;
    *lo = rank * base + (rank < extra ? rank : extra);
    *hi = *lo + base + (rank < extra ? 1 : 0);
}

int64_t sampler_steps(int64_t n, int64_t batch, int drop_last) {
    return drop_last ? n / batch : (n + batch - 1) / batch;
}

void stream_init(SampleStream* s, int64_t n, int shuffle, uint64_t seed, uint64_t stream) {
    UG_CHECK(n > 0, "a sample stream needs at least one sample");
    s->n = n;
    s->shuffle = shuffle;
    s->seed = seed;
    s->stream = stream;
    s->pass = -1;
    s->order = ug_malloc((size_t)n * sizeof *s->order);
}

void stream_free(SampleStream* s) {
    free(s->order);
    s->order = NULL;
}

int64_t stream_at(SampleStream* s, int64_t g, int64_t* pass_out) {
    int64_t pass = g / s->n;
    if (pass != s->pass) {
        sampler_order(s->n, s->shuffle, s->seed, s->stream, pass, s->order);
        s->pass = pass;
    }
    if (pass_out) *pass_out = pass;
    return s->order[g - pass * s->n];
}

int64_t sampler_step_span(int64_t n_def, int64_t batch, int drop_last, int64_t epoch, int64_t step,
                          int64_t* def_start, int64_t* cyc_start) {
    int64_t steps = sampler_steps(n_def, batch, drop_last);
    if (step < 0 || step >= steps) return 0;
    int64_t per_epoch = drop_last ? steps * batch : n_def;
    int64_t size = n_def - step * batch < batch ? n_def - step * batch : batch;
    *def_start = epoch * n_def + step * batch;
    *cyc_start = epoch * per_epoch + step * batch;
    return size;
}
