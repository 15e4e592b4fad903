// l1_sparse.c — ℓ1-sparse (Jia et al. 2023): FT steps on D_r plus the gradient of α_t·‖θ‖₁, α_t decaying
// linearly to 0 over the epochs (a trainer hook on the all-reduced gradient).
#include <math.h>
#include <stddef.h>
#include <stdlib.h>

#include "common/util.h"
#include "unlearn/baselines.h"

double l1_alpha_at(double alpha, int epoch, int epochs) { return alpha * (1.0 - (double)epoch / (double)epochs); }

// The gradient of α_t·‖θ‖₁ on the all-reduced gradient (so it is added once, not once per rank).
void l1_hook(Trainer* t, void* ctx) {
    const float a = (float)((const L1Ctx*)ctx)->alpha_t;
    float* g = t->model->grads;
    const float* p = t->model->params;
    for (size_t i = 0; i < t->model->num_params; i++) g[i] += p[i] > 0 ? a : (p[i] < 0 ? -a : 0.0f);
}

static void* l1_begin(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp) {
    L1Ctx* l1 = ug_calloc(1, sizeof *l1);
    l1->alpha_t = c->l1_alpha;
    t->hook = l1_hook;
    t->hook_ctx = l1;
    return l1;
}

static void l1_epoch(void* state, const UnlearnConfig* c, int epoch) {
    ((L1Ctx*)state)->alpha_t = l1_alpha_at(c->l1_alpha, epoch, c->epochs);
}

static void l1_end(void* state, Trainer* t) {
    if (t->hook == l1_hook) t->hook = NULL, t->hook_ctx = NULL;
    free(state);
}

static void l1_validate(const UnlearnConfig* c) {
    UG_CHECK(c->l1_alpha >= 0 && isfinite(c->l1_alpha), "unlearn: --l1-alpha must be >= 0 (got %g)", c->l1_alpha);
}

static const MethodOption L1_ROWS[] = {
    {"l1-alpha", OPT_DOUBLE, offsetof(UnlearnConfig, l1_alpha), "A", 1e-4, NULL,
     "α of the ℓ1 weight α_t = α(1 - epoch/epochs)", NULL, NULL},
};
static const MethodOptionGroup L1_OPTIONS = {L1_ROWS, 1};

const MethodDef method_l1_sparse = {
    .name = "l1-sparse",
    .kind = METHOD_L1_SPARSE,
    .summary = "CE on D_r + α_t·‖θ‖₁, α_t decaying linearly to 0",
    .stream = STREAM_RETAIN,
    .loss = LOSS_CE,
    .retain_sign = +1,
    .hooks = {.begin = l1_begin, .epoch = l1_epoch, .end = l1_end},
    .validate = l1_validate,
    .options = &L1_OPTIONS,
};
