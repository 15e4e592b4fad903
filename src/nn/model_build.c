// model_build.c — the builder the architecture files use: slots, layers, the tensor table.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "nn/model_impl.h"

static Net* net_of(Model* m) { return (Net*)m->impl; }

static int new_slot(Net* n, int h, int w, int c) {
    if (n->num_slots == n->cap_slots) {
        n->cap_slots = n->cap_slots ? 2 * n->cap_slots : 32;
        n->slots = ug_realloc(n->slots, (size_t)n->cap_slots * sizeof(Slot));
    }
    Slot* s = &n->slots[n->num_slots];
    s->h = h; s->w = w; s->c = c;
    s->per = (size_t)h * w * c;
    s->consumers = 0;
    return n->num_slots++;
}

static Layer* new_layer(Net* n, LayerKind kind, int in) {
    if (n->num_layers == n->cap_layers) {
        n->cap_layers = n->cap_layers ? 2 * n->cap_layers : 32;
        n->layers = ug_realloc(n->layers, (size_t)n->cap_layers * sizeof(Layer));
    }
    Layer* l = &n->layers[n->num_layers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = in;
    l->in2 = -1;
    l->param_layer = -1;
    l->w = l->b = SIZE_MAX;
    l->init_tensor[0] = l->init_tensor[1] = -1;
    UG_CHECK(in >= 0 && in < n->num_slots, "model builder: bad input slot %d", in);
    n->slots[in].consumers++;
    return l;
}

static TensorInfo* add_tensor(Net* n, int is_buffer, const char* prefix, const char* suffix, int ndim,
                              const int* shape, size_t* offset_out) {
    TensorInfo** arr = is_buffer ? &n->tbufs : &n->tparams;
    int* cnt = is_buffer ? &n->n_tbufs : &n->n_tparams;
    int* cap = is_buffer ? &n->cap_tbufs : &n->cap_tparams;
    if (*cnt == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *arr = ug_realloc(*arr, (size_t)*cap * sizeof(TensorInfo));
    }
    size_t off = 0;
    if (*cnt > 0) off = (*arr)[*cnt - 1].offset + (*arr)[*cnt - 1].numel;
    TensorInfo* t = &(*arr)[(*cnt)++];
    memset(t, 0, sizeof *t);
    int len = snprintf(t->name, sizeof t->name, "%s%s%s", prefix, prefix[0] ? "." : "", suffix);
    UG_CHECK(len < (int)sizeof t->name, "model builder: tensor name too long: %s.%s", prefix, suffix);
    t->ndim = ndim;
    t->numel = 1;
    for (int i = 0; i < ndim; i++) { t->shape[i] = shape[i]; t->numel *= (size_t)shape[i]; }
    t->offset = off;
    t->is_buffer = is_buffer;
    t->layer = n->param_layers;
    *offset_out = off;
    return t;
}

int nb_input(Model* m, int h, int w, int c) {
    Net* n = net_of(m);
    UG_CHECK(n->num_slots == 0, "model builder: input must be the first slot");
    return new_slot(n, h, w, c);
}

int nb_conv(Model* m, const char* name, int in, int out_channels, int kernel, int stride, int pad, int bias) {
    Net* n = net_of(m);
    Slot s = n->slots[in];
    Layer* l = new_layer(n, L_CONV, in);
    l->cd = conv_dims(s.h, s.w, s.c, out_channels, kernel, kernel, stride, pad);
    UG_CHECK(l->cd.P > 0 && l->cd.Q > 0, "model: input %dx%d too small for %s (kernel %d stride %d)", s.h, s.w,
             name, kernel, stride);
    l->conv = conv_create(l->cd, bias, m->backend);
    l->C = s.c;
    l->HW = s.h * s.w;
    l->param_layer = n->param_layers;
    int shape[4] = {out_channels, s.c, kernel, kernel};
    add_tensor(n, 0, name, "weight", 4, shape, &l->w);
    l->init_tensor[0] = n->n_tparams - 1;
    if (bias) {
        add_tensor(n, 0, name, "bias", 1, shape, &l->b);
        l->init_tensor[1] = n->n_tparams - 1;
    }
    n->param_layers++;
    l->out = new_slot(n, l->cd.P, l->cd.Q, out_channels);
    return l->out;
}

int nb_bn(Model* m, const char* name, int in) {
    if (m->cfg.no_bn) return in;
    Net* n = net_of(m);
    Slot s = n->slots[in];
    Layer* l = new_layer(n, L_BN, in);
    l->C = s.c;
    l->HW = s.h * s.w;
    l->bn = bn_create(l->HW, l->C, m->backend);
    l->param_layer = n->param_layers;
    int shape[1] = {s.c}, scalar[1] = {1};
    add_tensor(n, 0, name, "weight", 1, shape, &l->w);
    add_tensor(n, 0, name, "bias", 1, shape, &l->b);
    add_tensor(n, 1, name, "running_mean", 1, shape, &l->rmean);
    add_tensor(n, 1, name, "running_var", 1, shape, &l->rvar);
    // num_batches_tracked is a 0-dim int64 in PyTorch; here one float (exact up to 2^24 steps), ndim 0.
    add_tensor(n, 1, name, "num_batches_tracked", 0, scalar, &l->nbt);
    n->param_layers++;
    l->save = n->aux_size;
    n->aux_size += 2 * (size_t)s.c;
    l->out = new_slot(n, s.h, s.w, s.c);
    return l->out;
}

int nb_relu(Model* m, int in) {
    Net* n = net_of(m);
    // BN + ReLU and add + ReLU run as one fused op (one memory pass less on the fast path)
    Layer* prev = n->num_layers > 0 ? &n->layers[n->num_layers - 1] : NULL;
    int fuse = prev && prev->out == in && (prev->kind == L_BN || prev->kind == L_ADD);
    if (fuse) prev->fuse_relu = 1;
    Layer* l = new_layer(n, L_RELU, in);
    l->fused = fuse;
    // In place: the input must have no other reader (true for conv/bn/add outputs in our networks).
    UG_CHECK(n->slots[in].consumers == 1, "model builder: in-place relu on a shared slot");
    l->out = in;
    return in;
}

int nb_maxpool(Model* m, int in, int kernel, int stride, int pad) {
    Net* n = net_of(m);
    Slot s = n->slots[in];
    Layer* l = new_layer(n, L_MAXPOOL, in);
    l->pd = pool_dims(s.h, s.w, s.c, kernel, stride, pad);
    l->argmax = n->argmax_per;
    n->argmax_per += (size_t)l->pd.P * l->pd.Q * s.c;
    l->out = new_slot(n, l->pd.P, l->pd.Q, s.c);
    return l->out;
}

int nb_gap(Model* m, int in) {
    Net* n = net_of(m);
    Slot s = n->slots[in];
    Layer* l = new_layer(n, L_GAP, in);
    l->C = s.c;
    l->HW = s.h * s.w;
    l->out = new_slot(n, 1, 1, s.c);
    return l->out;
}

int nb_linear(Model* m, const char* name, int in, int out_features) {
    Net* n = net_of(m);
    Slot s = n->slots[in];
    Layer* l = new_layer(n, L_LINEAR, in);
    l->C = (int)s.per;
    l->O = out_features;
    l->param_layer = n->param_layers;
    int shape[2] = {out_features, (int)s.per};
    add_tensor(n, 0, name, "weight", 2, shape, &l->w);
    l->init_tensor[0] = n->n_tparams - 1;
    add_tensor(n, 0, name, "bias", 1, shape, &l->b);
    l->init_tensor[1] = n->n_tparams - 1;
    n->param_layers++;
    l->out = new_slot(n, 1, 1, out_features);
    return l->out;
}

int nb_add(Model* m, int a, int b) {
    Net* n = net_of(m);
    Slot s = n->slots[a], t = n->slots[b];
    UG_CHECK(s.per == t.per, "model builder: residual add of different shapes");
    Layer* l = new_layer(n, L_ADD, a);
    l->in2 = b;
    n->slots[b].consumers++;
    l->out = new_slot(n, s.h, s.w, s.c);
    return l->out;
}

void nb_finish(Model* m, int logits, int features) {
    Net* n = net_of(m);
    n->logits_slot = logits;
    n->features_slot = features;
    m->feature_dim = (int)n->slots[features].per;
    UG_CHECK((int)n->slots[logits].per == m->cfg.num_classes, "model builder: logits size mismatch");
    m->num_tensors = n->n_tparams + n->n_tbufs;
    m->tensors = ug_malloc((size_t)m->num_tensors * sizeof(TensorInfo));
    memcpy(m->tensors, n->tparams, (size_t)n->n_tparams * sizeof(TensorInfo));
    if (n->n_tbufs)   // no_bn models have no buffers (tbufs NULL): memcpy from NULL is undefined even for 0 bytes
        memcpy(m->tensors + n->n_tparams, n->tbufs, (size_t)n->n_tbufs * sizeof(TensorInfo));
    m->num_params = n->n_tparams ? n->tparams[n->n_tparams - 1].offset + n->tparams[n->n_tparams - 1].numel : 0;
    m->num_buffers = n->n_tbufs ? n->tbufs[n->n_tbufs - 1].offset + n->tbufs[n->n_tbufs - 1].numel : 0;
    m->num_layers = n->param_layers;
    free(n->tparams); n->tparams = NULL;
    free(n->tbufs); n->tbufs = NULL;
    m->params = ug_aligned_alloc((m->num_params + 16) * sizeof(float));
    m->grads = ug_aligned_alloc((m->num_params + 16) * sizeof(float));
    m->buffers = ug_aligned_alloc((m->num_buffers + 16) * sizeof(float));
    memset(m->params, 0, m->num_params * sizeof(float));
    memset(m->grads, 0, m->num_params * sizeof(float));
    memset(m->buffers, 0, m->num_buffers * sizeof(float));
    n->aux = ug_aligned_alloc((n->aux_size + 16) * sizeof(float));
    n->slot_off = ug_calloc((size_t)n->num_slots, sizeof(size_t));
    n->written = ug_calloc((size_t)n->num_slots, 1);
    n->per_sample = 0;
    n->max_slot = 0;
    for (int i = 0; i < n->num_slots; i++) {
        n->per_sample += n->slots[i].per;
        if (n->slots[i].per > n->max_slot) n->max_slot = n->slots[i].per;
    }
}
