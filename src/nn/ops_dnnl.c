// ops_dnnl.c — shared oneDNN plumbing (see ops_dnnl.h).
#include <stdlib.h>
#include <string.h>

#include "nn/ops_dnnl.h"

static dnnl_engine_t g_engine;
static dnnl_stream_t g_stream;
static void* g_scratch;          // one scratchpad for every primitive (ops run one at a time)
static size_t g_scratch_size;

dnnl_engine_t ugd_engine(void) {
    if (!g_engine) DNNL_CHECK(dnnl_engine_create(&g_engine, dnnl_cpu, 0));
    return g_engine;
}

dnnl_stream_t ugd_stream(void) {
    if (!g_stream) DNNL_CHECK(dnnl_stream_create(&g_stream, ugd_engine(), dnnl_stream_default_flags));
    return g_stream;
}

dnnl_memory_desc_t ugd_md(int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag) {
    dnnl_memory_desc_t md;
    DNNL_CHECK(dnnl_memory_desc_init_by_tag(&md, ndims, dims, dnnl_f32, tag));
    return md;
}

dnnl_memory_t ugd_mem(const dnnl_memory_desc_t* md) {
    dnnl_memory_t m;
    DNNL_CHECK(dnnl_memory_create(&m, md, ugd_engine(), DNNL_MEMORY_NONE));
    return m;
}

void ugd_bind(dnnl_memory_t m, const void* ptr) { DNNL_CHECK(dnnl_memory_set_data_handle(m, (void*)ptr)); }

dnnl_primitive_attr_t ugd_attr(void) {
    dnnl_primitive_attr_t a;
    DNNL_CHECK(dnnl_primitive_attr_create(&a));
    DNNL_CHECK(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user));
    return a;
}

dnnl_primitive_t ugd_prim(const_dnnl_primitive_desc_t pd) {
    dnnl_primitive_t p;
    DNNL_CHECK(dnnl_primitive_create(&p, pd));
    return p;
}

dnnl_primitive_desc_t ugd_pd_avoiding(const_dnnl_op_desc_t op_desc, const_dnnl_primitive_attr_t attr,
                                      const_dnnl_primitive_desc_t hint, const char* avoid) {
    dnnl_primitive_desc_iterator_t it;
    DNNL_CHECK(dnnl_primitive_desc_iterator_create(&it, op_desc, attr, ugd_engine(), hint));
    for (;;) {
        dnnl_primitive_desc_t pd = dnnl_primitive_desc_iterator_fetch(it);
        UG_CHECK(pd, "oneDNN: cannot fetch a primitive descriptor");
        const char* name = "";
        DNNL_CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name));
        if (!avoid || strncmp(name, avoid, strlen(avoid)) != 0) {
            DNNL_CHECK(dnnl_primitive_desc_iterator_destroy(it));
            return pd;
        }
        DNNL_CHECK(dnnl_primitive_desc_destroy(pd));
        UG_CHECK(dnnl_primitive_desc_iterator_next(it) == dnnl_success,
                 "oneDNN: no implementation of this primitive other than %s", avoid);
    }
}

const dnnl_memory_desc_t* ugd_query(const_dnnl_primitive_desc_t pd, dnnl_query_t what) {
    const dnnl_memory_desc_t* md = dnnl_primitive_desc_query_md(pd, what, 0);
    UG_CHECK(md, "oneDNN: primitive descriptor has no memory descriptor for query %d", (int)what);
    return md;
}

dnnl_memory_t ugd_scratch_mem(const_dnnl_primitive_desc_t pd) {
    const dnnl_memory_desc_t* md = dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    if (!md || dnnl_memory_desc_get_size(md) == 0) return NULL;
    size_t need = dnnl_memory_desc_get_size(md);
    if (need > g_scratch_size) {
        free(g_scratch);
        g_scratch = ug_aligned_alloc(need);
        g_scratch_size = need;
    }
    return ugd_mem(md);
}

void ugd_run(dnnl_primitive_t p, int nargs, dnnl_exec_arg_t* args, dnnl_memory_t scratch) {
    if (scratch) {
        ugd_bind(scratch, g_scratch);
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, scratch};
    }
    DNNL_CHECK(dnnl_primitive_execute(p, ugd_stream(), nargs, args));
    DNNL_CHECK(dnnl_stream_wait(ugd_stream()));
}

dnnl_primitive_t ugd_reorder(const dnnl_memory_desc_t* from, const dnnl_memory_desc_t* to) {
    if (dnnl_memory_desc_equal(from, to)) return NULL;
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_reorder_primitive_desc_create(&pd, from, ugd_engine(), to, ugd_engine(), NULL));
    dnnl_primitive_t p = ugd_prim(pd);
    DNNL_CHECK(dnnl_primitive_desc_destroy(pd));
    return p;
}

void ugd_run_reorder(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to) {
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    DNNL_CHECK(dnnl_primitive_execute(r, ugd_stream(), 2, args));
    DNNL_CHECK(dnnl_stream_wait(ugd_stream()));
}

void ugd_destroy_prim(dnnl_primitive_t p) { if (p) DNNL_CHECK(dnnl_primitive_destroy(p)); }
void ugd_destroy_mem(dnnl_memory_t m) { if (m) DNNL_CHECK(dnnl_memory_destroy(m)); }
