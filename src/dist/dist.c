#include "dist/dist.h"

#include <limits.h>
#include <sched.h>
#include <omp.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"

Dist g_dist = {0, 1, 0, 1, MPI_COMM_NULL};

void dist_init(int* argc, char*** argv) {
    int provided = 0;
    MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
    MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    g_dist.comm = MPI_COMM_WORLD;
    MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &g_dist.rank));
    MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &g_dist.world));
    MPI_Comm local;
    MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_dist.rank, MPI_INFO_NULL, &local));
    MPI_CHECK(MPI_Comm_rank(local, &g_dist.local_rank));
    MPI_CHECK(MPI_Comm_size(local, &g_dist.local_world));
    MPI_Comm_free(&local);
}

void dist_finalize(void) {
    int fin = 0;
    MPI_Finalized(&fin);
    if (!fin) MPI_Finalize();
}

// MPI counts are int: large buffers go in chunks.
#define CHUNK ((size_t)1 << 30)

void dist_allreduce_sum_f32(float* buf, size_t n) {
    if (g_dist.world == 1) return;
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t len = n - off < CHUNK ? n - off : CHUNK;
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)len, MPI_FLOAT, MPI_SUM, g_dist.comm));
    }
}

void dist_allreduce_mean_f32(float* buf, size_t n) {
    if (g_dist.world == 1) return;
    dist_allreduce_sum_f32(buf, n);
    float inv = 1.0f / (float)g_dist.world;
    for (size_t i = 0; i < n; i++) buf[i] *= inv;
}

void dist_allreduce_sum_f64(double* buf, size_t n) {
    if (g_dist.world == 1) return;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_DOUBLE, MPI_SUM, g_dist.comm));
}

void dist_allreduce_sum_i64(int64_t* buf, size_t n) {
    if (g_dist.world == 1) return;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf, (int)n, MPI_INT64_T, MPI_SUM, g_dist.comm));
}

double dist_max_f64(double v) {
    if (g_dist.world == 1) return v;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, g_dist.comm));
    return v;
}

void dist_barrier(void) {
    if (g_dist.world > 1) MPI_CHECK(MPI_Barrier(g_dist.comm));
}

void dist_barrier_sleeping(void) {
    if (g_dist.world == 1) return;
    MPI_Request req;
    MPI_CHECK(MPI_Ibarrier(g_dist.comm, &req));
    const struct timespec nap = {0, 2000000};   // 2 ms: a free core for the rank still working
    for (;;) {
        int done = 0;
        MPI_CHECK(MPI_Test(&req, &done, MPI_STATUS_IGNORE));
        if (done) return;
        nanosleep(&nap, NULL);
    }
}

int dist_all_ok(int ok) {
    if (g_dist.world == 1) return ok;
    int all = ok ? 1 : 0;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &all, 1, MPI_INT, MPI_MIN, g_dist.comm));
    return all;
}

// The cores this rank may use when nothing asks for a count: Slurm's SLURM_CPUS_PER_TASK (the cores of this
// task), else the affinity mask (taskset, mpirun --bind-to, srun --cpu-bind).  A mask covering every online core is
// no binding at all: the node's cores are then shared by the ranks on this node.
int dist_default_threads(const char* slurm_cpus_per_task, int mask_cores, int online_cores, int local_world) {
    if (slurm_cpus_per_task && *slurm_cpus_per_task) {
        char* end = NULL;
        long v = strtol(slurm_cpus_per_task, &end, 10);
        if (end != slurm_cpus_per_task && !*end && v > 0 && v <= 65536)
            return (int)(mask_cores > 0 && v > mask_cores ? mask_cores : v);
    }
    int cores = mask_cores > 0 ? mask_cores : online_cores;
    if (mask_cores <= 0 || mask_cores >= online_cores) cores /= local_world > 0 ? local_world : 1;
    return cores < 1 ? 1 : cores;
}

static int affinity_cores(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return 0;   // unknown: fall back to the online cores
    return CPU_COUNT(&set);
}

int dist_set_threads(int requested) {
    int threads = requested;
    if (threads <= 0) {
        if (getenv("OMP_NUM_THREADS")) threads = omp_get_max_threads();   // an explicit environment wins
        else threads = dist_default_threads(getenv("SLURM_CPUS_PER_TASK"), affinity_cores(),
                                            (int)sysconf(_SC_NPROCESSORS_ONLN), g_dist.local_world);
    }
    omp_set_num_threads(threads);
    return threads;
}
