// k_elementwise.cu — relu, residual add, global average pool, bias/row sums, layout transposes.
// Each mirrors its CPU twin in src/nn (same order of operations where it matters for bit-equality).
#include "ug_cuda.h"
#include "ug_dtype.cuh"
#include "ug_kernels.h"

static unsigned grid_for(size_t n) {
    size_t b = (n + 255) / 256;
    return (unsigned)(b > 65535 ? 65535 : (b ? b : 1));
}

#define GRID_STRIDE(i, n) \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

template <typename T>
__global__ static void relu_fwd_k(T* out, const T* in, size_t n) {
    GRID_STRIDE(i, n) { float v = ld(in, i); st(out, i, v > 0.0f ? v : 0.0f); }
}
template <typename T>
__global__ static void relu_bwd_k(T* din, const T* dout, const T* out, size_t n) {
    GRID_STRIDE(i, n) st(din, i, ld(out, i) > 0.0f ? ld(dout, i) : 0.0f);
}
template <typename T>
__global__ static void add_k(T* out, const T* a, const T* b, size_t n) {
    GRID_STRIDE(i, n) st(out, i, ld(a, i) + ld(b, i));
}
template <typename D, typename S>
__global__ static void cast_k(D* dst, const S* src, size_t n) {
    GRID_STRIDE(i, n) st(dst, i, ld(src, i));
}
__global__ static void scale_k(float* x, float a, size_t n) {
    GRID_STRIDE(i, n) x[i] = x[i] * a;
}

// One thread per (n, c), summing over HW in order in double: bit-identical to avgpool_global_forward.
template <typename T>
__global__ static void gap_fwd_k(int N, int HW, int C, float* out, const T* in) {
    GRID_STRIDE(t, (size_t)N * C) {
        size_t n = t / C, c = t % C;
        double acc = 0.0;
        for (int i = 0; i < HW; i++) acc += ld(in, (n * HW + i) * C + c);
        out[t] = (float)(acc / HW);
    }
}
template <typename T>
__global__ static void gap_bwd_k(int HW, int C, T* din, const float* dout, float inv, size_t total) {
    GRID_STRIDE(t, total) {
        size_t c = t % C, n = t / ((size_t)HW * C);
        st(din, t, dout[n * C + c] * inv);
    }
}

template <typename T>
__global__ static void bias_add_k(T* out, const float* bias, int cols, size_t total) {
    GRID_STRIDE(t, total) st(out, t, ld(out, t) + bias[t % cols]);
}
// One thread per column, rows in order, double: deterministic and as accurate as the CPU reference.
template <typename T>
__global__ static void sum_rows_k(float* out, const T* in, int rows, int cols) {
    GRID_STRIDE(c, (size_t)cols) {
        double acc = 0.0;
        for (int r = 0; r < rows; r++) acc += ld(in, (size_t)r * cols + c);
        out[c] = (float)acc;
    }
}

// dst[k][r][s][c] = src[k][c][r][s] (to_ohwi) or the reverse.
__global__ static void transpose_w_k(float* dst, const float* src, int C, int RS, size_t total, int to_ohwi) {
    GRID_STRIDE(t, total) {   // t indexes the OIHW element
        size_t k = t / ((size_t)C * RS), c = (t / RS) % C, rs = t % RS;
        size_t o = (k * RS + rs) * C + c;
        if (to_ohwi) dst[o] = src[t];
        else dst[t] = src[o];
    }
}

extern "C" {

void ug_cast(UgDtype dst_type, void* dst, UgDtype src_type, const void* src, size_t n, cudaStream_t s) {
    if (!n) return;
    if (dst_type == src_type) {
        CUDA_CHECK(cudaMemcpyAsync(dst, src, n * ug_dtype_size(dst_type), cudaMemcpyDeviceToDevice, s));
        return;
    }
    if (dst_type == UG_BF16) cast_k<<<grid_for(n), 256, 0, s>>>((bf16_t*)dst, (const float*)src, n);
    else cast_k<<<grid_for(n), 256, 0, s>>>((float*)dst, (const bf16_t*)src, n);
    CUDA_CHECK_LAUNCH();
}

void ug_relu_forward_t(UgDtype t, void* out, const void* in, size_t n, cudaStream_t s) {
    if (!n) return;
    DISPATCH_DT(t, T, relu_fwd_k<<<grid_for(n), 256, 0, s>>>((T*)out, (const T*)in, n));
    CUDA_CHECK_LAUNCH();
}

void ug_relu_backward_t(UgDtype t, void* din, const void* dout, const void* out, size_t n, cudaStream_t s) {
    if (!n) return;
    DISPATCH_DT(t, T, relu_bwd_k<<<grid_for(n), 256, 0, s>>>((T*)din, (const T*)dout, (const T*)out, n));
    CUDA_CHECK_LAUNCH();
}

void ug_add_forward_t(UgDtype t, void* out, const void* a, const void* b, size_t n, cudaStream_t s) {
    if (!n) return;
    DISPATCH_DT(t, T, add_k<<<grid_for(n), 256, 0, s>>>((T*)out, (const T*)a, (const T*)b, n));
    CUDA_CHECK_LAUNCH();
}

void ug_avgpool_global_forward_t(UgDtype t, int N, int HW, int C, float* out, const void* in, cudaStream_t s) {
    size_t n = (size_t)N * C;
    if (!n) return;
    DISPATCH_DT(t, T, gap_fwd_k<<<grid_for(n), 256, 0, s>>>(N, HW, C, out, (const T*)in));
    CUDA_CHECK_LAUNCH();
}

void ug_avgpool_global_backward_t(UgDtype t, int N, int HW, int C, void* din, const float* dout, cudaStream_t s) {
    size_t n = (size_t)N * HW * C;
    if (!n) return;
    DISPATCH_DT(t, T, gap_bwd_k<<<grid_for(n), 256, 0, s>>>(HW, C, (T*)din, dout, 1.0f / (float)HW, n));
    CUDA_CHECK_LAUNCH();
}

void ug_bias_add_rows_t(UgDtype t, void* out, const float* bias, int rows, int cols, cudaStream_t s) {
    size_t n = (size_t)rows * cols;
    if (!n) return;
    DISPATCH_DT(t, T, bias_add_k<<<grid_for(n), 256, 0, s>>>((T*)out, bias, cols, n));
    CUDA_CHECK_LAUNCH();
}

void ug_sum_rows_t(UgDtype t, float* out, const void* in, int rows, int cols, cudaStream_t s) {
    if (cols <= 0) return;
    DISPATCH_DT(t, T, sum_rows_k<<<grid_for((size_t)cols), 256, 0, s>>>(out, (const T*)in, rows, cols));
    CUDA_CHECK_LAUNCH();
}

// The fp32 entry points (the CPU-twin tests and the fp32 model use these).
void ug_relu_forward(float* out, const float* in, size_t n, cudaStream_t s) { ug_relu_forward_t(UG_F32, out, in, n, s); }
void ug_relu_backward(float* din, const float* dout, const float* out, size_t n, cudaStream_t s) {
    ug_relu_backward_t(UG_F32, din, dout, out, n, s);
}
void ug_add_forward(float* out, const float* a, const float* b, size_t n, cudaStream_t s) {
    ug_add_forward_t(UG_F32, out, a, b, n, s);
}
void ug_avgpool_global_forward(int N, int HW, int C, float* out, const float* in, cudaStream_t s) {
    ug_avgpool_global_forward_t(UG_F32, N, HW, C, out, in, s);
}
void ug_avgpool_global_backward(int N, int HW, int C, float* din, const float* dout, cudaStream_t s) {
    ug_avgpool_global_backward_t(UG_F32, N, HW, C, din, dout, s);
}
void ug_bias_add_rows(float* out, const float* bias, int rows, int cols, cudaStream_t s) {
    ug_bias_add_rows_t(UG_F32, out, bias, rows, cols, s);
}
void ug_sum_rows(float* out, const float* in, int rows, int cols, cudaStream_t s) {
    ug_sum_rows_t(UG_F32, out, in, rows, cols, s);
}

void ug_scale(float* x, float a, size_t n, cudaStream_t s) {
    if (!n) return;
    scale_k<<<grid_for(n), 256, 0, s>>>(x, a, n);
    CUDA_CHECK_LAUNCH();
}

void ug_oihw_to_ohwi(float* dst, const float* src, int K, int C, int R, int S, cudaStream_t s) {
    size_t n = (size_t)K * C * R * S;
    if (!n) return;
    transpose_w_k<<<grid_for(n), 256, 0, s>>>(dst, src, C, R * S, n, 1);
    CUDA_CHECK_LAUNCH();
}

void ug_ohwi_to_oihw(float* dst, const float* src, int K, int C, int R, int S, cudaStream_t s) {
    size_t n = (size_t)K * C * R * S;
    if (!n) return;
    transpose_w_k<<<grid_for(n), 256, 0, s>>>(dst, src, C, R * S, n, 0);
    CUDA_CHECK_LAUNCH();
}

}   // extern "C"
