// k_elementwise.cu — relu, residual add, global average pool, bias/row sums, layout transposes.
// Each mirrors its CPU twin in src/nn (same order of operations where it matters for bit-equality).
#include "ug_cuda.h"
#include "ug_kernels.h"

static unsigned grid_for(size_t n) {
    size_t b = (n + 255) / 256;
    return (unsigned)(b > 65535 ? 65535 : (b ? b : 1));
}

#define GRID_STRIDE(i, n) \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); i += (size_t)gridDim.x * blockDim.x)

__global__ static void relu_fwd_k(float* out, const float* in, size_t n) {
    GRID_STRIDE(i, n) out[i] = in[i] > 0.0f ? in[i] : 0.0f;
}
__global__ static void relu_bwd_k(float* din, const float* dout, const float* out, size_t n) {
    GRID_STRIDE(i, n) din[i] = out[i] > 0.0f ? dout[i] : 0.0f;
}
__global__ static void add_k(float* out, const float* a, const float* b, size_t n) {
    GRID_STRIDE(i, n) out[i] = a[i] + b[i];
}
__global__ static void scale_k(float* x, float a, size_t n) {
    GRID_STRIDE(i, n) x[i] = x[i] * a;
}

// One thread per (n, c), summing over HW in order in double: bit-identical to avgpool_global_forward.
__global__ static void gap_fwd_k(int N, int HW, int C, float* out, const float* in) {
    GRID_STRIDE(t, (size_t)N * C) {
        size_t n = t / C, c = t % C;
        double acc = 0.0;
        for (int i = 0; i < HW; i++) acc += in[(n * HW + i) * C + c];
        out[t] = (float)(acc / HW);
    }
}
__global__ static void gap_bwd_k(int HW, int C, float* din, const float* dout, float inv, size_t total) {
    GRID_STRIDE(t, total) {
        size_t c = t % C, n = t / ((size_t)HW * C);
        din[t] = dout[n * C + c] * inv;
    }
}

__global__ static void bias_add_k(float* out, const float* bias, int cols, size_t total) {
    GRID_STRIDE(t, total) out[t] += bias[t % cols];
}
// One thread per column, rows in order, double: deterministic and as accurate as the CPU reference.
__global__ static void sum_rows_k(float* out, const float* in, int rows, int cols) {
    GRID_STRIDE(c, (size_t)cols) {
        double acc = 0.0;
        for (int r = 0; r < rows; r++) acc += in[(size_t)r * cols + c];
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

void ug_relu_forward(float* out, const float* in, size_t n, cudaStream_t s) {
    if (!n) return;
    relu_fwd_k<<<grid_for(n), 256, 0, s>>>(out, in, n);
    CUDA_CHECK_LAUNCH();
}

void ug_relu_backward(float* din, const float* dout, const float* out, size_t n, cudaStream_t s) {
    if (!n) return;
    relu_bwd_k<<<grid_for(n), 256, 0, s>>>(din, dout, out, n);
    CUDA_CHECK_LAUNCH();
}

void ug_add_forward(float* out, const float* a, const float* b, size_t n, cudaStream_t s) {
    if (!n) return;
    add_k<<<grid_for(n), 256, 0, s>>>(out, a, b, n);
    CUDA_CHECK_LAUNCH();
}

void ug_scale(float* x, float a, size_t n, cudaStream_t s) {
    if (!n) return;
    scale_k<<<grid_for(n), 256, 0, s>>>(x, a, n);
    CUDA_CHECK_LAUNCH();
}

void ug_avgpool_global_forward(int N, int HW, int C, float* out, const float* in, cudaStream_t s) {
    size_t n = (size_t)N * C;
    if (!n) return;
    gap_fwd_k<<<grid_for(n), 256, 0, s>>>(N, HW, C, out, in);
    CUDA_CHECK_LAUNCH();
}

void ug_avgpool_global_backward(int N, int HW, int C, float* din, const float* dout, cudaStream_t s) {
    size_t n = (size_t)N * HW * C;
    if (!n) return;
    gap_bwd_k<<<grid_for(n), 256, 0, s>>>(HW, C, din, dout, 1.0f / (float)HW, n);
    CUDA_CHECK_LAUNCH();
}

void ug_bias_add_rows(float* out, const float* bias, int rows, int cols, cudaStream_t s) {
    size_t n = (size_t)rows * cols;
    if (!n) return;
    bias_add_k<<<grid_for(n), 256, 0, s>>>(out, bias, cols, n);
    CUDA_CHECK_LAUNCH();
}

void ug_sum_rows(float* out, const float* in, int rows, int cols, cudaStream_t s) {
    if (cols <= 0) return;
    sum_rows_k<<<grid_for((size_t)cols), 256, 0, s>>>(out, in, rows, cols);
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
