// gpu_dist.h — the NCCL communicator bootstrapped over MPI: one rank per GPU (chosen by gpu_select), the NCCL unique id sent from rank 0 with MPI_Bcast.  Only in CUDA builds (UG_HAVE_CUDA);
// the single-GPU path without MPI is gpu_comm_init_single in kernels/ug_nccl.h.
#pragma once
#ifdef UG_HAVE_CUDA
#include <mpi.h>

#include "ug_nccl.h"

// Collective over comm.  device: this rank's GPU ordinal (gpu_select, src/gpu/gpu_select.h).  Every rank checks
// that its device is visible, so all ranks stop with a message and none hangs.
GpuComm* gpu_comm_init_mpi(MPI_Comm comm, int device);
#endif
