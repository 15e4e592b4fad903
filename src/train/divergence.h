// divergence.h — one guard against diverged runs, for `train` and every unlearning method.
//
// A run has diverged when (a) a step's loss or gradient is NaN/Inf, (b) the parameters or the BatchNorm running
// statistics are not finite after an epoch, or (c) the accuracy collapsed: it is no better than always answering
// the most frequent class (+ DIVERGENCE_COLLAPSE_MARGIN_PCT points).  The guard stops the run and keeps the last
// finite state; the command marks its results ("diverged": true and the reason) and exits UG_EXIT_DIVERGED unless
// --allow-diverged (docs/TRAINING.md, docs/UNLEARNING.md).
//
// The last finite state: a copy of the parameters and BN statistics taken at the start of every epoch (host
// memory, one model's size).  Why per epoch and not per step: a train-mode forward writes the BN running
// statistics before the loss is known, so a NaN batch poisons them even when the step's update is refused; a
// per-step copy would cost a full state copy per step, a per-epoch one is noise.  On (a) or (b) the copy is put
// back (the model is then the state at the start of the diverged epoch); on (c) the model is finite and is kept
// as it is (it is the result, marked).  The copy never changes a normal run: it is only read when restoring.
#pragma once
#include <stdint.h>

#include "nn/model.h"

#define UG_EXIT_DIVERGED 3              // exit code of a diverged train / unlearn run (without --allow-diverged)
#define DIVERGENCE_COLLAPSE_MARGIN_PCT 2.0

typedef struct {
    Model* m;
    float* params;          // [num_params] the state at the start of the current epoch
    float* buffers;         // [num_buffers]
    int have_copy;
    int diverged;
    char reason[256];
} DivergenceGuard;

void divergence_init(DivergenceGuard* g, Model* m);
void divergence_free(DivergenceGuard* g);

// Before an epoch's first step: the copy of the (finite) state.
void divergence_epoch_begin(DivergenceGuard* g);
// A step reported a non-finite loss or gradient (`where`: e.g. "epoch 3 step 12"): puts the copy back and marks
// the run.  Every rank calls it (the step's result is agreed over ranks).
void divergence_nonfinite_step(DivergenceGuard* g, const char* where);
// After an epoch (or a one-shot update): non-finite parameters or BN statistics on any rank put the copy back and
// mark the run.  Returns g->diverged.  Collective.
int divergence_check_state(DivergenceGuard* g, const char* where);
// The collapse rule on `correct` of `n` samples whose most frequent label occurs `majority` times (global counts):
// marks the run (the model is kept) and returns 1 when correct/n <= majority/n + the margin.  `what` names the
// accuracy in the reason, e.g. "retain accuracy (eval mode, 512 samples)".
int divergence_check_collapse(DivergenceGuard* g, int64_t correct, int64_t majority, int64_t n, const char* what,
                              const char* where);

// 1 when every parameter and BN statistic of m (host copies) is finite.
int divergence_state_finite(const Model* m);
// 1 when acc <= majority + margin (percent): the rule of divergence_check_collapse.
int divergence_is_collapsed(double acc_pct, double majority_pct);
