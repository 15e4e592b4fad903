// trainer.h — one data-parallel SGD step, in pieces the unlearning methods can recombine.
//
// A step on this rank's part B_r of a global batch B (|B| = Σ_r |B_r|, uneven counts allowed):
//   1. forward (BatchNorm in train mode, batch statistics of THIS rank: as PyTorch DDP, see docs/TRAINING.md)
//   2. gls_xent with per-sample smooth rate α_i and weight w_i (w_i < 0 = ascent) and scale 1/|B|, so that
//      the SUM over ranks of the gradients is exactly the gradient of (1/|B|)·Σ_{i∈B} w_i·loss_i
//   3. backward  →  model->grads
//   4. ONE MPI_Allreduce (sum) of the flat gradient buffer; then one small one for loss/accuracy/stop flag
//   5. optional gradient hook (ℓ1 term, masks, ...), NaN/Inf check naming the step, optional clipping
//   6. SGD update (optionally masked: masked-out parameters and their momentum do not move).
// trainer_step does all of it; the pieces are public for methods with their own loss (e.g. SCRUB's KL): a fused
// loss + backward of the executor (model_kl_loss_backward, already scaled by 1/|B|) → trainer_allreduce_grads →
// trainer_apply.
// Every piece runs through the model's executor (src/nn/executor.h): one code path for the CPU and the GPU; on a
// GPU steps 1-6 stay on the device and only per-sample losses and logits come back.
#pragma once
#include <signal.h>
#include <stdint.h>

#include "data/loader.h"
#include "nn/model.h"
#include "nn/optim.h"

typedef struct Trainer Trainer;
typedef void (*GradHook)(Trainer* t, void* ctx);   // called on the global (all-reduced) gradient

typedef struct {
    double compute;     // forward + loss + backward + update, seconds
    double allreduce;   // gradient and statistics all-reduces
    double data_wait;   // time the caller spent waiting for batches (trainer_add_data_wait)
} TrainTimers;

typedef struct {
    double loss;        // (1/|B|)·Σ w_i·loss_i over all ranks (the objective of this step)
    double acc;         // fraction of correct argmax predictions over all ranks
    int64_t n;          // |B|
    double grad_norm;   // of the global gradient after the hook, before clipping
    int finite;         // 0: non-finite loss or gradient (update skipped; only when die_on_nonfinite = 0)
    int stop;           // 1: some rank got SIGTERM/SIGUSR1 (or stop_after_steps): checkpoint and exit
} StepResult;

struct Trainer {
    Model* model;
    Sgd sgd;
    double clip_norm;             // > 0: clip the global gradient norm to this
    const uint8_t* update_mask;   // NULL or [num_params] bytes: 0 = frozen (SalUn, EU-k/CF-k)
    GradHook hook;
    void* hook_ctx;
    int die_on_nonfinite;         // default 1: stop with a clear error naming the step
    int64_t step;                 // global steps done (names the step in errors; drives schedules)
    int64_t stop_after_steps;     // > 0: request a stop once step reaches this (debug / tests)
    TrainTimers timers;
    // per-sample results of the last trainer_compute on this rank
    float* sample_loss;           // [n] unweighted GLS loss of each sample
    int32_t* sample_pred;         // [n] argmax of the logits
    float* logits;                // [n,K] the logits of that compute (host copy)
    size_t cap;
    double local_loss_sum, local_correct;   // Σ w_i·loss_i and #correct on this rank, last compute
};

#define TRAIN_EXIT_REQUEUE 75     // exit code after a signal: "checkpoint written, requeue me" (EX_TEMPFAIL)

void trainer_init(Trainer* t, Model* m, const SgdConfig* sgd);
void trainer_free(Trainer* t);

// The global sample count Σ_r n_r (one small all-reduce).
int64_t trainer_global_count(Trainer* t, int n_local);
// Forward (train mode) + GLS loss + backward on this rank's samples; gradients scaled by 1/n_global.
// alpha/weight may be NULL (0 / 1 for all).  Fills sample_loss, sample_pred, local sums.
void trainer_compute(Trainer* t, int n, const float* x, const int32_t* y, const float* alpha, const float* weight,
                     int64_t n_global);
// The same in two halves, for a step that needs the forward before its loss (the self-adaptive alpha of the
// unlearning step): the forward's results stay where the model runs; trainer_loss_backward takes the same
// arguments as trainer_compute and works on that forward.
void trainer_forward(Trainer* t, int n, const float* x);
void trainer_loss_backward(Trainer* t, int n, const int32_t* y, const float* alpha, const float* weight,
                           int64_t n_global);
// Sums the gradients over ranks (one MPI_Allreduce on the CPU, NCCL on GPUs; nothing on one rank).
void trainer_allreduce_grads(Trainer* t);
// Hook, non-finite check, clipping, SGD update, step++.  Returns the gradient norm (NaN when non-finite
// and die_on_nonfinite = 0, in which case nothing is updated).
double trainer_apply(Trainer* t, double lr);
// The whole step.  b->n may be 0 on some ranks.
StepResult trainer_step(Trainer* t, const Batch* b, const float* alpha, const float* weight, double lr);
void trainer_add_data_wait(Trainer* t, double seconds);

// Evaluation: BN in eval mode, no gradient; sums over ranks.  Returns accuracy, *loss_out = mean CE.
// Before it, BN running stats are broadcast from rank 0 so every rank evaluates the same model.
double trainer_evaluate(Trainer* t, Loader* l, double* loss_out);
// Makes every rank hold rank 0's BN running statistics (before eval and checkpoints).
void trainer_sync_buffers(Trainer* t);

// SIGTERM / SIGUSR1 set a flag; trainer_step reports it (agreed over ranks) in StepResult.stop.
void trainer_install_signal_handlers(void);
int trainer_signal_received(void);

// A batch that owns its storage: retain and forget concatenated for ONE forward pass, per-sample α / w.
typedef struct {
    Batch b;
    size_t cap_x, cap_n;   // floats in b.x, entries in b.y / b.index
} OwnedBatch;
void owned_batch_reserve(OwnedBatch* o, int n, int h, int w, int c);
void owned_batch_concat(OwnedBatch* o, const Batch* first, const Batch* second);   // first's samples, then second's
void owned_batch_free(OwnedBatch* o);
