// config.h — what every part of src/unlearn shares: the method kinds (from the registry table), the
// configuration of one unlearning run and its result.  The bottom of the unlearn include graph: it includes no
// other unlearn header but adaptive_alpha.h and the X-macro table method_list.h.
#pragma once
#include <stdint.h>

#include "data/dataset.h"
#include "data/loader.h"
#include "data/split.h"
#include "train/trainer.h"
#include "nn/adaptive_alpha.h"

typedef enum {
#define METHOD_ROW(KIND, DEF) KIND,
#include "unlearn/method_list.h"
#undef METHOD_ROW
    METHOD_COUNT
} MethodKind;

typedef struct {
    MethodKind method;
    int epochs;
    double lr;
    int batch;                 // global batch (per set for the paired methods: |B_r| = |B_f| = batch)
    SgdConfig sgd;
    double clip_norm;
    double stop_forget_acc;    // >= 0: stop after an epoch whose forget-batch accuracy (%) is <= this
    uint64_t seed;
    Augment augment;
    int pad;
    int cache;
    int loader_workers;          // threads per rank that prepare (decode) the next batch (loader_auto_workers)
    int out_h, out_w;
    // Method options: set by the option rows of the methods (MethodOption.offset points here; registry.h).
    // Eq. 8 (ugradsl, ugradsl+; src/unlearn/ugradsl.c)
    double p;                  // Eq. 8 retain weight, in [0,1]
    double alpha;              // fixed smooth rate (<= 1); NAN = self-adaptive
    AlphaSign alpha_sign;
    AlphaDistance alpha_distance;
    double beta;               // distance threshold of the self-adaptive alpha, in [0,1]
    double alpha_scale;        // s of the negative convention
    // the other baselines (docs/BASELINES.md), each set by its own file's rows
    int k;                     // eu-k / cf-k: parametrised layers left trainable (the last k)
    double l1_alpha;           // l1-sparse: α of α_t = α(1 - epoch/epochs)
    double mask_fraction;      // salun: fraction of all parameters the saliency mask keeps
    char* mask_file;           // salun: load this mask (HDF5) instead of computing it (NULL: compute)
    const char* mask_out;      // salun: write the mask used here (NULL: don't); set by the command, not an option
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
