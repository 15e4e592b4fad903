// split.c — computing forget/retain splits from label arrays (pure) and the split file (HDF5).
#include "data/split.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"

static const char* const PARADIGM_NAMES[] = {"class", "random", "group", "identity"};

const char* paradigm_name(Paradigm p) {
    return (p >= PARADIGM_CLASS && p <= PARADIGM_IDENTITY) ? PARADIGM_NAMES[p] : "unknown";
}

int paradigm_parse(const char* s, Paradigm* out) {
    for (int i = 0; i < 4; i++)
        if (s && strcmp(s, PARADIGM_NAMES[i]) == 0) { *out = (Paradigm)i; return 1; }
    return 0;
}

uint64_t split_labels_hash(const int32_t* labels, int64_t n) {
    uint64_t h = rng_hash((uint64_t)n);
    for (int64_t i = 0; i < n; i++) h = rng_hash(h ^ (uint64_t)(uint32_t)labels[i]);
    return h;
}

void split_free(Split* s) {
    free(s->classes); free(s->groups);
    free(s->val); free(s->forget); free(s->retain); free(s->val_keep); free(s->test_keep);
    memset(s, 0, sizeof *s);
}

static int cmp_i32(const void* a, const void* b) {
    int32_t x = *(const int32_t*)a, y = *(const int32_t*)b;
    return (x > y) - (x < y);
}

static int fail(char* err, size_t cap, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char* err, size_t cap, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, cap, fmt, ap);
    va_end(ap);
    return 0;
}

// Collects the indices i in [0,n) with mark[i] == want, in order.
static int64_t* collect(const uint8_t* mark, int64_t n, uint8_t want, int64_t* count) {
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++) k += mark[i] == want;
    int64_t* out = ug_malloc((size_t)(k > 0 ? k : 1) * sizeof *out);
    k = 0;
    for (int64_t i = 0; i < n; i++) if (mark[i] == want) out[k++] = i;
    *count = k;
    return out;
}

// Sorted, duplicate-free copy of a list of ids; returns 0 (and names the duplicate) when one repeats.
static int32_t* sorted_unique_ids(const int32_t* ids, int n, const char* what, char* err, size_t cap) {
    int32_t* s = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof *s);
    memcpy(s, ids, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_i32);
    for (int i = 1; i < n; i++)
        if (s[i] == s[i - 1]) { fail(err, cap, "%s %d is listed twice", what, s[i]); free(s); return NULL; }
    return s;
}

static int contains_i32(const int32_t* sorted, int n, int32_t v) {
    return bsearch(&v, sorted, (size_t)n, sizeof v, cmp_i32) != NULL;
}

// The validation hold-out: floor(val_fraction · n_c) samples of each class c, drawn with Rng(seed, SPLIT, 0, c).
// Marks them 1 in `mark`.
static void mark_val(const SplitInputs* in, double val_fraction, uint64_t seed, uint8_t* mark) {
    if (val_fraction <= 0) return;
    int64_t* count = ug_calloc((size_t)in->num_classes, sizeof *count);
    for (int64_t i = 0; i < in->n_train; i++) count[in->labels[i]]++;
    int64_t* start = ug_calloc((size_t)in->num_classes + 1, sizeof *start);
    for (int c = 0; c < in->num_classes; c++) start[c + 1] = start[c] + count[c];
    int64_t* by_class = ug_malloc((size_t)(in->n_train > 0 ? in->n_train : 1) * sizeof *by_class);
    int64_t* fill = ug_calloc((size_t)in->num_classes, sizeof *fill);
    for (int64_t i = 0; i < in->n_train; i++) {
        int c = in->labels[i];
        by_class[start[c] + fill[c]++] = i;
    }
    for (int c = 0; c < in->num_classes; c++) {
        int64_t* members = by_class + start[c];
        int64_t take = (int64_t)(val_fraction * (double)count[c]);
        if (take == 0) continue;
        Rng rng;
        rng_init(&rng, seed, RNG_SPLIT, 0, (uint64_t)c);
        rng_shuffle_i64(&rng, members, count[c]);
        for (int64_t k = 0; k < take; k++) mark[members[k]] = 1;
    }
    free(count); free(start); free(by_class); free(fill);
}

// mark: 0 = retain (pool), 1 = val, 2 = forget.
enum { MARK_RETAIN = 0, MARK_VAL = 1, MARK_FORGET = 2 };

static int select_class(const SplitParams* p, const SplitInputs* in, uint8_t* mark, Split* out, char* err, size_t cap) {
    if (p->num_classes_forgotten <= 0) return fail(err, cap, "class-wise split: give the classes to forget (--classes 3,5)");
    for (int k = 0; k < p->num_classes_forgotten; k++)
        if (p->classes[k] < 0 || p->classes[k] >= in->num_classes)
            return fail(err, cap, "unknown class %d: the dataset has classes 0..%d", p->classes[k], in->num_classes - 1);
    int32_t* classes = sorted_unique_ids(p->classes, p->num_classes_forgotten, "class", err, cap);
    if (!classes) return 0;
    out->classes = classes;
    out->num_classes_forgotten = p->num_classes_forgotten;
    for (int64_t i = 0; i < in->n_train; i++)
        if (mark[i] == MARK_RETAIN && contains_i32(classes, p->num_classes_forgotten, in->labels[i])) mark[i] = MARK_FORGET;
    return 1;
}

static int select_random(const SplitParams* p, const SplitInputs* in, uint8_t* mark, int64_t n_pool, Split* out,
                         char* err, size_t cap) {
    int by_fraction = p->fraction != 0, by_count = p->count != 0;
    if (by_fraction == by_count) return fail(err, cap, "random split: give exactly one of --fraction or --count");
    int64_t take;
    if (by_fraction) {
        if (!(p->fraction > 0 && p->fraction < 1))
            return fail(err, cap, "--fraction %g is outside (0, 1)", p->fraction);
        take = (int64_t)(p->fraction * (double)n_pool + 0.5);
        out->fraction = p->fraction;
    } else {
        if (p->count < 0) return fail(err, cap, "--count %lld must be positive", (long long)p->count);
        take = p->count;
    }
    if (take <= 0) return fail(err, cap, "the forget set would be empty (fraction %g of %lld samples)", p->fraction, (long long)n_pool);
    if (take >= n_pool)
        return fail(err, cap, "the forget set (%lld) would take every one of the %lld non-validation training samples",
                    (long long)take, (long long)n_pool);
    int64_t* pool = ug_malloc((size_t)n_pool * sizeof *pool);
    int64_t k = 0;
    for (int64_t i = 0; i < in->n_train; i++) if (mark[i] == MARK_RETAIN) pool[k++] = i;
    Rng rng;
    rng_init(&rng, p->seed, RNG_SPLIT, 1, 0);
    rng_shuffle_i64(&rng, pool, n_pool);
    for (int64_t j = 0; j < take; j++) mark[pool[j]] = MARK_FORGET;
    free(pool);
    return 1;
}

static int select_group(const SplitParams* p, const SplitInputs* in, uint8_t* mark, Split* out, char* err, size_t cap) {
    if (!in->coarse_labels)
        return fail(err, cap, "group split needs coarse labels, and this dataset has none (pack CIFAR-100 to get them)");
    if (p->coarse < 0 || p->fine < 0) return fail(err, cap, "group split: give --coarse C and --fine F");
    if (p->fine >= in->num_classes)
        return fail(err, cap, "unknown fine class %d: the dataset has classes 0..%d", p->fine, in->num_classes - 1);
    int64_t fine_seen = 0, coarse_seen = 0;
    int32_t fine_coarse = -1;
    for (int64_t i = 0; i < in->n_train; i++) {
        if (in->coarse_labels[i] == p->coarse) coarse_seen++;
        if (in->labels[i] != p->fine) continue;
        fine_seen++;
        fine_coarse = in->coarse_labels[i];
        if (in->coarse_labels[i] == p->coarse && mark[i] == MARK_RETAIN) mark[i] = MARK_FORGET;
    }
    if (!coarse_seen) return fail(err, cap, "unknown coarse class %d: no training sample has it", p->coarse);
    if (!fine_seen) return fail(err, cap, "fine class %d has no training samples", p->fine);
    int64_t inside = 0;
    for (int64_t i = 0; i < in->n_train; i++) inside += mark[i] == MARK_FORGET;
    if (!inside)
        return fail(err, cap, "fine class %d is not inside coarse class %d (its samples are in coarse class %d)",
                    p->fine, p->coarse, fine_coarse);
    out->coarse = p->coarse;
    out->fine = p->fine;
    return 1;
}

static int select_identity(const SplitParams* p, const SplitInputs* in, uint8_t* mark, Split* out, char* err, size_t cap) {
    if (!in->groups) return fail(err, cap, "identity split needs group ids, and this dataset has none");
    int by_list = p->num_groups_forgotten > 0, by_fraction = p->group_fraction != 0;
    if (by_list == by_fraction) return fail(err, cap, "identity split: give exactly one of --groups or --group-fraction");
    // distinct group ids among the non-validation training samples
    int32_t* ids = ug_malloc((size_t)(in->n_train > 0 ? in->n_train : 1) * sizeof *ids);
    int64_t n_ids = 0;
    for (int64_t i = 0; i < in->n_train; i++) if (mark[i] == MARK_RETAIN) ids[n_ids++] = in->groups[i];
    qsort(ids, (size_t)n_ids, sizeof *ids, cmp_i32);
    int64_t distinct = 0;
    for (int64_t i = 0; i < n_ids; i++) if (i == 0 || ids[i] != ids[i - 1]) ids[distinct++] = ids[i];
    int32_t* chosen = NULL;
    int n_chosen = 0;
    if (by_list) {
        chosen = sorted_unique_ids(p->groups, p->num_groups_forgotten, "group", err, cap);
        if (!chosen) { free(ids); return 0; }
        n_chosen = p->num_groups_forgotten;
        for (int k = 0; k < n_chosen; k++)
            if (!bsearch(&chosen[k], ids, (size_t)distinct, sizeof *ids, cmp_i32)) {
                fail(err, cap, "unknown group %d: no (non-validation) training sample has it", chosen[k]);
                free(ids); free(chosen);
                return 0;
            }
    } else {
        if (!(p->group_fraction > 0 && p->group_fraction < 1)) {
            free(ids);
            return fail(err, cap, "--group-fraction %g is outside (0, 1)", p->group_fraction);
        }
        int64_t take = (int64_t)(p->group_fraction * (double)distinct + 0.5);
        if (take <= 0) {
            free(ids);
            return fail(err, cap, "the forget set would be empty (group fraction %g of %lld groups)", p->group_fraction, (long long)distinct);
        }
        int64_t* order = ug_malloc((size_t)distinct * sizeof *order);
        for (int64_t k = 0; k < distinct; k++) order[k] = k;
        Rng rng;
        rng_init(&rng, p->seed, RNG_SPLIT, 3, 0);
        rng_shuffle_i64(&rng, order, distinct);
        chosen = ug_malloc((size_t)take * sizeof *chosen);
        for (int64_t k = 0; k < take; k++) chosen[k] = ids[order[k]];
        qsort(chosen, (size_t)take, sizeof *chosen, cmp_i32);
        n_chosen = (int)take;
        out->fraction = p->group_fraction;
        free(order);
    }
    free(ids);
    for (int64_t i = 0; i < in->n_train; i++)
        if (mark[i] == MARK_RETAIN && contains_i32(chosen, n_chosen, in->groups[i])) mark[i] = MARK_FORGET;
    out->groups = chosen;
    out->num_groups_forgotten = n_chosen;
    return 1;
}

int split_make(const SplitParams* p, const SplitInputs* in, const char* source, Split* out, char* err, size_t cap) {
    memset(out, 0, sizeof *out);
    out->coarse = out->fine = -1;
    if (in->num_classes <= 0) return fail(err, cap, "the dataset has no classes");
    if (in->n_train <= 0) return fail(err, cap, "the dataset's train split is empty");
    for (int64_t i = 0; i < in->n_train; i++)
        if (in->labels[i] < 0 || in->labels[i] >= in->num_classes)
            return fail(err, cap, "train label %d at index %lld is outside 0..%d", in->labels[i], (long long)i, in->num_classes - 1);
    if (!(p->val_fraction >= 0 && p->val_fraction < 1))
        return fail(err, cap, "--val-fraction %g is outside [0, 1)", p->val_fraction);

    uint8_t* mark = ug_calloc((size_t)in->n_train, 1);
    mark_val(in, p->val_fraction, p->seed, mark);
    int64_t n_pool = 0;
    for (int64_t i = 0; i < in->n_train; i++) n_pool += mark[i] == MARK_RETAIN;

    int ok = 0;
    switch (p->paradigm) {
    case PARADIGM_CLASS: ok = select_class(p, in, mark, out, err, cap); break;
    case PARADIGM_RANDOM: ok = select_random(p, in, mark, n_pool, out, err, cap); break;
    case PARADIGM_GROUP: ok = select_group(p, in, mark, out, err, cap); break;
    case PARADIGM_IDENTITY: ok = select_identity(p, in, mark, out, err, cap); break;
    default: ok = fail(err, cap, "unknown paradigm %d", (int)p->paradigm);
    }
    int64_t n_forget = 0;
    for (int64_t i = 0; ok && i < in->n_train; i++) n_forget += mark[i] == MARK_FORGET;
    if (ok && n_forget == 0) ok = fail(err, cap, "the forget set is empty (%s split): nothing to unlearn", paradigm_name(p->paradigm));
    if (ok && n_forget == n_pool)
        ok = fail(err, cap, "the retain set is empty: the %s split would forget every non-validation training sample",
                  paradigm_name(p->paradigm));
    if (!ok) { free(mark); split_free(out); out->coarse = out->fine = -1; return 0; }

    out->format_version = SPLIT_FORMAT_VERSION;
    out->paradigm = p->paradigm;
    out->seed = p->seed;
    out->val_fraction = p->val_fraction;
    snprintf(out->source, sizeof out->source, "%s", source ? source : "");
    out->num_classes = in->num_classes;
    out->n_train = in->n_train;
    out->n_test = in->n_test;
    out->labels_hash = split_labels_hash(in->labels, in->n_train);
    out->val = collect(mark, in->n_train, MARK_VAL, &out->n_val);
    out->forget = collect(mark, in->n_train, MARK_FORGET, &out->n_forget);
    out->retain = collect(mark, in->n_train, MARK_RETAIN, &out->n_retain);

    // val_keep / test_keep: the samples whose class is not forgotten (class-wise), all of them otherwise
    out->val_keep = ug_malloc((size_t)(out->n_val > 0 ? out->n_val : 1) * sizeof *out->val_keep);
    for (int64_t k = 0; k < out->n_val; k++) {
        int64_t i = out->val[k];
        if (!out->classes || !contains_i32(out->classes, out->num_classes_forgotten, in->labels[i]))
            out->val_keep[out->n_val_keep++] = i;
    }
    out->test_keep = ug_malloc((size_t)(in->n_test > 0 ? in->n_test : 1) * sizeof *out->test_keep);
    for (int64_t i = 0; i < in->n_test; i++)
        if (!out->classes || !contains_i32(out->classes, out->num_classes_forgotten, in->test_labels[i]))
            out->test_keep[out->n_test_keep++] = i;
    free(mark);
    return 1;
}

int64_t* split_train_indices(const Split* s) {
    int64_t na = s->n_forget, nb = s->n_retain, i = 0, j = 0, k = 0;
    int64_t* out = ug_malloc((size_t)(na + nb + 1) * sizeof(int64_t));
    while (i < na || j < nb) out[k++] = (j >= nb || (i < na && s->forget[i] < s->retain[j])) ? s->forget[i++] : s->retain[j++];
    return out;
}
