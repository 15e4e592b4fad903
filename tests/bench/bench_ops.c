// bench_ops.c — layer-op micro-benchmark: forward + backward (data and weights) of every convolution shape
// of CIFAR ResNet-18 at width 16 and 64, batch 128, 32x32, fast path; plus the machine's OpenBLAS sgemm
// peak.  Prints `bench: name value unit` lines.  Compare with tools/bench_ops_torch.py (same shapes).
// Also a whole ResNet-18 step built from the ops (fused BN+ReLU and add+ReLU unless --unfused).
// Usage: build/tests/bench/bench_ops [--threads 2] [--batch 128] [--reps 5] [--width 16,64] [--shapes] [--unfused]
#include <cblas.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "nn/ops.h"

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

// ---- a whole CIFAR ResNet-18 training step built from the ops (what the engine will do, minus its
// bookkeeping): forward, GLS loss, backward, plain SGD update.  An estimate of the engine's ceiling. ----
// time spent per kind of op inside the step (printed with --shapes)
enum { T_CONV, T_BN, T_RELU, T_ADD, T_HEAD, T_KINDS };
static double g_op_time[T_KINDS];
static int g_fused = 1;                        // use bn_relu_* and add_relu_forward (--unfused: separate ops)
#define TIMED(kind, call) do { double t0_ = ug_now(); call; g_op_time[kind] += ug_now() - t0_; } while (0)

typedef struct {
    ConvOp* conv;
    BnOp* bn;
    ConvDims d;
    float *w, *dw, *gamma, *beta, *dgamma, *dbeta, *rm, *rv, *mean, *invstd;
    float *in, *conv_out, *bn_out;            // bn_out: after BN (and ReLU when relu)
    float *d_conv_out, *d_bn_out;
} CBR;                                         // conv + BN (+ ReLU)

static void cbr_init(CBR* l, Rng* r, int N, int H, int C, int K, int R, int stride) {
    l->d = conv_dims(H, H, C, K, R, R, stride, R / 2);
    l->conv = conv_create(l->d, 0, BACKEND_FAST);
    int HW = l->d.P * l->d.Q;
    l->bn = bn_create(HW, K, BACKEND_FAST);
    size_t nw = (size_t)K * C * R * R, no = (size_t)N * HW * K;
    l->w = rand_buf(r, nw); l->dw = rand_buf(r, nw);
    for (size_t i = 0; i < nw; i++) l->w[i] *= 0.1f;
    l->gamma = rand_buf(r, K); l->beta = rand_buf(r, K); l->dgamma = rand_buf(r, K); l->dbeta = rand_buf(r, K);
    l->rm = rand_buf(r, K); l->rv = rand_buf(r, K); l->mean = rand_buf(r, K); l->invstd = rand_buf(r, K);
    for (int k = 0; k < K; k++) { l->gamma[k] = 1; l->rv[k] = 1; }
    l->conv_out = rand_buf(r, no); l->bn_out = rand_buf(r, no); l->d_conv_out = rand_buf(r, no); l->d_bn_out = rand_buf(r, no);
}

static void cbr_free(CBR* l) {
    conv_destroy(l->conv); bn_destroy(l->bn);
    float* b[] = {l->w, l->dw, l->gamma, l->beta, l->dgamma, l->dbeta, l->rm, l->rv, l->mean, l->invstd,
                  l->conv_out, l->bn_out, l->d_conv_out, l->d_bn_out};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) free(b[i]);
}

static void cbr_forward(CBR* l, int N, const float* in, int relu) {
    l->in = (float*)in;
    TIMED(T_CONV, conv_forward(l->conv, N, l->conv_out, in, l->w, NULL));
    if (relu && g_fused) {
        TIMED(T_BN, bn_relu_forward_train(l->bn, N, l->bn_out, l->mean, l->invstd, l->conv_out, l->gamma, l->beta,
                                          l->rm, l->rv, 0.1f, 1e-5f));
        return;
    }
    TIMED(T_BN, bn_forward_train(l->bn, N, l->bn_out, l->mean, l->invstd, l->conv_out, l->gamma, l->beta, l->rm,
                                 l->rv, 0.1f, 1e-5f));
    if (relu) TIMED(T_RELU, relu_forward(l->bn_out, l->bn_out, (size_t)N * l->d.P * l->d.Q * l->d.K));
}

// dout: gradient at the CBR output (after ReLU when relu); writes din (may be NULL)
static void cbr_backward(CBR* l, int N, float* din, float* dout, int relu) {
    if (relu && g_fused) {
        TIMED(T_BN, bn_relu_backward(l->bn, N, l->d_conv_out, l->dgamma, l->dbeta, dout, l->bn_out, l->conv_out,
                                     l->gamma, l->mean, l->invstd));
    } else {
        if (relu) TIMED(T_RELU, relu_backward(dout, dout, l->bn_out, (size_t)N * l->d.P * l->d.Q * l->d.K));
        TIMED(T_BN, bn_backward(l->bn, N, l->d_conv_out, l->dgamma, l->dbeta, dout, l->conv_out, l->gamma, l->mean,
                                l->invstd));
    }
    TIMED(T_CONV, conv_backward(l->conv, N, din, l->dw, NULL, l->d_conv_out, l->in, l->w));
}

typedef struct { CBR c1, c2, ds; int has_ds; float *out, *d_in_ds, *d_sum; size_t n_in, n_out; } Block;

static double time_r18_step(int w, int N, int reps, double* split_out) {
    Rng r;
    rng_init(&r, 4, RNG_MISC, 0, 0);
    CBR stem;
    cbr_init(&stem, &r, N, 32, 3, w, 3, 1);
    Block b[8];
    int H = 32, C = w;
    for (int i = 0; i < 8; i++) {
        int K = w << (i / 2), stride = (i % 2 == 0 && i > 0) ? 2 : 1;
        Block* k = &b[i];
        cbr_init(&k->c1, &r, N, H, C, K, 3, stride);
        int P = k->c1.d.P;
        cbr_init(&k->c2, &r, N, P, K, K, 3, 1);
        k->has_ds = stride != 1 || C != K;
        if (k->has_ds) cbr_init(&k->ds, &r, N, H, C, K, 1, stride);
        k->n_in = (size_t)N * H * H * C;
        k->n_out = (size_t)N * P * P * K;
        k->out = rand_buf(&r, k->n_out); k->d_sum = rand_buf(&r, k->n_out);
        k->d_in_ds = rand_buf(&r, k->n_in);
        H = P;
        C = K;
    }
    int HW = H * H, F = C, classes = 10;
    float *feat = rand_buf(&r, (size_t)N * F), *fcw = rand_buf(&r, (size_t)classes * F), *fcb = rand_buf(&r, classes);
    float *logits = rand_buf(&r, (size_t)N * classes), *dlogits = rand_buf(&r, (size_t)N * classes);
    float *dfeat = rand_buf(&r, (size_t)N * F), *dfcw = rand_buf(&r, (size_t)classes * F), *dfcb = rand_buf(&r, classes);
    float *x = rand_buf(&r, (size_t)N * 32 * 32 * 3), *alpha = rand_buf(&r, N);
    int32_t* labels = ug_malloc(N * sizeof(int32_t));
    for (int i = 0; i < N; i++) labels[i] = i % classes;
    float* d_last = rand_buf(&r, b[7].n_out);
    double best = 1e30, best_split[T_KINDS] = {0};
    for (int t = 0; t < reps + 1; t++) {
        memset(g_op_time, 0, sizeof g_op_time);
        double t0 = ug_now();
        cbr_forward(&stem, N, x, 1);
        const float* cur = stem.bn_out;
        for (int i = 0; i < 8; i++) {
            Block* k = &b[i];
            cbr_forward(&k->c1, N, cur, 1);
            cbr_forward(&k->c2, N, k->c1.bn_out, 0);
            const float* skip = cur;
            if (k->has_ds) { cbr_forward(&k->ds, N, cur, 0); skip = k->ds.bn_out; }
            if (g_fused) {
                TIMED(T_ADD, add_relu_forward(k->out, k->c2.bn_out, skip, k->n_out));
            } else {
                TIMED(T_ADD, add_forward(k->out, k->c2.bn_out, skip, k->n_out));
                TIMED(T_RELU, relu_forward(k->out, k->out, k->n_out));
            }
            cur = k->out;
        }
        double th = ug_now();
        avgpool_global_forward(N, HW, F, feat, cur);
        linear_forward(BACKEND_FAST, N, F, classes, logits, feat, fcw, fcb);
        gls_xent(N, classes, NULL, dlogits, logits, labels, alpha, NULL, 1.0f / N);
        linear_backward(BACKEND_FAST, N, F, classes, dfeat, dfcw, dfcb, dlogits, feat, fcw);
        avgpool_global_backward(N, HW, F, d_last, dfeat);
        g_op_time[T_HEAD] += ug_now() - th;
        float* dout = d_last;                              // gradient at the block output
        for (int i = 7; i >= 0; i--) {
            Block* k = &b[i];
            TIMED(T_RELU, relu_backward(k->d_sum, dout, k->out, k->n_out));
            float* din = i > 0 ? b[i - 1].d_sum : stem.d_bn_out;   // reuse: the previous block's sum buffer
            cbr_backward(&k->c2, N, k->c1.d_bn_out, k->d_sum, 0);
            cbr_backward(&k->c1, N, din, k->c1.d_bn_out, 1);
            if (k->has_ds) {
                cbr_backward(&k->ds, N, k->d_in_ds, k->d_sum, 0);
                TIMED(T_ADD, add_forward(din, din, k->d_in_ds, k->n_in));
            } else {
                TIMED(T_ADD, add_forward(din, din, k->d_sum, k->n_in));
            }
            dout = din;
        }
        cbr_backward(&stem, N, NULL, dout, 1);
        double dt = ug_now() - t0;
        if (t > 0 && dt < best) { best = dt; memcpy(best_split, g_op_time, sizeof best_split); }
    }
    if (split_out) memcpy(split_out, best_split, sizeof best_split);
    cbr_free(&stem);
    for (int i = 0; i < 8; i++) {
        cbr_free(&b[i].c1); cbr_free(&b[i].c2);
        if (b[i].has_ds) cbr_free(&b[i].ds);
        free(b[i].out); free(b[i].d_sum); free(b[i].d_in_ds);
    }
    free(feat); free(fcw); free(fcb); free(logits); free(dlogits); free(dfeat); free(dfcw); free(dfcb); free(x);
    free(alpha); free(labels); free(d_last);
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
        else if (!strcmp(argv[i], "--unfused")) g_fused = 0;
        else {
            fprintf(stderr, "usage: %s [--threads 2] [--batch 128] [--reps 5] [--width 16,64] [--shapes] [--unfused]\n", argv[0]);
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
        double split[T_KINDS];
        double step = time_r18_step(w, batch, reps, split);
        printf("bench: ops_r18w%d_step_ms %.1f ms (%.1f images/s; ops only, %s, no optimizer)\n", w, step * 1e3,
               batch / step, g_fused ? "fused BN+ReLU" : "unfused");
        if (show_shapes)
            printf("bench: ops_r18w%d_step_split conv %.1f bn %.1f relu %.1f add %.1f head %.1f ms\n", w,
                   split[T_CONV] * 1e3, split[T_BN] * 1e3, split[T_RELU] * 1e3, split[T_ADD] * 1e3, split[T_HEAD] * 1e3);
    }
    return 0;
}
