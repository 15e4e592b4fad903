// baselines.c — the hooks that put ℓ1-sparse, EU-k, CF-k, SalUn and BS into the generic unlearning loop.
#include "unlearn/baselines.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dist/dist.h"

int method_descends(MethodKind k) {
    return k == METHOD_FT || k == METHOD_RL || k == METHOD_L1_SPARSE || k == METHOD_EU_K || k == METHOD_CF_K ||
           k == METHOD_SALUN || k == METHOD_BE || k == METHOD_BS;
}

int method_forget_only(MethodKind k) { return k == METHOD_GA || k == METHOD_BE || k == METHOD_BS; }

double l1_alpha_at(double alpha, int epoch, int epochs) { return alpha * (1.0 - (double)epoch / (double)epochs); }

// The gradient of α_t·‖θ‖₁ on the all-reduced gradient (so it is added once, not once per rank).
void l1_hook(Trainer* t, void* ctx) {
    const float a = (float)((const L1Ctx*)ctx)->alpha_t;
    float* g = t->model->grads;
    const float* p = t->model->params;
    for (size_t i = 0; i < t->model->num_params; i++) g[i] += p[i] > 0 ? a : (p[i] < 0 ? -a : 0.0f);
}

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

size_t mask_count(const uint8_t* mask, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += mask[i] != 0;
    return c;
}

struct BaselineCtx {
    const UnlearnConfig* c;
    uint8_t* mask;
    L1Ctx l1;
    int shadow;        // BE: the shadow class (the extra output)
    Model* frozen;     // BS: the original model
    int32_t* labels;
    size_t cap;
};

BaselineCtx* baseline_begin(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp) {
    Model* m = t->model;
    BaselineCtx* b = ug_calloc(1, sizeof *b);
    b->c = c;
    switch (c->method) {
    case METHOD_L1_SPARSE:
        b->l1.alpha_t = c->l1_alpha;
        t->hook = l1_hook;
        t->hook_ctx = &b->l1;
        break;
    case METHOD_EU_K:
    case METHOD_CF_K:
        b->mask = last_k_layers_mask(m, c->k);
        // EU: the last k layers start again from a fresh init (their own stream: the seed of this run).
        if (c->method == METHOD_EU_K) model_init_layers(m, c->seed ^ 0x45554bULL, m->num_layers - c->k);
        t->update_mask = b->mask;
        ug_log("%s: last %d of %d parametrised layers trainable (%zu of %zu parameters)%s", c->method == METHOD_EU_K ?
               "eu-k" : "cf-k", c->k, m->num_layers, mask_count(b->mask, m->num_params), m->num_params,
               c->method == METHOD_EU_K ? ", re-initialised" : "");
        break;
    case METHOD_SALUN:
        if (c->mask_file) {
            b->mask = salun_mask_load(c->mask_file, m);
            ug_log("salun: mask from '%s' (%zu of %zu parameters)", c->mask_file, mask_count(b->mask, m->num_params),
                   m->num_params);
        } else {
            float* score = salun_saliency(c, m, ds, sp);
            b->mask = ug_malloc(m->num_params ? m->num_params : 1);
            if (g_dist.rank == 0) {   // ranked on rank 0 only, then broadcast: every rank holds the same mask
                uint8_t* mk = salun_mask_from_scores(score, m->num_params, c->mask_fraction);
                memcpy(b->mask, mk, m->num_params);
                free(mk);
            }
            free(score);
            MPI_CHECK(MPI_Bcast(b->mask, (int)m->num_params, MPI_UNSIGNED_CHAR, 0, g_dist.comm));
            ug_log("salun: saliency mask keeps %zu of %zu parameters (fraction %g)", mask_count(b->mask, m->num_params),
                   m->num_params, c->mask_fraction);
        }
        if (c->mask_out && g_dist.rank == 0) salun_mask_save(c->mask_out, b->mask, m, c->mask_fraction);
        t->update_mask = b->mask;
        break;
    case METHOD_BE: b->shadow = m->cfg.num_classes - 1; break;
    case METHOD_BS:
        b->frozen = model_create(&m->cfg, m->backend);
        model_copy_state(b->frozen, m);
        break;
    default:
        free(b);
        return NULL;
    }
    return b;
}

void baseline_epoch(BaselineCtx* b, int epoch) {
    if (b && b->c->method == METHOD_L1_SPARSE) b->l1.alpha_t = l1_alpha_at(b->c->l1_alpha, epoch, b->c->epochs);
}

void baseline_targets(BaselineCtx* b, Batch* f) {
    if (!b || !f || f->n == 0) return;
    if (b->c->method == METHOD_BE)
        for (int i = 0; i < f->n; i++) f->y[i] = b->shadow;
    if (b->c->method == METHOD_BS) {
        if ((size_t)f->n > b->cap) {
            free(b->labels);
            b->cap = (size_t)f->n;
            b->labels = ug_malloc(b->cap * sizeof(int32_t));
        }
        bs_targets(b->frozen, f, b->c->bs_step, b->labels);
        memcpy(f->y, b->labels, (size_t)f->n * sizeof(int32_t));
    }
}

void baseline_end(BaselineCtx* b, Trainer* t) {
    if (!b) return;
    if (t->hook == l1_hook) t->hook = NULL, t->hook_ctx = NULL;
    if (t->update_mask == b->mask) t->update_mask = NULL;
    free(b->mask);
    free(b->labels);
    model_destroy(b->frozen);
    free(b);
}
