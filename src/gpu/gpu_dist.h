// gpu_dist.h — the NCCL communicator bootstrapped over MPI: one rank per GPU, the GPU picked by the
// node-local rank, the NCCL unique id sent from rank 0 with MPI_Bcast.  Only in CUDA builds (UG_HAVE_CUDA);
// the single-GPU path without MPI is gpu_comm_init_single in kernels/ug_nccl.h.
#pragma once
#ifdef UG_HAVE_CUDA
#include <mpi.h>

#include "ug_nccl.h"

// Collective over comm.  Every rank checks that its node has a GPU for each local rank (so all ranks stop
// with the same message, none hangs); production passes g_dist.comm, g_dist.local_rank, g_dist.local_world.
GpuComm* gpu_comm_init_mpi(MPI_Comm comm, int local_rank, int local_world);
#endif
