// mia.h — membership-inference attacks of the evaluation protocol (docs/METRICS.md).
//
// MIA-efficacy: fit an RBF SVC (C 3, gamma 1/n_features) on members (label 1) vs non-members (label 0) and
// report 100 x the fraction of the target set (D_f) predicted non-member.  One scalar feature per attack.
// Stability of the headline: the fitted SVC's labels on a grid over [0, 1], a seeded bootstrap over the
// member / non-member samples, and a flag when a resample flips the verdict.
// Add. MIA [ours]: equal-size samples of D_f (1) and D_te (0), 2-fold cross-validation, mean held-out accuracy.
#pragma once
#include <stdint.h>

#define MIA_GRID 101   // grid points 0, 0.01, ..., 1

// 100 x fraction of targets predicted non-member by an SVC fitted on members (1) vs non-members (0).
// NaN when members, non-members or targets is empty.  If grid_pred is not NULL it receives the fitted
// model's label (1 member, 0 non-member) at the MIA_GRID points of [0, 1].
double mia_efficacy(const float* members, int64_t n_members, const float* nonmembers, int64_t n_nonmembers,
                    const float* targets, int64_t n_targets, uint8_t* grid_pred);

typedef struct {
    int resamples;        // number of bootstrap fits (0 = none)
    double mean, std;     // over resamples (std with n-1)
    double lo, hi;        // 2.5 and 97.5 percentiles (linear interpolation)
    double min, max;
    double flip_fraction; // share of resamples whose verdict (score >= 50 or not) differs from the headline's
    int flip;             // 1 when any resample flips the verdict
} MiaBootstrap;

// Resamples members and non-members with replacement (each at its own size) `resamples` times with
// Rng(seed, RNG_MISC, 0x4d4941, b), refits, rescores the targets.  `headline` decides the verdict.
void mia_bootstrap(const float* members, int64_t n_members, const float* nonmembers, int64_t n_nonmembers,
                   const float* targets, int64_t n_targets, double headline, int resamples, uint64_t seed,
                   MiaBootstrap* out);

// Add. MIA: n = min(|forget|, |test|) drawn from each (without replacement, Rng(seed, RNG_MISC, 0x414d4941));
// each class split in two halves; fit on one half of both, test on the other, and the reverse.
// Returns 100 x the mean held-out accuracy (NaN when n < 2); fold accuracies in fold_acc[2] if not NULL.
double add_mia(const float* forget, int64_t n_forget, const float* test, int64_t n_test, uint64_t seed,
               int64_t* n_per_class, double fold_acc[2]);
