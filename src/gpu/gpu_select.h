// gpu_select.h — which CUDA device this rank uses: a pure function of the node-local rank, the number of
// devices the CUDA runtime shows this process, and the environment strings that explain that number, so
// every binding a cluster uses can be tested without a GPU.
//
//   all node GPUs visible (plain mpirun, srun without GPU binding): visible >= ranks on the node -> local rank
//   one GPU per task (--gpus-per-task=1, --gpu-bind=single:1, a site-set CUDA_VISIBLE_DEVICES=N): visible == 1
//                                                     -> device 0 (the one the task was given)
//   UG_GPU_DEVICE=k (explicit override)              -> k, checked against visible
//   anything else (fewer visible GPUs than ranks on the node, none visible) -> an error that says what to change
#pragma once
#include <stddef.h>

typedef struct {
    int local_rank;                      // node-local rank (MPI_COMM_TYPE_SHARED); -1 = unknown (use SLURM_LOCALID)
    int local_size;                      // ranks on this node (>= 1)
    int visible;                         // cudaGetDeviceCount() of this process
    const char* cuda_visible_devices;    // getenv("CUDA_VISIBLE_DEVICES"), NULL when unset
    const char* slurm_localid;           // getenv("SLURM_LOCALID"), NULL when unset
    const char* override_device;         // getenv("UG_GPU_DEVICE"), NULL when unset
} GpuSelectInput;

// Returns the device ordinal (0 .. visible-1), or -1 with a one-line reason in err.
int gpu_select(const GpuSelectInput* in, char* err, size_t errcap);
