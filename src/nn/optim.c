// optim.c — SGD (momentum, weight decay, Nesterov, update mask) and gradient-norm clipping.
#include "nn/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void sgd_init(Sgd* s, const SgdConfig* cfg, size_t n) {
    s->cfg = *cfg;
    s->n = n;
    s->momentum_buf = ug_aligned_alloc((n + 16) * sizeof(float));
    memset(s->momentum_buf, 0, n * sizeof(float));
}

void sgd_free(Sgd* s) {
    free(s->momentum_buf);
    s->momentum_buf = NULL;
}

void sgd_reset(Sgd* s) { memset(s->momentum_buf, 0, s->n * sizeof(float)); }

// Each product and sum is rounded separately, in PyTorch's order (the build uses -std=c11, so no FMA
// contraction), which keeps one step within a rounding of torch.optim.SGD.
void sgd_step(Sgd* s, float* params, const float* grads, const uint8_t* mask, float lr) {
    const float wd = (float)s->cfg.weight_decay, mu = (float)s->cfg.momentum;
    const int nesterov = s->cfg.nesterov, use_buf = s->cfg.momentum != 0.0;
    float* buf = s->momentum_buf;
    const ptrdiff_t n = (ptrdiff_t)s->n;
#pragma omp parallel for schedule(static)
    for (ptrdiff_t i = 0; i < n; i++) {
        if (mask && !mask[i]) continue;
        float d = grads[i];
        if (wd != 0.0f) d = d + wd * params[i];
        if (use_buf) {
            float b = mu * buf[i];
            b = b + d;
            buf[i] = b;
            d = nesterov ? d + mu * b : b;
        }
        params[i] = params[i] - lr * d;
    }
}

double grad_norm(const float* grads, size_t n) {
    double total = 0.0;
    // fixed blocks summed in a fixed order: the same value whatever the thread count
    enum { BLOCK = 1 << 16 };
    size_t nblocks = (n + BLOCK - 1) / BLOCK;
    double* part = ug_malloc((nblocks + 1) * sizeof(double));
#pragma omp parallel for schedule(static)
    for (ptrdiff_t b = 0; b < (ptrdiff_t)nblocks; b++) {
        size_t lo = (size_t)b * BLOCK, hi = lo + BLOCK < n ? lo + BLOCK : n;
        double s = 0.0;
        for (size_t i = lo; i < hi; i++) s += (double)grads[i] * grads[i];
        part[b] = s;
    }
    for (size_t b = 0; b < nblocks; b++) total += part[b];
    free(part);
    return sqrt(total);
}

double grad_clip(float* grads, size_t n, double norm, double max_norm) {
    double coef = max_norm / (norm + 1e-6);
    if (!(coef < 1.0)) return 1.0;
    float c = (float)coef;
    for (size_t i = 0; i < n; i++) grads[i] *= c;
    return coef;
}
