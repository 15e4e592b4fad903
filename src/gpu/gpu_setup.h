// gpu_setup.h — what `--device` means for a command: parse it, and put a model on this rank's GPU (one rank per
// GPU, picked by the node-local rank; NCCL communicator over MPI when there are several ranks).
#pragma once
#include "nn/model.h"

// --device and --precision together: 0 = cpu, 1 = cuda (fp32, TF32 unless UG_TF32=0), 2 = cuda with bf16 mixed
// precision; dies with a clear line for anything else or for bf16 on the CPU (cmd names the command).
enum { DEVICE_CPU = 0, DEVICE_CUDA = 1, DEVICE_CUDA_BF16 = 2 };
int device_parse(const char* s, const char* precision, const char* cmd);
// Attaches m to this rank's GPU (device 1 or 2) or does nothing (0).  TF32 is on unless UG_TF32=0 (as PyTorch's
// default for cuDNN convolutions); UG_DETERMINISTIC=1 restricts cuDNN to deterministic algorithms.
void device_attach(Model* m, int device);
// One line for logs: "cpu" or "cuda:0 (NVIDIA H100 80GB HBM3, TF32 on)".
const char* device_describe(const Model* m);
