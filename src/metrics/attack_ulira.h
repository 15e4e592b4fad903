// attack_ulira.h — U-LiRA's per-example likelihood-ratio test (Hayes et al. 2024, "Inexact unlearning needs more
// careful evaluations to avoid a false sense of privacy"), leave-one-shadow-out.
//
// K shadow models; each trained on a random half of a target pool (IN) and then unlearned on that half with the
// method under test, so for every pool sample x and shadow k, phi[k][x] (logit-scaled confidence of the
// unlearned shadow) comes from either "trained, then unlearned" (in[k][x] = 1) or "never trained on" (0).  Each
// shadow in turn is the target: from the other K-1 shadows fit a Gaussian to x's IN values and one to its OUT
// values (per-example means over the same number of IN and OUT references among those K-1; variances pooled over all samples and all K shadows: LiRA's
// fixed-variance variant, sound at small K), score Lambda = log N(phi; mu_in, s_in) - log N(phi; mu_out, s_out), and ask whether Lambda separates the
// target's unlearned samples from its never-seen ones.  A perfect unlearning method gives AUC 0.5.
#pragma once
#include <stdint.h>

#include "metrics/roc.h"

typedef struct {
    int K;
    int64_t pool;
    int64_t pairs;        // (target shadow, sample) pairs scored (a sample needs IN and OUT references)
    double accuracy;      // of the decision Lambda >= 0 ("was trained on"), over the pairs
    RocSummary roc;       // positives: unlearned (IN) pairs, negatives: never-seen (OUT) pairs
    double sigma_in, sigma_out;   // the pooled stds
} UliraResult;

// phi, in: [K][n] row-major.  K >= 3.  Returns 0 (and NaNs) when no pair could be scored.
int ulira_lrt(const double* phi, const uint8_t* in, int K, int64_t n, UliraResult* out);
