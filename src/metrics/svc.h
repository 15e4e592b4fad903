// svc.h — a binary RBF support-vector classifier on libsvm, set up to reproduce scikit-learn's SVC.
//
// scikit-learn's SVC is libsvm with the classes sorted; we feed libsvm the class-0 samples first (each class
// in its original order), which gives the same internal problem, so the same solution and predictions
// (checked against scikit-learn in tests/unit/test_mia_golden.c).
#pragma once
#include <stdint.h>

typedef struct {
    double C;            // 3 in the MIA protocol
    double gamma;        // 1 / n_features ("auto")
    double eps;          // stopping tolerance 1e-3
    double cache_mb;     // 200
    int shrinking;       // 1
} SvcParams;

void svc_params_mia(SvcParams* p, int n_features);   // C 3, gamma 1/n_features, eps 1e-3, cache 200, shrinking 1

typedef struct Svc Svc;
// x [n, d] row-major, y[i] in {0, 1}.  With one class only, the model predicts that class everywhere.
Svc* svc_fit(const double* x, const int* y, int64_t n, int d, const SvcParams* p);
int svc_predict(const Svc* m, const double* x);       // one sample of d features -> 0 or 1
double svc_decision(const Svc* m, const double* x);   // scikit-learn's decision_function: > 0 means class 1
void svc_free(Svc* m);
