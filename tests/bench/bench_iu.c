// bench_iu.c — the cost of IU (influence unlearning, WoodFisher) on CIFAR ResNet-18, for docs/BASELINES.md:
// per-sample gradient time (batch-1 forward + backward, eval-mode BN), batched gradient time per sample (the
// v = forget − retain gradient passes), and the WoodFisher solve for n rows, extrapolated to N rows (the Gram
// matrix costs N²·P, the rest N·P).  Prints `bench: name value unit` lines.
// Usage: build/tests/bench/bench_iu [--width 64] [--rows 64] [--N 1000] [--samples 8] [--threads 2]
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "nn/ops.h"
#include "unlearn/baselines.h"

int main(int argc, char** argv) {
    int width = 64, rows = 64, N = 1000, samples = 8, threads = 2, batch = 128;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--width")) width = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--rows")) rows = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--N")) N = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--samples")) samples = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else ug_die("bench_iu: unknown option %s", argv[i]);
    }
    omp_set_num_threads(threads);
    ModelConfig cfg = {.arch = ARCH_RESNET18, .width = width, .num_classes = 10, .in_h = 32, .in_w = 32, .in_c = 3};
    Model* m = model_create(&cfg, BACKEND_FAST);
    model_init(m, 1);
    const size_t P = m->num_params;
    Rng r;
    rng_init(&r, 1, RNG_MISC, 0, 0);
    size_t nx = (size_t)batch * 32 * 32 * 3;
    float* x = ug_aligned_alloc(nx * sizeof(float));
    for (size_t i = 0; i < nx; i++) x[i] = rng_normal(&r);
    int32_t y[128];
    for (int i = 0; i < batch; i++) y[i] = i % 10;
    float* dl = ug_aligned_alloc((size_t)batch * 10 * sizeof(float));
    printf("bench: iu_resnet18_w%d_params %zu count\n", width, P);

    model_forward(m, 1, x, 0);   // warm-up (primitive creation)
    gls_xent(1, 10, NULL, dl, model_forward(m, 1, x, 0), y, NULL, NULL, 1.0f);
    model_backward(m, dl);
    double t0 = ug_now();
    for (int s = 0; s < samples; s++) {
        const float* z = model_forward(m, 1, x + (size_t)s * 3072, 0);
        gls_xent(1, 10, NULL, dl, z, y + s, NULL, NULL, 1.0f);
        model_backward(m, dl);
    }
    double per_sample = (ug_now() - t0) / samples;
    printf("bench: iu_per_sample_grad_w%d %.4f s\n", width, per_sample);

    const float* z = model_forward(m, batch, x, 0);
    gls_xent(batch, 10, NULL, dl, z, y, NULL, NULL, 1.0f);
    model_backward(m, dl);
    t0 = ug_now();
    z = model_forward(m, batch, x, 0);
    gls_xent(batch, 10, NULL, dl, z, y, NULL, NULL, 1.0f);
    model_backward(m, dl);
    double batched = (ug_now() - t0) / batch;
    printf("bench: iu_batched_grad_per_sample_w%d %.5f s\n", width, batched);

    float* G = ug_aligned_alloc((size_t)rows * P * sizeof(float));
    for (size_t i = 0; i < (size_t)rows * P; i++) G[i] = 1e-3f * (rng_uniform(&r) - 0.5f);
    float* v = ug_aligned_alloc(P * sizeof(float));
    float* out = ug_aligned_alloc(P * sizeof(float));
    for (size_t i = 0; i < P; i++) v[i] = rng_uniform(&r) - 0.5f;
    // Two sizes separate the N·P part (G v, Gᵀy) from the N²·P part (the Gram matrix): t = a·n + b·n².
    double t[2];
    int n[2] = {rows / 2, rows};
    for (int k = 0; k < 2; k++) {
        t0 = ug_now();
        woodfisher_ihvp(G, n[k], P, 1.0, v, out);
        t[k] = ug_now() - t0;
        printf("bench: iu_solve_w%d_rows%d %.3f s\n", width, n[k], t[k]);
    }
    double n1 = n[0], n2 = n[1];
    double b = (t[1] / n2 - t[0] / n1) / (n2 - n1), a = t[0] / n1 - b * n1;
    if (b < 0) b = 0;
    printf("bench: iu_solve_w%d_N%d_estimate %.1f s (%.3g s/row + %.3g s/row²)\n", width, N, a * N + b * (double)N * N, a, b);
    printf("bench: iu_G_memory_w%d_N%d %.2f GB\n", width, N, (double)N * P * 4 / 1e9);
    printf("bench: iu_per_sample_grads_w%d_N%d_estimate %.1f s (1 rank; divide by ranks)\n", width, N, per_sample * N);
    free(G); free(v); free(out); free(x); free(dl);
    model_destroy(m);
    return 0;
}
