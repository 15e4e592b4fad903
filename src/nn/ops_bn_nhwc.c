// ops_bn_nhwc.c — hand-written NHWC batch norm for the fast path: rows of C contiguous floats, vectorised
// over C, OpenMP over row chunks.  Two passes forward (statistics; normalise) and two backward (sums;
// input gradient).  Statistics: float partial sums over blocks of rows (shifted by the first row against
// cancellation), folded into double per thread, threads combined in a fixed order — deterministic for a
// given thread count.
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "nn/ops_internal.h"

enum { BLOCK_ROWS = 64, MAX_THREADS = 256 };

// Per-channel sums over rows of (a - shift) and (a - shift)·(b - shift2) style products are produced by
// the two kernels below; each thread writes its double partials to part[t][2C].
static void row_range(size_t M, int t, int T, size_t* lo, size_t* hi) {
    *lo = M * t / T;
    *hi = M * (t + 1) / T;
}

// part[t][0..C): Σ (x - shift), part[t][C..2C): Σ (x - shift)^2
static void stats_partial(size_t lo, size_t hi, int C, const float* x, const float* shift, double* part, float* acc) {
    for (int c = 0; c < 2 * C; c++) part[c] = 0.0;
    for (size_t r0 = lo; r0 < hi; r0 += BLOCK_ROWS) {
        size_t r1 = r0 + BLOCK_ROWS < hi ? r0 + BLOCK_ROWS : hi;
        float *s = acc, *q = acc + C;
        for (int c = 0; c < C; c++) s[c] = q[c] = 0.0f;
        for (size_t r = r0; r < r1; r++) {
            const float* row = x + r * C;
#pragma omp simd
            for (int c = 0; c < C; c++) {
                float d = row[c] - shift[c];
                s[c] += d;
                q[c] += d * d;
            }
        }
        for (int c = 0; c < C; c++) { part[c] += s[c]; part[C + c] += q[c]; }
    }
}

// part[t][0..C): Σ dy, part[t][C..2C): Σ dy·(x - mean)
static void grad_partial(size_t lo, size_t hi, int C, const float* dy, const float* x, const float* mean,
                         double* part, float* acc) {
    for (int c = 0; c < 2 * C; c++) part[c] = 0.0;
    for (size_t r0 = lo; r0 < hi; r0 += BLOCK_ROWS) {
        size_t r1 = r0 + BLOCK_ROWS < hi ? r0 + BLOCK_ROWS : hi;
        float *s = acc, *q = acc + C;
        for (int c = 0; c < C; c++) s[c] = q[c] = 0.0f;
        for (size_t r = r0; r < r1; r++) {
            const float *g = dy + r * C, *row = x + r * C;
#pragma omp simd
            for (int c = 0; c < C; c++) {
                s[c] += g[c];
                q[c] += g[c] * (row[c] - mean[c]);
            }
        }
        for (int c = 0; c < C; c++) { part[c] += s[c]; part[C + c] += q[c]; }
    }
}

// Runs kernel over T row chunks and sums the partials in thread order into out[2C] (double).
typedef struct { int C; const float *a, *b, *c; } BnArgs;
static void reduce_rows(size_t M, int C, int stats, const BnArgs* args, double* out) {
    int T = omp_get_max_threads();
    if (T > MAX_THREADS) T = MAX_THREADS;
    if ((size_t)T > M) T = (int)M;
    double* part = ug_malloc((size_t)T * 2 * C * sizeof(double));
    float* acc = ug_malloc((size_t)T * 2 * C * sizeof(float));
#pragma omp parallel for num_threads(T) schedule(static, 1)
    for (int t = 0; t < T; t++) {
        size_t lo, hi;
        row_range(M, t, T, &lo, &hi);
        if (stats) stats_partial(lo, hi, C, args->a, args->b, part + (size_t)t * 2 * C, acc + (size_t)t * 2 * C);
        else grad_partial(lo, hi, C, args->a, args->b, args->c, part + (size_t)t * 2 * C, acc + (size_t)t * 2 * C);
    }
    for (int c = 0; c < 2 * C; c++) out[c] = 0.0;
    for (int t = 0; t < T; t++)
        for (int c = 0; c < 2 * C; c++) out[c] += part[(size_t)t * 2 * C + c];
    free(part);
    free(acc);
}

// y = (x - center[c])·scale[c] + shift[c]   (centred first: no cancellation when |mean| >> std)
static void affine_rows(size_t M, int C, float* y, const float* x, const float* center, const float* scale,
                        const float* shift) {
#pragma omp parallel for schedule(static)
    for (size_t r = 0; r < M; r++) {
        const float* row = x + r * C;
        float* out = y + r * C;
#pragma omp simd
        for (int c = 0; c < C; c++) out[c] = (row[c] - center[c]) * scale[c] + shift[c];
    }
}

void bn_nhwc_forward_train(int HW, int C, int N, float* out, float* save_mean, float* save_invstd,
                           const float* in, const float* gamma, const float* beta, float* run_mean,
                           float* run_var, float momentum, float eps) {
    const size_t M = (size_t)N * HW;
    double* sums = ug_malloc(2 * (size_t)C * sizeof(double));
    float* tmp = ug_malloc(4 * (size_t)C * sizeof(float));      // shift, scale, beta, mean
    memcpy(tmp, in, C * sizeof(float));                         // first row as the shift
    BnArgs a = {C, in, tmp, NULL};
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
    affine_rows(M, C, out, in, tmp + 3 * C, tmp + C, tmp + 2 * C);
    free(sums); free(tmp);
}

void bn_nhwc_forward_eval(int HW, int C, int N, float* out, const float* in, const float* gamma,
                          const float* beta, const float* run_mean, const float* run_var, float eps) {
    float* sc = ug_malloc((size_t)C * sizeof(float));
    for (int c = 0; c < C; c++) sc[c] = (float)(gamma[c] / sqrt((double)run_var[c] + (double)eps));
    affine_rows((size_t)N * HW, C, out, in, run_mean, sc, beta);
    free(sc);
}

void bn_nhwc_backward(int HW, int C, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                      const float* in, const float* gamma, const float* save_mean, const float* save_invstd) {
    const size_t M = (size_t)N * HW;
    double* sums = ug_malloc(2 * (size_t)C * sizeof(double));
    BnArgs a = {C, dout, in, save_mean};
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
#pragma omp simd
            for (int c = 0; c < C; c++) o[c] = A[c] * g[c] + B[c] * (x[c] - save_mean[c]) + D[c];
        }
    }
    free(sums); free(k);
}
