// gpu_model.h — the network on one GPU: a device mirror of a Model's layer list (src/nn/model_impl.h) run through
// the cuDNN / cuBLAS wrappers and our kernels (kernels/).  gpu_model_attach installs the GPU executor
// (src/nn/executor.h) on the Model: every model_* operation — forward, the fused loss + backward, SCRUB's fused
// distillation loss (student and teacher both on the device: model_place_like), gradient arithmetic, NCCL
// all-reduce, norm, SGD, the self-adaptive alpha — then runs on the device, so a training or unlearning step moves
// only the batch in and the per-sample losses / logits (or predictions) out.
//
// Residency: after gpu_model_attach the DEVICE holds the authoritative parameters, BN buffers, gradients and
// momentum.  The host copies (m->params, m->buffers, m->grads, the Sgd buffer) are refreshed on request
// (model_state_to_host, model_grads_to_host, model_momentum_to_host) and pushed back after host-side writes
// (model_state_to_device).  Layout on the device: the same flat buffers, except that every convolution weight is
// OHWI ([K][R][S][C], cuDNN's NHWC filter format) instead of OIHW; elementwise work (SGD, norms, all-reduce)
// does not care, and the transfers convert.
//
// In builds without CUDA every function here exists and gpu_available() is 0; attaching dies with a clear message.
#pragma once
#include <stdint.h>
#include <stdio.h>

#include "nn/model.h"

typedef struct {
    int device;           // CUDA device ordinal (one rank per GPU: the node-local rank)
    int tf32;             // 1: TF32 tensor cores in convolutions and GEMMs (PyTorch's default for cuDNN convs)
    int deterministic;    // 1: deterministic cuDNN algorithms only
    int bf16;             // 1: bf16 mixed precision: activations, their gradients and the convolutions in bf16
                          //    (float accumulation); master weights, gradients, momentum, BN statistics, the
                          //    classifier and the loss in fp32; no loss scaling (bf16 has fp32's exponent range)
    int overlap;          // 1 (with a communicator): the trainer's step all-reduces the gradient in buckets while
                          //    backward still runs (src/nn/grad_buckets.h), instead of once after it
    double bucket_mb;     // bucket size for overlap (0: 25 MiB, PyTorch DDP's default)
} GpuModelOptions;

int gpu_available(void);                   // 1 when this build has CUDA and a GPU is visible
const char* gpu_unavailable_reason(void);  // for messages
// comm: a GpuComm* (kernels/ug_nccl.h) for gradient all-reduce over ranks, or NULL on one rank.
void gpu_model_attach(Model* m, const GpuModelOptions* o, void* comm);
void gpu_model_detach(Model* m);   // back to the CPU executor (model_destroy does it; the host state is not refreshed)
const char* gpu_model_device_name(const Model* m);
int gpu_model_is_bf16(const Model* m);

// Overlap (GpuModelOptions.overlap): model_overlap_next_backward arms the next backward to send its gradient
// buckets as they complete; the model_allreduce_grads after it only waits for them.  How many buckets (0: off):
int gpu_model_overlap_buckets(const Model* m);

// Device pointers for benchmarks and tests (NULL without CUDA).
float* gpu_model_dev_params(Model* m);
float* gpu_model_dev_grads(Model* m);
// Forward + loss + backward + SGD on a batch already on the device (x [n,H,W,C], y [n]) — the benchmark's step.
void gpu_model_train_step_device(Model* m, int n, const float* x_dev, const int32_t* y_dev, float lr, float momentum,
                                 float weight_decay);
void gpu_model_sync(Model* m);
// UG_GPU_PROFILE=1: time per layer kind since the last print (then reset); the cuDNN algorithms each conv uses.
void gpu_model_profile_print(FILE* f);
void gpu_model_print_algos(Model* m, FILE* f);
