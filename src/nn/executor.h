// executor.h — how a Model runs: one table of operations with two implementations, the CPU's (exec_cpu.c, nn's
// own code, the reference) and the GPU's (gpu_model.c in src/gpu, installed by gpu_model_attach).  Every caller —
// trainer, unlearning step, evaluation, the baselines — goes through the model_* functions below (and
// model_forward / model_backward / ... of model.h), which dispatch through m->exec; nothing above nn branches on
// the device.
//
// Residency: the executor owns where the state lives.  On the CPU everything is in m->params / m->buffers /
// m->grads and the *_to_host / *_to_device calls do nothing; on a GPU the device holds the authoritative copy and
// host code fetches it before reading and pushes it back after writing (see gpu_model.h in src/gpu).
#pragma once
#include <stdint.h>

#include "nn/adaptive_alpha.h"
#include "nn/loss_kl.h"
#include "nn/model.h"
#include "nn/optim.h"

// The self-adaptive alpha of one forget part (adaptive_alpha.h): the forget rows are the penultimate features
// (from_features = 1) or the input (0) of the LAST forward, compared with the gathered retain rows.
typedef struct {
    int from_features;
    const float* forget_host;  // the same rows on the host when from_features = 0 (the batch's images)
    int n_forget;              // this rank's forget rows (= the last forward's batch)
    const float* retain;       // host [n_retain, dim]: the whole global retain batch
    int n_retain, dim, n_forget_global;
    AlphaDistance kind;
    double beta;
    AlphaSign sign;
    double scale;
} AlphaQuery;

struct ModelExec {
    const char* name;   // "cpu", "cuda"
    void (*detach)(Model* m);   // back to the CPU executor (state fetched to the host first); NULL on the CPU
    // Forward; logits_to_host = 0 lets them stay where they are (returns NULL then, on a GPU).
    const float* (*forward)(Model* m, int N, const float* x, int train, int logits_to_host);
    const float* (*features)(Model* m);   // host
    void (*backward)(Model* m, const float* dlogits, float* dx);   // dlogits host; dx host or NULL
    // Fused GLS loss (gls_xent) on the last forward's logits + backward: returns Σ w_i·loss_i, fills sample_loss
    // [N] and logits [N,K] (host) when not NULL, and dx [N, input] (host: the gradient of the input, as the
    // backward's dx) when not NULL.  N = 0: zero gradients, returns 0, dx untouched.
    double (*loss_backward)(Model* m, const int32_t* y, const float* alpha, const float* weight, float scale,
                            float* sample_loss, float* logits, float* dx);
    // forward (train mode) + loss_backward in one call (the training step; a GPU sends the labels up first)
    double (*compute)(Model* m, int N, const float* x, const int32_t* y, const float* alpha, const float* weight,
                      float scale, float* sample_loss, float* logits);
    // Fused distillation loss (kl_distill_loss, nn/loss_kl.h) on the last forwards' logits of m (the student) and
    // teacher (same rows, same executor) + backward of m: returns the loss, fills argmax [N] (host, the student's
    // predictions as ug_argmax) when not NULL.  N = 0: zero gradients, returns 0, the teacher is not read.
    double (*kl_loss_backward)(Model* m, const Model* teacher, const DistillLoss* loss, int32_t* argmax);
    // Puts twin (a fresh model of the same config, on the CPU) where m is, as m's executor runs it (NULL: nothing
    // to do, the CPU).  Its state is pushed from the host.
    void (*place_like)(Model* twin, const Model* m);
    void (*grad_save)(Model* m);
    void (*grad_add_saved)(Model* m);
    void (*grad_zero)(Model* m);
    void (*allreduce_grads)(Model* m);    // sum over ranks
    double (*grad_norm)(Model* m);        // global L2 norm (non-finite entries give a non-finite norm)
    void (*scale_grads)(Model* m, float a);
    void (*sgd)(Model* m, Sgd* s, const uint8_t* mask, float lr);
    void (*state_to_host)(Model* m);
    void (*state_to_device)(Model* m);
    void (*grads_to_host)(Model* m);
    void (*grads_to_device)(Model* m);
    void (*momentum_to_host)(Model* m, Sgd* s);
    void (*momentum_to_device)(Model* m, const Sgd* s);
    void (*overlap_next_backward)(Model* m);   // hint: the next backward is followed by the all-reduce
    void (*adaptive_alpha)(Model* m, float* alpha, const AlphaQuery* q);   // alpha: host [q->n_forget]
};

extern const ModelExec model_exec_cpu;

// ---- the operations (dispatch through m->exec) ----
// Forward whose logits stay where they are computed (the next call is model_loss_backward or model_adaptive_alpha).
void model_forward_resident(Model* m, int N, const float* x, int train);
// dx: NULL, or host [N, input] for the input gradient (Boundary Shrink's FGSM); costs the input layer's backward.
double model_loss_backward(Model* m, const int32_t* y, const float* alpha, const float* weight, float scale,
                           float* sample_loss, float* logits, float* dx);
// Forward (train mode) + model_loss_backward: the training step's compute.  Only losses and logits come back.
double model_compute(Model* m, int N, const float* x, const int32_t* y, const float* alpha, const float* weight,
                     float scale, float* sample_loss, float* logits);
// SCRUB's step: model_forward_resident of the student (train) and of the teacher (eval) on the same rows, then
// this.  Only the loss and the N predictions come back from a GPU.
double model_kl_loss_backward(Model* student, const Model* teacher, const DistillLoss* loss, int32_t* argmax);
// A second model (a teacher, a frozen copy) on the same executor as m: call before writing its state.
void model_place_like(Model* twin, const Model* m);
void model_grads_to_device(Model* m);
void model_allreduce_grads(Model* m);
double model_grad_norm(Model* m);
void model_scale_grads(Model* m, float a);
void model_sgd(Model* m, Sgd* s, const uint8_t* mask, float lr);
void model_momentum_to_host(Model* m, Sgd* s);
void model_momentum_to_device(Model* m, const Sgd* s);
void model_overlap_next_backward(Model* m);
void model_adaptive_alpha(Model* m, float* alpha, const AlphaQuery* q);
