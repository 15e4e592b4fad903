// bench_gpu_layers.c — times our cuDNN conv + batch norm, forward and backward, on the convolution shapes of
// ResNet-18 (ImageNet 224 or CIFAR 32 variant).  One line per shape, then the total weighted by how often the
// shape occurs in the network.  tools/bench_gpu_torch.py runs the same shapes in PyTorch and prints ratios.
//   usage: bench_gpu_layers <224|32> <batch> <tf32 0|1> <iters>
#include <stdio.h>
#include <stdlib.h>

#ifdef UG_HAVE_CUDA
#include "common/util.h"
#include "ug_cuda.h"
#include "ug_kernels.h"
#include "ug_layers.h"
#include "gpu/gpu_dims.h"

typedef struct { int H, C, K, R, stride, pad, count; } Shape;

// ResNet-18: stem, then per stage the first 3x3 (maybe strided), its 1x1 downsample, and the other three 3x3.
static const Shape R18_224[] = {
    {224, 3, 64, 7, 2, 3, 1},
    {56, 64, 64, 3, 1, 1, 4},
    {56, 64, 128, 3, 2, 1, 1}, {56, 64, 128, 1, 2, 0, 1}, {28, 128, 128, 3, 1, 1, 3},
    {28, 128, 256, 3, 2, 1, 1}, {28, 128, 256, 1, 2, 0, 1}, {14, 256, 256, 3, 1, 1, 3},
    {14, 256, 512, 3, 2, 1, 1}, {14, 256, 512, 1, 2, 0, 1}, {7, 512, 512, 3, 1, 1, 3},
};
// CIFAR variant: 3x3 stride-1 stem, no max-pool.
static const Shape R18_32[] = {
    {32, 3, 64, 3, 1, 1, 1},
    {32, 64, 64, 3, 1, 1, 4},
    {32, 64, 128, 3, 2, 1, 1}, {32, 64, 128, 1, 2, 0, 1}, {16, 128, 128, 3, 1, 1, 3},
    {16, 128, 256, 3, 2, 1, 1}, {16, 128, 256, 1, 2, 0, 1}, {8, 256, 256, 3, 1, 1, 3},
    {8, 256, 512, 3, 2, 1, 1}, {8, 256, 512, 1, 2, 0, 1}, {4, 512, 512, 3, 1, 1, 3},
};

static float* dev_random(size_t n, GpuCtx* ctx) {
    float* h = ug_malloc(n * sizeof(float));
    uint32_t s = 12345;
    for (size_t i = 0; i < n; i++) { s = s * 1664525u + 1013904223u; h[i] = (float)(s >> 8) / 16777216.0f - 0.5f; }
    float* d = gpu_malloc(n * sizeof(float), "a benchmark buffer");
    gpu_upload(d, h, n * sizeof(float), ctx->stream);
    gpu_sync(ctx);
    free(h);
    return d;
}

// Forward conv + bn(train), backward bn + conv (no data gradient for the stem, as in training).
static double time_shape(GpuCtx* ctx, const Shape* s, int N, int iters, int first) {
    ConvDims d = {s->H, s->H, s->C, s->K, s->R, s->R, s->stride, s->pad, 0, 0};
    d.P = (d.H + 2 * d.pad - d.R) / d.stride + 1;
    d.Q = d.P;
    const size_t nin = (size_t)N * d.H * d.W * d.C, nout = (size_t)N * d.P * d.Q * d.K;
    const size_t nw = (size_t)d.K * d.C * d.R * d.S;
    float *x = dev_random(nin, ctx), *w = dev_random(nw, ctx), *dy = dev_random(nout, ctx);
    float* y = gpu_malloc(nout * 4, "conv output");
    float* z = gpu_malloc(nout * 4, "bn output");
    float* dz = gpu_malloc(nout * 4, "bn input gradient");
    float* dx = first ? NULL : gpu_malloc(nin * 4, "conv input gradient");
    float* dw = gpu_malloc(nw * 4, "conv weight gradient");
    float *gamma = dev_random(d.K, ctx), *beta = dev_random(d.K, ctx), *rm = dev_random(d.K, ctx);
    float *rv = dev_random(d.K, ctx), *sm = dev_random(d.K, ctx), *si = dev_random(d.K, ctx);
    float *dg = dev_random(d.K, ctx), *db = dev_random(d.K, ctx);
    CUDA_CHECK(cudaMemset(rv, 0, d.K * 4));   // any non-negative running variance
    GpuConv* conv = gpu_conv_create(ctx, gpu_conv_dims(d), 0, 1);
    GpuBn* bn = gpu_bn_create(ctx, d.P * d.Q, d.K);
    cudaEvent_t t0, t1;
    CUDA_CHECK(cudaEventCreate(&t0));
    CUDA_CHECK(cudaEventCreate(&t1));
    float ms = 0;
    for (int rep = 0; rep < 2; rep++) {   // rep 0: algorithm search and warm-up
        int n = rep ? iters : 2;
        CUDA_CHECK(cudaEventRecord(t0, ctx->stream));
        for (int i = 0; i < n; i++) {
            gpu_conv_forward(conv, N, y, x, w, NULL);
            gpu_bn_forward_train(bn, N, z, sm, si, y, gamma, beta, rm, rv, 0.1f, 1e-5f);
            gpu_bn_backward(bn, N, dz, dg, db, dy, y, gamma, sm, si);
            gpu_conv_backward(conv, N, dx, dw, NULL, dz, x, w);
        }
        CUDA_CHECK(cudaEventRecord(t1, ctx->stream));
        CUDA_CHECK(cudaEventSynchronize(t1));
        CUDA_CHECK(cudaEventElapsedTime(&ms, t0, t1));
    }
    int fa, da, wa;
    gpu_conv_algos(conv, N, &fa, &da, &wa);
    printf("layer H=%d C=%d K=%d R=%d stride=%d pad=%d count=%d first=%d ms=%.4f algos=%d/%d/%d\n", s->H, s->C, s->K,
           s->R, s->stride, s->pad, s->count, first, ms / iters, fa, da, wa);
    fflush(stdout);
    CUDA_CHECK(cudaEventDestroy(t0));
    CUDA_CHECK(cudaEventDestroy(t1));
    gpu_conv_destroy(conv);
    gpu_bn_destroy(bn);
    float* bufs[] = {x, w, dy, y, z, dz, dx, dw, gamma, beta, rm, rv, sm, si, dg, db};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) gpu_free(bufs[i]);
    return ms / iters;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s <224|32> <batch> <tf32 0|1> <iters>\n", argv[0]);
        return 2;
    }
    int res = atoi(argv[1]), N = atoi(argv[2]), tf32 = atoi(argv[3]), iters = atoi(argv[4]);
    UG_CHECK(res == 224 || res == 32, "bench_gpu_layers: resolution %d: use 224 or 32", res);
    UG_CHECK(N > 0 && iters > 0, "bench_gpu_layers: batch and iters must be positive");
    if (gpu_count() == 0) {
        printf("SKIP bench_gpu_layers: %s\n", gpu_absent_reason());
        return 0;
    }
    GpuCtx* ctx = gpu_ctx_create(0, tf32, 0, 0);
    const Shape* shapes = res == 224 ? R18_224 : R18_32;
    int n = (int)(res == 224 ? sizeof R18_224 / sizeof *R18_224 : sizeof R18_32 / sizeof *R18_32);
    double total = 0;
    for (int i = 0; i < n; i++) total += shapes[i].count * time_shape(ctx, &shapes[i], N, iters, i == 0);
    printf("total res=%d batch=%d tf32=%d ms=%.4f\n", res, N, tf32, total);
    gpu_ctx_destroy(ctx);
    return 0;
}
#else
int main(void) {
    printf("SKIP bench_gpu_layers: built without CUDA\n");
    return 0;
}
#endif
