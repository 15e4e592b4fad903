// baselines.h — the helpers of the remaining baselines of the paper (issue 7, docs/BASELINES.md): ℓ1-sparse,
// EU-k, CF-k, SCRUB, SalUn, BE, BS, IU, for their own files and the tests.  Each method's row (registry.h) is in
// its file; the step-based ones run inside unlearn_loop through their hooks (begin / epoch / targets / end);
// SCRUB, BE and IU have their own runners.  Rank-0-only parts: the SalUn ranking (then
// broadcast) and the mask file; IU's solve (then broadcast).  Everything else runs on every rank.
#pragma once
#include <stdint.h>

#include "unlearn/config.h"
#include "unlearn/registry.h"   // method_descends, method_forget_only (step.c)

// ---- ℓ1-sparse ----
double l1_alpha_at(double alpha, int epoch, int epochs);   // α(1 - epoch/epochs), epoch counted from 0
typedef struct { double alpha_t; } L1Ctx;
void l1_hook(Trainer* t, void* ctx);                       // grads += α_t·sign(θ) (sign(0) = 0, as torch.sign)

// ---- EU-k / CF-k ----
// Update mask [num_params]: 1 for the tensors of the last k parametrised layers, 0 elsewhere.
uint8_t* last_k_layers_mask(const Model* m, int k);

// ---- SalUn ----
// Saliency = |Σ over D_f of ∇θ(-CE)| (eval-mode BatchNorm, as the public code), all-reduced.  Collective.
float* salun_saliency(const UnlearnConfig* c, Model* m, Dataset* ds, const Split* sp);
// Mask keeping exactly floor(fraction·n) entries of largest score (ties: lower index first).
uint8_t* salun_mask_from_scores(const float* score, size_t n, double fraction);
void salun_mask_save(const char* path, const uint8_t* mask, const Model* m, double fraction);   // rank 0
uint8_t* salun_mask_load(const char* path, const Model* m);                                     // every rank
size_t mask_count(const uint8_t* mask, size_t n);

// ---- BS ----
// Nearest wrong label of each sample: argmax of the frozen model (eval mode) at x + step·sign(∇x CE); when the
// step does not cross the boundary, the best class other than the true one.  out[i] != y[i] always.
void bs_targets(Model* frozen, const Batch* b, double step, int32_t* out);

// ---- BE ----
// Widens to K+1 outputs (the extra row freshly initialised), trains D_f towards class K, prunes the extra output
// back into t's model.  Collective.
void be_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out);
// Copies every tensor of src into the same-named tensor of dst; tensors whose first dimension differs (the
// classifier) get the common leading rows.  Parameters and buffers.
void model_copy_common(Model* dst, const Model* src);

// ---- SCRUB ----
void scrub_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out);
// KL(teacher‖student) at temperature T, times T² and divided by n_global, summed over this rank's rows (the
// public DistillKL); dlogits (may be NULL) gets weight·its gradient w.r.t. the student logits.
double scrub_kl(int n, int K, const float* student, const float* teacher, double T, double weight,
                int64_t n_global, float* dlogits);
// One max-step (ascent on the KL) on a forget batch.  Returns the KL before the step (global).  Collective.
double scrub_max_step(const UnlearnConfig* c, Trainer* t, Model* teacher, const Batch* forget);

// ---- IU ----
void iu_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out);
// out = F⁻¹v, F = damping·I + (1/N) Σ_i g_i g_iᵀ, g_i the rows of G [N][P] (Woodbury: F⁻¹v =
// (v - Gᵀ(N·damping·I + G Gᵀ)⁻¹ G v)/damping, the closed form of the N Sherman-Morrison updates).
void woodfisher_ihvp(const float* G, int N, size_t P, double damping, const float* v, float* out);
