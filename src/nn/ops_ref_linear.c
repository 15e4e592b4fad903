// ops_ref_linear.c — reference fully connected layer: out[N,Out] = in[N,In] · W[Out,In]^T + b, double accumulation.
#include "nn/ops_internal.h"

void linear_forward_ref(int N, int In, int Out, float* out, const float* in, const float* w, const float* bias) {
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int o = 0; o < Out; o++) {
            double acc = bias ? bias[o] : 0.0;
            const float* x = in + (size_t)n * In;
            const float* wo = w + (size_t)o * In;
            for (int i = 0; i < In; i++) acc += (double)x[i] * wo[i];
            out[(size_t)n * Out + o] = (float)acc;
        }
}

void linear_backward_ref(int N, int In, int Out, float* din, float* dw, float* dbias,
                         const float* dout, const float* in, const float* w) {
    if (din) {
#pragma omp parallel for collapse(2) schedule(static)
        for (int n = 0; n < N; n++)
            for (int i = 0; i < In; i++) {
                double acc = 0.0;
                for (int o = 0; o < Out; o++) acc += (double)dout[(size_t)n * Out + o] * w[(size_t)o * In + i];
                din[(size_t)n * In + i] = (float)acc;
            }
    }
    if (dw) {
#pragma omp parallel for collapse(2) schedule(static)
        for (int o = 0; o < Out; o++)
            for (int i = 0; i < In; i++) {
                double acc = 0.0;
                for (int n = 0; n < N; n++) acc += (double)dout[(size_t)n * Out + o] * in[(size_t)n * In + i];
                dw[(size_t)o * In + i] = (float)acc;
            }
    }
    if (dbias) {
        for (int o = 0; o < Out; o++) {
            double acc = 0.0;
            for (int n = 0; n < N; n++) acc += dout[(size_t)n * Out + o];
            dbias[o] = (float)acc;
        }
    }
}
