// ops_dnnl_conv.c — fast convolution (temporary: falls back to the reference until the oneDNN path lands).
#include <stdlib.h>

#include "common/util.h"
#include "nn/ops_internal.h"

typedef struct { ConvDims d; int has_bias; } ConvFast;

void* conv_fast_create(ConvDims d, int has_bias) {
    ConvFast* st = ug_calloc(1, sizeof *st);
    st->d = d;
    st->has_bias = has_bias;
    return st;
}
void conv_fast_destroy(void* st) { free(st); }
void conv_forward_fast(void* st, int N, float* out, const float* in, const float* w, const float* bias) {
    conv_forward_ref(((ConvFast*)st)->d, N, out, in, w, bias);
}
void conv_backward_fast(void* st, int N, float* din, float* dw, float* dbias,
                        const float* dout, const float* in, const float* w) {
    conv_backward_ref(((ConvFast*)st)->d, N, din, dw, dbias, dout, in, w);
}
