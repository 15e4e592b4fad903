// gpu_check.h — helpers for the GPU tests: one context per binary, host<->device copies, and the SKIP rule:
// without CUDA in the build or without a GPU every case prints SKIP (never PASS).
#pragma once
#include <stdlib.h>
#include <string.h>

#include "unit/ops_check.h"

#ifdef UG_HAVE_CUDA
#include "ug_cuda.h"

static GpuCtx* g_ctx;   // created by gc_begin when a GPU is present

// Every case starts with this: SKIP unless there is a GPU.
#define GPU_CASE_BEGIN() do { if (!g_ctx) SKIP("%s", gpu_absent_reason()); } while (0)

static void gc_begin(void) {
    if (gpu_count() > 0) g_ctx = gpu_ctx_create(0, 0, 1, 0);   // fp32 math, deterministic algorithms
}
static void gc_end(void) { gpu_ctx_destroy(g_ctx); }

static inline void* gc_dev(const void* host, size_t bytes) {
    void* d = gpu_malloc(bytes, "a test buffer");
    if (host) gpu_upload(d, host, bytes, g_ctx->stream);
    else CUDA_CHECK(cudaMemsetAsync(d, 0, bytes ? bytes : 1, g_ctx->stream));
    return d;
}
static inline float* gc_devf(const float* host, size_t n) { return (float*)gc_dev(host, n * sizeof(float)); }
static inline float* gc_host(const float* dev, size_t n) {
    float* h = (float*)ug_malloc((n ? n : 1) * sizeof(float));
    gpu_download(h, dev, n * sizeof(float), g_ctx->stream);
    return h;
}
#else
#define GPU_CASE_BEGIN() SKIP("built without CUDA (GPU=0, or nvcc / cudnn.h / nccl.h not found: see make config)")
static void gc_begin(void) {}
static void gc_end(void) {}
#endif

#ifdef UG_HAVE_CUDA
#include "gpu/gpu_dims.h"
#include "nn/ops.h"
// A convolution's dims (conv_dims lives in ops.c beside the oneDNN dispatch, which the standalone GPU build lacks).
static inline ConvDims gc_conv_dims(int H, int W, int C, int K, int R, int stride, int pad) {
    ConvDims d = {H, W, C, K, R, R, stride, pad, (H + 2 * pad - R) / stride + 1, (W + 2 * pad - R) / stride + 1};
    return d;
}
#endif

// Number of entries that differ bit for bit.
static inline size_t gc_bit_diffs(const float* a, const float* b, size_t n) {
    size_t d = 0;
    for (size_t i = 0; i < n; i++) d += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    return d;
}
