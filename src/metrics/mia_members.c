// mia_members.c — the stratified, seeded member draw of the MIA attacks (see mia_members.h).
#include "metrics/mia_members.h"

#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"

uint64_t mia_member_key(uint64_t seed, int64_t index) {
    Rng r;
    rng_init(&r, seed, RNG_MISC, MIA_MEMBER_STREAM, (uint64_t)index);
    return rng_u64(&r);
}

typedef struct {
    int32_t label;
    uint64_t key;
    int64_t index, pos;
} Ranked;

// By class, then key, then dataset index (a key collision must not fall back on the arrival order).
static int cmp_ranked(const void* a, const void* b) {
    const Ranked* x = a;
    const Ranked* y = b;
    if (x->label != y->label) return x->label < y->label ? -1 : 1;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int cmp_i64(const void* a, const void* b) {
    int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
    return (x > y) - (x < y);
}

// Largest-remainder apportionment of n over the class counts (sum count = total).
static void apportion(const int64_t* count, int k, int64_t total, int64_t n, int64_t* quota) {
    int64_t given = 0;
    for (int c = 0; c < k; c++) {
        quota[c] = total ? (int64_t)((__int128)count[c] * n / total) : 0;
        given += quota[c];
    }
    while (given < n) {   // at most k rounds: hand one more to the largest remainder (lowest class on ties)
        int best = -1;
        __int128 best_rem = -1;
        for (int c = 0; c < k; c++) {
            if (quota[c] >= count[c]) continue;
            __int128 rem = (__int128)count[c] * n - (__int128)quota[c] * total;
            if (rem > best_rem) { best_rem = rem; best = c; }
        }
        UG_CHECK(best >= 0, "member apportionment: no class can take another member");
        quota[best]++;
        given++;
    }
}

int64_t mia_draw_members(const SampleRecord* retain, int64_t n_retain, int64_t n_want, uint64_t seed, int64_t* pos,
                         int64_t** per_class, int* n_classes) {
    int64_t n = n_want < n_retain ? n_want : n_retain;
    if (n < 0) n = 0;
    int k = 0;
    for (int64_t i = 0; i < n_retain; i++) {
        UG_CHECK(retain[i].label >= 0, "MIA members: retain sample %lld has label %d", (long long)retain[i].index,
                 retain[i].label);
        if (retain[i].label + 1 > k) k = retain[i].label + 1;
    }
    int64_t* count = ug_calloc((size_t)(k > 0 ? k : 1), sizeof(int64_t));
    int64_t* quota = ug_calloc((size_t)(k > 0 ? k : 1), sizeof(int64_t));
    for (int64_t i = 0; i < n_retain; i++) count[retain[i].label]++;
    apportion(count, k, n_retain, n, quota);
    Ranked* r = ug_malloc(sizeof(Ranked) * (size_t)(n_retain > 0 ? n_retain : 1));
    for (int64_t i = 0; i < n_retain; i++) {
        r[i].label = retain[i].label;
        r[i].key = mia_member_key(seed, retain[i].index);
        r[i].index = retain[i].index;
        r[i].pos = i;
    }
    qsort(r, (size_t)n_retain, sizeof(Ranked), cmp_ranked);
    int64_t drawn = 0;
    for (int64_t i = 0, start = 0; i < n_retain; i++) {
        if (i > 0 && r[i].label != r[i - 1].label) start = i;
        if (i - start < quota[r[i].label]) pos[drawn++] = r[i].pos;
    }
    UG_CHECK(drawn == n, "MIA members: drew %lld of %lld", (long long)drawn, (long long)n);
    qsort(pos, (size_t)drawn, sizeof(int64_t), cmp_i64);
    free(r);
    free(count);
    if (per_class) *per_class = quota;
    else free(quota);
    if (n_classes) *n_classes = k;
    return drawn;
}
