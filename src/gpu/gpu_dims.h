// gpu_dims.h — nn's layer dimensions (src/nn/ops.h) as the CUDA layers' own structs (kernels/ug_layers.h), which
// include no src/ header.  The fields are the same, in the same order.  Only in CUDA builds.
#pragma once
#ifdef UG_HAVE_CUDA
#include "nn/ops.h"
#include "ug_layers.h"

static inline UgConvDims gpu_conv_dims(ConvDims d) {
    return (UgConvDims){d.H, d.W, d.C, d.K, d.R, d.S, d.stride, d.pad, d.P, d.Q};
}
static inline UgPoolDims gpu_pool_dims(PoolDims d) { return (UgPoolDims){d.H, d.W, d.C, d.R, d.stride, d.pad, d.P, d.Q}; }
#endif
