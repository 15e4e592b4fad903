// bench_ops.c — layer-op micro-benchmark: forward + backward (data and weights) of every convolution shape
// of CIFAR ResNet-18 at width 16 and 64, batch 128, 32x32, fast path; plus the machine's OpenBLAS sgemm
// peak.  Prints `bench: name value unit` lines.  Compare with tools/bench_ops_torch.py (same shapes).
// Usage: build/tests/bench/bench_ops [--threads 2] [--batch 128] [--reps 5] [--width 16,64] [--shapes]
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "nn/ops.h"

void openblas_set_num_threads(int);

typedef struct { const char* name; int H, C, K, R, stride, count, need_din; } Shape;

// The convolutions of CIFAR ResNet-18 (3x3 stem, no max-pool) for base width w; count = how many per step.
static int r18_shapes(int w, Shape* s) {
    int n = 0;
    s[n++] = (Shape){"stem", 32, 3, w, 3, 1, 1, 0};
    s[n++] = (Shape){"l1", 32, w, w, 3, 1, 4, 1};
    s[n++] = (Shape){"l2.down3x3", 32, w, 2 * w, 3, 2, 1, 1};
    s[n++] = (Shape){"l2.ds1x1", 32, w, 2 * w, 1, 2, 1, 1};
    s[n++] = (Shape){"l2", 16, 2 * w, 2 * w, 3, 1, 3, 1};
    s[n++] = (Shape){"l3.down3x3", 16, 2 * w, 4 * w, 3, 2, 1, 1};
    s[n++] = (Shape){"l3.ds1x1", 16, 2 * w, 4 * w, 1, 2, 1, 1};
    s[n++] = (Shape){"l3", 8, 4 * w, 4 * w, 3, 1, 3, 1};
    s[n++] = (Shape){"l4.down3x3", 8, 4 * w, 8 * w, 3, 2, 1, 1};
    s[n++] = (Shape){"l4.ds1x1", 8, 4 * w, 8 * w, 1, 2, 1, 1};
    s[n++] = (Shape){"l4", 4, 8 * w, 8 * w, 3, 1, 3, 1};
    return n;
}

static float* rand_buf(Rng* r, size_t n) {
    float* x = ug_aligned_alloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = rng_uniform(r) - 0.5f;
    return x;
}

// Best-of-reps seconds for one fwd+bwd of a shape; flops (fwd + bwd data + bwd weights) via *flops.
static double time_conv(const Shape* sh, int N, int reps, double* flops) {
    ConvDims d = conv_dims(sh->H, sh->H, sh->C, sh->K, sh->R, sh->R, sh->stride, sh->R / 2);
    ConvOp* op = conv_create(d, 0, BACKEND_FAST);
    Rng r;
    rng_init(&r, 1, RNG_MISC, 0, 0);
    size_t nin = (size_t)N * d.H * d.W * d.C, nout = (size_t)N * d.P * d.Q * d.K, nw = (size_t)d.K * d.C * d.R * d.S;
    float *in = rand_buf(&r, nin), *w = rand_buf(&r, nw), *out = rand_buf(&r, nout), *g = rand_buf(&r, nout);
    float *din = rand_buf(&r, nin), *dw = rand_buf(&r, nw);
    double best = 1e30;
    for (int t = 0; t < reps + 1; t++) {                 // first round creates the primitives: not timed
        double t0 = ug_now();
        conv_forward(op, N, out, in, w, NULL);
        conv_backward(op, N, sh->need_din ? din : NULL, dw, NULL, g, in, w);
        double dt = ug_now() - t0;
        if (t > 0 && dt < best) best = dt;
    }
    double mac = (double)N * d.P * d.Q * d.K * d.C * d.R * d.S;
    *flops = 2 * mac * (sh->need_din ? 3 : 2);
    conv_destroy(op);
    free(in); free(w); free(out); free(g); free(din); free(dw);
    return best;
}

// Best-of-reps seconds for BN train forward + ReLU + ReLU backward + BN backward on one activation shape
// (the memory-bound part of a ResNet block).
static double time_bn_relu(int HW, int C, int N, int reps) {
    BnOp* op = bn_create(HW, C, BACKEND_FAST);
    Rng r;
    rng_init(&r, 3, RNG_MISC, 0, 0);
    size_t n = (size_t)N * HW * C;
    float *in = rand_buf(&r, n), *out = rand_buf(&r, n), *g = rand_buf(&r, n), *din = rand_buf(&r, n);
    float *gamma = rand_buf(&r, C), *beta = rand_buf(&r, C), *rm = rand_buf(&r, C), *rv = rand_buf(&r, C);
    float *mean = rand_buf(&r, C), *invstd = rand_buf(&r, C), *dgamma = rand_buf(&r, C), *dbeta = rand_buf(&r, C);
    for (int c = 0; c < C; c++) rv[c] = 1.0f;
    double best = 1e30;
    for (int t = 0; t < reps + 1; t++) {
        double t0 = ug_now();
        bn_forward_train(op, N, out, mean, invstd, in, gamma, beta, rm, rv, 0.1f, 1e-5f);
        relu_forward(out, out, n);
        relu_backward(g, g, out, n);
        bn_backward(op, N, din, dgamma, dbeta, g, in, gamma, mean, invstd);
        double dt = ug_now() - t0;
        if (t > 0 && dt < best) best = dt;
    }
    bn_destroy(op);
    free(in); free(out); free(g); free(din); free(gamma); free(beta); free(rm); free(rv); free(mean);
    free(invstd); free(dgamma); free(dbeta);
    return best;
}

static double sgemm_peak(int threads) {
    openblas_set_num_threads(threads);
    int n = 2048;
    Rng r;
    rng_init(&r, 2, RNG_MISC, 0, 0);
    float *a = rand_buf(&r, (size_t)n * n), *b = rand_buf(&r, (size_t)n * n), *c = rand_buf(&r, (size_t)n * n);
    double best = 1e30;
    for (int t = 0; t < 4; t++) {
        double t0 = ug_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double dt = ug_now() - t0;
        if (t > 0 && dt < best) best = dt;
    }
    free(a); free(b); free(c);
    return 2.0 * n * n * (double)n / best / 1e9;
}

int main(int argc, char** argv) {
    int threads = 2, batch = 128, reps = 5, show_shapes = 0;
    char widths[64] = "16,64";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--batch") && i + 1 < argc) batch = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--width") && i + 1 < argc) snprintf(widths, sizeof widths, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--shapes")) show_shapes = 1;
        else {
            fprintf(stderr, "usage: %s [--threads 2] [--batch 128] [--reps 5] [--width 16,64] [--shapes]\n", argv[0]);
            return 2;
        }
    }
    UG_CHECK(threads > 0 && batch > 0 && reps > 0, "bench_ops: --threads, --batch and --reps must be positive");
    omp_set_num_threads(threads);
    printf("bench: threads %d batch %d\n", threads, batch);
    printf("bench: sgemm_peak_gflops %.1f GFLOP/s\n", sgemm_peak(threads));
    for (char* tok = strtok(widths, ","); tok; tok = strtok(NULL, ",")) {
        int w = atoi(tok);
        UG_CHECK(w > 0, "bench_ops: bad width '%s'", tok);
        Shape s[16];
        int n = r18_shapes(w, s);
        double total = 0, total_flops = 0;
        for (int i = 0; i < n; i++) {
            double flops, t = time_conv(&s[i], batch, reps, &flops);
            total += t * s[i].count;
            total_flops += flops * s[i].count;
            if (show_shapes)
                printf("bench: conv_r18w%d_%s_ms %.3f ms (%.1f GFLOP/s, x%d)\n", w, s[i].name, t * 1e3,
                       flops / t / 1e9, s[i].count);
        }
        printf("bench: conv_r18w%d_fwdbwd_ms %.1f ms per step (all convs, %.1f GFLOP/s)\n", w, total * 1e3,
               total_flops / total / 1e9);
        // 5 BN+ReLU per stage (4 in the blocks + stem or downsample); spatial 32,16,8,4; channels w..8w
        double bn_total = 0;
        for (int stage = 0; stage < 4; stage++) {
            int side = 32 >> stage, C = w << stage;
            double t = time_bn_relu(side * side, C, batch, reps);
            bn_total += 5 * t;
            if (show_shapes) printf("bench: bnrelu_r18w%d_%dx%dx%d_ms %.3f ms (x5)\n", w, side, side, C, t * 1e3);
        }
        printf("bench: bnrelu_r18w%d_fwdbwd_ms %.1f ms per step (20 x BN train fwd + ReLU + bwd)\n", w, bn_total * 1e3);
    }
    return 0;
}
