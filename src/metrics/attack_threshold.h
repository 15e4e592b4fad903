// attack_threshold.h — threshold attacks on one score per sample (Carlini et al. 2022, "Membership inference
// attacks from first principles"): "member when score >= t", summarised over all t as a ROC curve, its AUC and
// the TPR at 1% and 0.1% FPR.  No fitting, so nothing to be unlucky about (cf. the SVC's accidental regions).
#pragma once
#include <stdint.h>

#include "metrics/records.h"
#include "metrics/roc.h"

typedef enum { THR_CONFIDENCE = 0, THR_LOGIT = 1, THR_SCORES = 2 } ThresholdScore;
typedef enum { THR_FORGET_VS_TEST = 0, THR_MEMBERS_VS_TEST = 1, THR_PAIRS = 2 } ThresholdPair;

const char* threshold_score_name(int s);   // "confidence", "logit_confidence"
const char* threshold_pair_name(int p);    // "forget_vs_test", "members_vs_test"

// Logit-scaled confidence log(p / (1 - p)) of the true class, from the record's cross-entropy l = -log p as
// -l - log(1 - e^-l) (exact where p rounds to 1 in float; l is clamped at 1e-30 as the other log features are).
double logit_confidence(const SampleRecord* r);
double threshold_score(const SampleRecord* r, ThresholdScore s);

// pos: the samples asked about (D_f, or the drawn D_r members as the attack's power on seen data), neg: the test set.
void threshold_attack(const SampleRecord* pos, int64_t n_pos, const SampleRecord* neg, int64_t n_neg, ThresholdScore s,
                      RocSummary* out);
