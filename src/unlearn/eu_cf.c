// eu_cf.c — EU-k and CF-k (Goel et al. 2022): fine-tune only the last k parametrised layers on D_r; EU-k first
// re-initialises them.  An update mask on the trainer keeps the other layers frozen.
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "unlearn/baselines.h"

uint8_t* last_k_layers_mask(const Model* m, int k) {
    UG_CHECK(k >= 1 && k <= m->num_layers, "eu-k / cf-k: --k must be in 1..%d (the model's parametrised layers), "
             "got %d", m->num_layers, k);
    uint8_t* mask = ug_calloc(m->num_params ? m->num_params : 1, 1);
    for (int i = 0; i < m->num_tensors; i++) {
        const TensorInfo* ti = &m->tensors[i];
        if (!ti->is_buffer && ti->layer >= m->num_layers - k) memset(mask + ti->offset, 1, ti->numel);
    }
    return mask;
}

static void* last_k_begin(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp) {
    Model* m = t->model;
    uint8_t* mask = last_k_layers_mask(m, c->k);
    const int eu = c->method == METHOD_EU_K;
    // EU: the last k layers start again from a fresh init (their own stream: the seed of this run).
    if (eu) model_init_layers(m, c->seed ^ 0x45554bULL, m->num_layers - c->k);
    t->update_mask = mask;
    ug_log("%s: last %d of %d parametrised layers trainable (%zu of %zu parameters)%s", eu ? "eu-k" : "cf-k", c->k,
           m->num_layers, mask_count(mask, m->num_params), m->num_params, eu ? ", re-initialised" : "");
    return mask;
}

static void last_k_end(void* state, Trainer* t) {
    if (t->update_mask == state) t->update_mask = NULL;
    free(state);
}

static void last_k_validate(const UnlearnConfig* c) {
    UG_CHECK(c->k >= 1, "unlearn: --k must be >= 1 (got %d)", c->k);
}

static const MethodOption LAST_K_ROWS[] = {
    {"k", OPT_INT, offsetof(UnlearnConfig, k), "K", 1, NULL,
     "the last K parametrised layers (conv, bn, linear) are trained", NULL, NULL},
};
static const MethodOptionGroup LAST_K_OPTIONS = {LAST_K_ROWS, 1};

const MethodDef method_eu_k = {
    .name = "eu-k",
    .kind = METHOD_EU_K,
    .summary = "re-initialise the last k layers, freeze the rest, fine-tune on D_r",
    .stream = STREAM_RETAIN,
    .loss = LOSS_CE,
    .retain_sign = +1,
    .hooks = {.begin = last_k_begin, .end = last_k_end},
    .validate = last_k_validate,
    .options = &LAST_K_OPTIONS,
};

const MethodDef method_cf_k = {
    .name = "cf-k",
    .kind = METHOD_CF_K,
    .summary = "freeze all but the last k layers, fine-tune on D_r",
    .stream = STREAM_RETAIN,
    .loss = LOSS_CE,
    .retain_sign = +1,
    .hooks = {.begin = last_k_begin, .end = last_k_end},
    .validate = last_k_validate,
    .options = &LAST_K_OPTIONS,
};
