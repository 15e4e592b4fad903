// bench_train.c — training throughput of the engine: CIFAR ResNet-18 (3x3 stem) at a given width, random
// 32x32x3 data, full trainer steps (forward, GLS loss, backward, SGD momentum + weight decay), one rank.
// Prints `bench: train_r18w<W>_img_per_s <v> img/s`, `bench: train_r18w<W>_gflops <v> GFLOP/s`
// (training FLOPs = 3 x forward = 6 x multiply-adds per image) and a per-layer-kind time profile.
// Usage: build/tests/bench/bench_train [--width 64] [--batch 128] [--steps 5] [--warmup 1] [--threads 2]
//        [--sgemm-peak]   (also print the machine's OpenBLAS sgemm peak)
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "train/trainer.h"

void openblas_set_num_threads(int);

static double sgemm_peak(void) {
    int n = 2048;
    float* a = ug_aligned_alloc((size_t)n * n * sizeof(float));
    float* b = ug_aligned_alloc((size_t)n * n * sizeof(float));
    float* c = ug_aligned_alloc((size_t)n * n * sizeof(float));
    for (size_t i = 0; i < (size_t)n * n; i++) { a[i] = 1e-3f * (float)(i % 97); b[i] = 1e-3f * (float)(i % 89); }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    double best = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = ug_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double g = 2.0 * n * (double)n * n / (ug_now() - t0) / 1e9;
        if (g > best) best = g;
    }
    free(a); free(b); free(c);
    return best;
}

int main(int argc, char** argv) {
    int width = 64, batch = 128, steps = 5, warmup = 1, threads = 2, peak = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--width") && i + 1 < argc) width = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc) steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--sgemm-peak")) peak = 1;
        else {
            fprintf(stderr, "usage: %s [--width 64] [--batch 128] [--steps 5] [--warmup 1] [--threads 2] [--sgemm-peak]\n", argv[0]);
            return 2;
        }
    }
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
    if (peak) printf("bench: sgemm_peak_gflops %.1f GFLOP/s\n", sgemm_peak());
    ModelConfig c = {.arch = ARCH_RESNET18, .width = width, .num_classes = 10, .in_h = 32, .in_w = 32, .in_c = 3};
    Model* m = model_create(&c, BACKEND_FAST);
    model_init(m, 1);
    Trainer t;
    SgdConfig sc = {0.9, 5e-4, 0};
    trainer_init(&t, m, &sc);
    size_t nx = (size_t)batch * 32 * 32 * 3;
    float* x = ug_aligned_alloc(nx * sizeof(float));
    int32_t* y = ug_malloc((size_t)batch * sizeof(int32_t));
    Rng r;
    rng_init(&r, 1, RNG_MISC, 0, 0);
    for (size_t i = 0; i < nx; i++) x[i] = rng_normal(&r);
    for (int i = 0; i < batch; i++) y[i] = (int32_t)rng_below(&r, 10);
    Batch b = {batch, 32, 32, 3, x, y, NULL};
    for (int s = 0; s < warmup; s++) trainer_step(&t, &b, NULL, NULL, 0.01);
    model_profile_enable(m, 1);
    t.timers = (TrainTimers){0, 0, 0};
    double t0 = ug_now();
    for (int s = 0; s < steps; s++) trainer_step(&t, &b, NULL, NULL, 0.01);
    double el = ug_now() - t0;
    if (steps == 0) return 0;   // --sgemm-peak alone
    double ips = (double)batch * steps / el;
    double gflops = 6.0 * model_forward_macs(m) * ips / 1e9;
    printf("bench: train_r18w%d_img_per_s %.1f img/s (batch %d, %d threads, %d steps, %.3f s/step)\n", width, ips, batch,
           threads, steps, el / steps);
    printf("bench: train_r18w%d_gflops %.1f GFLOP/s\n", width, gflops);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "profile r18w%d: ", width);
    double layers = model_profile_print(m, stdout, prefix);
    printf("%sloss+update+other %.3f s (of %.3f s for %d steps)\n", prefix, el - layers, el, steps);
    free(x); free(y);
    trainer_free(&t);
    model_destroy(m);
    return 0;
}
