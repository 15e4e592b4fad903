// mia.c — the SVC membership-inference attacks (see mia.h and docs/METRICS.md).
#include "metrics/mia.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "metrics/svc.h"

// Fits members (1) vs non-members (0) on one scalar feature, given as two index lists into the arrays.
static Svc* fit_attack(const float* members, const int64_t* mi, int64_t nm, const float* nonmembers,
                       const int64_t* ni, int64_t nn) {
    int64_t n = nm + nn;
    double* x = ug_malloc(sizeof(double) * (size_t)n);
    int* y = ug_malloc(sizeof(int) * (size_t)n);
    // Members first, as the public code concatenates them (svc_fit makes the order irrelevant anyway).
    for (int64_t i = 0; i < nm; i++) {
        x[i] = members[mi ? mi[i] : i];
        y[i] = 1;
    }
    for (int64_t i = 0; i < nn; i++) {
        x[nm + i] = nonmembers[ni ? ni[i] : i];
        y[nm + i] = 0;
    }
    SvcParams p;
    svc_params_mia(&p, 1);
    Svc* m = svc_fit(x, y, n, 1, &p);
    free(x);
    free(y);
    return m;
}

static double score_targets(const Svc* m, const float* targets, int64_t n_targets) {
    int64_t nonmember = 0;
    for (int64_t i = 0; i < n_targets; i++) {
        double v = targets[i];
        nonmember += svc_predict(m, &v) == 0;
    }
    return 100.0 * (double)nonmember / (double)n_targets;
}

double mia_efficacy(const float* members, int64_t n_members, const float* nonmembers, int64_t n_nonmembers,
                    const float* targets, int64_t n_targets, uint8_t* grid_pred) {
    if (grid_pred) memset(grid_pred, 0, MIA_GRID);
    if (n_members <= 0 || n_nonmembers <= 0 || n_targets <= 0) return NAN;
    Svc* m = fit_attack(members, NULL, n_members, nonmembers, NULL, n_nonmembers);
    double score = score_targets(m, targets, n_targets);
    if (grid_pred)
        for (int g = 0; g < MIA_GRID; g++) {
            double v = (double)g / (MIA_GRID - 1);
            grid_pred[g] = (uint8_t)svc_predict(m, &v);
        }
    svc_free(m);
    return score;
}

static int cmp_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

// numpy's default percentile (linear interpolation between order statistics).
static double percentile_sorted(const double* v, int n, double q) {
    double pos = q / 100.0 * (n - 1);
    int lo = (int)floor(pos);
    int hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

void mia_bootstrap(const float* members, int64_t n_members, const float* nonmembers, int64_t n_nonmembers,
                   const float* targets, int64_t n_targets, double headline, int resamples, uint64_t seed,
                   MiaBootstrap* out) {
    memset(out, 0, sizeof *out);
    out->mean = out->std = out->lo = out->hi = out->min = out->max = out->flip_fraction = NAN;
    if (resamples <= 0 || n_members <= 0 || n_nonmembers <= 0 || n_targets <= 0 || isnan(headline)) return;
    double* scores = ug_malloc(sizeof(double) * (size_t)resamples);
    int verdict = headline >= 50, flips = 0;
    double sum = 0;
    // Each resample is a pure function of (seed, b): the fits run in parallel, the results do not depend on it.
    #pragma omp parallel for schedule(dynamic, 1)
    for (int b = 0; b < resamples; b++) {
        int64_t* mi = ug_malloc(sizeof(int64_t) * (size_t)n_members);
        int64_t* ni = ug_malloc(sizeof(int64_t) * (size_t)n_nonmembers);
        Rng r;
        rng_init(&r, seed, RNG_MISC, 0x4d4941, (uint64_t)b);
        for (int64_t i = 0; i < n_members; i++) mi[i] = (int64_t)(rng_u64(&r) % (uint64_t)n_members);
        for (int64_t i = 0; i < n_nonmembers; i++) ni[i] = (int64_t)(rng_u64(&r) % (uint64_t)n_nonmembers);
        Svc* m = fit_attack(members, mi, n_members, nonmembers, ni, n_nonmembers);
        scores[b] = score_targets(m, targets, n_targets);
        svc_free(m);
        free(mi);
        free(ni);
    }
    for (int b = 0; b < resamples; b++) {
        sum += scores[b];
        flips += (scores[b] >= 50) != verdict;
    }
    out->resamples = resamples;
    out->mean = sum / resamples;
    double ss = 0;
    for (int b = 0; b < resamples; b++) ss += (scores[b] - out->mean) * (scores[b] - out->mean);
    out->std = resamples > 1 ? sqrt(ss / (resamples - 1)) : 0;
    qsort(scores, (size_t)resamples, sizeof(double), cmp_double);
    out->min = scores[0];
    out->max = scores[resamples - 1];
    out->lo = percentile_sorted(scores, resamples, 2.5);
    out->hi = percentile_sorted(scores, resamples, 97.5);
    out->flip_fraction = (double)flips / resamples;
    out->flip = flips > 0;
    free(scores);
}

// Fits on (fa, ta) and returns the number of correct predictions on (fb, tb): forget = 1, test = 0.
static int64_t fold_correct(const float* forget, const int64_t* fa, int64_t nfa, const int64_t* fb, int64_t nfb,
                            const float* test, const int64_t* ta, int64_t nta, const int64_t* tb, int64_t ntb) {
    Svc* m = fit_attack(forget, fa, nfa, test, ta, nta);
    int64_t correct = 0;
    for (int64_t i = 0; i < nfb; i++) {
        double v = forget[fb[i]];
        correct += svc_predict(m, &v) == 1;
    }
    for (int64_t i = 0; i < ntb; i++) {
        double v = test[tb[i]];
        correct += svc_predict(m, &v) == 0;
    }
    svc_free(m);
    return correct;
}

double add_mia(const float* forget, int64_t n_forget, const float* test, int64_t n_test, uint64_t seed,
               int64_t* n_per_class, double fold_acc[2]) {
    int64_t n = n_forget < n_test ? n_forget : n_test;
    if (n_per_class) *n_per_class = n;
    if (fold_acc) fold_acc[0] = fold_acc[1] = NAN;
    if (n < 2) return NAN;
    int64_t* fi = ug_malloc(sizeof(int64_t) * (size_t)n_forget);
    int64_t* ti = ug_malloc(sizeof(int64_t) * (size_t)n_test);
    for (int64_t i = 0; i < n_forget; i++) fi[i] = i;
    for (int64_t i = 0; i < n_test; i++) ti[i] = i;
    Rng r;
    rng_init(&r, seed, RNG_MISC, 0x414d4941, 0);
    rng_shuffle_i64(&r, fi, n_forget);
    rng_shuffle_i64(&r, ti, n_test);
    int64_t half = n / 2;   // fold 0: [0, half), fold 1: [half, n) of each class's sample
    int64_t c0 = fold_correct(forget, fi, half, fi + half, n - half, test, ti, half, ti + half, n - half);
    int64_t c1 = fold_correct(forget, fi + half, n - half, fi, half, test, ti + half, n - half, ti, half);
    double acc0 = (double)c0 / (double)(2 * (n - half));
    double acc1 = (double)c1 / (double)(2 * half);
    if (fold_acc) {
        fold_acc[0] = 100 * acc0;
        fold_acc[1] = 100 * acc1;
    }
    free(fi);
    free(ti);
    return 100 * (acc0 + acc1) / 2;
}
