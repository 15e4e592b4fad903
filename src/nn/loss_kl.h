// loss_kl.h — the distillation loss of SCRUB (Kurmanji et al. 2023; the public DistillKL): on the student's and
// the teacher's logits of the same rows,
//   loss = ce_weight·Σ_i CE(z_i, y_i) / n_global  +  kl_weight·Σ_i T²·KL(p_teacher,i(T) ‖ p_student,i(T)) / n_global
// with p(T) = softmax(z / T), and its gradient with respect to the student logits.  kl_weight < 0 is ascent on
// the KL (SCRUB's max-step).  Everything in double; serial, so the sum never depends on the thread count.
// The CPU reference of the fused op model_kl_loss_backward (nn/executor.h) and of kernels/k_kl_distill.cu.
#pragma once
#include <stdint.h>

typedef struct {
    double temperature;      // T > 0
    double kl_weight;        // weight of the T²·KL term in the loss and its gradient (negative: ascent)
    const int32_t* labels;   // host [N], or NULL: no CE term (ce_weight is then ignored)
    float ce_weight;         // weight of CE(y) per sample (gls_xent's per-sample weight, no smoothing)
    int64_t n_global;        // the global batch: the loss and gradient are means over it (> 0)
} DistillLoss;

// Σ_i T²·KL_i / n_global over the N rows (unweighted), and, when dlogits is not NULL,
// dlogits += weight·∂(T²·KL / n_global)/∂student  (= weight·(q - p)·T / n_global, rounded to float then added).
double kl_distill_add(int N, int K, const float* student, const float* teacher, double T, double weight,
                      int64_t n_global, float* dlogits);

// The whole loss above: returns it and, when dlogits is not NULL, writes its gradient [N,K] (overwritten).
// With labels, the CE part is exactly gls_xent(weight = ce_weight, scale = 1/(float)n_global) / n_global, then
// the KL part is added (kl_distill_add with weight = kl_weight); without, dlogits starts at zero.
double kl_distill_loss(int N, int K, const float* student, const float* teacher, const DistillLoss* l,
                       float* dlogits);
