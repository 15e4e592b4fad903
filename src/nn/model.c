// model.c — model lifetime, initialisation, and the forward/backward walk over the flat layer list.
#include "nn/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "nn/executor.h"
#include "nn/model_impl.h"

#define BN_MOMENTUM 0.1f
#define BN_EPS 1e-5f

static const char* const ARCH_NAMES[] = {"resnet18", "vgg16_bn", "small_cnn"};

const char* arch_name(Arch a) { return (a >= 0 && a <= ARCH_SMALL_CNN) ? ARCH_NAMES[a] : "unknown"; }

int arch_parse(const char* s, Arch* out) {
    for (int i = 0; i <= ARCH_SMALL_CNN; i++)
        if (strcmp(s, ARCH_NAMES[i]) == 0) { *out = (Arch)i; return 1; }
    return 0;
}

int model_config_equal(const ModelConfig* a, const ModelConfig* b) {
    return a->arch == b->arch && a->width == b->width && a->num_classes == b->num_classes && a->in_h == b->in_h &&
           a->in_w == b->in_w && a->in_c == b->in_c && a->no_bn == b->no_bn && (a->arch != ARCH_RESNET18 || a->imagenet_stem == b->imagenet_stem);
}

void model_config_describe(const ModelConfig* c, char* buf, size_t cap) {
    snprintf(buf, cap, "%s w%d %d classes %dx%dx%d%s%s", arch_name(c->arch), c->width, c->num_classes, c->in_h, c->in_w,
             c->in_c, c->arch == ARCH_RESNET18 ? (c->imagenet_stem ? " imagenet-stem" : " cifar-stem") : "",
             c->no_bn ? " no-bn" : "");
}

Model* model_create(const ModelConfig* cfg, Backend backend) {
    UG_CHECK(cfg->width >= 1 && cfg->width <= 4096, "model: width %d out of range (1..4096)", cfg->width);
    UG_CHECK(cfg->num_classes >= 1 && cfg->num_classes <= 1000000, "model: %d classes out of range", cfg->num_classes);
    UG_CHECK(cfg->in_h >= 1 && cfg->in_w >= 1 && cfg->in_c >= 1 && cfg->in_c <= 4,
             "model: bad input size %dx%dx%d", cfg->in_h, cfg->in_w, cfg->in_c);
    Model* m = ug_calloc(1, sizeof(Model));
    m->cfg = *cfg;
    m->backend = backend;
    m->impl = ug_calloc(1, sizeof(Net));
    m->exec = &model_exec_cpu;
    switch (cfg->arch) {
    case ARCH_RESNET18: build_resnet18(m); break;
    case ARCH_VGG16_BN: build_vgg16_bn(m); break;
    case ARCH_SMALL_CNN: build_small_cnn(m); break;
    default: ug_die("model: unknown architecture %d", (int)cfg->arch);
    }
    return m;
}

void model_destroy(Model* m) {
    if (!m) return;
    Net* n = m->impl;
    if (m->exec->detach) m->exec->detach(m);
    for (int i = 0; i < n->num_layers; i++) {
        if (n->layers[i].conv) conv_destroy(n->layers[i].conv);
        if (n->layers[i].bn) bn_destroy(n->layers[i].bn);
    }
    free(n->layers); free(n->slots); free(n->slot_off); free(n->acts); free(n->dacts); free(n->scratch);
    free(n->argmax); free(n->aux); free(n->written); free(n->tparams); free(n->tbufs); free(n->grad_saved);
    free(n->bf16_slot); free(n->wround); free(n->dlogits);
    free(n);
    free(m->params); free(m->grads); free(m->buffers); free(m->tensors);
    free(m);
}

size_t model_max_batch(const Model* m) { return ((const Net*)m->impl)->cap_batch; }

const TensorInfo* model_find_tensor(const Model* m, const char* name) {
    for (int i = 0; i < m->num_tensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}

void model_copy_state(Model* dst, const Model* src) {
    UG_CHECK(model_config_equal(&dst->cfg, &src->cfg), "model_copy_state: different models");
    model_state_to_host((Model*)src);
    memcpy(dst->params, src->params, src->num_params * sizeof(float));
    memcpy(dst->buffers, src->buffers, src->num_buffers * sizeof(float));
    model_state_to_device(dst);
}

double model_forward_macs(const Model* m) {
    const Net* n = m->impl;
    double macs = 0;
    for (int i = 0; i < n->num_layers; i++) {
        const Layer* l = &n->layers[i];
        if (l->kind == L_CONV) macs += (double)l->cd.P * l->cd.Q * l->cd.K * l->cd.C * l->cd.R * l->cd.S;
        if (l->kind == L_LINEAR) macs += (double)l->C * l->O;
    }
    return macs;
}

// ---- initialisation (torchvision rules) ----
static void init_layer(Model* m, const Layer* l, uint64_t seed) {
    float* p = m->params;
    Rng r;
    rng_init(&r, seed, RNG_INIT, (uint64_t)l->param_layer, 0);
    if (l->kind == L_CONV) {
        // kaiming_normal_(mode="fan_out", nonlinearity="relu"): std = sqrt(2 / (K·R·S)); bias 0 (VGG).
        size_t numel = (size_t)l->cd.K * l->cd.C * l->cd.R * l->cd.S;
        float std = sqrtf(2.0f / (float)(l->cd.K * l->cd.R * l->cd.S));
        for (size_t i = 0; i < numel; i++) p[l->w + i] = std * rng_normal(&r);
        if (l->b != SIZE_MAX) memset(p + l->b, 0, (size_t)l->cd.K * sizeof(float));
    } else if (l->kind == L_BN) {
        for (int c = 0; c < l->C; c++) {
            p[l->w + c] = 1.0f;
            p[l->b + c] = 0.0f;
            m->buffers[l->rmean + c] = 0.0f;
            m->buffers[l->rvar + c] = 1.0f;
        }
        m->buffers[l->nbt] = 0.0f;
    } else if (l->kind == L_LINEAR) {
        size_t numel = (size_t)l->O * l->C;
        if (m->cfg.arch == ARCH_VGG16_BN) {
            // torchvision VGG: normal(0, 0.01), bias 0
            for (size_t i = 0; i < numel; i++) p[l->w + i] = 0.01f * rng_normal(&r);
            memset(p + l->b, 0, (size_t)l->O * sizeof(float));
        } else {
            // nn.Linear default: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(in), 1/sqrt(in)); bias the same bound
            float bound = 1.0f / sqrtf((float)l->C);
            for (size_t i = 0; i < numel; i++) p[l->w + i] = bound * (2.0f * rng_uniform(&r) - 1.0f);
            Rng rb;
            rng_init(&rb, seed, RNG_INIT, (uint64_t)l->param_layer, 1);
            for (int i = 0; i < l->O; i++) p[l->b + i] = bound * (2.0f * rng_uniform(&rb) - 1.0f);
        }
    }
}

void model_init_layers(Model* m, uint64_t seed, int first_layer) {
    Net* n = m->impl;
    model_state_to_host(m);   // the layers not re-initialised keep their (device) values
    for (int i = 0; i < n->num_layers; i++)
        if (n->layers[i].param_layer >= first_layer) init_layer(m, &n->layers[i], seed);
    model_state_to_device(m);
}

void model_init(Model* m, uint64_t seed) { model_init_layers(m, seed, 0); }

// ---- activations ----
static void ensure_batch(Net* n, size_t N) {
    if (N <= n->cap_batch) return;
    size_t cap = N;
    free(n->scratch); free(n->argmax);
    n->scratch = ug_aligned_alloc(cap * n->max_slot * sizeof(float) + 64);
    n->argmax = ug_aligned_alloc(cap * n->argmax_per * sizeof(int32_t) + 64);
    size_t off = 0;
    for (int i = 0; i < n->num_slots; i++) {
        n->slot_off[i] = off;
        // keep every slot 64-byte aligned
        off += (cap * n->slots[i].per + 15) & ~(size_t)15;
    }
    free(n->acts); free(n->dacts);
    n->acts = ug_aligned_alloc(off * sizeof(float) + 64);
    n->dacts = ug_aligned_alloc(off * sizeof(float) + 64);
    n->cap_batch = cap;
}

static float* act(Net* n, int s) { return n->acts + n->slot_off[s]; }
static float* dact(Net* n, int s) { return n->dacts + n->slot_off[s]; }

const float* net_forward(Model* m, int N, const float* x, int train) {
    Net* n = m->impl;
    ensure_batch(n, N > 0 ? (size_t)N : 1);
    n->last_n = N;
    n->last_train = train;
    if (N == 0) return act(n, n->logits_slot);
    memcpy(act(n, 0), x, (size_t)N * n->slots[0].per * sizeof(float));
    const uint8_t* low = n->bf16_slot;   // the bf16 emulation: round what the GPU stores in bf16
    if (low && low[0]) bf16_round_n(act(n, 0), (size_t)N * n->slots[0].per);
    float* p = m->params;
    for (int i = 0; i < n->num_layers; i++) {
        Layer* l = &n->layers[i];
        float* in = act(n, l->in);
        float* out = act(n, l->out);
        double t0 = n->profile ? ug_now() : 0;
        switch (l->kind) {
        case L_CONV: {
            const float* w = low ? bf16_conv_weights(m, l) : NULL;
            conv_forward(l->conv, N, out, in, w ? w : p + l->w, l->b != SIZE_MAX ? p + l->b : NULL);
            break;
        }
        case L_BN:
            if (train) {
                (l->fuse_relu ? bn_relu_forward_train : bn_forward_train)(
                    l->bn, N, out, n->aux + l->save, n->aux + l->save + l->C, in, p + l->w, p + l->b,
                    m->buffers + l->rmean, m->buffers + l->rvar, BN_MOMENTUM, BN_EPS);
                m->buffers[l->nbt] += 1.0f;
            } else {
                (l->fuse_relu ? bn_relu_forward_eval : bn_forward_eval)(l->bn, N, out, in, p + l->w, p + l->b,
                                                                      m->buffers + l->rmean, m->buffers + l->rvar, BN_EPS);
            }
            break;
        case L_RELU:
            if (!l->fused) relu_forward(out, in, (size_t)N * n->slots[l->in].per);
            break;
        case L_MAXPOOL: maxpool_forward(l->pd, N, out, n->argmax + (size_t)N * l->argmax, in); break;
        case L_GAP: avgpool_global_forward(N, l->HW, l->C, out, in); break;
        case L_LINEAR: linear_forward(m->backend, N, l->C, l->O, out, in, p + l->w, p + l->b); break;
        case L_ADD:
            (l->fuse_relu ? add_relu_forward : add_forward)(out, in, act(n, l->in2), (size_t)N * n->slots[l->in].per);
            break;
        }
        if (low && low[l->out] && l->kind != L_RELU) bf16_round_n(out, (size_t)N * n->slots[l->out].per);
        if (n->profile) n->prof_fwd[l->kind] += ug_now() - t0;
    }
    return act(n, n->logits_slot);
}

const float* net_features(const Model* m) {
    Net* n = m->impl;
    return n->acts + n->slot_off[n->features_slot];
}

const float* net_logits(const Model* m) {
    Net* n = m->impl;
    return n->acts + n->slot_off[n->logits_slot];
}

// Where a layer writes the gradient of its input slot s: the slot itself when it is the first gradient to
// arrive there, otherwise scratch (then added by finish_grad).
static float* grad_target(Net* n, int s) {
    if (s == 0 && !n->want_dx) return NULL;   // the network input needs no gradient (unless asked for)
    return n->written[s] ? n->scratch : dact(n, s);
}

// Under the bf16 emulation a bf16 slot's gradient is rounded as written, and again after the sum (as on the GPU).
static void finish_grad(Net* n, int s, float* target) {
    if (s == 0 && !n->want_dx) return;
    size_t cnt = (size_t)n->last_n * n->slots[s].per;
    int low = n->bf16_slot && n->bf16_slot[s];
    if (low) bf16_round_n(target, cnt);
    if (n->written[s]) {
        float* d = dact(n, s);
        for (size_t i = 0; i < cnt; i++) d[i] += target[i];
        if (low) bf16_round_n(d, cnt);
    }
    n->written[s] = 1;
}

// Eval-mode BatchNorm is a fixed per-channel affine map y = γ·(x - μ_run)·s + β, s = 1/sqrt(σ²_run + eps):
// dx = dy·γ·s, dγ = Σ dy·(x - μ_run)·s, dβ = Σ dy (NHWC: the channel is the fastest index).
static void bn_backward_eval(int N, int HW, int C, float* din, float* dgamma, float* dbeta, const float* dout,
                             const float* in, const float* gamma, const float* run_mean, const float* run_var) {
    for (int c = 0; c < C; c++) {
        double s = 1.0 / sqrt((double)run_var[c] + (double)BN_EPS), dg = 0, db = 0;
        float k = (float)((double)gamma[c] * s);
        for (size_t i = (size_t)c; i < (size_t)N * HW * C; i += (size_t)C) {
            dg += (double)dout[i] * ((double)in[i] - run_mean[c]) * s;
            db += dout[i];
            if (din) din[i] = dout[i] * k;
        }
        dgamma[c] = (float)dg;
        dbeta[c] = (float)db;
    }
}

static void backward_walk(Model* m, const float* dlogits);

void net_backward(Model* m, const float* dlogits, float* dx) {
    Net* n = m->impl;
    if (!dx) { backward_walk(m, dlogits); return; }
    n->want_dx = 1;
    backward_walk(m, dlogits);
    n->want_dx = 0;
    memcpy(dx, dact(n, 0), (size_t)n->last_n * n->slots[0].per * sizeof(float));
}

static void backward_walk(Model* m, const float* dlogits) {
    Net* n = m->impl;
    int N = n->last_n;
    float* p = m->params;
    float* g = m->grads;
    if (N == 0) {   // a rank with no samples in this step contributes zero gradients
        memset(g, 0, m->num_params * sizeof(float));
        return;
    }
    memset(n->written, 0, (size_t)n->num_slots);
    memcpy(dact(n, n->logits_slot), dlogits, (size_t)N * m->cfg.num_classes * sizeof(float));
    n->written[n->logits_slot] = 1;
    for (int i = n->num_layers - 1; i >= 0; i--) {
        Layer* l = &n->layers[i];
        float* in = act(n, l->in);
        float* dout = dact(n, l->out);
        double t0 = n->profile ? ug_now() : 0;
        if (l->kind == L_RELU) {   // in place: input and output share the slot; after BN it is fused into bn_relu_backward
            if (!(l->fused && i > 0 && n->layers[i - 1].kind == L_BN))
                relu_backward(dout, dout, act(n, l->out), (size_t)N * n->slots[l->out].per);
            if (n->profile) n->prof_bwd[l->kind] += ug_now() - t0;
            continue;
        }
        if (l->kind == L_ADD) {
            size_t cnt = (size_t)N * n->slots[l->out].per;
            int srcs[2] = {l->in, l->in2};
            for (int k = 0; k < 2; k++) {
                float* t = grad_target(n, srcs[k]);
                if (!t) continue;
                memcpy(t, dout, cnt * sizeof(float));
                finish_grad(n, srcs[k], t);
            }
            if (n->profile) n->prof_bwd[l->kind] += ug_now() - t0;
            continue;
        }
        float* din = grad_target(n, l->in);
        switch (l->kind) {
        case L_CONV: {
            // the bf16 emulation: the weights the forward rounded (as the GPU keeps its bf16 copy until an update)
            const float* w = n->bf16_slot && n->bf16_slot[l->in] ? n->wround + l->w : NULL;
            conv_backward(l->conv, N, din, g + l->w, l->b != SIZE_MAX ? g + l->b : NULL, dout, in, w ? w : p + l->w);
            if (w) bf16_round_n(g + l->w, (size_t)l->cd.K * l->cd.C * l->cd.R * l->cd.S);   // the GPU's bf16 dW
            break;
        }
        case L_BN:
            if (n->last_train && l->fuse_relu)   // dout: gradient at the ReLU output; the output slot holds the mask
                bn_relu_backward(l->bn, N, din, g + l->w, g + l->b, dout, act(n, l->out), in, p + l->w,
                                 n->aux + l->save, n->aux + l->save + l->C);
            else if (n->last_train)
                bn_backward(l->bn, N, din, g + l->w, g + l->b, dout, in, p + l->w, n->aux + l->save,
                            n->aux + l->save + l->C);
            else {
                if (l->fuse_relu) relu_backward(dout, dout, act(n, l->out), (size_t)N * n->slots[l->out].per);
                bn_backward_eval(N, l->HW, l->C, din, g + l->w, g + l->b, dout, in, p + l->w, m->buffers + l->rmean,
                                 m->buffers + l->rvar);
            }
            break;
        case L_MAXPOOL:
            if (din) maxpool_backward(l->pd, N, din, dout, n->argmax + (size_t)N * l->argmax);
            break;
        case L_GAP:
            if (din) avgpool_global_backward(N, l->HW, l->C, din, dout);
            break;
        case L_LINEAR: linear_backward(m->backend, N, l->C, l->O, din, g + l->w, g + l->b, dout, in, p + l->w); break;
        default: break;
        }
        if (din) finish_grad(n, l->in, din);
        if (n->profile) n->prof_bwd[l->kind] += ug_now() - t0;
    }
}

void model_profile_enable(Model* m, int on) {
    Net* n = m->impl;
    n->profile = on;
    memset(n->prof_fwd, 0, sizeof n->prof_fwd);
    memset(n->prof_bwd, 0, sizeof n->prof_bwd);
}

double model_profile_print(const Model* m, FILE* f, const char* prefix) {
    static const char* const KIND[7] = {"conv", "bn", "relu", "maxpool", "avgpool", "linear", "add"};
    const Net* n = m->impl;
    double total = 0;
    for (int k = 0; k < 7; k++) {
        total += n->prof_fwd[k] + n->prof_bwd[k];
        if (n->prof_fwd[k] + n->prof_bwd[k] > 0)
            fprintf(f, "%s%-8s forward %8.3f s  backward %8.3f s\n", prefix, KIND[k], n->prof_fwd[k], n->prof_bwd[k]);
    }
    return total;
}
