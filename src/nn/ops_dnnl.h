// ops_dnnl.h — shared oneDNN plumbing for the fast path: one CPU engine and stream, checked calls,
// memory wrappers over caller-owned buffers, a process-wide scratchpad.  Only for src/nn/ops_dnnl_*.c.
#pragma once
#include <dnnl.h>
#include <dnnl_debug.h>

#include "common/util.h"

#define DNNL_CHECK(call) do { dnnl_status_t dnnl_st_ = (call); if (dnnl_st_ != dnnl_success) \
    ug_die("oneDNN call failed: %s (%s); check the shapes given to the op", #call, dnnl_status2str(dnnl_st_)); } while (0)

dnnl_engine_t ugd_engine(void);
dnnl_stream_t ugd_stream(void);
// Plain f32 descriptor; dims in oneDNN's logical order (N,C,H,W / O,I,H,W), tag gives the physical layout.
dnnl_memory_desc_t ugd_md(int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag);
dnnl_memory_t ugd_mem(const dnnl_memory_desc_t* md);          // no buffer: set one per call with ugd_bind
void ugd_bind(dnnl_memory_t m, const void* ptr);
dnnl_primitive_attr_t ugd_attr(void);                         // user-managed scratchpad; destroy after use
dnnl_primitive_t ugd_prim(const_dnnl_primitive_desc_t pd);
// The primitive descriptor oneDNN would pick for op_desc (dnnl_primitive_desc_create), except that an
// implementation whose name starts with `avoid` is passed over for the next one (avoid NULL: the first).
dnnl_primitive_desc_t ugd_pd_avoiding(const_dnnl_op_desc_t op_desc, const_dnnl_primitive_attr_t attr,
                                      const_dnnl_primitive_desc_t hint, const char* avoid);
const dnnl_memory_desc_t* ugd_query(const_dnnl_primitive_desc_t pd, dnnl_query_t what);
// A memory on the scratchpad md of pd (NULL when it needs none); its buffer is bound by ugd_run.
dnnl_memory_t ugd_scratch_mem(const_dnnl_primitive_desc_t pd);
// Executes and waits.  When scratch is not NULL it is bound to the shared scratchpad and appended to args.
void ugd_run(dnnl_primitive_t p, int nargs, dnnl_exec_arg_t* args, dnnl_memory_t scratch);
// A reorder from one descriptor to another (NULL when they are equal: nothing to do).
dnnl_primitive_t ugd_reorder(const dnnl_memory_desc_t* from, const dnnl_memory_desc_t* to);
void ugd_run_reorder(dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to);
void ugd_destroy_prim(dnnl_primitive_t p);
void ugd_destroy_mem(dnnl_memory_t m);
