// ops_bn_nhwc.c — hand-written NHWC batch norm for the fast path, optionally fused with the ReLU that
// follows it: rows of C contiguous floats, vectorised over C, OpenMP over row chunks.  Two passes forward
// (statistics; normalise [+ relu]) and two backward (sums; input gradient), the ReLU mask read from the
// forward output inside both — so BN+ReLU costs 4 memory passes less than the two ops apart.  Statistics: float partial sums over blocks of rows (shifted by the first row against
// cancellation), folded into double per thread, threads combined in a fixed order — deterministic for a
// given thread count.
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "nn/ops_internal.h"

enum { BLOCK_ROWS = 64, MAX_THREADS = 256 };

static void row_range(size_t M, int t, int T, size_t* lo, size_t* hi) {
    *lo = M * t / T;
    *hi = M * (t + 1) / T;
}

// Channels are processed in chunks of CHUNK (a constant trip count the compiler keeps in vector registers)
// over a block of rows, then folded into the double partials.
enum { CHUNK = 16 };

// part[0..C): Σ (x - shift), part[C..2C): Σ (x - shift)^2 over rows [lo, hi)
static void stats_partial(size_t lo, size_t hi, int C, const float* x, const float* shift, double* part) {
    for (int c = 0; c < 2 * C; c++) part[c] = 0.0;
    for (size_t r0 = lo; r0 < hi; r0 += BLOCK_ROWS) {
        size_t r1 = r0 + BLOCK_ROWS < hi ? r0 + BLOCK_ROWS : hi;
        for (int c0 = 0; c0 < C; c0 += CHUNK) {
            float s[CHUNK] = {0}, q[CHUNK] = {0}, sh[CHUNK] = {0};
            int n = C - c0 < CHUNK ? C - c0 : CHUNK;
            if (n == CHUNK) {
                for (int j = 0; j < CHUNK; j++) sh[j] = shift[c0 + j];
                for (size_t r = r0; r < r1; r++) {
                    const float* row = x + r * C + c0;
#pragma omp simd
                    for (int j = 0; j < CHUNK; j++) {
                        float d = row[j] - sh[j];
                        s[j] += d;
                        q[j] += d * d;
                    }
                }
            } else {
                for (size_t r = r0; r < r1; r++)
                    for (int j = 0; j < n; j++) {
                        float d = x[r * C + c0 + j] - shift[c0 + j];
                        s[j] += d;
                        q[j] += d * d;
                    }
            }
            for (int j = 0; j < n; j++) { part[c0 + j] += s[j]; part[C + c0 + j] += q[j]; }
        }
    }
}

// part[0..C): Σ dy, part[C..2C): Σ dy·(x - mean) over rows [lo, hi); with y != NULL, dy is first masked
// by y > 0 (the fused ReLU's backward)
static void grad_partial(size_t lo, size_t hi, int C, const float* dy, const float* x, const float* mean,
                         const float* y, double* part) {
    for (int c = 0; c < 2 * C; c++) part[c] = 0.0;
    for (size_t r0 = lo; r0 < hi; r0 += BLOCK_ROWS) {
        size_t r1 = r0 + BLOCK_ROWS < hi ? r0 + BLOCK_ROWS : hi;
        for (int c0 = 0; c0 < C; c0 += CHUNK) {
            float s[CHUNK] = {0}, q[CHUNK] = {0}, m[CHUNK] = {0};
            int n = C - c0 < CHUNK ? C - c0 : CHUNK;
            if (n == CHUNK) {
                for (int j = 0; j < CHUNK; j++) m[j] = mean[c0 + j];
                for (size_t r = r0; r < r1; r++) {
                    const float *g = dy + r * C + c0, *row = x + r * C + c0;
                    if (y) {
                        const float* yr = y + r * C + c0;
#pragma omp simd
                        for (int j = 0; j < CHUNK; j++) {
                            float gm = yr[j] > 0.0f ? g[j] : 0.0f;
                            s[j] += gm;
                            q[j] += gm * (row[j] - m[j]);
                        }
                    } else {
#pragma omp simd
                        for (int j = 0; j < CHUNK; j++) {
                            s[j] += g[j];
                            q[j] += g[j] * (row[j] - m[j]);
                        }
                    }
                }
            } else {
                for (size_t r = r0; r < r1; r++)
                    for (int j = 0; j < n; j++) {
                        float g = dy[r * C + c0 + j];
                        if (y && !(y[r * C + c0 + j] > 0.0f)) g = 0.0f;
                        s[j] += g;
                        q[j] += g * (x[r * C + c0 + j] - mean[c0 + j]);
                    }
            }
            for (int j = 0; j < n; j++) { part[c0 + j] += s[j]; part[C + c0 + j] += q[j]; }
        }
    }
}

// Runs kernel over T row chunks and sums the partials in thread order into out[2C] (double).
typedef struct { int C; const float *a, *b, *c, *d; } BnArgs;
static void reduce_rows(size_t M, int C, int stats, const BnArgs* args, double* out) {
    int T = omp_get_max_threads();
    if (T > MAX_THREADS) T = MAX_THREADS;
    if ((size_t)T > M) T = (int)M;
    double* part = ug_malloc((size_t)T * 2 * C * sizeof(double));
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < T; t++) {
        size_t lo, hi;
        row_range(M, t, T, &lo, &hi);
        if (stats) stats_partial(lo, hi, C, args->a, args->b, part + (size_t)t * 2 * C);
        else grad_partial(lo, hi, C, args->a, args->b, args->c, args->d, part + (size_t)t * 2 * C);
    }
    for (int c = 0; c < 2 * C; c++) out[c] = 0.0;
    for (int t = 0; t < T; t++)
        for (int c = 0; c < 2 * C; c++) out[c] += part[(size_t)t * 2 * C + c];
    free(part);
}

// y = (x - center[c])·scale[c] + shift[c], then max(0, .) when relu   (centred first: no cancellation
// when |mean| >> std)
static void affine_rows(size_t M, int C, float* y, const float* x, const float* center, const float* scale,
                        const float* shift, int relu) {
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < M; r++) {
        const float* row = x + r * C;
        float* out = y + r * C;
        if (relu) {
#pragma omp simd
            for (int c = 0; c < C; c++) {
                float v = (row[c] - center[c]) * scale[c] + shift[c];
                out[c] = v > 0.0f ? v : 0.0f;
            }
        } else {
#pragma omp simd
            for (int c = 0; c < C; c++) out[c] = (row[c] - center[c]) * scale[c] + shift[c];
        }
    }
}

void bn_nhwc_forward_train(int HW, int C, int N, float* out, float* save_mean, float* save_invstd,
                           const float* in, const float* gamma, const float* beta, float* run_mean,
                           float* run_var, float momentum, float eps, int relu) {
    const size_t M = (size_t)N * HW;
    double* sums = ug_malloc(2 * (size_t)C * sizeof(double));
    float* tmp = ug_malloc(4 * (size_t)C * sizeof(float));      // shift, scale, beta, mean
    memcpy(tmp, in, C * sizeof(float));                         // first row as the shift
    BnArgs a = {C, in, tmp, NULL, NULL};
    reduce_rows(M, C, 1, &a, sums);
    for (int c = 0; c < C; c++) {
        double dm = sums[c] / (double)M;                        // mean of (x - shift)
        double var = sums[C + c] / (double)M - dm * dm;
        if (var < 0) var = 0;
        double mean = tmp[c] + dm, invstd = 1.0 / sqrt(var + (double)eps);
        if (save_mean) save_mean[c] = (float)mean;
        if (save_invstd) save_invstd[c] = (float)invstd;
        if (run_mean) run_mean[c] = (float)((1.0 - momentum) * run_mean[c] + momentum * mean);
        if (run_var) run_var[c] = (float)((1.0 - momentum) * run_var[c] + momentum * var * M / (double)(M - 1));
        double sc = gamma[c] * invstd;
        tmp[C + c] = (float)sc;
        tmp[2 * C + c] = beta[c];
        tmp[3 * C + c] = (float)mean;
    }
    affine_rows(M, C, out, in, tmp + 3 * C, tmp + C, tmp + 2 * C, relu);
    free(sums); free(tmp);
}

void bn_nhwc_forward_eval(int HW, int C, int N, float* out, const float* in, const float* gamma,
                          const float* beta, const float* run_mean, const float* run_var, float eps, int relu) {
    float* sc = ug_malloc((size_t)C * sizeof(float));
    for (int c = 0; c < C; c++) sc[c] = (float)(gamma[c] / sqrt((double)run_var[c] + (double)eps));
    affine_rows((size_t)N * HW, C, out, in, run_mean, sc, beta, relu);
    free(sc);
}

void bn_nhwc_backward(int HW, int C, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                      const float* relu_out, const float* in, const float* gamma, const float* save_mean,
                      const float* save_invstd) {
    const size_t M = (size_t)N * HW;
    double* sums = ug_malloc(2 * (size_t)C * sizeof(double));
    BnArgs a = {C, dout, in, save_mean, relu_out};
    reduce_rows(M, C, 0, &a, sums);
    float* k = ug_malloc(3 * (size_t)C * sizeof(float));        // din = A·dy + B·(x - mean) + D
    for (int c = 0; c < C; c++) {
        double is = save_invstd[c], s1 = sums[c], s2 = sums[C + c];
        if (dbeta) dbeta[c] = (float)s1;
        if (dgamma) dgamma[c] = (float)(s2 * is);
        double A = gamma[c] * is, B = -gamma[c] * is * is * is * s2 / (double)M;
        k[c] = (float)A;
        k[C + c] = (float)B;
        k[2 * C + c] = (float)(-A * s1 / (double)M);
    }
    if (din) {
        const float *A = k, *B = k + C, *D = k + 2 * C;
#pragma omp parallel for schedule(static)
        for (size_t r = 0; r < M; r++) {
            const float *g = dout + r * C, *x = in + r * C;
            float* o = din + r * C;
            if (relu_out) {
                const float* y = relu_out + r * C;
#pragma omp simd
                for (int c = 0; c < C; c++) {
                    float gm = y[c] > 0.0f ? g[c] : 0.0f;
                    o[c] = A[c] * gm + B[c] * (x[c] - save_mean[c]) + D[c];
                }
            } else {
#pragma omp simd
                for (int c = 0; c < C; c++) o[c] = A[c] * g[c] + B[c] * (x[c] - save_mean[c]) + D[c];
            }
        }
    }
    free(sums); free(k);
}
