// model_impl.h — the layer list behind Model and the builder the architecture files use (internal).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "nn/model.h"

typedef enum { L_CONV, L_BN, L_RELU, L_MAXPOOL, L_GAP, L_LINEAR, L_ADD } LayerKind;

typedef struct {
    LayerKind kind;
    int in, in2, out;        // activation slots (in2: second addend of L_ADD)
    int param_layer;         // index among parametrised layers (-1 for relu/pool/add)
    ConvDims cd;             // L_CONV
    ConvOp* conv;
    BnOp* bn;                // L_BN
    PoolDims pd;             // L_MAXPOOL
    int C, HW, O;            // channels / plane size of the input; linear output size
    size_t w, b;             // parameter offsets (SIZE_MAX: none)
    size_t rmean, rvar, nbt; // buffer offsets (BN)
    size_t save;             // BN: offset of save_mean/save_invstd [2C] in the aux buffer
    size_t argmax;           // maxpool: per-sample offset into the int32 argmax buffer
    int init_tensor[2];      // tensor-table indices of weight / bias (for init)
    int fuse_relu;           // BN / add: the next layer is an in-place ReLU on this output, computed here
    int fused;               // ReLU: done by the layer before (forward; for BN also backward)
} Layer;

typedef struct {
    int h, w, c;             // per-sample shape of the slot
    size_t per;              // h*w*c
    int consumers;           // number of layers reading it
} Slot;

typedef struct {
    Layer* layers;
    int num_layers, cap_layers;
    Slot* slots;
    int num_slots, cap_slots;
    int logits_slot, features_slot;
    size_t cap_batch;        // activations sized for this many samples
    size_t per_sample;       // sum of slot sizes
    size_t* slot_off;        // [num_slots] offsets for cap_batch
    float* acts;             // [cap_batch * per_sample]
    float* dacts;            // same layout
    float* scratch;          // [cap_batch * max slot size]: a second gradient at a junction
    size_t max_slot;
    int32_t* argmax;         // [cap_batch * argmax_per]
    size_t argmax_per;
    float* aux;              // BN save_mean/invstd
    size_t aux_size;
    unsigned char* written;  // [num_slots] backward bookkeeping
    int last_n, last_train;
    int want_dx;             // 1: backward also writes the gradient of the input slot (model_backward_input)
    int profile;             // 1: accumulate seconds per layer kind (model_profile_*)
    double prof_fwd[7], prof_bwd[7];
    // tensor table while building: params and buffers separately, merged at the end
    TensorInfo* tparams; int n_tparams, cap_tparams;
    TensorInfo* tbufs; int n_tbufs, cap_tbufs;
    int param_layers;
    float* grad_saved;       // model_grad_save's copy (CPU)
    float* dlogits;          // the CPU executor's loss gradient [cap_dlogits, K] (model_loss_backward)
    size_t cap_dlogits;
    uint8_t* bf16_slot;      // [num_slots] CPU emulation of the bf16 mode: 1 = values here are rounded (NULL: off)
    float* wround;           // [num_params] emulation: the rounded convolution weights
} Net;

// The CPU walk (model.c), the CPU executor's forward / backward (exec_cpu.c); the dispatchers (model_exec.c) set
// last_n / last_train.  net_backward: dx NULL or host [N,H,W,C].
const float* net_forward(Model* m, int N, const float* x, int train);
void net_backward(Model* m, const float* dlogits, float* dx);
const float* net_features(const Model* m);
const float* net_logits(const Model* m);

// Builder (model_build.c).  Each returns the output slot.
int nb_input(Model* m, int h, int w, int c);
int nb_conv(Model* m, const char* name, int in, int out_channels, int kernel, int stride, int pad, int bias);
int nb_bn(Model* m, const char* name, int in);
int nb_relu(Model* m, int in);
int nb_maxpool(Model* m, int in, int kernel, int stride, int pad);
int nb_gap(Model* m, int in);
int nb_linear(Model* m, const char* name, int in, int out_features);
int nb_add(Model* m, int a, int b);
void nb_finish(Model* m, int logits, int features);   // lays out tensors and buffers

// bf16 mixed precision (model_bf16.c): the slot types, and the CPU reference's emulation of the mode.
void model_bf16_slots(const Model* m, uint8_t* is_bf16);   // [num_slots]: 1 = stored in bf16
float bf16_round(float f);                                 // to the nearest bf16 (ties to even), as a float
void bf16_round_n(float* x, size_t n);
const float* bf16_conv_weights(const Model* m, const Layer* l);   // emulation: rounded weights, or NULL

void build_resnet18(Model* m);
void build_vgg16_bn(Model* m);
void build_small_cnn(Model* m);
