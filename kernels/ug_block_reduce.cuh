// ug_block_reduce.cuh — block-wide sum or max of a double (one row per block kernels: k_gls_xent, k_kl_distill).
// sh: blockDim.x doubles of shared memory; blockDim.x a power of two.  Every thread gets the result.
#pragma once

__device__ static inline double ug_block_reduce(double v, double* sh, int is_max) {
    int t = threadIdx.x;
    sh[t] = v;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (t < stride) sh[t] = is_max ? fmax(sh[t], sh[t + stride]) : sh[t] + sh[t + stride];
        __syncthreads();
    }
    double r = sh[0];
    __syncthreads();
    return r;
}
