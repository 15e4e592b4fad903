// Sampler: epoch orders are permutations and pure functions of (seed, pass, stream); rank slices tile a batch;
// cycled streams wrap with a new order; step spans of the defining and the cycled stream.
#include <stdint.h>

#include "common/util.h"
#include "data/sampler.h"
#include "harness.h"

static int is_permutation(const int64_t* a, int64_t n) {
    char* seen = calloc((size_t)n, 1);
    int ok = 1;
    for (int64_t k = 0; k < n; k++) {
        if (a[k] < 0 || a[k] >= n || seen[a[k]]) { ok = 0; break; }
        seen[a[k]] = 1;
    }
    free(seen);
    return ok;
}

static void test_order(void) {
    int64_t a[1000], b[1000], c[1000], d[1000];
    sampler_order(1000, 1, 7, 0, 3, a);
    sampler_order(1000, 1, 7, 0, 3, b);
    sampler_order(1000, 1, 7, 0, 4, c);
    sampler_order(1000, 1, 7, 1, 3, d);
    CHECK(is_permutation(a, 1000), "not a permutation");
    CHECK(!memcmp(a, b, sizeof a), "same keys give different orders");
    CHECK(memcmp(a, c, sizeof a) != 0, "another pass gives the same order");
    CHECK(memcmp(a, d, sizeof a) != 0, "another stream gives the same order");
    int fixed = 0;
    for (int k = 0; k < 1000; k++) fixed += a[k] == k;
    CHECK(fixed < 20, "shuffled order keeps %d of 1000 in place", fixed);
    sampler_order(1000, 0, 7, 0, 3, a);
    for (int k = 0; k < 1000; k++) CHECK(a[k] == k, "unshuffled order is not index order at %d", k);
}

static void test_shard_slice(void) {
    for (int world = 1; world <= 5; world++)
        for (int64_t batch = 0; batch <= 13; batch++) {
            int64_t next = 0, min = batch, max = 0;
            for (int r = 0; r < world; r++) {
                int64_t lo, hi;
                shard_slice(batch, r, world, &lo, &hi);
                CHECK(lo == next, "world %d batch %lld rank %d starts at %lld, expected %lld", world, (long long)batch, r, (long long)lo, (long long)next);
                next = hi;
                if (hi - lo < min) min = hi - lo;
                if (hi - lo > max) max = hi - lo;
            }
            CHECK(next == batch, "slices do not cover the batch");
            CHECK(max - min <= 1, "slice sizes differ by more than one");
        }
    int64_t lo, hi;
    shard_slice(2, 2, 3, &lo, &hi);   // 2 samples on 3 ranks: rank 2 has none
    CHECK(lo == hi, "rank 2 of 3 should be empty for a batch of 2");
}

static void test_steps(void) {
    CHECK_EQ_INT(sampler_steps(10, 4, 0), 3);
    CHECK_EQ_INT(sampler_steps(10, 4, 1), 2);
    CHECK_EQ_INT(sampler_steps(8, 4, 0), 2);
    CHECK_EQ_INT(sampler_steps(3, 4, 1), 0);
}

static void test_stream_wraps(void) {
    SampleStream s;
    stream_init(&s, 7, 1, 11, 1);
    int64_t pass0[7], pass1[7], pass_of;
    for (int g = 0; g < 7; g++) pass0[g] = stream_at(&s, g, &pass_of);
    CHECK_EQ_INT(pass_of, 0);
    for (int g = 7; g < 14; g++) pass1[g - 7] = stream_at(&s, g, &pass_of);
    CHECK_EQ_INT(pass_of, 1);
    CHECK(is_permutation(pass0, 7) && is_permutation(pass1, 7), "each pass is a permutation");
    CHECK(memcmp(pass0, pass1, sizeof pass0) != 0, "the stream is not reshuffled at the wrap");
    // random access gives the same answer as sequential access (pure function of g)
    CHECK_EQ_INT(stream_at(&s, 3, NULL), pass0[3]);
    CHECK_EQ_INT(stream_at(&s, 12, NULL), pass1[5]);
    int64_t expect[7];
    sampler_order(7, 1, 11, 1, 1, expect);
    CHECK(!memcmp(expect, pass1, sizeof expect), "stream pass differs from sampler_order");
    stream_free(&s);
}

static void test_step_span(void) {
    int64_t def, cyc;
    // 10 samples, batch 4: steps of 4, 4, 2; the cycled stream advances 10 per epoch
    CHECK_EQ_INT(sampler_step_span(10, 4, 0, 0, 0, &def, &cyc), 4);
    CHECK(def == 0 && cyc == 0, "step 0");
    CHECK_EQ_INT(sampler_step_span(10, 4, 0, 0, 2, &def, &cyc), 2);
    CHECK(def == 8 && cyc == 8, "step 2");
    CHECK_EQ_INT(sampler_step_span(10, 4, 0, 0, 3, &def, &cyc), 0);
    CHECK_EQ_INT(sampler_step_span(10, 4, 0, 2, 1, &def, &cyc), 4);
    CHECK(def == 24 && cyc == 24, "epoch 2 step 1: def %lld cyc %lld", (long long)def, (long long)cyc);
    // drop_last: 2 steps of 4 per epoch, the cycled stream advances 8 per epoch, the defining one a full pass
    CHECK_EQ_INT(sampler_step_span(10, 4, 1, 2, 1, &def, &cyc), 4);
    CHECK(def == 24 && cyc == 20, "drop_last epoch 2 step 1: def %lld cyc %lld", (long long)def, (long long)cyc);
    CHECK_EQ_INT(sampler_step_span(10, 4, 1, 0, 2, &def, &cyc), 0);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_order);
    TEST_CASE(test_shard_slice);
    TEST_CASE(test_steps);
    TEST_CASE(test_stream_wraps);
    TEST_CASE(test_step_span);
    return th_end();
}
