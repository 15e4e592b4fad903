#include "common/rng.h"

#include <math.h>

uint64_t rng_hash(uint64_t x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void rng_init(Rng* r, uint64_t seed, uint64_t purpose, uint64_t a, uint64_t b) {
    uint64_t k = rng_hash(seed);
    k = rng_hash(k ^ purpose);
    k = rng_hash(k ^ a);
    k = rng_hash(k ^ b);
    for (int i = 0; i < 4; i++) r->s[i] = rng_hash(k + (uint64_t)i * 0x632BE59BD9B4E019ull);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rng_u64(Rng* r) {
    uint64_t* s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint32_t rng_below(Rng* r, uint32_t n) {
    // Lemire's multiply-shift with rejection: unbiased.
    uint64_t m = (uint64_t)(uint32_t)(rng_u64(r) >> 32) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)(-n) % n;
        while (low < threshold) {
            m = (uint64_t)(uint32_t)(rng_u64(r) >> 32) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

float rng_uniform(Rng* r) { return (float)(rng_u64(r) >> 40) * 0x1.0p-24f; }
double rng_uniform_d(Rng* r) { return (double)(rng_u64(r) >> 11) * 0x1.0p-53; }

float rng_normal(Rng* r) {
    double u1 = rng_uniform_d(r), u2 = rng_uniform_d(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return (float)(sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2));
}

void rng_shuffle_i64(Rng* r, int64_t* a, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)(rng_u64(r) % (uint64_t)(i + 1));  // n < 2^40: modulo bias negligible and deterministic
        int64_t t = a[i]; a[i] = a[j]; a[j] = t;
    }
}
