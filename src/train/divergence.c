// divergence.c — the divergence guard (see divergence.h).
#include "train/divergence.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dist/dist.h"

void divergence_init(DivergenceGuard* g, Model* m) {
    memset(g, 0, sizeof *g);
    g->m = m;
    g->params = ug_malloc(m->num_params * sizeof(float));
    g->buffers = ug_malloc((m->num_buffers ? m->num_buffers : 1) * sizeof(float));
}

void divergence_free(DivergenceGuard* g) {
    free(g->params);
    free(g->buffers);
    memset(g, 0, sizeof *g);
}

void divergence_epoch_begin(DivergenceGuard* g) {
    Model* m = g->m;
    model_state_to_host(m);
    memcpy(g->params, m->params, m->num_params * sizeof(float));
    if (m->num_buffers) memcpy(g->buffers, m->buffers, m->num_buffers * sizeof(float));
    g->have_copy = 1;
}

static void restore(DivergenceGuard* g) {
    if (!g->have_copy) return;
    Model* m = g->m;
    memcpy(m->params, g->params, m->num_params * sizeof(float));
    if (m->num_buffers) memcpy(m->buffers, g->buffers, m->num_buffers * sizeof(float));
    model_state_to_device(m);
}

static int all_finite(const float* x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

int divergence_state_finite(const Model* m) {
    return all_finite(m->params, m->num_params) && all_finite(m->buffers, m->num_buffers);
}

void divergence_nonfinite_step(DivergenceGuard* g, const char* where) {
    restore(g);
    g->diverged = 1;
    snprintf(g->reason, sizeof g->reason, "non-finite loss or gradient at %s; the model is the last finite state "
             "(the start of that epoch; lower --lr or set --clip-norm)", where);
}

int divergence_check_state(DivergenceGuard* g, const char* where) {
    model_state_to_host(g->m);
    int params_ok = all_finite(g->m->params, g->m->num_params);
    int ok = dist_all_ok(params_ok && all_finite(g->m->buffers, g->m->num_buffers));
    params_ok = dist_all_ok(params_ok);
    if (!ok) {
        restore(g);
        g->diverged = 1;
        snprintf(g->reason, sizeof g->reason, "non-finite %s after %s; the model is the last finite state (the "
                 "start of that epoch; lower --lr or set --clip-norm)",
                 params_ok ? "BatchNorm statistics" : "parameters", where);
    }
    return g->diverged;
}

int divergence_is_collapsed(double acc_pct, double majority_pct) {
    return acc_pct <= majority_pct + DIVERGENCE_COLLAPSE_MARGIN_PCT;
}

int divergence_check_collapse(DivergenceGuard* g, int64_t correct, int64_t majority, int64_t n, const char* what,
                              const char* where) {
    if (n <= 0) return 0;
    double acc = 100.0 * (double)correct / (double)n, maj = 100.0 * (double)majority / (double)n;
    if (!divergence_is_collapsed(acc, maj)) return 0;
    g->diverged = 1;
    snprintf(g->reason, sizeof g->reason, "collapsed: %s %.2f%% after %s, no better than always answering the most "
             "frequent class (%.2f%%); lower --lr", what, acc, where, maj);
    return 1;
}
