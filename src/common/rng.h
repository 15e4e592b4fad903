// rng.h — deterministic random streams.
// A stream is a pure function of its keys (seed, purpose, epoch, rank, ...): the same keys always give the
// same numbers, whatever ran before.  This is what makes sharding, augmentation and resume reproducible.
#pragma once
#include <stdint.h>

typedef struct { uint64_t s[4]; } Rng;   // xoshiro256** state

// Purposes keep unrelated streams apart even with equal numeric keys.
enum { RNG_SHUFFLE = 1, RNG_AUGMENT = 2, RNG_INIT = 3, RNG_SPLIT = 4, RNG_LABELS = 5, RNG_MISC = 6 };

void rng_init(Rng* r, uint64_t seed, uint64_t purpose, uint64_t a, uint64_t b);
uint64_t rng_u64(Rng* r);
uint32_t rng_below(Rng* r, uint32_t n);   // uniform in [0, n), unbiased
float rng_uniform(Rng* r);                // [0, 1)
double rng_uniform_d(Rng* r);             // [0, 1)
float rng_normal(Rng* r);                 // N(0,1), Box-Muller
void rng_shuffle_i64(Rng* r, int64_t* a, int64_t n);  // Fisher-Yates
uint64_t rng_hash(uint64_t x);            // splitmix64 finaliser
