// Shared fixtures of the baseline tests: a tiny small-CNN and random batches.
#pragma once
#include <string.h>

#include "common/rng.h"
#include "unlearn/baselines.h"
#include "unlearn/method.h"

enum { TB_N = 6, TB_H = 8, TB_C = 1, TB_K = 4 };

static inline Model* tb_model(int width, int K, uint64_t seed) {
    ModelConfig cfg = {.arch = ARCH_SMALL_CNN, .width = width, .num_classes = K, .in_h = TB_H, .in_w = TB_H, .in_c = TB_C};
    Model* m = model_create(&cfg, BACKEND_REF);
    model_init(m, seed);
    return m;
}

typedef struct {
    float x[TB_N * TB_H * TB_H * TB_C];
    int32_t y[TB_N];
    int64_t index[TB_N];
    Batch b;
} TbBatch;

static inline void tb_batch(TbBatch* t, int K, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, RNG_MISC, 0, 0);
    for (int i = 0; i < TB_N * TB_H * TB_H * TB_C; i++) t->x[i] = rng_normal(&r);
    for (int i = 0; i < TB_N; i++) t->y[i] = (int32_t)rng_below(&r, (uint32_t)K), t->index[i] = i;
    t->b = (Batch){.n = TB_N, .h = TB_H, .w = TB_H, .c = TB_C, .x = t->x, .y = t->y, .index = t->index};
}

static inline UnlearnConfig tb_config(MethodKind kind) {
    UnlearnConfig c;
    memset(&c, 0, sizeof c);
    c.method = kind;
    c.epochs = 10;
    c.lr = 0.05;
    c.batch = TB_N;
    c.sgd = (SgdConfig){.momentum = 0.9, .weight_decay = 5e-4};
    c.p = 0.5;
    c.beta = 0.5;
    c.alpha_scale = 1;
    c.stop_forget_acc = -1;
    c.k = 1;
    c.l1_alpha = 1e-4;
    c.mask_fraction = 0.5;
    c.scrub_t = 4;
    c.scrub_gamma = 0.99;
    c.scrub_alpha = 0.001;
    c.scrub_max_epochs = 1;
    c.iu_samples = 10;
    c.iu_scale = 1;
    c.iu_damping = 1;
    c.bs_step = 0.1;
    c.seed = 3;
    return c;
}

static inline int tb_same(const float* a, const float* b, size_t n) { return !memcmp(a, b, n * sizeof(float)); }
