// ops_blas.c — the fast fully connected layer on OpenBLAS sgemm (row-major).
#include <cblas.h>
#include <omp.h>

#include "nn/ops_internal.h"

// Debian's OpenBLAS runs its own pthread pool (default: every core), which ignores omp_set_num_threads.
// Keep it at the OpenMP thread count the rest of the engine uses, so that e.g. 2 MPI ranks x 1 thread
// do not oversubscribe 2 cores.
static void blas_follow_omp_threads(void) {
    static int current;
    int t = omp_get_max_threads();
    if (t != current) {
        openblas_set_num_threads(t);
        current = t;
    }
}

void linear_forward_fast(int N, int In, int Out, float* out, const float* in, const float* w, const float* bias) {
    blas_follow_omp_threads();
    float beta = 0.0f;
    if (bias) {
        for (int n = 0; n < N; n++)
            for (int o = 0; o < Out; o++) out[(size_t)n * Out + o] = bias[o];
        beta = 1.0f;
    }
    // out[N,Out] = in[N,In] · w[Out,In]^T
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, Out, In, 1.0f, in, In, w, In, beta, out, Out);
}

void linear_backward_fast(int N, int In, int Out, float* din, float* dw, float* dbias,
                          const float* dout, const float* in, const float* w) {
    blas_follow_omp_threads();
    // din[N,In] = dout[N,Out] · w[Out,In]
    if (din) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, N, In, Out, 1.0f, dout, Out, w, In, 0.0f, din, In);
    // dw[Out,In] = dout[N,Out]^T · in[N,In]
    if (dw) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Out, In, N, 1.0f, dout, Out, in, In, 0.0f, dw, In);
    if (dbias) {
        for (int o = 0; o < Out; o++) dbias[o] = 0.0f;
        for (int n = 0; n < N; n++)
            for (int o = 0; o < Out; o++) dbias[o] += dout[(size_t)n * Out + o];
    }
}
