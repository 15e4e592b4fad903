// ug_dtype.cuh — element access for kernels templated on the activation type (float, or __nv_bfloat16 in the bf16
// mixed-precision mode): every value is loaded into a float, computed on in float (or double), and rounded once
// when stored (round to nearest even, as PyTorch's .to(torch.bfloat16)).
#pragma once
#include <cuda_bf16.h>

#include "ug_kernels.h"

typedef __nv_bfloat16 bf16_t;

__device__ __forceinline__ float ld(const float* p, size_t i) { return p[i]; }
__device__ __forceinline__ float ld(const bf16_t* p, size_t i) { return __bfloat162float(p[i]); }
__device__ __forceinline__ void st(float* p, size_t i, float v) { p[i] = v; }
__device__ __forceinline__ void st(bf16_t* p, size_t i, float v) { p[i] = __float2bfloat16_rn(v); }

// Four consecutive elements (vector v = elements 4v..4v+3): one 16-byte (float) or 8-byte (bf16) access.
__device__ __forceinline__ void ld4(const float* p, size_t v, float o[4]) {
    float4 q = reinterpret_cast<const float4*>(p)[v];
    o[0] = q.x; o[1] = q.y; o[2] = q.z; o[3] = q.w;
}
__device__ __forceinline__ void ld4(const bf16_t* p, size_t v, float o[4]) {
    uint2 q = reinterpret_cast<const uint2*>(p)[v];
    __nv_bfloat162 a = *reinterpret_cast<__nv_bfloat162*>(&q.x), b = *reinterpret_cast<__nv_bfloat162*>(&q.y);
    float2 fa = __bfloat1622float2(a), fb = __bfloat1622float2(b);
    o[0] = fa.x; o[1] = fa.y; o[2] = fb.x; o[3] = fb.y;
}
__device__ __forceinline__ void st4(float* p, size_t v, const float o[4]) {
    reinterpret_cast<float4*>(p)[v] = make_float4(o[0], o[1], o[2], o[3]);
}
__device__ __forceinline__ void st4(bf16_t* p, size_t v, const float o[4]) {
    __nv_bfloat162 a = __floats2bfloat162_rn(o[0], o[1]), b = __floats2bfloat162_rn(o[2], o[3]);
    uint2 q;
    q.x = *reinterpret_cast<unsigned*>(&a);
    q.y = *reinterpret_cast<unsigned*>(&b);
    reinterpret_cast<uint2*>(p)[v] = q;
}

// Dispatch a templated launcher on a runtime UgDtype: DISPATCH_DT(t, T, body) runs body with T the element type.
#define DISPATCH_DT(t, T, ...)                                   \
    do {                                                         \
        if ((t) == UG_BF16) { typedef bf16_t T; __VA_ARGS__; }   \
        else { typedef float T; __VA_ARGS__; }                   \
    } while (0)
