// ug_cuda.h — the CUDA backend's base: checked calls, device probe, GPU memory, the per-device context.
//
// C API (usable from C and from the .cu files).  Every CUDA / cuDNN / cuBLAS / NCCL call goes through a
// *_CHECK macro: on failure it ends the job through ug_die with "[rank R] file:line: call: error (hint)".
#pragma once
#include <stddef.h>
#include <stdint.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#ifdef __cplusplus
extern "C" {
#endif

// kind: "CUDA", "cuDNN", "cuBLAS", "NCCL"; err: the library's error text; code: its numeric status.
void ug_gpu_die(const char* file, int line, const char* kind, const char* expr, int code, const char* err)
    __attribute__((noreturn));
const char* ug_gpu_hint(const char* kind, int code);

#define CUDA_CHECK(call) do { cudaError_t e_ = (call); \
    if (e_ != cudaSuccess) ug_gpu_die(__FILE__, __LINE__, "CUDA", #call, (int)e_, cudaGetErrorString(e_)); } while (0)
#define CUDNN_CHECK(call) do { cudnnStatus_t e_ = (call); \
    if (e_ != CUDNN_STATUS_SUCCESS) ug_gpu_die(__FILE__, __LINE__, "cuDNN", #call, (int)e_, cudnnGetErrorString(e_)); } while (0)
#define CUBLAS_CHECK(call) do { cublasStatus_t e_ = (call); \
    if (e_ != CUBLAS_STATUS_SUCCESS) ug_gpu_die(__FILE__, __LINE__, "cuBLAS", #call, (int)e_, cublasGetStatusString(e_)); } while (0)
// A kernel launch: checks the launch itself (bad configuration); execution errors surface at the next sync.
#define CUDA_CHECK_LAUNCH() CUDA_CHECK(cudaGetLastError())

// Number of usable GPUs; 0 (never an error) when there is no driver or no device.
int gpu_count(void);
// Why gpu_count() is 0, for SKIP lines ("no CUDA driver", "no device", ...); "" when there are GPUs.
const char* gpu_absent_reason(void);

// Device memory.  On out-of-memory: dies naming the size asked, what it was for, and the free/total memory.
void* gpu_malloc(size_t bytes, const char* what);
void gpu_free(void* p);
void gpu_upload(void* dst, const void* src, size_t bytes, cudaStream_t s);     // async on s
void gpu_download(void* dst, const void* src, size_t bytes, cudaStream_t s);   // synchronises s

typedef struct {
    int device;
    cudaStream_t stream;
    cudnnHandle_t cudnn;
    cublasHandle_t cublas;
    int tf32;               // 1: TF32 tensor-core math allowed in conv and GEMM (faster, ~1e-3 relative)
    int deterministic;      // 1: only deterministic cuDNN algorithms
    size_t ws_limit;        // the most workspace one cuDNN call may use (bytes)
    void* ws;               // shared workspace, grown on demand
    size_t ws_size;
} GpuCtx;

// Sets the device, creates a stream and the cuDNN / cuBLAS handles bound to it.
// ws_limit 0: UG_CUDNN_WS_MB from the environment, else 1024 MiB.
GpuCtx* gpu_ctx_create(int device, int tf32, int deterministic, size_t ws_limit);
void gpu_ctx_destroy(GpuCtx* ctx);
void gpu_ctx_set_tf32(GpuCtx* ctx, int tf32);
void* gpu_ctx_workspace(GpuCtx* ctx, size_t bytes);   // at least bytes of workspace (may reallocate)
void gpu_sync(GpuCtx* ctx);                            // waits for the stream, checks for errors

#ifdef __cplusplus
}
#endif
