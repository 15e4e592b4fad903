// no_cpu_fast_path.c — for `make gpu-standalone` only (GPU machines without oneDNN / OpenBLAS): the CPU fast path
// is absent, so models there use BACKEND_REF (the reference ops) as the CPU side of the comparisons.
#include "common/util.h"
#include "nn/ops_internal.h"

#define ABSENT() ug_die("this standalone GPU build has no oneDNN / OpenBLAS: use BACKEND_REF on the CPU side")
void* conv_fast_create(ConvDims d, int has_bias) { ABSENT(); }
void conv_fast_destroy(void* st) {}
void conv_forward_fast(void* st, int N, float* out, const float* in, const float* w, const float* bias) { ABSENT(); }
void conv_backward_fast(void* st, int N, float* din, float* dw, float* dbias, const float* dout, const float* in,
                        const float* w) { ABSENT(); }
void linear_forward_fast(int N, int In, int Out, float* out, const float* in, const float* w, const float* bias) {
    ABSENT();
}
void linear_backward_fast(int N, int In, int Out, float* din, float* dw, float* dbias, const float* dout,
                          const float* in, const float* w) { ABSENT(); }
