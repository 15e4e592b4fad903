// ops_pool.c — max-pool with argmax and global average pool, NHWC (one implementation for both backends;
// parallel over samples only, so results do not depend on the thread count).
#include <math.h>
#include <string.h>

#include "common/util.h"
#include "nn/ops_internal.h"

PoolDims pool_dims(int H, int W, int C, int R, int stride, int pad) {
    UG_CHECK(H > 0 && W > 0 && C > 0 && R > 0 && stride > 0 && pad >= 0,
             "pool_dims: bad shape H=%d W=%d C=%d R=%d stride=%d pad=%d", H, W, C, R, stride, pad);
    // As PyTorch: pad at most half the window, so every window sees at least one real value.
    UG_CHECK(2 * pad <= R, "pool_dims: pad %d exceeds half the %dx%d window", pad, R, R);
    UG_CHECK(H + 2 * pad >= R && W + 2 * pad >= R, "pool_dims: %dx%d window larger than the padded %dx%d input",
             R, R, H + 2 * pad, W + 2 * pad);
    PoolDims d = {H, W, C, R, stride, pad, 0, 0};
    d.P = (H + 2 * pad - R) / stride + 1;   // floor mode (PyTorch default)
    d.Q = (W + 2 * pad - R) / stride + 1;
    return d;
}

void maxpool_forward(PoolDims d, int N, float* out, int32_t* argmax, const float* in) {
    const int H = d.H, W = d.W, C = d.C, P = d.P, Q = d.Q;
#pragma omp parallel for collapse(2) schedule(static)
    for (int n = 0; n < N; n++)
        for (int p = 0; p < P; p++)
            for (int q = 0; q < Q; q++) {
                float* o = out + (((size_t)n * P + p) * Q + q) * C;
                int32_t* am = argmax + (((size_t)n * P + p) * Q + q) * C;
                for (int c = 0; c < C; c++) { o[c] = -INFINITY; am[c] = -1; }
                for (int r = 0; r < d.R; r++) {
                    int h = p * d.stride - d.pad + r;
                    if (h < 0 || h >= H) continue;
                    for (int s = 0; s < d.R; s++) {
                        int x = q * d.stride - d.pad + s;
                        if (x < 0 || x >= W) continue;
                        const float* src = in + (((size_t)n * H + h) * W + x) * C;
                        int32_t idx = h * W + x;
                        // first maximum wins on ties; NaN propagates (as PyTorch)
                        for (int c = 0; c < C; c++)
                            if (am[c] < 0 || src[c] > o[c] || (isnan(src[c]) && !isnan(o[c]))) {
                                o[c] = src[c];
                                am[c] = idx;
                            }
                    }
                }
            }
}

void maxpool_backward(PoolDims d, int N, float* din, const float* dout, const int32_t* argmax) {
    const int HW = d.H * d.W, C = d.C, PQ = d.P * d.Q;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        float* dn = din + (size_t)n * HW * C;
        memset(dn, 0, (size_t)HW * C * sizeof(float));
        for (int pq = 0; pq < PQ; pq++) {
            const float* g = dout + ((size_t)n * PQ + pq) * C;
            const int32_t* am = argmax + ((size_t)n * PQ + pq) * C;
            for (int c = 0; c < C; c++) dn[(size_t)am[c] * C + c] += g[c];
        }
    }
}

void avgpool_global_forward(int N, int HW, int C, float* out, const float* in) {
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++) {
        double acc[C];
        for (int c = 0; c < C; c++) acc[c] = 0.0;
        for (int i = 0; i < HW; i++) {
            const float* src = in + ((size_t)n * HW + i) * C;
            for (int c = 0; c < C; c++) acc[c] += src[c];
        }
        for (int c = 0; c < C; c++) out[(size_t)n * C + c] = (float)(acc[c] / HW);
    }
}

void avgpool_global_backward(int N, int HW, int C, float* din, const float* dout) {
    const float inv = 1.0f / (float)HW;
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; n++)
        for (int i = 0; i < HW; i++) {
            float* dst = din + ((size_t)n * HW + i) * C;
            for (int c = 0; c < C; c++) dst[c] = dout[(size_t)n * C + c] * inv;
        }
}
