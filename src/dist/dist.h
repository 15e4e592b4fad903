// dist.h — the data-parallel world: MPI on the CPU path (NCCL is added by the CUDA backend).
// MPI_COMM_WORLD gets MPI_ERRORS_RETURN so MPI_CHECK can report failures (then ug_die aborts all ranks).
#pragma once
#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    int rank, world;          // in MPI_COMM_WORLD
    int local_rank, local_world;  // on this node (for picking a GPU)
    MPI_Comm comm;
} Dist;

extern Dist g_dist;   // filled by dist_init

void dist_init(int* argc, char*** argv);
void dist_finalize(void);
void dist_allreduce_sum_f32(float* buf, size_t n);    // in place
void dist_allreduce_mean_f32(float* buf, size_t n);   // in place: sum / world
void dist_allreduce_sum_f64(double* buf, size_t n);
void dist_allreduce_sum_i64(int64_t* buf, size_t n);
double dist_max_f64(double v);
void dist_barrier(void);
// A barrier whose waiting ranks sleep instead of spinning (MPI waits busy-poll a core), so that one rank doing
// long serial work (the metrics reducer) can use the other ranks' cores meanwhile.
void dist_barrier_sleeping(void);
// Every rank passes its own ok flag; returns 1 only if all ranks are ok.  Used so that a bad input seen by
// one rank ends all ranks with the same error instead of a hang.
int dist_all_ok(int ok);
// Sets the OpenMP threads of this rank: `requested` if > 0, else OMP_NUM_THREADS when set, else the cores given
// to this rank (dist_default_threads).  Call before the first op.  Returns the count.
int dist_set_threads(int requested);
// The default count, from its inputs (testable): SLURM_CPUS_PER_TASK when set (capped by the mask), else the
// affinity mask's cores, divided by the ranks on this node only when the mask is the whole node (no binding).
int dist_default_threads(const char* slurm_cpus_per_task, int mask_cores, int online_cores, int local_world);
