// bench_gpu_model.c — ResNet-18 training throughput of the device model (tools/bench_gpu_r18.py runs it beside
// PyTorch): forward + fused GLS cross-entropy + backward + SGD (momentum 0.9, weight decay 5e-4) on one batch kept
// on the GPU, TF32 on (or --bf16: bf16 mixed precision), cuDNN free to pick the fastest algorithms.
// Prints `imgs_per_s X` (and SKIP lines without a GPU).
//   bench_gpu_model [--res 224] [--batch 256] [--classes 1000] [--stem imagenet|cifar] [--width 64]
//                   [--steps 20] [--warmup 5] [--bf16]
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "gpu/gpu_model.h"
#include "nn/model.h"

#ifdef UG_HAVE_CUDA
#include "ug_cuda.h"
#endif

int main(int argc, char** argv) {
    int res = 224, batch = 256, classes = 1000, width = 64, steps = 20, warmup = 5, bf16 = 0, imagenet = 1;
    for (int i = 1; i < argc; i++) {
        const char* a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : "";
        if (!strcmp(a, "--res")) res = atoi(v), i++;
        else if (!strcmp(a, "--batch")) batch = atoi(v), i++;
        else if (!strcmp(a, "--classes")) classes = atoi(v), i++;
        else if (!strcmp(a, "--width")) width = atoi(v), i++;
        else if (!strcmp(a, "--steps")) steps = atoi(v), i++;
        else if (!strcmp(a, "--warmup")) warmup = atoi(v), i++;
        else if (!strcmp(a, "--stem")) imagenet = !strcmp(v, "imagenet"), i++;
        else if (!strcmp(a, "--bf16")) bf16 = 1;
        else { fprintf(stderr, "bench_gpu_model: unknown argument %s\n", a); return 2; }
    }
    if (!gpu_available()) {
        printf("SKIP bench_gpu_model: %s\n", gpu_unavailable_reason());
        return 0;
    }
#ifdef UG_HAVE_CUDA
    ModelConfig mc = {.arch = ARCH_RESNET18, .width = width, .num_classes = classes, .in_h = res, .in_w = res,
                      .in_c = 3, .imagenet_stem = imagenet};
    Model* m = model_create(&mc, BACKEND_REF);
    model_init(m, 1);
    GpuModelOptions o = {.device = 0, .tf32 = 1, .deterministic = 0, .bf16 = bf16};
    gpu_model_attach(m, &o, NULL);
    size_t nx = (size_t)batch * res * res * 3;
    float* x = ug_malloc(nx * sizeof(float));
    int32_t* y = ug_malloc((size_t)batch * sizeof(int32_t));
    Rng r;
    rng_init(&r, 5, 0, 0, 0);
    for (size_t i = 0; i < nx; i++) x[i] = rng_normal(&r);
    for (int i = 0; i < batch; i++) y[i] = (int32_t)rng_below(&r, (uint32_t)classes);
    float* dx = gpu_malloc(nx * sizeof(float), "benchmark batch");
    int32_t* dy = gpu_malloc((size_t)batch * sizeof(int32_t), "benchmark labels");
    CUDA_CHECK(cudaMemcpy(dx, x, nx * sizeof(float), cudaMemcpyHostToDevice));
    CUDA_CHECK(cudaMemcpy(dy, y, (size_t)batch * sizeof(int32_t), cudaMemcpyHostToDevice));
    double t_first = ug_now();
    for (int s = 0; s < warmup; s++) gpu_model_train_step_device(m, batch, dx, dy, 0.01f, 0.9f, 5e-4f);
    gpu_model_sync(m);
    t_first = ug_now() - t_first;
    FILE* devnull = fopen("/dev/null", "w");
    if (devnull) { gpu_model_profile_print(devnull); fclose(devnull); }   // UG_GPU_PROFILE=1: drop the warm-up
    double t0 = ug_now();
    for (int s = 0; s < steps; s++) gpu_model_train_step_device(m, batch, dx, dy, 0.01f, 0.9f, 5e-4f);
    gpu_model_sync(m);
    double dt = ug_now() - t0;
    if (getenv("UG_GPU_PROFILE")) {
        gpu_model_profile_print(stdout);
        gpu_model_print_algos(m, stdout);
    }
    model_state_to_host(m);
    double chk = 0;
    for (size_t i = 0; i < m->num_params; i++) chk += m->params[i];
    printf("model resnet18 w%d %dx%d %s-stem %d classes, batch %d, %s, %s\n", width, res, res,
           imagenet ? "imagenet" : "cifar", classes, batch, bf16 ? "bf16 mixed precision" : "fp32/TF32",
           gpu_model_device_name(m));
    printf("warmup %d steps %.3f s (cuDNN algorithm search included); %d steps %.3f s; %.2f ms/step\n", warmup, t_first,
           steps, dt, 1000 * dt / steps);
    printf("param_sum %.6g (finite: %s)\n", chk, chk == chk ? "yes" : "NO");
    printf("imgs_per_s %.1f\n", (double)batch * steps / dt);
    gpu_free(dx);
    gpu_free(dy);
    free(x);
    free(y);
    model_destroy(m);
    return chk == chk ? 0 : 1;
#else
    (void)res; (void)batch; (void)classes; (void)width; (void)steps; (void)warmup; (void)imagenet;
    return 0;
#endif
}
