// model.h — networks as a flat list of layers over contiguous buffers (llm.c style).
// Parameters, gradients and optimizer state each live in ONE contiguous float buffer; a tensor table gives
// every tensor its torchvision name, shape and offset.  BatchNorm running stats live in a separate buffer
// ("buffers": running_mean, running_var, num_batches_tracked as float) because they are not trained.
//
// Activations: every layer output is a "slot" in one activation buffer [slots][N][per-sample size]; the
// gradient buffer of activations mirrors it.  ReLU runs in place on its input slot.  Backward walks the layer
// list in reverse; a slot read by two layers (a residual junction) gets the sum of both gradients.
//
// Architectures (docs/TRAINING.md lists every tensor name):
//   resnet18  torchvision ResNet-18 (BasicBlock [2,2,2,2]), channels width·{1,2,4,8}; CIFAR stem
//             (conv 3x3 s1 + BN + ReLU, no max-pool) or ImageNet stem (7x7 s2 + BN + ReLU + 3x3 s2 max-pool).
//   vgg16_bn  torchvision VGG-16-BN "features" (conv 3x3 with bias + BN + ReLU, 5 max-pools) with channels
//             scaled by width/64, then global average pool and ONE linear layer "classifier" (CIFAR variant:
//             32x32 input gives 1x1 after the 5th pool).
//   small_cnn digits default: conv1 3x3 (w) + bn1 + relu, conv2 3x3 (2w) + bn2 + relu, 2x2 max-pool,
//             conv3 3x3 (4w) + bn3 + relu, global average pool, fc.  Convs have no bias.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "nn/ops.h"

typedef enum { ARCH_RESNET18 = 0, ARCH_VGG16_BN = 1, ARCH_SMALL_CNN = 2 } Arch;

typedef struct {
    Arch arch;
    int width;            // ResNet-18 base width (64 = standard); VGG scaled by width/64; CNN channels
    int num_classes;
    int in_h, in_w, in_c; // input size (NHWC)
    int imagenet_stem;    // ResNet: 7x7 s2 + maxpool (1) or CIFAR 3x3 s1 (0)
    int no_bn;            // 1: leave out every BatchNorm layer (tests of exact data-parallel equivalence)
} ModelConfig;

typedef struct {
    char name[96];        // torchvision name, e.g. "layer1.0.conv1.weight"
    int ndim;
    int shape[4];
    size_t offset;        // into params/grads (or into buffers for running stats)
    size_t numel;
    int is_buffer;        // 1: running stat (not trained)
    int layer;            // index of the owning layer (for freezing the last k layers etc.)
} TensorInfo;

typedef struct Model Model;
typedef struct ModelExec ModelExec;   // nn/executor.h: how the model runs (CPU or GPU)
struct Model {
    ModelConfig cfg;
    Backend backend;
    float* params;        // [num_params]
    float* grads;         // [num_params]
    float* buffers;       // [num_buffers] BN running stats
    size_t num_params, num_buffers;
    TensorInfo* tensors;  // parameters first (in torchvision state_dict order), then buffers
    int num_tensors;
    int num_layers;       // parametrised layers in forward order (conv, bn, linear): for EU-k / CF-k
    int feature_dim;      // size of the penultimate features (input of the final linear layer)
    void* impl;           // activations, layer list, op caches
    const ModelExec* exec;   // its executor: &model_exec_cpu, or the GPU's after gpu_model_attach (nn/executor.h)
    void* exec_state;        // the executor's own state (the device mirror on a GPU); NULL on the CPU
};

Model* model_create(const ModelConfig* cfg, Backend backend);
void model_destroy(Model* m);
const char* arch_name(Arch a);
int arch_parse(const char* s, Arch* out);           // "resnet18", "vgg16_bn", "small_cnn"
// Initialise parameters as torchvision (kaiming normal fan_out for conv, BN 1/0, linear default).
// Every tensor draws from its own stream Rng(seed, RNG_INIT, tensor index): the result depends on nothing else.
void model_init(Model* m, uint64_t seed);
// Re-initialises only the tensors of parametrised layers [first_layer, num_layers) (EU-k), same rule.
void model_init_layers(Model* m, uint64_t seed, int first_layer);
// Forward pass on N samples x [N,H,W,C].  train=1: BatchNorm uses batch stats and updates running stats.
// Returns logits [N,K] (owned by the model, valid until the next forward).
const float* model_forward(Model* m, int N, const float* x, int train);
// Penultimate features [N, feature_dim] of the last forward (after global pooling / before the classifier).
const float* model_features(const Model* m);
// Backward from dlogits [N,K] of the last forward.  Writes m->grads (=).  After a train-mode forward BatchNorm
// backpropagates through its batch statistics; after an eval-mode forward (train=0) it is the fixed affine map
// of its running statistics (the gradients PyTorch gives in model.eval(): IU, SalUn's saliency, BS's FGSM).
void model_backward(Model* m, const float* dlogits);
// The same backward, also giving the gradient w.r.t. the input, dx [N,H,W,C] (FGSM of boundary shrink).
void model_backward_input(Model* m, const float* dlogits, float* dx);
// ---- where the state lives (all no-ops for a model on the CPU; see nn/executor.h and gpu_model.h in src/gpu) ----
// On a GPU the device holds the authoritative parameters, BN buffers and gradients: fetch them before host code
// reads m->params / m->buffers / m->grads, and push host-side writes back.  model_backward leaves the gradients
// on the device.
void model_state_to_host(Model* m);     // params + buffers -> host
void model_state_to_device(Model* m);   // host params + buffers -> device (after host-side writes)
void model_grads_to_host(Model* m);     // gradients -> m->grads
// Gradient arithmetic where the gradients live: save a copy, add the saved copy back, zero.
void model_grad_save(Model* m);
void model_grad_add_saved(Model* m);
void model_grad_zero(Model* m);
// Makes every rank hold rank 0's BN running statistics (before evaluation and checkpoints; nothing on one rank).
void model_sync_buffers(Model* m);
int model_on_device(const Model* m);                // 1: an executor other than the CPU's holds the state
size_t model_max_batch(const Model* m);             // activations are sized for this; grows on demand
const TensorInfo* model_find_tensor(const Model* m, const char* name);
// Copies parameters and buffers of src into dst (same config).  Used for teachers / frozen copies.
void model_copy_state(Model* dst, const Model* src);
// 1 when the two configs describe the same network (arch, width, classes, input, stem).
int model_config_equal(const ModelConfig* a, const ModelConfig* b);
// "resnet18 w16 10 classes 32x32x3 cifar-stem" — for messages.
void model_config_describe(const ModelConfig* c, char* buf, size_t cap);
// Profiling: seconds spent per layer kind (conv, bn, relu, maxpool, gap, linear, add), forward and backward.
void model_profile_enable(Model* m, int on);   // also resets the counters
double model_profile_print(const Model* m, FILE* f, const char* prefix);   // returns the total
// CPU reference of --precision bf16 (on = 1): rounds to bf16 every value the GPU's bf16 mode stores in bf16
// (activations and their gradients in bf16 slots, the convolution weights read, their gradients); fp32 master
// weights.  For measuring what bf16 itself changes (test_gpu_model.c in tests/gpu), not a fast path.
void model_emulate_bf16(Model* m, int on);
int model_is_emulating_bf16(const Model* m);
// Multiply-adds of one forward pass per sample (conv + linear), for GFLOP/s reports.
double model_forward_macs(const Model* m);
