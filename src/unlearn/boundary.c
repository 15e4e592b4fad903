// boundary.c — Boundary Unlearning (Chen et al. 2023): boundary shrink (BS) and boundary expanding (BE).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dist/dist.h"
#include "nn/ops.h"
#include "unlearn/baselines.h"

static int argmax_except(const float* z, int K, int skip) {
    int best = -1;
    for (int k = 0; k < K; k++)
        if (k != skip && (best < 0 || z[k] > z[best])) best = k;
    return best;
}

void bs_targets(Model* frozen, const Batch* b, double step, int32_t* out) {
    const int K = frozen->cfg.num_classes;
    const size_t per = (size_t)b->h * b->w * b->c, nx = (size_t)b->n * per;
    float* dl = ug_aligned_alloc((size_t)b->n * K * sizeof(float));
    float* dx = ug_aligned_alloc(nx * sizeof(float));
    float* adv = ug_aligned_alloc(nx * sizeof(float));
    // FGSM on the frozen original in eval mode: one step of size `step` along sign(∇x CE(x, y)).
    const float* z = model_forward(frozen, b->n, b->x, 0);
    gls_xent(b->n, K, NULL, dl, z, b->y, NULL, NULL, 1.0f);
    model_backward_input(frozen, dl, dx);
    const float s = (float)step;
    for (size_t i = 0; i < nx; i++) adv[i] = b->x[i] + (dx[i] > 0 ? s : (dx[i] < 0 ? -s : 0.0f));
    z = model_forward(frozen, b->n, adv, 0);
    for (int i = 0; i < b->n; i++) {
        const float* zi = z + (size_t)i * K;
        int a = argmax_except(zi, K, -1);
        // [ours] a step that does not cross the boundary gives the runner-up class: never the true label.
        out[i] = a != b->y[i] ? a : argmax_except(zi, K, b->y[i]);
    }
    free(dl); free(dx); free(adv);
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
