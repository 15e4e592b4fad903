// test_attack_threshold.c — ROC / AUC / TPR at low FPR by hand, against a brute-force pair count, and the
// logit-scaled confidence.
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "harness.h"
#include "metrics/attack_threshold.h"
#include "metrics/records.h"
#include "metrics/roc.h"

static void auc_by_hand(void) {
    double pos[3] = {0.9, 0.8, 0.3}, neg[3] = {0.7, 0.3, 0.1};
    // pairs: 0.9 beats 3, 0.8 beats 3, 0.3 beats 0.1 and ties 0.3 -> (3 + 3 + 1 + 0.5) / 9
    RocSummary r;
    roc_summarize(pos, 3, neg, 3, &r);
    CHECK_CLOSE(r.auc, 7.5 / 9, 1e-12);
    CHECK_CLOSE(r.tpr_at_1pct, 2.0 / 3, 1e-12);   // threshold 0.8: no false positive
    CHECK_CLOSE(r.tpr_at_01pct, 2.0 / 3, 1e-12);
    double sep_p[2] = {2, 3}, sep_n[2] = {0, 1};
    roc_summarize(sep_p, 2, sep_n, 2, &r);
    CHECK_CLOSE(r.auc, 1.0, 0);
    CHECK_CLOSE(r.tpr_at_01pct, 1.0, 0);
    roc_summarize(sep_n, 2, sep_p, 2, &r);   // reversed: every member scores below every non-member
    CHECK_CLOSE(r.auc, 0.0, 0);
    CHECK_CLOSE(r.tpr_at_1pct, 0.0, 0);
    double same[4] = {0.5, 0.5, 0.5, 0.5};
    roc_summarize(same, 2, same + 2, 2, &r);   // all tied: chance, and no threshold separates anything
    CHECK_CLOSE(r.auc, 0.5, 0);
    CHECK_CLOSE(r.tpr_at_1pct, 0.0, 0);
    roc_summarize(pos, 3, neg, 0, &r);
    CHECK(isnan(r.auc) && isnan(r.tpr_at_1pct), "one class only must give NaN");
}

// Random scores with ties: AUC equals the Mann-Whitney pair count, TPR at FPR <= a equals a brute-force scan
// over every threshold, and the stored curve is monotone.
static void matches_brute_force(void) {
    enum { NP = 300, NN = 700 };
    double pos[NP], neg[NN];
    Rng g;
    rng_init(&g, 8, RNG_MISC, 3, 0);
    for (int i = 0; i < NP; i++) pos[i] = (double)rng_below(&g, 200) / 100 + 0.3;
    for (int i = 0; i < NN; i++) neg[i] = (double)rng_below(&g, 200) / 100;
    double wins = 0;
    for (int i = 0; i < NP; i++)
        for (int k = 0; k < NN; k++) wins += pos[i] > neg[k] ? 1 : pos[i] == neg[k] ? 0.5 : 0;
    RocSummary r;
    roc_summarize(pos, NP, neg, NN, &r);
    CHECK_CLOSE(r.auc, wins / ((double)NP * NN), 1e-12);
    const double fprs[2] = {0.01, 0.001};
    const double got[2] = {r.tpr_at_1pct, r.tpr_at_01pct};
    for (int f = 0; f < 2; f++) {
        double best = 0;
        for (int t = 0; t <= 300; t++) {   // thresholds on the 0.01 lattice cover every distinct score
            double thr = t / 100.0 - 1e-9;
            int tp = 0, fp = 0;
            for (int i = 0; i < NP; i++) tp += pos[i] >= thr;
            for (int k = 0; k < NN; k++) fp += neg[k] >= thr;
            if (fp <= fprs[f] * NN && (double)tp / NP > best) best = (double)tp / NP;
        }
        CHECK_CLOSE(got[f], best, 1e-12);
    }
    for (int i = 1; i < ROC_GRID; i++) CHECK(r.tpr[i] >= r.tpr[i - 1] && r.fpr[i] > r.fpr[i - 1], "curve not monotone at %d", i);
    CHECK_CLOSE(r.tpr[ROC_GRID - 1], 1.0, 0);
    CHECK_CLOSE(r.fpr[1], 1e-4, 1e-9);
}

static void logit_confidence_values(void) {
    SampleRecord rec;
    memset(&rec, 0, sizeof rec);
    const double ps[4] = {0.5, 0.9, 0.01, 1 - 1e-6};
    for (int i = 0; i < 4; i++) {
        rec.prob_true = (float)ps[i];
        rec.loss = (float)-log(ps[i]);
        CHECK_CLOSE(logit_confidence(&rec), log(ps[i] / (1 - ps[i])), 1e-4 + 1e-6 * fabs(log(ps[i] / (1 - ps[i]))));
    }
    rec.loss = 0;   // p rounds to 1: large and finite, not inf
    CHECK(isfinite(logit_confidence(&rec)) && logit_confidence(&rec) > 60, "loss 0 -> %g", logit_confidence(&rec));
    rec.prob_true = 0.25f;
    CHECK_CLOSE(threshold_score(&rec, THR_CONFIDENCE), 0.25, 0);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(auc_by_hand);
    TEST_CASE(matches_brute_force);
    TEST_CASE(logit_confidence_values);
    return th_end();
}
