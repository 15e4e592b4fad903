// attack_threshold.c — confidence and logit-confidence threshold attacks (see attack_threshold.h).
#include "metrics/attack_threshold.h"

#include <math.h>
#include <stdlib.h>

#include "common/util.h"

const char* threshold_score_name(int s) { return s == THR_LOGIT ? "logit_confidence" : "confidence"; }
const char* threshold_pair_name(int p) { return p == THR_MEMBERS_VS_TEST ? "members_vs_test" : "forget_vs_test"; }

double logit_confidence(const SampleRecord* r) {
    double l = r->loss > 1e-30f ? (double)r->loss : 1e-30;
    return -l - log(-expm1(-l));
}

double threshold_score(const SampleRecord* r, ThresholdScore s) {
    return s == THR_LOGIT ? logit_confidence(r) : (double)r->prob_true;
}

void threshold_attack(const SampleRecord* pos, int64_t n_pos, const SampleRecord* neg, int64_t n_neg, ThresholdScore s,
                      RocSummary* out) {
    double* a = ug_malloc(sizeof(double) * (size_t)(n_pos > 0 ? n_pos : 1));
    double* b = ug_malloc(sizeof(double) * (size_t)(n_neg > 0 ? n_neg : 1));
    for (int64_t i = 0; i < n_pos; i++) a[i] = threshold_score(&pos[i], s);
    for (int64_t i = 0; i < n_neg; i++) b[i] = threshold_score(&neg[i], s);
    roc_summarize(a, n_pos, b, n_neg, out);
    free(a);
    free(b);
}
