// optim.h — SGD with momentum over the flat parameter buffer, PyTorch semantics:
//   d = g + weight_decay·p;  buf = momentum·buf + d  (buf starts at 0, so the first step gives buf = d);
//   step = nesterov ? d + momentum·buf : buf;  p -= lr·step.
// With an update mask (1 byte per parameter), entries whose mask is 0 do not move at all: neither the
// parameter nor its momentum entry changes (weight decay and momentum included).
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef struct {
    double momentum;       // 0: plain SGD (no buffer is used)
    double weight_decay;
    int nesterov;
} SgdConfig;

typedef struct {
    SgdConfig cfg;
    size_t n;
    float* momentum_buf;   // [n], zeros at start
} Sgd;

void sgd_init(Sgd* s, const SgdConfig* cfg, size_t n);
void sgd_free(Sgd* s);
void sgd_reset(Sgd* s);    // zero the momentum buffer
// mask may be NULL (update everything).
void sgd_step(Sgd* s, float* params, const float* grads, const uint8_t* mask, float lr);

// Global L2 norm of a gradient buffer (accumulated in double, fixed order: deterministic).  Non-finite
// entries give a non-finite norm: the trainer uses this as its NaN/Inf check.
double grad_norm(const float* grads, size_t n);
// Scales grads so that their norm is at most max_norm (PyTorch clip_grad_norm_: coefficient
// max_norm / (norm + 1e-6) when below 1).  Returns the coefficient applied (1 when untouched).
double grad_clip(float* grads, size_t n, double norm, double max_norm);
