// loss_gls.c — softmax cross-entropy with generalised label smoothing, per-sample rate and weight, fused
// with its gradient.  Log-softmax via the max shift (stable for any logits); everything in double;
// serial (cheap next to the network) so the summed loss never depends on the thread count.
#include <math.h>

#include "common/util.h"
#include "nn/ops.h"

double gls_xent(int N, int K, float* loss, float* dlogits, const float* logits, const int32_t* labels,
                const float* alpha, const float* weight, float scale) {
    UG_CHECK(N >= 0 && K > 0, "gls_xent: bad shape N=%d K=%d", N, K);
    for (int i = 0; i < N; i++) {
        UG_CHECK(labels[i] >= 0 && labels[i] < K, "gls_xent: label %d of sample %d is outside 0..%d",
                 (int)labels[i], i, K - 1);
        if (alpha) UG_CHECK(alpha[i] <= 1.0f, "gls_xent: smooth rate %g of sample %d is above 1", alpha[i], i);
    }
    double total = 0.0;
    for (int i = 0; i < N; i++) {
        const float* z = logits + (size_t)i * K;
        double a = alpha ? alpha[i] : 0.0, wt = weight ? weight[i] : 1.0;
        double zmax = z[0];
        for (int k = 1; k < K; k++) if (z[k] > zmax) zmax = z[k];
        double sumexp = 0.0, sumz = 0.0;
        for (int k = 0; k < K; k++) { sumexp += exp(z[k] - zmax); sumz += z[k]; }
        double lse = zmax + log(sumexp);
        double logp_y = z[labels[i]] - lse;
        double mean_logp = sumz / K - lse;
        double l = -(1.0 - a) * logp_y - a * mean_logp;
        if (loss) loss[i] = (float)l;
        total += wt * l;
        if (dlogits) {
            double g = (double)scale * wt;
            float* dz = dlogits + (size_t)i * K;
            for (int k = 0; k < K; k++) {
                double target = a / K + (k == labels[i] ? 1.0 - a : 0.0);
                dz[k] = (float)(g * (exp(z[k] - lse) - target));
            }
        }
    }
    return total;
}
