// test_gradcheck.c — every reference layer op: forward against a naive formula, backward against central
// finite differences of L = sum(out · G) for a random G.  Gradient buffers are pre-filled with NaN, so a
// backward that accumulates (+=) instead of writing (=) fails.  Kinks (ReLU at 0, max-pool argmax changes)
// are detected and skipped.
#include <string.h>

#include "nn/ops.h"
#include "ops_check.h"

static Rng g_rng;

static float* nan_buf(size_t n) {
    float* x = ug_malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = NAN;
    return x;
}

// ---------------- convolution ----------------
typedef struct { ConvOp* op; int N; float *in, *w, *b, *out, *G; size_t nout; } ConvCtx;

static double conv_loss(void* p) {
    ConvCtx* c = p;
    conv_forward(c->op, c->N, c->out, c->in, c->w, c->b);
    return oc_dot(c->out, c->G, c->nout);
}

static void conv_case(int N, int H, int W, int C, int K, int R, int S, int stride, int pad, int bias) {
    ConvDims d = conv_dims(H, W, C, K, R, S, stride, pad);
    size_t nin = (size_t)N * H * W * C, nw = (size_t)K * C * R * S, nout = (size_t)N * d.P * d.Q * K;
    ConvCtx c = {conv_create(d, bias, BACKEND_REF), N, oc_rand(&g_rng, nin, -1, 1), oc_rand(&g_rng, nw, -1, 1),
                 bias ? oc_rand(&g_rng, K, -1, 1) : NULL, nan_buf(nout), oc_rand(&g_rng, nout, -1, 1), nout};
    // forward against the definition, straight from OIHW indexing
    conv_forward(c.op, N, c.out, c.in, c.w, c.b);
    double maxerr = 0.0;
    for (int n = 0; n < N; n++)
        for (int p = 0; p < d.P; p++)
            for (int q = 0; q < d.Q; q++)
                for (int k = 0; k < K; k++) {
                    double acc = bias ? c.b[k] : 0.0;
                    for (int ch = 0; ch < C; ch++)
                        for (int r = 0; r < R; r++)
                            for (int s = 0; s < S; s++) {
                                int h = p * stride - pad + r, x = q * stride - pad + s;
                                if (h < 0 || h >= H || x < 0 || x >= W) continue;
                                acc += (double)c.in[((n * H + h) * W + x) * C + ch] * c.w[((k * C + ch) * R + r) * S + s];
                            }
                    double e = fabs(acc - c.out[((n * d.P + p) * d.Q + q) * K + k]);
                    if (!(e <= maxerr)) maxerr = e;
                }
    CHECK(maxerr < 1e-5, "conv forward vs definition: max error %.3g", maxerr);

    float *din = nan_buf(nin), *dw = nan_buf(nw), *db = bias ? nan_buf(K) : NULL;
    conv_backward(c.op, N, din, dw, db, c.G, c.in, c.w);
    oc_gradcheck("conv din", conv_loss, &c, c.in, din, nin, 60, 1e-2, 1e-3, 1e-3, &g_rng);
    oc_gradcheck("conv dw", conv_loss, &c, c.w, dw, nw, 60, 1e-2, 1e-3, 1e-3, &g_rng);
    if (bias) oc_gradcheck("conv dbias", conv_loss, &c, c.b, db, K, 60, 1e-2, 1e-3, 1e-3, &g_rng);
    // NULL gradients are "not needed": the others must still come out the same
    float* dw2 = nan_buf(nw);
    conv_backward(c.op, N, NULL, dw2, NULL, c.G, c.in, c.w);
    CHECK(memcmp(dw, dw2, nw * sizeof(float)) == 0, "dw differs when din/dbias are not requested");
    conv_destroy(c.op);
    free(c.in); free(c.w); free(c.b); free(c.out); free(c.G); free(din); free(dw); free(db); free(dw2);
}

static void test_conv_3x3_s1_p1(void) { conv_case(2, 5, 7, 3, 4, 3, 3, 1, 1, 1); }
static void test_conv_3x3_s2_p1_odd(void) { conv_case(1, 7, 6, 2, 3, 3, 3, 2, 1, 0); }
static void test_conv_1x1_s1(void) { conv_case(2, 6, 5, 3, 2, 1, 1, 1, 0, 1); }
static void test_conv_1x1_s2(void) { conv_case(2, 6, 6, 3, 4, 1, 1, 2, 0, 0); }
static void test_conv_7x7_s2_p3(void) { conv_case(2, 9, 8, 2, 3, 7, 7, 2, 3, 0); }
static void test_conv_3x2_s2_p0(void) { conv_case(3, 4, 5, 2, 3, 3, 2, 2, 0, 1); }

// ---------------- batch normalisation ----------------
typedef struct { BnOp* op; int N, HW, C; float *in, *gamma, *beta, *out, *G, *mean, *invstd, *rm, *rv; } BnCtx;

static double bn_loss(void* p) {
    BnCtx* b = p;
    bn_forward_train(b->op, b->N, b->out, b->mean, b->invstd, b->in, b->gamma, b->beta, b->rm, b->rv, 0.1f, 1e-5f);
    return oc_dot(b->out, b->G, (size_t)b->N * b->HW * b->C);
}

static void bn_case(int N, int HW, int C) {
    size_t n = (size_t)N * HW * C;
    BnCtx b = {bn_create(HW, C, BACKEND_REF), N, HW, C, oc_rand(&g_rng, n, -2, 2), oc_rand(&g_rng, C, 0.5f, 1.5f),
               oc_rand(&g_rng, C, -0.5f, 0.5f), nan_buf(n), oc_rand(&g_rng, n, -1, 1), nan_buf(C), nan_buf(C),
               oc_rand(&g_rng, C, -1, 1), oc_rand(&g_rng, C, 0.5f, 2)};
    for (size_t i = 0; i < n; i++) b.in[i] += (float)(i % C) * 0.5f;    // per-channel offsets
    float *rm0 = ug_malloc(C * sizeof(float)), *rv0 = ug_malloc(C * sizeof(float));
    memcpy(rm0, b.rm, C * sizeof(float));
    memcpy(rv0, b.rv, C * sizeof(float));
    bn_loss(&b);
    // forward: per channel, out has mean beta and (biased) variance gamma^2 * var/(var+eps);
    // running stats: momentum 0.1 toward the batch mean and the UNBIASED batch variance
    size_t M = (size_t)N * HW;
    for (int c = 0; c < C; c++) {
        double s = 0, sq = 0, os = 0, osq = 0;
        for (size_t i = 0; i < M; i++) s += b.in[i * C + c];
        double mean = s / M;
        for (size_t i = 0; i < M; i++) sq += (b.in[i * C + c] - mean) * (b.in[i * C + c] - mean);
        double var = sq / M;
        for (size_t i = 0; i < M; i++) os += b.out[i * C + c];
        double omean = os / M;
        for (size_t i = 0; i < M; i++) osq += (b.out[i * C + c] - omean) * (b.out[i * C + c] - omean);
        CHECK_CLOSE(omean, b.beta[c], 1e-5);
        CHECK_CLOSE(osq / M, (double)b.gamma[c] * b.gamma[c] * var / (var + 1e-5), 1e-5);
        CHECK_CLOSE(b.mean[c], mean, 1e-6);
        CHECK_CLOSE(b.invstd[c], 1.0 / sqrt(var + 1e-5), 1e-5);
        CHECK_CLOSE(b.rm[c], 0.9 * rm0[c] + 0.1 * mean, 1e-6);
        CHECK_CLOSE(b.rv[c], 0.9 * rv0[c] + 0.1 * sq / (M - 1), 1e-6);
    }
    // eval mode uses the running stats (eps inside the sqrt)
    bn_forward_eval(b.op, N, b.out, b.in, b.gamma, b.beta, b.rm, b.rv, 1e-5f);
    double maxerr = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (int)(i % C);
        double want = (b.in[i] - b.rm[c]) / sqrt((double)b.rv[c] + 1e-5) * b.gamma[c] + b.beta[c];
        if (fabs(want - b.out[i]) > maxerr) maxerr = fabs(want - b.out[i]);
    }
    CHECK(maxerr < 1e-5, "bn eval vs formula: max error %.3g", maxerr);

    bn_loss(&b);
    float *din = nan_buf(n), *dg = nan_buf(C), *dbeta = nan_buf(C);
    bn_backward(b.op, N, din, dg, dbeta, b.G, b.in, b.gamma, b.mean, b.invstd);
    oc_gradcheck("bn din", bn_loss, &b, b.in, din, n, 60, 1e-3, 1e-3, 1e-3, &g_rng);
    oc_gradcheck("bn dgamma", bn_loss, &b, b.gamma, dg, C, 60, 1e-3, 1e-3, 1e-3, &g_rng);
    oc_gradcheck("bn dbeta", bn_loss, &b, b.beta, dbeta, C, 60, 1e-3, 1e-3, 1e-3, &g_rng);
    bn_destroy(b.op);
    free(b.in); free(b.gamma); free(b.beta); free(b.out); free(b.G); free(b.mean); free(b.invstd);
    free(b.rm); free(b.rv); free(rm0); free(rv0); free(din); free(dg); free(dbeta);
}

static void test_bn_small(void) { bn_case(3, 5, 4); }
static void test_bn_batch1(void) { bn_case(1, 9, 3); }
static void test_bn_spatial1(void) { bn_case(6, 1, 5); }

// ---------------- fused batch norm + relu ----------------
typedef struct { BnCtx b; unsigned char* mask; } BnReluCtx;

static double bn_relu_loss(void* p) {
    BnReluCtx* r = p;
    BnCtx* b = &r->b;
    bn_relu_forward_train(b->op, b->N, b->out, b->mean, b->invstd, b->in, b->gamma, b->beta, b->rm, b->rv, 0.1f, 1e-5f);
    size_t n = (size_t)b->N * b->HW * b->C;
    for (size_t i = 0; i < n; i++)
        if ((b->out[i] > 0) != r->mask[i]) return NAN;         // crossed the ReLU kink
    return oc_dot(b->out, b->G, n);
}

static void test_bn_relu(void) {
    int N = 3, HW = 6, C = 4;
    size_t n = (size_t)N * HW * C;
    BnReluCtx r = {{bn_create(HW, C, BACKEND_REF), N, HW, C, oc_rand(&g_rng, n, -2, 2), oc_rand(&g_rng, C, 0.5f, 1.5f),
                    oc_rand(&g_rng, C, -0.5f, 0.5f), nan_buf(n), oc_rand(&g_rng, n, -1, 1), nan_buf(C), nan_buf(C),
                    oc_rand(&g_rng, C, -1, 1), oc_rand(&g_rng, C, 0.5f, 2)}, ug_malloc(n)};
    BnCtx* b = &r.b;
    for (size_t i = 0; i < n; i++) r.mask[i] = 1;
    bn_relu_forward_train(b->op, N, b->out, b->mean, b->invstd, b->in, b->gamma, b->beta, b->rm, b->rv, 0.1f, 1e-5f);
    int zeros = 0;
    for (size_t i = 0; i < n; i++) { r.mask[i] = b->out[i] > 0; zeros += !r.mask[i]; }
    CHECK(zeros > 0 && zeros < (int)n, "want both sides of the ReLU, got %d zeros of %zu", zeros, n);
    float *din = nan_buf(n), *dg = nan_buf(C), *dbeta = nan_buf(C), *out0 = ug_malloc(n * sizeof(float));
    memcpy(out0, b->out, n * sizeof(float));
    bn_relu_backward(b->op, N, din, dg, dbeta, b->G, out0, b->in, b->gamma, b->mean, b->invstd);
    int c1 = oc_gradcheck("bn_relu din", bn_relu_loss, &r, b->in, din, n, 72, 1e-3, 1e-3, 1e-3, &g_rng);
    oc_gradcheck("bn_relu dgamma", bn_relu_loss, &r, b->gamma, dg, C, 60, 1e-3, 1e-3, 1e-3, &g_rng);
    oc_gradcheck("bn_relu dbeta", bn_relu_loss, &r, b->beta, dbeta, C, 60, 1e-3, 1e-3, 1e-3, &g_rng);
    CHECK(c1 > 36, "only %d coordinates away from the kink", c1);
    bn_destroy(b->op);
    free(b->in); free(b->gamma); free(b->beta); free(b->out); free(b->G); free(b->mean); free(b->invstd);
    free(b->rm); free(b->rv); free(r.mask); free(din); free(dg); free(dbeta); free(out0);
}

// ---------------- relu ----------------
typedef struct { size_t n; float *in, *out, *G; unsigned char* mask; } ReluCtx;

static double relu_loss(void* p) {
    ReluCtx* r = p;
    relu_forward(r->out, r->in, r->n);
    for (size_t i = 0; i < r->n; i++)
        if ((r->in[i] > 0) != r->mask[i]) return NAN;            // crossed the kink
    return oc_dot(r->out, r->G, r->n);
}

static void test_relu(void) {
    size_t n = 257;
    ReluCtx r = {n, oc_rand(&g_rng, n, -1, 1), nan_buf(n), oc_rand(&g_rng, n, -1, 1), ug_malloc(n)};
    r.in[0] = 0.0f;                                               // exactly at the kink: gradient 0
    for (size_t i = 0; i < n; i++) r.mask[i] = r.in[i] > 0;
    relu_forward(r.out, r.in, n);
    for (size_t i = 0; i < n; i++) CHECK(r.out[i] == (r.in[i] > 0 ? r.in[i] : 0.0f), "relu[%zu]", i);
    float* din = nan_buf(n);
    relu_backward(din, r.G, r.out, n);
    CHECK(din[0] == 0.0f, "relu gradient at 0 must be 0 (PyTorch), got %g", din[0]);
    int checked = oc_gradcheck("relu din", relu_loss, &r, r.in, din, n, 300, 1e-3, 1e-4, 1e-4, &g_rng);
    CHECK(checked > 200, "only %d coordinates away from the kink", checked);
    // in place: out == in, din == dout
    relu_forward(r.out, r.in, n);
    float* x = ug_malloc(n * sizeof(float));
    memcpy(x, r.in, n * sizeof(float));
    relu_forward(x, x, n);
    CHECK(memcmp(x, r.out, n * sizeof(float)) == 0, "in-place relu differs");
    float* g = ug_malloc(n * sizeof(float));
    memcpy(g, r.G, n * sizeof(float));
    relu_backward(g, g, x, n);
    CHECK(memcmp(g, din, n * sizeof(float)) == 0, "in-place relu backward differs");
    free(r.in); free(r.out); free(r.G); free(r.mask); free(din); free(x); free(g);
}

// ---------------- add ----------------
static void test_add(void) {
    size_t n = 1001;
    float *a = oc_rand(&g_rng, n, -1, 1), *b = oc_rand(&g_rng, n, -1, 1), *o = nan_buf(n);
    add_forward(o, a, b, n);
    for (size_t i = 0; i < n; i++) CHECK(o[i] == a[i] + b[i], "add[%zu]", i);
    add_forward(a, a, b, n);                                      // in place
    CHECK(memcmp(a, o, n * sizeof(float)) == 0, "in-place add differs");
    free(a); free(b); free(o);
}

// ---------------- max-pool ----------------
typedef struct { PoolDims d; int N; float *in, *out, *G; int32_t *am, *am0; size_t nout; } PoolCtx;

static double pool_loss(void* p) {
    PoolCtx* c = p;
    maxpool_forward(c->d, c->N, c->out, c->am, c->in);
    if (memcmp(c->am, c->am0, c->nout * sizeof(int32_t)) != 0) return NAN;   // argmax changed: a kink
    return oc_dot(c->out, c->G, c->nout);
}

static void pool_case(int N, int H, int W, int C, int R, int stride, int pad) {
    PoolDims d = pool_dims(H, W, C, R, stride, pad);
    size_t nin = (size_t)N * H * W * C, nout = (size_t)N * d.P * d.Q * C;
    PoolCtx c = {d, N, oc_rand(&g_rng, nin, -1, 1), nan_buf(nout), oc_rand(&g_rng, nout, -1, 1),
                 ug_malloc(nout * sizeof(int32_t)), ug_malloc(nout * sizeof(int32_t)), nout};
    maxpool_forward(d, N, c.out, c.am0, c.in);
    for (int n = 0; n < N; n++)
        for (int p = 0; p < d.P; p++)
            for (int q = 0; q < d.Q; q++)
                for (int ch = 0; ch < C; ch++) {
                    float best = -INFINITY;
                    for (int r = 0; r < R; r++)
                        for (int s = 0; s < R; s++) {
                            int h = p * stride - pad + r, x = q * stride - pad + s;
                            if (h >= 0 && h < H && x >= 0 && x < W && c.in[((n * H + h) * W + x) * C + ch] > best)
                                best = c.in[((n * H + h) * W + x) * C + ch];
                        }
                    size_t o = (((size_t)n * d.P + p) * d.Q + q) * C + ch;
                    CHECK(c.out[o] == best, "maxpool out[%zu] = %g, want %g", o, c.out[o], best);
                    int32_t a = c.am0[o];
                    CHECK(a >= 0 && a < H * W && c.in[((size_t)n * H * W + a) * C + ch] == best, "argmax[%zu]", o);
                }
    float* din = nan_buf(nin);
    maxpool_backward(d, N, din, c.G, c.am0);
    int checked = oc_gradcheck("maxpool din", pool_loss, &c, c.in, din, nin, 120, 1e-4, 1e-4, 1e-4, &g_rng);
    CHECK(checked > 60, "only %d coordinates away from argmax changes", checked);
    free(c.in); free(c.out); free(c.G); free(c.am); free(c.am0); free(din);
}

static void test_maxpool_3x3_s2_p1(void) { pool_case(2, 7, 7, 3, 3, 2, 1); }
static void test_maxpool_2x2_s2_odd(void) { pool_case(2, 6, 5, 2, 2, 2, 0); }
static void test_maxpool_3x3_s1_overlap(void) { pool_case(1, 5, 6, 4, 3, 1, 0); }

// ---------------- global average pool ----------------
typedef struct { int N, HW, C; float *in, *out, *G; } AvgCtx;

static double avg_loss(void* p) {
    AvgCtx* a = p;
    avgpool_global_forward(a->N, a->HW, a->C, a->out, a->in);
    return oc_dot(a->out, a->G, (size_t)a->N * a->C);
}

static void test_avgpool_global(void) {
    int N = 3, HW = 10, C = 5;
    size_t nin = (size_t)N * HW * C;
    AvgCtx a = {N, HW, C, oc_rand(&g_rng, nin, -1, 1), nan_buf(N * C), oc_rand(&g_rng, N * C, -1, 1)};
    avgpool_global_forward(N, HW, C, a.out, a.in);
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (int i = 0; i < HW; i++) s += a.in[((size_t)n * HW + i) * C + c];
            CHECK_CLOSE(a.out[n * C + c], s / HW, 1e-6);
        }
    float* din = nan_buf(nin);
    avgpool_global_backward(N, HW, C, din, a.G);
    oc_gradcheck("avgpool din", avg_loss, &a, a.in, din, nin, 150, 1e-2, 1e-4, 1e-4, &g_rng);
    free(a.in); free(a.out); free(a.G); free(din);
}

// ---------------- linear ----------------
typedef struct { int N, In, Out; float *in, *w, *b, *out, *G; } LinCtx;

static double lin_loss(void* p) {
    LinCtx* l = p;
    linear_forward(BACKEND_REF, l->N, l->In, l->Out, l->out, l->in, l->w, l->b);
    return oc_dot(l->out, l->G, (size_t)l->N * l->Out);
}

static void linear_case(int N, int In, int Out, int bias) {
    LinCtx l = {N, In, Out, oc_rand(&g_rng, (size_t)N * In, -1, 1), oc_rand(&g_rng, (size_t)Out * In, -1, 1),
                bias ? oc_rand(&g_rng, Out, -1, 1) : NULL, nan_buf((size_t)N * Out),
                oc_rand(&g_rng, (size_t)N * Out, -1, 1)};
    lin_loss(&l);
    for (int n = 0; n < N; n++)
        for (int o = 0; o < Out; o++) {
            double s = bias ? l.b[o] : 0;
            for (int i = 0; i < In; i++) s += (double)l.in[n * In + i] * l.w[o * In + i];
            CHECK_CLOSE(l.out[n * Out + o], s, 1e-5);
        }
    float *din = nan_buf((size_t)N * In), *dw = nan_buf((size_t)Out * In), *db = bias ? nan_buf(Out) : NULL;
    linear_backward(BACKEND_REF, N, In, Out, din, dw, db, l.G, l.in, l.w);
    oc_gradcheck("linear din", lin_loss, &l, l.in, din, (size_t)N * In, 60, 1e-2, 1e-3, 1e-3, &g_rng);
    oc_gradcheck("linear dw", lin_loss, &l, l.w, dw, (size_t)Out * In, 60, 1e-2, 1e-3, 1e-3, &g_rng);
    if (bias) oc_gradcheck("linear dbias", lin_loss, &l, l.b, db, Out, 60, 1e-2, 1e-3, 1e-3, &g_rng);
    free(l.in); free(l.w); free(l.b); free(l.out); free(l.G); free(din); free(dw); free(db);
}

static void test_linear_bias(void) { linear_case(4, 7, 5, 1); }
static void test_linear_nobias_batch1(void) { linear_case(1, 9, 3, 0); }

// The checker itself must be able to fail: a wrong gradient has to be caught.
static void test_gradcheck_catches_wrong_gradient(void) {
    LinCtx l = {2, 3, 2, oc_rand(&g_rng, 6, -1, 1), oc_rand(&g_rng, 6, -1, 1), NULL, nan_buf(4),
                oc_rand(&g_rng, 4, -1, 1)};
    float dw[6];
    linear_backward(BACKEND_REF, 2, 3, 2, NULL, dw, NULL, l.G, l.in, l.w);
    dw[4] += 0.01f;
    int before = th_fail_count;
    oc_gradcheck("deliberately wrong dw", lin_loss, &l, l.w, dw, 6, 60, 1e-2, 1e-3, 1e-3, &g_rng);
    int caught = th_fail_count > before;
    th_fail_count = before;                       // the expected failure is not a test failure
    CHECK(caught, "a gradient off by 0.01 passed the finite-difference check");
    free(l.in); free(l.w); free(l.out); free(l.G);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    rng_init(&g_rng, 1234, RNG_MISC, 3, 0);
    TEST_CASE(test_conv_3x3_s1_p1);
    TEST_CASE(test_conv_3x3_s2_p1_odd);
    TEST_CASE(test_conv_1x1_s1);
    TEST_CASE(test_conv_1x1_s2);
    TEST_CASE(test_conv_7x7_s2_p3);
    TEST_CASE(test_conv_3x2_s2_p0);
    TEST_CASE(test_bn_small);
    TEST_CASE(test_bn_batch1);
    TEST_CASE(test_bn_spatial1);
    TEST_CASE(test_bn_relu);
    TEST_CASE(test_relu);
    TEST_CASE(test_add);
    TEST_CASE(test_maxpool_3x3_s2_p1);
    TEST_CASE(test_maxpool_2x2_s2_odd);
    TEST_CASE(test_maxpool_3x3_s1_overlap);
    TEST_CASE(test_avgpool_global);
    TEST_CASE(test_linear_bias);
    TEST_CASE(test_linear_nobias_batch1);
    TEST_CASE(test_gradcheck_catches_wrong_gradient);
    return th_end();
}
