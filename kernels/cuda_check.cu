// cuda_check.cu — error reporting, device probe, GPU memory and the per-device context.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ug_cuda.h"

#include "ug_host.h"

const char* ug_gpu_hint(const char* kind, int code) {
    if (!strcmp(kind, "CUDA")) {
        switch ((cudaError_t)code) {
        case cudaErrorMemoryAllocation: return "out of GPU memory: lower the batch size";
        case cudaErrorNoDevice: return "no GPU visible: check CUDA_VISIBLE_DEVICES and nvidia-smi";
        case cudaErrorInsufficientDriver: return "the driver is older than this CUDA runtime: update the driver";
        case cudaErrorInvalidDevice: return "device id out of range: more ranks per node than GPUs?";
        case cudaErrorNoKernelImageForDevice: return "no code for this GPU: rebuild with its arch in CUDA_ARCHS";
        case cudaErrorIllegalAddress: return "a kernel read or wrote out of bounds: rerun with compute-sanitizer";
        default: return "see the CUDA error above";
        }
    }
    if (!strcmp(kind, "cuDNN")) {
        if (code == CUDNN_STATUS_NOT_SUPPORTED) return "this shape/layout/algorithm is not supported by cuDNN";
        if (code == CUDNN_STATUS_ALLOC_FAILED) return "cuDNN could not allocate: out of GPU memory, lower the batch size";
        if (code == CUDNN_STATUS_BAD_PARAM) return "bad descriptor or argument: a shape mismatch";
        return "see the cuDNN error above (CUDNN_LOGERR_DBG=1 CUDNN_LOGDEST_DBG=stderr for details)";
    }
    if (!strcmp(kind, "cuBLAS")) {
        if (code == CUBLAS_STATUS_ALLOC_FAILED) return "cuBLAS could not allocate: out of GPU memory";
        if (code == CUBLAS_STATUS_NOT_INITIALIZED) return "cuBLAS not initialised: no usable GPU?";
        return "see the cuBLAS error above";
    }
    if (!strcmp(kind, "NCCL")) {
        // ncclUnhandledCudaError 1, ncclSystemError 2, ncclInternalError 3, ncclInvalidArgument 4,
        // ncclInvalidUsage 5, ncclRemoteError 6
        if (code == 6) return "a peer rank failed or disconnected: check the other ranks' logs";
        if (code == 2) return "a system/network error: NCCL_DEBUG=WARN shows which";
        if (code == 5 || code == 4) return "invalid NCCL usage (e.g. two ranks on one GPU)";
        return "NCCL_DEBUG=WARN gives details";
    }
    return "";
}

void ug_gpu_die(const char* file, int line, const char* kind, const char* expr, int code, const char* err) {
    ug_die_at(file, line, "%s call failed: %s: %s (code %d) (%s)", kind, expr, err ? err : "?", code,
              ug_gpu_hint(kind, code));
}

static char g_absent[256];

int gpu_count(void) {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) {
        snprintf(g_absent, sizeof g_absent, "no usable GPU (%s)", cudaGetErrorString(e));
        cudaGetLastError();   // clear the sticky-free error so later calls start clean
        return 0;
    }
    if (n == 0) snprintf(g_absent, sizeof g_absent, "no GPU device found");
    else g_absent[0] = 0;
    return n;
}

const char* gpu_absent_reason(void) {
    if (!g_absent[0]) gpu_count();
    return g_absent;
}

void* gpu_malloc(size_t bytes, const char* what) {
    void* p = NULL;
    cudaError_t e = cudaMalloc(&p, bytes ? bytes : 1);
    if (e == cudaErrorMemoryAllocation) {
        size_t free_b = 0, total_b = 0;
        cudaGetLastError();
        cudaMemGetInfo(&free_b, &total_b);
        ug_die("out of GPU memory: %.1f MiB asked for %s, %.1f MiB free of %.1f MiB (lower the batch size)",
               bytes / 1048576.0, what ? what : "a buffer", free_b / 1048576.0, total_b / 1048576.0);
    }
    if (e != cudaSuccess)
        ug_die("cudaMalloc of %.1f MiB for %s failed: %s (%s)", bytes / 1048576.0, what ? what : "a buffer",
               cudaGetErrorString(e), ug_gpu_hint("CUDA", (int)e));
    return p;
}

void gpu_free(void* p) {
    if (p) CUDA_CHECK(cudaFree(p));
}

void gpu_upload(void* dst, const void* src, size_t bytes, cudaStream_t s) {
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, s));
}

void gpu_download(void* dst, const void* src, size_t bytes, cudaStream_t s) {
    CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, s));
    CUDA_CHECK(cudaStreamSynchronize(s));
}

GpuCtx* gpu_ctx_create(int device, int tf32, int deterministic, size_t ws_limit) {
    int n = gpu_count();
    UG_CHECK(n > 0, "CUDA backend: %s (run on a GPU machine or without --device cuda)", gpu_absent_reason());
    UG_CHECK(device >= 0 && device < n, "CUDA backend: GPU %d asked for but only %d visible "
             "(more ranks per node than GPUs? check CUDA_VISIBLE_DEVICES)", device, n);
    GpuCtx* ctx = (GpuCtx*)ug_calloc(1, sizeof *ctx);
    ctx->device = device;
    ctx->deterministic = deterministic;
    if (!ws_limit) {
        const char* mb = getenv("UG_CUDNN_WS_MB");
        ws_limit = (size_t)(mb ? atol(mb) : 1024) << 20;
    }
    ctx->ws_limit = ws_limit;
    CUDA_CHECK(cudaSetDevice(device));
    CUDA_CHECK(cudaStreamCreateWithFlags(&ctx->stream, cudaStreamNonBlocking));
    CUDNN_CHECK(cudnnCreate(&ctx->cudnn));
    CUDNN_CHECK(cudnnSetStream(ctx->cudnn, ctx->stream));
    CUBLAS_CHECK(cublasCreate(&ctx->cublas));
    CUBLAS_CHECK(cublasSetStream(ctx->cublas, ctx->stream));
    gpu_ctx_set_tf32(ctx, tf32);
    return ctx;
}

void gpu_ctx_set_tf32(GpuCtx* ctx, int tf32) {
    ctx->tf32 = tf32;
    CUBLAS_CHECK(cublasSetMathMode(ctx->cublas, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}

void* gpu_ctx_workspace(GpuCtx* ctx, size_t bytes) {
    if (bytes <= ctx->ws_size && ctx->ws) return ctx->ws;
    if (ctx->ws) {
        CUDA_CHECK(cudaStreamSynchronize(ctx->stream));   // the old workspace may still be in use
        gpu_free(ctx->ws);
    }
    ctx->ws = gpu_malloc(bytes, "the cuDNN workspace");
    ctx->ws_size = bytes;
    return ctx->ws;
}

void gpu_sync(GpuCtx* ctx) {
    CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    CUDA_CHECK(cudaGetLastError());
}

void gpu_ctx_destroy(GpuCtx* ctx) {
    if (!ctx) return;
    CUDA_CHECK(cudaStreamSynchronize(ctx->stream));
    gpu_free(ctx->ws);
    CUBLAS_CHECK(cublasDestroy(ctx->cublas));
    CUDNN_CHECK(cudnnDestroy(ctx->cudnn));
    CUDA_CHECK(cudaStreamDestroy(ctx->stream));
    free(ctx);
}
