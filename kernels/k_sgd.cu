// k_sgd.cu — SGD update over the flat buffers, rounding exactly as sgd_step (src/nn/optim.c):
// every product and sum rounded on its own (__fmul_rn/__fadd_rn forbid FMA contraction).
#include "ug_cuda.h"
#include "ug_kernels.h"

__global__ static void sgd_kernel(size_t n, float* p, float* buf, const float* g, const uint8_t* mask, float lr,
                                  float mu, float wd, int nesterov, int use_buf) {
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) {
        if (mask && !mask[i]) continue;
        float d = g[i];
        if (wd != 0.0f) d = __fadd_rn(d, __fmul_rn(wd, p[i]));
        if (use_buf) {
            float b = __fadd_rn(__fmul_rn(mu, buf[i]), d);
            buf[i] = b;
            d = nesterov ? __fadd_rn(d, __fmul_rn(mu, b)) : b;
        }
        p[i] = __fsub_rn(p[i], __fmul_rn(lr, d));
    }
}

extern "C" void ug_sgd_step(size_t n, float* params, float* momentum_buf, const float* grads, const uint8_t* mask,
                            float lr, float momentum, float weight_decay, int nesterov, cudaStream_t s) {
    if (n == 0) return;
    size_t blocks = (n + 255) / 256;
    if (blocks > 65535) blocks = 65535;
    sgd_kernel<<<(unsigned)blocks, 256, 0, s>>>(n, params, momentum_buf, grads, mask, lr, momentum, weight_decay,
                                                nesterov, momentum != 0.0f);
    CUDA_CHECK_LAUNCH();
}
