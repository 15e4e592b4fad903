// method.h — the unlearning methods of issue 4 and the loop that runs them (METHOD.md §2, §5).
//
// Every method is one kind of data-parallel SGD step over a batch made of a retain part B_r and a forget part
// B_f, built on the one fused loss (gls_xent) with per-sample smooth rate alpha_i and weight w_i:
//   ugradsl / ugradsl+   L = p·mean_{B_r} CE  -  (1-p)·mean_{B_f} GLS(alpha_i)      (Eq. 8, |B_f| = |B_r|)
//                        ugradsl: an epoch is a pass over D_f (D_r cycled); ugradsl+: a pass over D_r (D_f cycled)
//   ga                   L = -mean_{B_f} CE                                           (forget set only)
//   ft                   L =  mean_{B_r} CE                                           (retain set only)
//   rl                   CE on D_r ∪ D_f where every forget sample carries a fixed uniformly random label
//                        (it may equal the true one), as the public code: one shuffled stream over the union
//   retrain              not a step: `ugradsl train --on retain` with the original recipe
// The other baselines of the paper (docs/BASELINES.md; src/unlearn/baselines.h):
//   l1-sparse, eu-k, cf-k  FT steps on D_r (+ the ℓ1 gradient hook / frozen layers)
//   salun                  RL steps updating only the saliency-masked weights
//   be, bs                 descent steps on D_f towards a shadow class / the FGSM nearest wrong label
//   scrub                  its own loop (scrub.c);  iu  a one-shot update (iu.c)
// B_r and B_f go through ONE forward pass (concatenated; [ours]): BatchNorm batch statistics cover both parts.
// A part whose weight is zero (p = 1 or p = 0) is left out of the batch, so p = 1 is exactly an FT step and
// p = 0 with alpha = 0 exactly a GA step, BatchNorm included.
#pragma once
#include <stdint.h>

#include "data/dataset.h"
#include "data/loader.h"
#include "data/split.h"
#include "train/trainer.h"
#include "unlearn/adaptive_alpha.h"

typedef enum {
    METHOD_RETRAIN = 0, METHOD_FT, METHOD_GA, METHOD_RL, METHOD_UGRADSL, METHOD_UGRADSL_PLUS,
    METHOD_L1_SPARSE, METHOD_EU_K, METHOD_CF_K, METHOD_SCRUB, METHOD_SALUN, METHOD_BE, METHOD_BS, METHOD_IU,
    METHOD_COUNT
} MethodKind;

typedef struct {
    const char* name;
    MethodKind kind;
    const char* summary;
} MethodInfo;

const MethodInfo* method_find(const char* name);   // NULL when unknown
const char* method_names(void);                     // "retrain, ft, ga, rl, ugradsl, ugradsl+, l1-sparse, ..."

typedef struct {
    MethodKind method;
    int epochs;
    double lr;
    int batch;                 // global batch (per set for the paired methods: |B_r| = |B_f| = batch)
    SgdConfig sgd;
    double clip_norm;
    double p;                  // Eq. 8 retain weight, in [0,1]
    double alpha;              // fixed smooth rate (<= 1); NAN = self-adaptive
    AlphaSign alpha_sign;
    AlphaDistance alpha_distance;
    double beta;               // distance threshold of the self-adaptive alpha, in [0,1]
    double alpha_scale;        // s of the negative convention
    double stop_forget_acc;    // >= 0: stop after an epoch whose forget-batch accuracy (%) is <= this
    uint64_t seed;
    Augment augment;
    int pad;
    int cache;
    int out_h, out_w;
    // the other baselines (docs/BASELINES.md)
    int k;                     // eu-k / cf-k: parametrised layers left trainable (the last k)
    double l1_alpha;           // l1-sparse: α of α_t = α(1 - epoch/epochs)
    double mask_fraction;      // salun: fraction of all parameters the saliency mask keeps
    const char* mask_file;     // salun: load this mask (HDF5) instead of computing it (NULL: compute)
    const char* mask_out;      // salun: write the mask used here (NULL: don't)
    double scrub_t, scrub_gamma, scrub_alpha;   // scrub: temperature, CE weight and KL weight of the min-steps
    int scrub_max_epochs;      // scrub: the first N epochs start with a max-step pass over D_f
    int iu_samples;            // iu: retain samples of the empirical Fisher
    double iu_scale, iu_damping;   // iu: θ += scale·F⁻¹v with F = damping·I + (1/N)Σ g gᵀ
    double bs_step;            // bs: FGSM step
} UnlearnConfig;

typedef struct {
    double rte_s;              // wall time of the unlearning loop (no start-up, no evaluation), max over ranks
    double setup_s;            // loader creation (opening the split, caching) before the loop
    int64_t steps;
    int epochs_done;
    int diverged;              // 1: NaN/Inf met (the model is the last finite one) or the model collapsed
    char reason[256];
    int early_stopped;
    int signalled;             // 1: a rank got SIGTERM/SIGUSR1; the run is incomplete (nothing should be written)
    double forget_acc, retain_acc;   // % over the last epoch's training batches (augmented, BN train mode)
    double mean_alpha;               // mean smooth rate applied to forget samples (NAN when none)
    TrainTimers timers;
} UnlearnResult;

// Checks a configuration; dies with a clear one-line error on a bad value.
void unlearn_config_validate(const UnlearnConfig* c, int num_classes);

// Per-sample alpha/weight of Eq. 8 for a local batch [retain n_r ; forget n_f] whose global part sizes are
// G_r and G_f, for the trainer's scale 1/(G_r + G_f).  alpha_forget: per-sample (adaptive) or NULL to use
// fixed_alpha.  Retain: alpha 0, weight p·G/G_r.  Forget: weight -(1-p)·G/G_f.
void eq8_terms(int n_r, int n_f, int64_t G_r, int64_t G_f, double p, const float* alpha_forget, float fixed_alpha,
               float* alpha, float* weight);

// The fixed random label of forget sample `index` for RL (uniform over K classes; may equal the true label).
int32_t rl_random_label(uint64_t seed, int64_t index, int K);

// Runs the method (not retrain) on the model held by t (data-parallel over all ranks).  Every rank calls it.
void unlearn_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out);
// The generic loop behind unlearn_run (every method that is a sequence of unlearn_step calls).
void unlearn_loop(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out);
// Loader config over a subset of the training split with the method's batch, augmentation and seed.
LoaderConfig unlearn_loader_config(const UnlearnConfig* c, const int64_t* subset, int64_t n, uint64_t seed_offset);

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
