// loss_kl.c — SCRUB's distillation loss on the host (see loss_kl.h): the reference for the device kernel, and
// the exact arithmetic SCRUB always had (same operations in the same order: CPU results stay bit-identical).
#include "nn/loss_kl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "nn/ops.h"

double kl_distill_add(int N, int K, const float* student, const float* teacher, double T, double weight,
                      int64_t n_global, float* dlogits) {
    UG_CHECK(N >= 0 && K > 0 && T > 0 && n_global > 0, "kl_distill: bad shape N=%d K=%d T=%g n_global=%lld", N, K, T,
             (long long)n_global);
    double total = 0;
    double* q = ug_malloc((size_t)K * 2 * sizeof(double));
    double* pt = q + K;
    for (int i = 0; i < N; i++) {
        const float *zs = student + (size_t)i * K, *zt = teacher + (size_t)i * K;
        double ms = -INFINITY, mt = -INFINITY, ss = 0, st = 0;
        for (int k = 0; k < K; k++) ms = fmax(ms, zs[k] / T), mt = fmax(mt, zt[k] / T);
        for (int k = 0; k < K; k++) ss += exp(zs[k] / T - ms), st += exp(zt[k] / T - mt);
        double kl = 0;
        for (int k = 0; k < K; k++) {
            double log_q = zs[k] / T - ms - log(ss), log_p = zt[k] / T - mt - log(st);
            q[k] = exp(log_q);
            pt[k] = exp(log_p);
            kl += pt[k] * (log_p - log_q);
        }
        total += kl * T * T / (double)n_global;
        if (dlogits)
            for (int k = 0; k < K; k++) dlogits[(size_t)i * K + k] += (float)(weight * (q[k] - pt[k]) * T / (double)n_global);
    }
    free(q);
    return total;
}

double kl_distill_loss(int N, int K, const float* student, const float* teacher, const DistillLoss* l,
                       float* dlogits) {
    UG_CHECK(l->n_global > 0, "kl_distill: the global batch must be > 0 (got %lld)", (long long)l->n_global);
    if (N == 0) return 0;
    if (!l->labels) {
        if (dlogits) memset(dlogits, 0, (size_t)N * K * sizeof(float));
        return l->kl_weight * kl_distill_add(N, K, student, teacher, l->temperature, l->kl_weight, l->n_global,
                                             dlogits);
    }
    float* w = ug_malloc((size_t)N * sizeof(float));
    for (int i = 0; i < N; i++) w[i] = l->ce_weight;
    double loss = gls_xent(N, K, NULL, dlogits, student, l->labels, NULL, w, 1.0f / (float)l->n_global) /
                  (double)l->n_global;
    free(w);
    loss += l->kl_weight * kl_distill_add(N, K, student, teacher, l->temperature, l->kl_weight, l->n_global, dlogits);
    return loss;
}
