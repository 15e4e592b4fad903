// IU: the WoodFisher inverse-Fisher-vector product equals an exact solve of F x = v with the P×P empirical
// Fisher F = λI + (1/N) Σ g gᵀ formed explicitly, for per-sample gradients of a model small enough (P ≈ 200),
// with fewer and with more samples than parameters, and a small and a large damping.
#include "harness.h"

#include <stdlib.h>

#include "nn/ops.h"
#include "test_baselines_common.h"

// Gaussian elimination with partial pivoting on [A | b] in double.
static void exact_solve(double* A, double* b, int n) {
    for (int c = 0; c < n; c++) {
        int piv = c;
        for (int r = c + 1; r < n; r++)
            if (fabs(A[(size_t)r * n + c]) > fabs(A[(size_t)piv * n + c])) piv = r;
        if (piv != c) {
            for (int k = 0; k < n; k++) {
                double t = A[(size_t)c * n + k];
                A[(size_t)c * n + k] = A[(size_t)piv * n + k];
                A[(size_t)piv * n + k] = t;
            }
            double t = b[c]; b[c] = b[piv]; b[piv] = t;
        }
        for (int r = c + 1; r < n; r++) {
            double f = A[(size_t)r * n + c] / A[(size_t)c * n + c];
            for (int k = c; k < n; k++) A[(size_t)r * n + k] -= f * A[(size_t)c * n + k];
            b[r] -= f * b[c];
        }
    }
    for (int r = n - 1; r >= 0; r--) {
        double s = b[r];
        for (int k = r + 1; k < n; k++) s -= A[(size_t)r * n + k] * b[k];
        b[r] = s / A[(size_t)r * n + r];
    }
}

static void check_case(int N, double damping) {
    enum { K = 3 };
    Model* m = tb_model(1, K, 7);   // width 1: P = 9+2+18+4+72+8+15 = 128
    const size_t P = m->num_params;
    float* G = malloc((size_t)N * P * sizeof(float));
    float x[TB_H * TB_H], dl[K];
    Rng r;
    rng_init(&r, 3, RNG_MISC, (uint64_t)N, 0);
    for (int i = 0; i < N; i++) {   // per-sample gradients, batch-1 backward in eval mode (as iu_run)
        for (int j = 0; j < TB_H * TB_H; j++) x[j] = rng_normal(&r);
        int32_t y = (int32_t)rng_below(&r, K);
        const float* z = model_forward(m, 1, x, 0);
        gls_xent(1, K, NULL, dl, z, &y, NULL, NULL, 1.0f);
        model_backward(m, dl);
        memcpy(G + (size_t)i * P, m->grads, P * sizeof(float));
    }
    float* v = malloc(P * sizeof(float));
    float* got = malloc(P * sizeof(float));
    for (size_t p = 0; p < P; p++) v[p] = rng_normal(&r);
    woodfisher_ihvp(G, N, P, damping, v, got);
    double* F = calloc(P * P, sizeof(double));
    double* want = malloc(P * sizeof(double));
    for (size_t a = 0; a < P; a++) {
        for (size_t b = 0; b < P; b++) {
            double s = 0;
            for (int i = 0; i < N; i++) s += (double)G[(size_t)i * P + a] * G[(size_t)i * P + b];
            F[a * P + b] = s / N + (a == b ? damping : 0);
        }
        want[a] = v[a];
    }
    exact_solve(F, want, (int)P);
    double err = 0, norm = 0, moved = 0;
    for (size_t p = 0; p < P; p++) {
        err = fmax(err, fabs(got[p] - want[p]));
        norm = fmax(norm, fabs(want[p]));
        moved = fmax(moved, fabs(want[p] - v[p] / damping));
    }
    CHECK(err <= 1e-3 * norm, "N=%d damping %g: max |Woodbury - exact| = %g (max |exact| %g)", N, damping, err, norm);
    // The Fisher term matters: the answer is not just v/λ (else the check above would be weak).
    CHECK(moved > 0.05 * norm, "N=%d damping %g: F⁻¹v ≈ v/λ, the case does not exercise the Fisher", N, damping);
    free(G); free(v); free(got); free(F); free(want);
    model_destroy(m);
}

static void fewer_samples_than_params(void) { check_case(40, 1e-2); }
static void more_samples_than_params(void) { check_case(300, 1e-3); }
static void large_damping(void) { check_case(40, 1.0); }

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(fewer_samples_than_params);
    TEST_CASE(more_samples_than_params);
    TEST_CASE(large_damping);
    return th_end();
}
