// ops_ref_bn.c — reference batch normalisation (PyTorch semantics), double accumulation, NHWC.
#include <math.h>

#include "common/util.h"
#include "nn/ops_internal.h"

void bn_forward_train_ref(int HW, int C, int N, float* out, float* save_mean, float* save_invstd,
                          const float* in, const float* gamma, const float* beta, float* run_mean,
                          float* run_var, float momentum, float eps) {
    const size_t M = (size_t)N * HW;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double sum = 0.0;
        for (size_t i = 0; i < M; i++) sum += in[i * C + c];
        double mean = sum / (double)M, sq = 0.0;
        for (size_t i = 0; i < M; i++) { double t = in[i * C + c] - mean; sq += t * t; }
        double var = sq / (double)M;                       // biased: used to normalise
        double invstd = 1.0 / sqrt(var + (double)eps);
        double g = gamma[c], b = beta[c];
        for (size_t i = 0; i < M; i++) out[i * C + c] = (float)((in[i * C + c] - mean) * invstd * g + b);
        if (save_mean) save_mean[c] = (float)mean;
        if (save_invstd) save_invstd[c] = (float)invstd;
        if (run_mean) run_mean[c] = (float)((1.0 - momentum) * run_mean[c] + momentum * mean);
        // unbiased for the running estimate (PyTorch); M > 1 is checked by the caller
        if (run_var) run_var[c] = (float)((1.0 - momentum) * run_var[c] + momentum * sq / (double)(M - 1));
    }
}

void bn_forward_eval_ref(int HW, int C, int N, float* out, const float* in, const float* gamma,
                         const float* beta, const float* run_mean, const float* run_var, float eps) {
    const size_t M = (size_t)N * HW;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double invstd = 1.0 / sqrt((double)run_var[c] + (double)eps);
        double mean = run_mean[c], g = gamma[c], b = beta[c];
        for (size_t i = 0; i < M; i++) out[i * C + c] = (float)((in[i * C + c] - mean) * invstd * g + b);
    }
}

void bn_backward_ref(int HW, int C, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                     const float* in, const float* gamma, const float* save_mean, const float* save_invstd) {
    const size_t M = (size_t)N * HW;
#pragma omp parallel for schedule(static)
    for (int c = 0; c < C; c++) {
        double mean = save_mean[c], invstd = save_invstd[c];
        double sum_g = 0.0, sum_gx = 0.0;                  // dbeta, dgamma
        for (size_t i = 0; i < M; i++) {
            double g = dout[i * C + c];
            sum_g += g;
            sum_gx += g * (in[i * C + c] - mean) * invstd;
        }
        if (dbeta) dbeta[c] = (float)sum_g;
        if (dgamma) dgamma[c] = (float)sum_gx;
        if (din) {
            double k = gamma[c] * invstd / (double)M;
            for (size_t i = 0; i < M; i++) {
                double xhat = (in[i * C + c] - mean) * invstd;
                din[i * C + c] = (float)(k * ((double)M * dout[i * C + c] - sum_g - xhat * sum_gx));
            }
        }
    }
}
