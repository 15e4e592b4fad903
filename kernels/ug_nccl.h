// ug_nccl.h — the NCCL communicator: one rank per GPU, all-reduce of a flat float buffer, and async-error
// polling so a dead peer ends the job with a message instead of a hang.
// Bootstrap: gpu_comm_init_single (one GPU, no MPI) here; over MPI in src/gpu/nccl_mpi.h.
#pragma once
#include <stddef.h>

#include <cuda_runtime.h>
#include <nccl.h>

#include "ug_cuda.h"

#ifdef __cplusplus
extern "C" {
#endif

#define NCCL_CHECK(call) do { ncclResult_t e_ = (call); \
    if (e_ != ncclSuccess) ug_gpu_die(__FILE__, __LINE__, "NCCL", #call, (int)e_, ncclGetErrorString(e_)); } while (0)

typedef struct {
    ncclComm_t comm;
    int rank, world, device;
    double timeout_s;   // a collective not finished after this long ends the job (UG_NCCL_TIMEOUT_S, default 600)
} GpuComm;

// Non-blocking communicator creation (so init can be polled too); device must already be current.
GpuComm* gpu_comm_init(const ncclUniqueId* id, int rank, int world, int device);
GpuComm* gpu_comm_init_single(int device);
void gpu_comm_destroy(GpuComm* c);
// In place: buf = sum over ranks (mean: then divided by world).  Enqueued on s, then waited for with polling.
void gpu_allreduce_sum_f32(GpuComm* c, float* buf, size_t n, cudaStream_t s);
void gpu_allreduce_mean_f32(GpuComm* c, float* buf, size_t n, cudaStream_t s);
// The sum, only enqueued on s (the caller waits later with gpu_comm_wait): the buckets of the all-reduce that
// overlaps backward.
void gpu_allreduce_sum_f32_enqueue(GpuComm* c, float* buf, size_t n, cudaStream_t s);
// Waits for s while polling ncclCommGetAsyncError; on error or timeout: aborts the communicator and dies.
void gpu_comm_wait(GpuComm* c, cudaStream_t s, const char* what);

#ifdef __cplusplus
}
#endif
