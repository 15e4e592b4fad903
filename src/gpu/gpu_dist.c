// gpu_dist.c — NCCL over MPI (see gpu_dist.h).  Compiles to nothing in CPU-only builds.
#ifdef UG_HAVE_CUDA
#include "gpu/gpu_dist.h"

#include "common/util.h"

GpuComm* gpu_comm_init_mpi(MPI_Comm comm, int device) {
    int rank, world;
    MPI_CHECK(MPI_Comm_rank(comm, &rank));
    MPI_CHECK(MPI_Comm_size(comm, &world));
    int ngpu = gpu_count();
    int ok = device >= 0 && device < ngpu, all_ok = 0;
    MPI_CHECK(MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, comm));
    if (!all_ok) {
        if (!ok)
            ug_die("rank %d: GPU %d asked for but %d GPU(s) visible (%s): start one rank per GPU",
                   rank, device, ngpu, ngpu ? "too few" : gpu_absent_reason());
        ug_die("rank %d: another rank has no GPU (one rank per GPU)", rank);
    }
    ncclUniqueId id;
    if (rank == 0) NCCL_CHECK(ncclGetUniqueId(&id));
    MPI_CHECK(MPI_Bcast(&id, (int)sizeof id, MPI_BYTE, 0, comm));
    return gpu_comm_init(&id, rank, world, device);
}
#endif
