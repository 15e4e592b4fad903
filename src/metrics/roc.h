// roc.h — ROC curve, AUC and TPR at a fixed FPR of a score where higher means "member" (Carlini et al. 2022).
#pragma once
#include <stdint.h>

#define ROC_GRID 121   // FPR grid of the stored curve: 0, then 1e-4 ... 1 log-spaced (the low-FPR end matters)

typedef struct {
    int64_t positives, negatives;
    double auc;               // area under the full ROC (ties count one half): P(score_pos > score_neg) + P(=)/2
    double tpr_at_1pct;       // highest TPR at a threshold whose FPR <= 1% (NaN without both classes)
    double tpr_at_01pct;      // the same at FPR <= 0.1%
    float fpr[ROC_GRID];      // the grid
    float tpr[ROC_GRID];      // highest TPR at FPR <= fpr[i]
} RocSummary;

// pos / neg: the scores of the two classes (any order; NaN is not allowed).  Exact, O(n log n).
void roc_summarize(const double* pos, int64_t n_pos, const double* neg, int64_t n_neg, RocSummary* out);
// Highest TPR over thresholds with FPR <= max_fpr on the exact curve.
double roc_tpr_at(const double* pos, int64_t n_pos, const double* neg, int64_t n_neg, double max_fpr);
