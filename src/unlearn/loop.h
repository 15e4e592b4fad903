// loop.h — the generic unlearning loop and the step it repeats (loop.c, step.c).  Method files that run the
// loop themselves (be) or build loaders (scrub, iu) include this; the loop reaches the methods only through
// their registry rows (registry.h), never through their headers.
#pragma once
#include <stdint.h>

#include "train/divergence.h"
#include "unlearn/config.h"

// Runs the method (not retrain) on the model held by t (data-parallel over all ranks): its own runner when its
// row has one, else unlearn_loop.  Every rank calls it.
void unlearn_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out);
// The generic loop behind unlearn_run (every method that is a sequence of unlearn_step calls).
void unlearn_loop(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out);
// Loader config over a subset of the training split with the method's batch, augmentation and seed.
LoaderConfig unlearn_loader_config(const UnlearnConfig* c, const int64_t* subset, int64_t n, uint64_t seed_offset);

// Per-sample alpha/weight of Eq. 8 for a local batch [retain n_r ; forget n_f] whose global part sizes are
// G_r and G_f, for the trainer's scale 1/(G_r + G_f).  alpha_forget: per-sample (adaptive) or NULL to use
// fixed_alpha.  Retain: alpha 0, weight p·G/G_r.  Forget: weight -(1-p)·G/G_f.
void eq8_terms(int n_r, int n_f, int64_t G_r, int64_t G_f, double p, const float* alpha_forget, float fixed_alpha,
               float* alpha, float* weight);

// The fixed random label of forget sample `index` for RL (uniform over K classes; may equal the true label).
int32_t rl_random_label(uint64_t seed, int64_t index, int K);

// One step on a retain part and a forget part (either may be NULL or empty on this rank).  Exposed for tests.
// Returns 0 when the loss or gradient was non-finite (nothing updated).
typedef struct {
    double loss;               // global objective of the step
    int64_t G_r, G_f;
    int64_t correct_r, correct_f;
    double alpha_sum;          // sum of alpha over forget samples (global)
    int stop;                  // a rank received SIGTERM/SIGUSR1
} UnlearnStep;
int unlearn_step(const UnlearnConfig* c, Trainer* t, const Batch* retain, const Batch* forget, UnlearnStep* out);

// The collapse probe of the divergence guard (train/divergence.h): eval-mode (BN running statistics) accuracy of
// the model on up to UNLEARN_PROBE_SAMPLES retain samples spread evenly over D_r, the same ones every epoch.  Eval
// mode because a collapsed network can still score well on its own train-mode batches.  Its forwards change no
// state of the run (no BN update, no all-reduce of buffers, no random draw).  Every method checks it after each
// epoch (own runners too); its time is left out of the RTE.
#define UNLEARN_PROBE_SAMPLES 512
typedef struct {
    Loader* loader;     // NULL: no retain set (nothing to check)
    int64_t* indices;
    double seconds;     // time spent in the guard (probe and state checks), left out of rte_s
} RetainProbe;
void retain_probe_open(RetainProbe* p, const UnlearnConfig* c, Dataset* ds, const Split* sp);
void retain_probe_close(RetainProbe* p);
// The guard after an epoch: non-finite state (restores the epoch's copy), then the collapse rule on the probe.
// Copies the guard's reason into out and sets out->diverged.  Returns 1 when the run must stop.  Collective.
int unlearn_guard_epoch_end(DivergenceGuard* g, RetainProbe* p, Trainer* t, int epoch, UnlearnResult* out);
// The guard after a step that reported a non-finite loss or gradient: restores, marks out.  Every rank calls it.
void unlearn_guard_nonfinite(DivergenceGuard* g, int epoch, int64_t step, UnlearnResult* out);
