// ops_dnnl_bn.c — fast batch normalisation on oneDNN (scale and shift = gamma and beta), NHWC viewed as
// N x C x HW x 1.  oneDNN computes the batch mean and biased variance; the saved inverse std and the
// running statistics (unbiased variance, momentum) are derived here so that they follow PyTorch exactly.
// Primitives are cached per batch size, as for the convolution.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/ops_dnnl.h"
#include "nn/ops_internal.h"

enum { BN_CACHE = 4 };

typedef struct {
    int N;                                  // 0: empty slot
    unsigned long last_use;
    dnnl_primitive_t fwd_train, fwd_eval, bwd;
    dnnl_memory_t scr_train, scr_eval, scr_bwd;
    dnnl_memory_t src, dst, diff_src, diff_dst;
    float* din_sink;                        // when the caller does not want din
} BnEntry;

typedef struct {
    int HW, C;
    float eps;                              // of the last training forward (backward needs it)
    unsigned long clock;
    dnnl_memory_t scale, shift, mean, var, diff_scale, diff_shift;   // [C] views
    float *var_buf, *mean_buf, *bwd_var, *sink_c;                  // [C] each; sink_c is [2C]
    BnEntry cache[BN_CACHE];
} BnFast;

static void entry_free(BnEntry* e) {
    ugd_destroy_prim(e->fwd_train); ugd_destroy_prim(e->fwd_eval); ugd_destroy_prim(e->bwd);
    dnnl_memory_t mems[] = {e->scr_train, e->scr_eval, e->scr_bwd, e->src, e->dst, e->diff_src, e->diff_dst};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++) ugd_destroy_mem(mems[i]);
    free(e->din_sink);
    memset(e, 0, sizeof *e);
}

static void entry_init(BnFast* st, BnEntry* e, int N) {
    dnnl_dims_t dims = {N, st->C, st->HW, 1};
    dnnl_memory_desc_t md = ugd_md(4, dims, dnnl_nhwc);
    dnnl_primitive_attr_t attr = ugd_attr();
    const unsigned ss = dnnl_use_scale | dnnl_use_shift;
    dnnl_batch_normalization_desc_t td, ed, bd;
    dnnl_primitive_desc_t tpd, epd, bpd;
    DNNL_CHECK(dnnl_batch_normalization_forward_desc_init(&td, dnnl_forward_training, &md, st->eps, ss));
    DNNL_CHECK(dnnl_primitive_desc_create(&tpd, &td, attr, ugd_engine(), NULL));
    DNNL_CHECK(dnnl_batch_normalization_forward_desc_init(&ed, dnnl_forward_inference, &md, st->eps,
                                                          ss | dnnl_use_global_stats));
    DNNL_CHECK(dnnl_primitive_desc_create(&epd, &ed, attr, ugd_engine(), NULL));
    DNNL_CHECK(dnnl_batch_normalization_backward_desc_init(&bd, dnnl_backward, &md, &md, st->eps, ss));
    DNNL_CHECK(dnnl_primitive_desc_create(&bpd, &bd, attr, ugd_engine(), tpd));
    e->N = N;
    e->fwd_train = ugd_prim(tpd);
    e->fwd_eval = ugd_prim(epd);
    e->bwd = ugd_prim(bpd);
    e->scr_train = ugd_scratch_mem(tpd);
    e->scr_eval = ugd_scratch_mem(epd);
    e->scr_bwd = ugd_scratch_mem(bpd);
    e->src = ugd_mem(&md);
    e->dst = ugd_mem(&md);
    e->diff_src = ugd_mem(&md);
    e->diff_dst = ugd_mem(&md);
    DNNL_CHECK(dnnl_primitive_desc_destroy(tpd));
    DNNL_CHECK(dnnl_primitive_desc_destroy(epd));
    DNNL_CHECK(dnnl_primitive_desc_destroy(bpd));
    DNNL_CHECK(dnnl_primitive_attr_destroy(attr));
}

static BnEntry* entry_for(BnFast* st, int N, float eps) {
    if (eps != st->eps) {                   // eps is baked into the primitives
        for (int i = 0; i < BN_CACHE; i++)
            if (st->cache[i].N) entry_free(&st->cache[i]);
        st->eps = eps;
    }
    BnEntry* victim = &st->cache[0];
    st->clock++;
    for (int i = 0; i < BN_CACHE; i++) {
        BnEntry* e = &st->cache[i];
        if (e->N == N) { e->last_use = st->clock; return e; }
        if (e->last_use < victim->last_use) victim = e;
    }
    if (victim->N) entry_free(victim);
    entry_init(st, victim, N);
    victim->last_use = st->clock;
    return victim;
}

void* bn_fast_create(int HW, int C) {
    BnFast* st = ug_calloc(1, sizeof *st);
    st->HW = HW;
    st->C = C;
    st->eps = 1e-5f;
    dnnl_dims_t cd = {C};
    dnnl_memory_desc_t cmd = ugd_md(1, cd, dnnl_x);
    st->scale = ugd_mem(&cmd);
    st->shift = ugd_mem(&cmd);
    st->mean = ugd_mem(&cmd);
    st->var = ugd_mem(&cmd);
    st->diff_scale = ugd_mem(&cmd);
    st->diff_shift = ugd_mem(&cmd);
    st->var_buf = ug_malloc(C * sizeof(float));
    st->mean_buf = ug_malloc(C * sizeof(float));
    st->bwd_var = ug_malloc(C * sizeof(float));
    st->sink_c = ug_malloc(2 * (size_t)C * sizeof(float));
    return st;
}

void bn_fast_destroy(void* p) {
    BnFast* st = p;
    for (int i = 0; i < BN_CACHE; i++)
        if (st->cache[i].N) entry_free(&st->cache[i]);
    dnnl_memory_t mems[] = {st->scale, st->shift, st->mean, st->var, st->diff_scale, st->diff_shift};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++) ugd_destroy_mem(mems[i]);
    free(st->var_buf); free(st->mean_buf); free(st->bwd_var); free(st->sink_c);
    free(st);
}

void bn_forward_train_fast(void* p, int N, float* out, float* save_mean, float* save_invstd, const float* in,
                           const float* gamma, const float* beta, float* run_mean, float* run_var,
                           float momentum, float eps) {
    BnFast* st = p;
    BnEntry* e = entry_for(st, N, eps);
    float* mean = save_mean ? save_mean : st->mean_buf;
    ugd_bind(e->src, in);
    ugd_bind(e->dst, out);
    ugd_bind(st->scale, gamma);
    ugd_bind(st->shift, beta);
    ugd_bind(st->mean, mean);
    ugd_bind(st->var, st->var_buf);
    dnnl_exec_arg_t args[8] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_DST, e->dst}, {DNNL_ARG_SCALE, st->scale},
                               {DNNL_ARG_SHIFT, st->shift}, {DNNL_ARG_MEAN, st->mean},
                               {DNNL_ARG_VARIANCE, st->var}};
    ugd_run(e->fwd_train, 6, args, e->scr_train);
    const double M = (double)N * st->HW;
    for (int c = 0; c < st->C; c++) {
        double var = st->var_buf[c];
        if (save_invstd) save_invstd[c] = (float)(1.0 / sqrt(var + (double)eps));
        if (run_mean) run_mean[c] = (float)((1.0 - momentum) * run_mean[c] + momentum * (double)mean[c]);
        if (run_var) run_var[c] = (float)((1.0 - momentum) * run_var[c] + momentum * var * M / (M - 1.0));
    }
}

void bn_forward_eval_fast(void* p, int N, float* out, const float* in, const float* gamma, const float* beta,
                          const float* run_mean, const float* run_var, float eps) {
    BnFast* st = p;
    BnEntry* e = entry_for(st, N, eps);
    ugd_bind(e->src, in);
    ugd_bind(e->dst, out);
    ugd_bind(st->scale, gamma);
    ugd_bind(st->shift, beta);
    ugd_bind(st->mean, run_mean);
    ugd_bind(st->var, run_var);
    dnnl_exec_arg_t args[8] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_DST, e->dst}, {DNNL_ARG_SCALE, st->scale},
                               {DNNL_ARG_SHIFT, st->shift}, {DNNL_ARG_MEAN, st->mean},
                               {DNNL_ARG_VARIANCE, st->var}};
    ugd_run(e->fwd_eval, 6, args, e->scr_eval);
}

void bn_backward_fast(void* p, int N, float* din, float* dgamma, float* dbeta, const float* dout,
                      const float* in, const float* gamma, const float* save_mean, const float* save_invstd) {
    BnFast* st = p;
    BnEntry* e = entry_for(st, N, st->eps);
    // oneDNN wants the variance; recover it from the saved inverse std with the forward's eps
    // (it recomputes 1/sqrt(var + eps), i.e. the same invstd to float precision).
    for (int c = 0; c < st->C; c++) {
        double is = save_invstd[c];
        st->bwd_var[c] = (float)(1.0 / (is * is) - (double)st->eps);
    }
    if (!din && !e->din_sink) e->din_sink = ug_aligned_alloc((size_t)N * st->HW * st->C * sizeof(float));
    ugd_bind(e->src, in);
    ugd_bind(e->diff_dst, dout);
    ugd_bind(e->diff_src, din ? din : e->din_sink);
    ugd_bind(st->scale, gamma);
    ugd_bind(st->mean, save_mean);
    ugd_bind(st->var, st->bwd_var);
    ugd_bind(st->diff_scale, dgamma ? dgamma : st->sink_c);
    ugd_bind(st->diff_shift, dbeta ? dbeta : st->sink_c + st->C);
    dnnl_exec_arg_t args[10] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_DIFF_DST, e->diff_dst},
                                {DNNL_ARG_DIFF_SRC, e->diff_src}, {DNNL_ARG_SCALE, st->scale},
                                {DNNL_ARG_MEAN, st->mean}, {DNNL_ARG_VARIANCE, st->var},
                                {DNNL_ARG_DIFF_SCALE, st->diff_scale}, {DNNL_ARG_DIFF_SHIFT, st->diff_shift},
                                {DNNL_ARG_SHIFT, st->shift}};
    ugd_bind(st->shift, st->sink_c);      // not read by the backward, but oneDNN 2.6 insists on it
    ugd_run(e->bwd, 9, args, e->scr_bwd);
}
