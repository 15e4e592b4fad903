// test_gpu_nccl.c — the NCCL communicator: single GPU without MPI, and bootstrapped over MPI (one rank per
// GPU; SKIP when the node has fewer GPUs than ranks).  Run at np 1 and np 2 by tests/run_tests.sh.
#include "gpu_check.h"

#ifdef UG_HAVE_CUDA
#include "ug_nccl.h"
#ifndef UG_NO_MPI
#include "gpu/gpu_dist.h"
#endif

static void check_allreduce(GpuComm* c, int world, int rank) {
    const size_t n = 1000003;   // not a multiple of anything NCCL likes
    float* h = ug_malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) h[i] = (float)(rank + 1) + (float)(i % 1000) * 0.25f;
    float* d = gc_devf(h, n);
    gpu_allreduce_sum_f32(c, d, n, g_ctx->stream);
    float* got = gc_host(d, n);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        // exact: small integers and quarters sum exactly in float
        float want = (float)(world * (world + 1) / 2) + (float)world * ((float)(i % 1000) * 0.25f);
        bad += got[i] != want;
    }
    CHECK(bad == 0, "sum all-reduce: %zu of %zu entries wrong at world %d", bad, n, world);
    free(got);
    gpu_allreduce_mean_f32(c, d, n, g_ctx->stream);   // every rank holds the same sums: their mean is them
    got = gc_host(d, n);
    bad = 0;
    for (size_t i = 0; i < n; i++) {
        float w = (float)(world * (world + 1) / 2) + (float)world * ((float)(i % 1000) * 0.25f);
        bad += fabsf(got[i] - w) > 1e-6f * fabsf(w);
    }
    CHECK(bad == 0, "mean all-reduce: %zu entries wrong", bad);
    free(got);
    free(h);
    gpu_free(d);
}

static void test_single_gpu(void) {
    GPU_CASE_BEGIN();
    if (th_world > 1) SKIP("single-GPU communicator: run at np 1");
    GpuComm* c = gpu_comm_init_single(0);
    CHECK_EQ_INT(c->world, 1);
    check_allreduce(c, 1, 0);
    gpu_comm_destroy(c);
}

static void test_mpi_bootstrap(void) {
#ifdef UG_NO_MPI
    SKIP("built without MPI (stub mpi.h): the MPI bootstrap is not compiled");
#else
    MPI_Comm local;
    int local_rank, local_world, enough;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, th_rank, MPI_INFO_NULL, &local);
    MPI_Comm_rank(local, &local_rank);
    MPI_Comm_size(local, &local_world);
    MPI_Comm_free(&local);
    int mine = g_ctx != NULL && gpu_count() >= local_world;
    MPI_Allreduce(&mine, &enough, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (!enough) {
        if (!g_ctx) GPU_CASE_BEGIN();
        SKIP("%d rank(s) on a node with %d GPU(s): one rank per GPU", local_world, gpu_count());
    }
    // the test's context sits on GPU 0; the communicator needs the rank's own GPU
    gc_end();
    g_ctx = gpu_ctx_create(local_rank, 0, 1, 0);
    GpuComm* c = gpu_comm_init_mpi(MPI_COMM_WORLD, local_rank);   // every GPU visible: device = local rank
    CHECK_EQ_INT(c->world, th_world);
    CHECK_EQ_INT(c->rank, th_rank);
    CHECK_EQ_INT(c->device, local_rank);
    check_allreduce(c, th_world, th_rank);
    gpu_comm_destroy(c);
#endif
}
#else
static void test_single_gpu(void) { GPU_CASE_BEGIN(); }
static void test_mpi_bootstrap(void) { GPU_CASE_BEGIN(); }
#endif

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 1);
    gc_begin();
    TEST_CASE(test_single_gpu);
    TEST_CASE(test_mpi_bootstrap);
    gc_end();
    return th_end();
}
