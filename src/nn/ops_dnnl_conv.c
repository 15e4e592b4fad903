// ops_dnnl_conv.c — fast convolution on oneDNN.  Activations stay in the caller's NHWC buffers (no
// per-op activation reorders); weights live in the caller's OIHW buffers and are reordered into whatever
// layout oneDNN picked ("any") on each call — cheap next to the convolution itself.  Primitives are
// created on the first call with a batch size and cached (a few batch sizes per op: train, last partial
// batch, eval).
#include <stdlib.h>
#include <string.h>

#include "nn/ops_dnnl.h"
#include "nn/ops_internal.h"

enum { CONV_CACHE = 4 };

typedef struct {
    int N;                                          // 0: empty slot
    unsigned long last_use;
    dnnl_primitive_t fwd, bwd_data, bwd_w;
    dnnl_memory_t scr_fwd, scr_bwd_data, scr_bwd_w; // scratchpad views
    // weights: user OIHW -> layout of fwd / bwd_data; diff weights: bwd_w layout -> user OIHW
    dnnl_primitive_t w_to_fwd, w_to_bwd_data, dw_to_user;
    dnnl_memory_t w_user, w_fwd, w_bwd_data, dw_user, dw_prim;
    float *w_fwd_buf, *w_bwd_data_buf, *dw_buf;
    dnnl_memory_t src, dst, bias, diff_src, diff_dst, diff_bias;
    float* bias_bufs;                               // [2K]: zeros (bias NULL), then a sink for an unwanted dbias
} ConvEntry;

typedef struct {
    ConvDims d;
    int has_bias;
    unsigned long clock;
    ConvEntry cache[CONV_CACHE];
} ConvFast;

static void entry_free(ConvEntry* e) {
    ugd_destroy_prim(e->fwd); ugd_destroy_prim(e->bwd_data); ugd_destroy_prim(e->bwd_w);
    ugd_destroy_prim(e->w_to_fwd); ugd_destroy_prim(e->w_to_bwd_data); ugd_destroy_prim(e->dw_to_user);
    dnnl_memory_t mems[] = {e->scr_fwd, e->scr_bwd_data, e->scr_bwd_w, e->w_user, e->w_fwd, e->w_bwd_data,
                            e->dw_user, e->dw_prim, e->src, e->dst, e->bias, e->diff_src, e->diff_dst,
                            e->diff_bias};
    for (size_t i = 0; i < sizeof mems / sizeof mems[0]; i++) ugd_destroy_mem(mems[i]);
    free(e->w_fwd_buf); free(e->w_bwd_data_buf); free(e->dw_buf); free(e->bias_bufs);
    memset(e, 0, sizeof *e);
}

// Memory for a weight layout chosen by oneDNN: none (NULL) when it is the user's OIHW.
static dnnl_memory_t chosen_weights(const dnnl_memory_desc_t* user, const dnnl_memory_desc_t* chosen,
                                    float** buf) {
    if (dnnl_memory_desc_equal(user, chosen)) return NULL;
    *buf = ug_aligned_alloc(dnnl_memory_desc_get_size(chosen));
    dnnl_memory_t m = ugd_mem(chosen);
    ugd_bind(m, *buf);
    return m;
}

static void entry_init(ConvFast* st, ConvEntry* e, int N) {
    const ConvDims d = st->d;
    dnnl_dims_t src_dims = {N, d.C, d.H, d.W}, dst_dims = {N, d.K, d.P, d.Q}, w_dims = {d.K, d.C, d.R, d.S};
    dnnl_dims_t b_dims = {d.K}, strides = {d.stride, d.stride}, pad_l = {d.pad, d.pad};
    // right padding so that the output is exactly P x Q (floor mode: may be smaller than pad)
    dnnl_dims_t pad_r = {(d.P - 1) * d.stride + d.R - d.H - d.pad, (d.Q - 1) * d.stride + d.S - d.W - d.pad};
    dnnl_memory_desc_t src_md = ugd_md(4, src_dims, dnnl_nhwc), dst_md = ugd_md(4, dst_dims, dnnl_nhwc);
    dnnl_memory_desc_t w_user_md = ugd_md(4, w_dims, dnnl_oihw), w_any = ugd_md(4, w_dims, dnnl_format_tag_any);
    dnnl_memory_desc_t b_md = ugd_md(1, b_dims, dnnl_x);
    const dnnl_memory_desc_t* bias_md = st->has_bias ? &b_md : NULL;
    dnnl_primitive_attr_t attr = ugd_attr();

    dnnl_convolution_desc_t fd, bdd, bwd;
    DNNL_CHECK(dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct, &src_md,
                                                  &w_any, bias_md, &dst_md, strides, pad_l, pad_r));
    // oneDNN 2.6's "jit_1x1" convolutions with a stride (their reduce-to-unit-stride buffer) write past the
    // scratchpad when the channel counts are not a multiple of the vector width: at ResNet-18 widths 4 and 8
    // (downsample 1x1 s2 convs of 4 or 8 channels) that corrupted the heap and crashed training (valgrind: backward
    // data of jit_1x1:avx2).  Those layers take oneDNN's next implementation; every other layer its first, as before.
    const char* avoid = d.R == 1 && d.S == 1 && d.stride > 1 && (d.C % 16 != 0 || d.K % 16 != 0) ? "jit_1x1" : NULL;
    dnnl_primitive_desc_t fpd = ugd_pd_avoiding(&fd, attr, NULL, avoid);
    DNNL_CHECK(dnnl_convolution_backward_data_desc_init(&bdd, dnnl_convolution_direct, &src_md, &w_any, &dst_md,
                                                        strides, pad_l, pad_r));
    dnnl_primitive_desc_t bdpd = ugd_pd_avoiding(&bdd, attr, fpd, avoid);
    DNNL_CHECK(dnnl_convolution_backward_weights_desc_init(&bwd, dnnl_convolution_direct, &src_md, &w_any, bias_md,
                                                           &dst_md, strides, pad_l, pad_r));
    dnnl_primitive_desc_t bwpd = ugd_pd_avoiding(&bwd, attr, fpd, avoid);

    e->N = N;
    e->fwd = ugd_prim(fpd);
    e->bwd_data = ugd_prim(bdpd);
    e->bwd_w = ugd_prim(bwpd);
    e->scr_fwd = ugd_scratch_mem(fpd);
    e->scr_bwd_data = ugd_scratch_mem(bdpd);
    e->scr_bwd_w = ugd_scratch_mem(bwpd);
    e->w_user = ugd_mem(&w_user_md);
    e->dw_user = ugd_mem(&w_user_md);
    const dnnl_memory_desc_t* w_fwd_md = ugd_query(fpd, dnnl_query_weights_md);
    const dnnl_memory_desc_t* w_bd_md = ugd_query(bdpd, dnnl_query_weights_md);
    const dnnl_memory_desc_t* dw_md = ugd_query(bwpd, dnnl_query_diff_weights_md);
    e->w_fwd = chosen_weights(&w_user_md, w_fwd_md, &e->w_fwd_buf);
    e->w_bwd_data = chosen_weights(&w_user_md, w_bd_md, &e->w_bwd_data_buf);
    e->dw_prim = chosen_weights(&w_user_md, dw_md, &e->dw_buf);
    e->w_to_fwd = ugd_reorder(&w_user_md, w_fwd_md);
    e->w_to_bwd_data = ugd_reorder(&w_user_md, w_bd_md);
    e->dw_to_user = ugd_reorder(dw_md, &w_user_md);
    e->src = ugd_mem(&src_md);
    e->dst = ugd_mem(&dst_md);
    e->diff_src = ugd_mem(&src_md);
    e->diff_dst = ugd_mem(&dst_md);
    if (st->has_bias) {
        e->bias = ugd_mem(&b_md);
        e->diff_bias = ugd_mem(&b_md);
        e->bias_bufs = ug_calloc(2 * (size_t)d.K, sizeof(float));
    }
    DNNL_CHECK(dnnl_primitive_desc_destroy(fpd));
    DNNL_CHECK(dnnl_primitive_desc_destroy(bdpd));
    DNNL_CHECK(dnnl_primitive_desc_destroy(bwpd));
    DNNL_CHECK(dnnl_primitive_attr_destroy(attr));
}

static ConvEntry* entry_for(ConvFast* st, int N) {
    ConvEntry* victim = &st->cache[0];
    st->clock++;
    for (int i = 0; i < CONV_CACHE; i++) {
        ConvEntry* e = &st->cache[i];
        if (e->N == N) { e->last_use = st->clock; return e; }
        if (e->last_use < victim->last_use) victim = e;           // empty slots have last_use 0
    }
    if (victim->N) entry_free(victim);
    entry_init(st, victim, N);
    victim->last_use = st->clock;
    return victim;
}

void* conv_fast_create(ConvDims d, int has_bias) {
    ConvFast* st = ug_calloc(1, sizeof *st);
    st->d = d;
    st->has_bias = has_bias;
    return st;
}

void conv_fast_destroy(void* p) {
    ConvFast* st = p;
    for (int i = 0; i < CONV_CACHE; i++)
        if (st->cache[i].N) entry_free(&st->cache[i]);
    free(st);
}

// Bind the user's OIHW weights and bring them into the layout a primitive wants.
static dnnl_memory_t weights_for(ConvEntry* e, dnnl_primitive_t reorder, dnnl_memory_t chosen, const float* w) {
    ugd_bind(e->w_user, w);
    if (!reorder) return e->w_user;
    ugd_run_reorder(reorder, e->w_user, chosen);
    return chosen;
}

void conv_forward_fast(void* p, int N, float* out, const float* in, const float* w, const float* bias) {
    ConvFast* st = p;
    ConvEntry* e = entry_for(st, N);
    dnnl_memory_t wm = weights_for(e, e->w_to_fwd, e->w_fwd, w);
    ugd_bind(e->src, in);
    ugd_bind(e->dst, out);
    dnnl_exec_arg_t args[5] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_WEIGHTS, wm}, {DNNL_ARG_DST, e->dst}};
    int n = 3;
    if (st->has_bias) {
        ugd_bind(e->bias, bias ? bias : e->bias_bufs);
        args[n++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, e->bias};
    }
    ugd_run(e->fwd, n, args, e->scr_fwd);
}

void conv_backward_fast(void* p, int N, float* din, float* dw, float* dbias,
                        const float* dout, const float* in, const float* w) {
    ConvFast* st = p;
    ConvEntry* e = entry_for(st, N);
    ugd_bind(e->diff_dst, dout);
    if (din) {
        dnnl_memory_t wm = weights_for(e, e->w_to_bwd_data, e->w_bwd_data, w);
        ugd_bind(e->diff_src, din);
        dnnl_exec_arg_t args[4] = {{DNNL_ARG_DIFF_DST, e->diff_dst}, {DNNL_ARG_WEIGHTS, wm},
                                   {DNNL_ARG_DIFF_SRC, e->diff_src}};
        ugd_run(e->bwd_data, 3, args, e->scr_bwd_data);
    }
    if (dw || dbias) {
        // the primitive computes both; a gradient the caller does not want goes to a private sink
        float* dw_sink = NULL;
        if (!dw) dw_sink = dw = ug_aligned_alloc((size_t)st->d.K * st->d.C * st->d.R * st->d.S * sizeof(float));
        ugd_bind(e->src, in);
        ugd_bind(e->dw_user, dw);
        dnnl_memory_t dwm = e->dw_prim ? e->dw_prim : e->dw_user;
        dnnl_exec_arg_t args[6] = {{DNNL_ARG_SRC, e->src}, {DNNL_ARG_DIFF_DST, e->diff_dst},
                                   {DNNL_ARG_DIFF_WEIGHTS, dwm}};
        int n = 3;
        if (st->has_bias) {
            ugd_bind(e->diff_bias, dbias ? dbias : e->bias_bufs + st->d.K);
            args[n++] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_BIAS, e->diff_bias};
        }
        ugd_run(e->bwd_w, n, args, e->scr_bwd_w);
        if (e->dw_to_user) ugd_run_reorder(e->dw_to_user, e->dw_prim, e->dw_user);
        free(dw_sink);
    }
}
