// nccl_comm.cu — NCCL communicator (non-blocking, so nothing waits without a deadline), the flat-buffer
// all-reduce, and the polling wait that turns a dead peer into a message instead of a hang.
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "ug_kernels.h"
#include "ug_nccl.h"

#include "ug_host.h"

// ncclInProgress means "not finished yet" on a non-blocking communicator.
static int nccl_failed(ncclResult_t r) { return r != ncclSuccess && r != ncclInProgress; }

static void nccl_die(GpuComm* c, const char* what, ncclResult_t r, const char* file, int line) {
    const char* last = c && c->comm ? ncclGetLastError(c->comm) : "";
    if (c && c->comm) ncclCommAbort(c->comm);   // frees the peers waiting on us too
    ug_die_at(file, line, "NCCL %s failed on GPU %d (rank %d of %d): %s%s%s (%s)", what, c ? c->device : -1,
              c ? c->rank : -1, c ? c->world : -1, ncclGetErrorString(r), last && *last ? ": " : "",
              last ? last : "", ug_gpu_hint("NCCL", (int)r));
}

// Polls the communicator until it leaves ncclInProgress (non-blocking init and enqueue).
static void wait_ready(GpuComm* c, const char* what) {
    double t0 = ug_now();
    for (;;) {
        ncclResult_t r;
        NCCL_CHECK(ncclCommGetAsyncError(c->comm, &r));
        if (r == ncclSuccess) return;
        if (nccl_failed(r)) nccl_die(c, what, r, __FILE__, __LINE__);
        if (ug_now() - t0 > c->timeout_s) {
            ncclCommAbort(c->comm);
            ug_die("NCCL %s: no progress for %.0f s on rank %d of %d (a peer rank is dead or stuck; "
                   "UG_NCCL_TIMEOUT_S changes the limit)", what, c->timeout_s, c->rank, c->world);
        }
        usleep(100);
    }
}

GpuComm* gpu_comm_init(const ncclUniqueId* id, int rank, int world, int device) {
    GpuComm* c = (GpuComm*)ug_calloc(1, sizeof *c);
    c->rank = rank;
    c->world = world;
    c->device = device;
    const char* t = getenv("UG_NCCL_TIMEOUT_S");
    c->timeout_s = t && atof(t) > 0 ? atof(t) : 600.0;
    CUDA_CHECK(cudaSetDevice(device));
    ncclConfig_t cfg = NCCL_CONFIG_INITIALIZER;
    cfg.blocking = 0;
    ncclResult_t r = ncclCommInitRankConfig(&c->comm, world, *id, rank, &cfg);
    if (nccl_failed(r)) nccl_die(c, "communicator init", r, __FILE__, __LINE__);
    wait_ready(c, "communicator init");
    return c;
}

GpuComm* gpu_comm_init_single(int device) {
    ncclUniqueId id;
    NCCL_CHECK(ncclGetUniqueId(&id));
    return gpu_comm_init(&id, 0, 1, device);
}

void gpu_comm_destroy(GpuComm* c) {
    if (!c) return;
    ncclResult_t r = ncclCommFinalize(c->comm);
    if (nccl_failed(r)) nccl_die(c, "finalize", r, __FILE__, __LINE__);
    wait_ready(c, "finalize");
    NCCL_CHECK(ncclCommDestroy(c->comm));
    free(c);
}

void gpu_comm_wait(GpuComm* c, cudaStream_t s, const char* what) {
    double t0 = ug_now();
    for (;;) {
        cudaError_t e = cudaStreamQuery(s);
        if (e == cudaSuccess) return;
        if (e != cudaErrorNotReady) CUDA_CHECK(e);
        ncclResult_t r;
        NCCL_CHECK(ncclCommGetAsyncError(c->comm, &r));
        if (nccl_failed(r)) nccl_die(c, what, r, __FILE__, __LINE__);
        if (ug_now() - t0 > c->timeout_s) {
            ncclCommAbort(c->comm);
            ug_die("NCCL %s: not finished after %.0f s on rank %d of %d (a peer rank is dead or stuck; "
                   "UG_NCCL_TIMEOUT_S changes the limit)", what, c->timeout_s, c->rank, c->world);
        }
        usleep(50);
    }
}

void gpu_allreduce_sum_f32_enqueue(GpuComm* c, float* buf, size_t n, cudaStream_t s) {
    if (n == 0) return;
    ncclResult_t r = ncclAllReduce(buf, buf, n, ncclFloat32, ncclSum, c->comm, s);
    if (nccl_failed(r)) nccl_die(c, "all-reduce", r, __FILE__, __LINE__);
    if (r == ncclInProgress) wait_ready(c, "all-reduce enqueue");
}

void gpu_allreduce_sum_f32(GpuComm* c, float* buf, size_t n, cudaStream_t s) {
    if (n == 0) return;
    gpu_allreduce_sum_f32_enqueue(c, buf, n, s);
    gpu_comm_wait(c, s, "all-reduce");
}

void gpu_allreduce_mean_f32(GpuComm* c, float* buf, size_t n, cudaStream_t s) {
    if (n == 0) return;
    ncclResult_t r = ncclAllReduce(buf, buf, n, ncclFloat32, ncclAvg, c->comm, s);
    if (nccl_failed(r)) nccl_die(c, "all-reduce (mean)", r, __FILE__, __LINE__);
    if (r == ncclInProgress) wait_ready(c, "all-reduce enqueue");
    gpu_comm_wait(c, s, "all-reduce (mean)");
}
