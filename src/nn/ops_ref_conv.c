// ops_ref_conv.c — reference convolution (NHWC activations, OIHW weights), double accumulation.
// Parallel only over independent outputs, so the result does not depend on the thread count.
#include <stdlib.h>

#include "common/util.h"
#include "nn/ops_internal.h"

void conv_forward_ref(ConvDims d, int N, float* out, const float* in, const float* w, const float* bias) {
    const int H = d.H, W = d.W, C = d.C, K = d.K, R = d.R, S = d.S, P = d.P, Q = d.Q;
    // [K][R][S][C]: the inner loop over C runs over contiguous memory on both sides.
    float* wt = ug_malloc((size_t)K * R * S * C * sizeof(float));
    for (int k = 0; k < K; k++)
        for (int c = 0; c < C; c++)
            for (int r = 0; r < R; r++)
                for (int s = 0; s < S; s++)
                    wt[(((size_t)k * R + r) * S + s) * C + c] = w[(((size_t)k * C + c) * R + r) * S + s];
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int p = 0; p < P; p++)
            for (int q = 0; q < Q; q++)
                for (int k = 0; k < K; k++) {
                    double acc = bias ? bias[k] : 0.0;
                    for (int r = 0; r < R; r++) {
                        int h = p * d.stride - d.pad + r;
                        if (h < 0 || h >= H) continue;
                        for (int s = 0; s < S; s++) {
                            int x = q * d.stride - d.pad + s;
                            if (x < 0 || x >= W) continue;
                            const float* src = in + (((size_t)n * H + h) * W + x) * C;
                            const float* wk = wt + (((size_t)k * R + r) * S + s) * C;
                            for (int c = 0; c < C; c++) acc += (double)src[c] * wk[c];
                        }
                    }
                    out[(((size_t)n * P + p) * Q + q) * K + k] = (float)acc;
                }
    free(wt);
}

void conv_backward_ref(ConvDims d, int N, float* din, float* dw, float* dbias,
                       const float* dout, const float* in, const float* w) {
    const int H = d.H, W = d.W, C = d.C, K = d.K, R = d.R, S = d.S, P = d.P, Q = d.Q;
    if (din) {
        // [R][S][C][K]: the sum over K is contiguous in both dout and the weights.
        float* wt = ug_malloc((size_t)K * R * S * C * sizeof(float));
        for (int k = 0; k < K; k++)
            for (int c = 0; c < C; c++)
                for (int r = 0; r < R; r++)
                    for (int s = 0; s < S; s++)
                        wt[(((size_t)r * S + s) * C + c) * K + k] = w[(((size_t)k * C + c) * R + r) * S + s];
#pragma omp parallel for collapse(2) schedule(static)
        for (int n = 0; n < N; n++)
            for (int h = 0; h < H; h++)
                for (int x = 0; x < W; x++)
                    for (int c = 0; c < C; c++) {
                        double acc = 0.0;
                        for (int r = 0; r < R; r++) {
                            int ph = h + d.pad - r;
                            if (ph < 0 || ph % d.stride) continue;
                            int p = ph / d.stride;
                            if (p >= P) continue;
                            for (int s = 0; s < S; s++) {
                                int qw = x + d.pad - s;
                                if (qw < 0 || qw % d.stride) continue;
                                int q = qw / d.stride;
                                if (q >= Q) continue;
                                const float* g = dout + (((size_t)n * P + p) * Q + q) * K;
                                const float* wc = wt + (((size_t)r * S + s) * C + c) * K;
                                for (int k = 0; k < K; k++) acc += (double)g[k] * wc[k];
                            }
                        }
                        din[(((size_t)n * H + h) * W + x) * C + c] = (float)acc;
                    }
        free(wt);
    }
    if (dw || dbias) {
#pragma omp parallel
        {
            double* acc = ug_malloc((size_t)R * S * C * sizeof(double));
#pragma omp for schedule(static)
            for (int k = 0; k < K; k++) {
                for (size_t i = 0; i < (size_t)R * S * C; i++) acc[i] = 0.0;
                double bsum = 0.0;
                for (int n = 0; n < N; n++)
                    for (int p = 0; p < P; p++)
                        for (int q = 0; q < Q; q++) {
                            double g = dout[(((size_t)n * P + p) * Q + q) * K + k];
                            bsum += g;
                            if (!dw) continue;
                            for (int r = 0; r < R; r++) {
                                int h = p * d.stride - d.pad + r;
                                if (h < 0 || h >= H) continue;
                                for (int s = 0; s < S; s++) {
                                    int x = q * d.stride - d.pad + s;
                                    if (x < 0 || x >= W) continue;
                                    const float* src = in + (((size_t)n * H + h) * W + x) * C;
                                    double* a = acc + ((size_t)r * S + s) * C;
                                    for (int c = 0; c < C; c++) a[c] += g * src[c];
                                }
                            }
                        }
                if (dbias) dbias[k] = (float)bsum;
                if (dw)
                    for (int c = 0; c < C; c++)
                        for (int r = 0; r < R; r++)
                            for (int s = 0; s < S; s++)
                                dw[(((size_t)k * C + c) * R + r) * S + s] = (float)acc[((size_t)r * S + s) * C + c];
            }
            free(acc);
        }
    }
}
