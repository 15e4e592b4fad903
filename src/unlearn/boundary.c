// boundary.c — Boundary Unlearning (Chen et al. 2023): boundary shrink (BS) and boundary expanding (BE).
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dist/dist.h"
#include "nn/executor.h"
#include "unlearn/baselines.h"
#include "unlearn/loop.h"

static int argmax_except(const float* z, int K, int skip) {
    int best = -1;
    for (int k = 0; k < K; k++)
        if (k != skip && (best < 0 || z[k] > z[best])) best = k;
    return best;
}

void bs_targets(Model* frozen, const Batch* b, double step, int32_t* out) {
    const int K = frozen->cfg.num_classes;
    const size_t per = (size_t)b->h * b->w * b->c, nx = (size_t)b->n * per;
    float* dx = ug_aligned_alloc(nx * sizeof(float));
    float* adv = ug_aligned_alloc(nx * sizeof(float));
    // FGSM on the frozen original in eval mode: one step of size `step` along sign(∇x CE(x, y)); the logits and
    // their gradient stay where the model runs, only the input gradient comes back.
    model_forward_resident(frozen, b->n, b->x, 0);
    model_loss_backward(frozen, b->y, NULL, NULL, 1.0f, NULL, NULL, dx);
    const float s = (float)step;
    for (size_t i = 0; i < nx; i++) adv[i] = b->x[i] + (dx[i] > 0 ? s : (dx[i] < 0 ? -s : 0.0f));
    const float* z = model_forward(frozen, b->n, adv, 0);   // the adversarial labels are needed on the host
    for (int i = 0; i < b->n; i++) {
        const float* zi = z + (size_t)i * K;
        int a = argmax_except(zi, K, -1);
        // [ours] a step that does not cross the boundary gives the runner-up class: never the true label.
        out[i] = a != b->y[i] ? a : argmax_except(zi, K, b->y[i]);
    }
    free(dx); free(adv);
}

void model_copy_common(Model* dst, const Model* src) {
    model_state_to_host((Model*)src);
    for (int i = 0; i < dst->num_tensors; i++) {
        const TensorInfo* d = &dst->tensors[i];
        const TensorInfo* s = model_find_tensor(src, d->name);
        UG_CHECK(s && s->ndim == d->ndim && s->is_buffer == d->is_buffer, "model_copy_common: tensor '%s' differs",
                 d->name);
        for (int k = 1; k < d->ndim; k++)
            UG_CHECK(s->shape[k] == d->shape[k], "model_copy_common: '%s' differs beyond its first dimension", d->name);
        size_t n = s->numel < d->numel ? s->numel : d->numel;
        float* to = d->is_buffer ? dst->buffers : dst->params;
        const float* from = s->is_buffer ? src->buffers : src->params;
        memcpy(to + d->offset, from + s->offset, n * sizeof(float));
    }
    model_state_to_device(dst);
}

void be_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out) {
    double t0 = ug_now();
    Model* m = t->model;
    ModelConfig wc = m->cfg;
    wc.num_classes += 1;
    Model* wide = model_create(&wc, m->backend);
    model_init(wide, c->seed ^ 0x4245ULL);   // the shadow row keeps a fresh nn.Linear-style init
    model_copy_common(wide, m);
    Trainer tw;
    trainer_init(&tw, wide, &c->sgd);
    tw.clip_norm = t->clip_norm;
    tw.die_on_nonfinite = t->die_on_nonfinite;
    double widen_s = ug_now() - t0;
    ug_log("be: shadow class %d added (%d outputs while unlearning; pruned before evaluation and saving)",
           m->cfg.num_classes, wc.num_classes);
    unlearn_loop(c, &tw, ds, sp, out);
    t0 = ug_now();
    model_copy_common(m, wide);   // prune: the first K outputs are the unlearned classifier
    t->step += tw.step;
    out->rte_s += dist_max_f64(widen_s + ug_now() - t0);
    trainer_free(&tw);
    model_destroy(wide);
}

// BE: every forget sample is trained towards the shadow class, the extra output of the widened model.
static void* be_begin(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp) {
    int* shadow = ug_malloc(sizeof *shadow);
    *shadow = t->model->cfg.num_classes - 1;
    return shadow;
}

static void be_targets(void* state, const UnlearnConfig* c, Batch* f) {
    for (int i = 0; i < f->n; i++) f->y[i] = *(const int*)state;
}

static void free_state(void* state, Trainer* t) { free(state); }

const MethodDef method_be = {
    .name = "be",
    .kind = METHOD_BE,
    .summary = "boundary expanding: D_f trained towards a temporary (K+1)-th class",
    .stream = STREAM_FORGET,
    .loss = LOSS_CE,
    .forget_sign = +1,
    .hooks = {.begin = be_begin, .targets = be_targets, .end = free_state},
    .run = be_run,
};

// BS: every forget sample is trained towards its FGSM nearest wrong label under a frozen copy of the original.
typedef struct {
    Model* frozen;
    int32_t* labels;
    size_t cap;
} BsState;

static void* bs_begin(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp) {
    BsState* s = ug_calloc(1, sizeof *s);
    s->frozen = model_create(&t->model->cfg, t->model->backend);
    model_copy_state(s->frozen, t->model);
    return s;
}

static void bs_relabel(void* state, const UnlearnConfig* c, Batch* f) {
    BsState* s = state;
    if ((size_t)f->n > s->cap) {
        free(s->labels);
        s->cap = (size_t)f->n;
        s->labels = ug_malloc(s->cap * sizeof(int32_t));
    }
    bs_targets(s->frozen, f, c->bs_step, s->labels);
    memcpy(f->y, s->labels, (size_t)f->n * sizeof(int32_t));
}

static void bs_end(void* state, Trainer* t) {
    BsState* s = state;
    model_destroy(s->frozen);
    free(s->labels);
    free(s);
}

static void bs_validate(const UnlearnConfig* c) {
    UG_CHECK(c->bs_step > 0, "unlearn: --bs-step must be > 0 (got %g)", c->bs_step);
}

static const MethodOption BS_ROWS[] = {
    {"bs-step", OPT_DOUBLE, offsetof(UnlearnConfig, bs_step), "E", 0.1, NULL, "FGSM step on the (normalised) input",
     NULL, NULL},
};
static const MethodOptionGroup BS_OPTIONS = {BS_ROWS, 1};

const MethodDef method_bs = {
    .name = "bs",
    .kind = METHOD_BS,
    .summary = "boundary shrink: D_f trained towards its FGSM nearest wrong label",
    .stream = STREAM_FORGET,
    .loss = LOSS_CE,
    .forget_sign = +1,
    .hooks = {.begin = bs_begin, .targets = bs_relabel, .end = bs_end},
    .validate = bs_validate,
    .options = &BS_OPTIONS,
};
