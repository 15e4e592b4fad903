// test_gpu_model.c — the device model (src/gpu/gpu_model.c) against the CPU reference model, tensor by tensor:
// one full training step (forward, GLS loss with per-sample α and weight, backward, SGD with momentum) on four
// networks (ResNet-18 with the CIFAR and the ImageNet stem, VGG-16-BN with conv biases, the digits CNN), then
// BN running statistics, eval-mode forward / backward with the input gradient, the update mask and the gradient
// arithmetic the unlearning methods use.  fp32 math, deterministic cuDNN algorithms; then the same networks in the
// bf16 mixed-precision mode against the same fp32 CPU reference, with bf16-sized tolerances (a wrong layout, type
// or cast gives errors of order 1; bf16 rounding gives ~1e-2).
#include "gpu_check.h"

#include <math.h>

#include "gpu/gpu_model.h"
#include "nn/model.h"
#include "nn/ops.h"
#include "train/optim.h"

#ifdef UG_HAVE_CUDA
#include "ug_nccl.h"
#define TOL 2e-3   // normalised error; cuDNN's algorithms sum in other orders than the reference loops

// Tolerances of one mode: outputs (logits, losses, features), each gradient / parameter / statistic tensor, and the
// whole gradient vector (relative L2).  bf16: 8 significant bits per stored activation and weight.
typedef struct { double out, tensor, whole; } Tols;
static const Tols TOLS_F32 = {1e-4, TOL, 1e-4};
static const Tols TOLS_BF16 = {5e-2, 0.25, 5e-2};
static double worst_tensor, worst_whole, worst_out;   // printed per network (bf16: what the tolerances meet)

static double l2_rel_err(const float* a, const float* b, size_t n) {
    double d = 0, r = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        r += (double)b[i] * b[i];
    }
    return sqrt(d / (r > 0 ? r : 1));
}
#define NOTE_MAX(v, e) do { if ((e) > (v) || (e) != (e)) (v) = (e); } while (0)

static Model* make_model(Arch a, int width, int h, int c, int K, int imagenet_stem, uint64_t seed) {
    ModelConfig mc = {.arch = a, .width = width, .num_classes = K, .in_h = h, .in_w = h, .in_c = c,
                      .imagenet_stem = imagenet_stem};
    Model* m = model_create(&mc, BACKEND_REF);
    model_init(m, seed);
    return m;
}

// Compares every parameter (or buffer) tensor of two models' host copies; names the worst tensor on failure.
static void expect_tensors(const char* what, const Model* got, const Model* want, int buffers, const float* g,
                           const float* w, double tol) {
    for (int i = 0; i < want->num_tensors; i++) {
        const TensorInfo* t = &want->tensors[i];
        if (t->is_buffer != buffers) continue;
        double e = oc_norm_err(g + t->offset, w + t->offset, t->numel, 1e-3);
        NOTE_MAX(worst_tensor, e);
        CHECK(e < tol, "%s: %s normalised error %.3g > %.3g", what, t->name, e, tol);
    }
    (void)got;
}

static void check_network_mode(const char* name, Arch a, int width, int h, int c, int K, int stem, int N, int bf16) {
    const Tols T = bf16 ? TOLS_BF16 : TOLS_F32;
    worst_tensor = worst_whole = worst_out = 0;
    Model* cpu = make_model(a, width, h, c, K, stem, 7);
    Model* gm = make_model(a, width, h, c, K, stem, 7);
    GpuModelOptions o = {.device = 0, .tf32 = 0, .deterministic = 1, .bf16 = bf16};
    gpu_model_attach(gm, &o, NULL);
    Rng r;
    rng_init(&r, 99, (uint64_t)a, (uint64_t)width, (uint64_t)h);
    size_t per = (size_t)h * h * c;
    float* x = oc_rand(&r, (size_t)N * per, -1.5f, 1.5f);
    int32_t* y = ug_malloc((size_t)N * sizeof(int32_t));
    float* alpha = ug_malloc((size_t)N * sizeof(float));
    float* weight = ug_malloc((size_t)N * sizeof(float));
    for (int i = 0; i < N; i++) {
        y[i] = (int32_t)rng_below(&r, (uint32_t)K);
        alpha[i] = i % 3 == 0 ? -0.5f : (i % 3 == 1 ? 0.0f : 0.3f);   // NLS, plain, positive smoothing
        weight[i] = i % 2 ? -0.4f : 0.6f;                             // ascent and descent in one batch
    }
    float scale = 1.0f / (float)N;
    char what[128];

    // ---- one training step ----
    float* loss_c = ug_malloc((size_t)N * sizeof(float));
    float* loss_g = ug_malloc((size_t)N * sizeof(float));
    float* dl = ug_malloc((size_t)N * K * sizeof(float));
    float* zg = ug_malloc((size_t)N * K * sizeof(float));
    const float* zc = model_forward(cpu, N, x, 1);
    double sum_c = gls_xent(N, K, loss_c, dl, zc, y, alpha, weight, scale);
    model_backward(cpu, dl);
    double sum_g = gpu_model_compute(gm, N, x, y, alpha, weight, scale, loss_g, zg);
    snprintf(what, sizeof what, "%s train step", name);
    double e = oc_norm_err(zg, zc, (size_t)N * K, 1e-3);
    NOTE_MAX(worst_out, e);
    CHECK(e < T.out, "%s: logits normalised error %.3g", what, e);
    e = oc_norm_err(loss_g, loss_c, (size_t)N, 1e-3);
    NOTE_MAX(worst_out, e);
    CHECK(e < T.out, "%s: per-sample losses normalised error %.3g", what, e);
    CHECK(fabs(sum_g - sum_c) <= T.out * (fabs(sum_c) + 1), "%s: loss sum %.8g vs CPU %.8g", what, sum_g, sum_c);
    model_grads_to_host(gm);
    CHECK(!gm->grads_on_device, "%s: gradients not marked as fetched", what);
    expect_tensors(what, gm, cpu, 0, gm->grads, cpu->grads, T.tensor);
    e = l2_rel_err(gm->grads, cpu->grads, cpu->num_params);
    NOTE_MAX(worst_whole, e);
    CHECK(e < T.whole, "%s: whole gradient relative L2 error %.3g", what, e);
    double ng = gpu_model_grad_norm(gm), nc = grad_norm(cpu->grads, cpu->num_params);
    CHECK(fabs(ng - nc) <= T.whole * nc, "%s: gradient norm %.8g vs CPU %.8g", what, ng, nc);

    SgdConfig sc = {.momentum = 0.9, .weight_decay = 5e-4, .nesterov = 0};
    Sgd sg_c, sg_g;
    sgd_init(&sg_c, &sc, cpu->num_params);
    sgd_init(&sg_g, &sc, gm->num_params);
    for (int step = 0; step < 2; step++) {   // two steps: the second uses the momentum of the first
        if (step == 1) {
            zc = model_forward(cpu, N, x, 1);
            gls_xent(N, K, loss_c, dl, zc, y, alpha, weight, scale);
            model_backward(cpu, dl);
            gpu_model_compute(gm, N, x, y, alpha, weight, scale, loss_g, zg);
        }
        sgd_step(&sg_c, cpu->params, cpu->grads, NULL, 0.05f);
        gpu_model_sgd(gm, &sg_g, NULL, 0.05f);
    }
    model_state_to_host(gm);
    snprintf(what, sizeof what, "%s after 2 SGD steps", name);
    expect_tensors(what, gm, cpu, 0, gm->params, cpu->params, T.tensor);
    snprintf(what, sizeof what, "%s BN running stats", name);
    expect_tensors(what, gm, cpu, 1, gm->buffers, cpu->buffers, T.tensor);
    gpu_model_momentum_to_host(gm, &sg_g);
    e = oc_norm_err(sg_g.momentum_buf, sg_c.momentum_buf, cpu->num_params, 1e-3);
    CHECK(e < T.tensor, "%s: momentum normalised error %.3g", name, e);

    // ---- eval mode: forward, backward with the input gradient (BN as a fixed affine map) ----
    float* dxc = ug_malloc((size_t)N * per * sizeof(float));
    float* dxg = ug_malloc((size_t)N * per * sizeof(float));
    zc = model_forward(cpu, N, x, 0);
    memcpy(zg, model_forward(gm, N, x, 0), (size_t)N * K * sizeof(float));
    snprintf(what, sizeof what, "%s eval", name);
    e = oc_norm_err(zg, zc, (size_t)N * K, 1e-3);
    NOTE_MAX(worst_out, e);
    CHECK(e < T.out, "%s: logits normalised error %.3g", what, e);
    e = oc_norm_err(model_features(gm), model_features(cpu), (size_t)N * cpu->feature_dim, 1e-3);
    NOTE_MAX(worst_out, e);
    CHECK(e < T.out, "%s: features normalised error %.3g", what, e);
    gls_xent(N, K, NULL, dl, zc, y, NULL, NULL, 1.0f);
    model_backward_input(cpu, dl, dxc);
    model_backward_input(gm, dl, dxg);
    model_grads_to_host(gm);
    expect_tensors(what, gm, cpu, 0, gm->grads, cpu->grads, T.tensor);
    e = oc_norm_err(dxg, dxc, (size_t)N * per, 1e-3);
    NOTE_MAX(worst_tensor, e);
    CHECK(e < T.tensor, "%s: input gradient normalised error %.3g", what, e);

    // ---- gradient arithmetic (UGradSL's two passes) and the update mask ----
    float* g1 = ug_malloc(gm->num_params * sizeof(float));
    memcpy(g1, gm->grads, gm->num_params * sizeof(float));
    model_grad_save(gm);
    model_grad_add_saved(gm);
    model_grads_to_host(gm);
    size_t bad = 0;
    for (size_t i = 0; i < gm->num_params; i++) bad += gm->grads[i] != 2.0f * g1[i];
    CHECK(bad == 0, "%s: save + add_saved is not 2·g on %zu entries", name, bad);
    uint8_t* mask = ug_malloc(gm->num_params);
    for (size_t i = 0; i < gm->num_params; i++) mask[i] = (uint8_t)(rng_u64(&r) & 1);
    model_state_to_host(gm);
    float* before = ug_malloc(gm->num_params * sizeof(float));
    memcpy(before, gm->params, gm->num_params * sizeof(float));
    gpu_model_sgd(gm, &sg_g, mask, 0.1f);
    model_state_to_host(gm);
    size_t moved_masked = 0, still_unmasked = 0;
    for (size_t i = 0; i < gm->num_params; i++) {
        if (!mask[i]) moved_masked += gm->params[i] != before[i];
        else still_unmasked += gm->params[i] == before[i] && g1[i] != 0.0f;
    }
    CHECK(moved_masked == 0, "%s: %zu masked-out parameters moved (mask layout on the device?)", name, moved_masked);
    CHECK(still_unmasked < gm->num_params / 100 + 1, "%s: %zu unmasked parameters did not move", name, still_unmasked);
    model_grad_zero(gm);
    model_grads_to_host(gm);
    bad = 0;
    for (size_t i = 0; i < gm->num_params; i++) bad += gm->grads[i] != 0.0f;
    CHECK(bad == 0, "%s: model_grad_zero left %zu entries", name, bad);

    free(g1); free(mask); free(before); free(dxc); free(dxg);
    sgd_free(&sg_c); sgd_free(&sg_g);
    free(x); free(y); free(alpha); free(weight); free(loss_c); free(loss_g); free(dl); free(zg);
    model_destroy(cpu);
    model_destroy(gm);
    printf("note %s%s: worst normalised error: outputs %.3g (tol %.3g), tensors %.3g (tol %.3g); whole gradient L2 %.3g "
           "(tol %.3g)\n", name, bf16 ? " bf16" : "", worst_out, T.out, worst_tensor, T.tensor, worst_whole, T.whole);
}

static void check_network(const char* name, Arch a, int width, int h, int c, int K, int stem, int N) {
    check_network_mode(name, a, width, h, c, K, stem, N, 0);
}
static void check_network_bf16(const char* name, Arch a, int width, int h, int c, int K, int stem, int N) {
    check_network_mode(name, a, width, h, c, K, stem, N, 1);
}

static void test_resnet18_cifar(void) {
    GPU_CASE_BEGIN();
    check_network("resnet18 w8 cifar-stem", ARCH_RESNET18, 8, 32, 3, 10, 0, 6);
}
// The same step with cuDNN's batch norm instead of ours (UG_GPU_BN=cudnn).
static void test_resnet18_cudnn_bn(void) {
    GPU_CASE_BEGIN();
    setenv("UG_GPU_BN", "cudnn", 1);
    check_network("resnet18 w8 cifar-stem, cuDNN BN", ARCH_RESNET18, 8, 32, 3, 10, 0, 6);
    unsetenv("UG_GPU_BN");
}
static void test_resnet18_imagenet_stem(void) {
    GPU_CASE_BEGIN();
    check_network("resnet18 w4 imagenet-stem", ARCH_RESNET18, 4, 64, 3, 12, 1, 4);
}
static void test_vgg16_bn(void) {
    GPU_CASE_BEGIN();
    check_network("vgg16_bn w8", ARCH_VGG16_BN, 8, 32, 3, 10, 0, 4);
}
static void test_small_cnn(void) {
    GPU_CASE_BEGIN();
    check_network("small_cnn w8", ARCH_SMALL_CNN, 8, 8, 1, 10, 0, 5);
}

// bf16 mixed precision: the same step, against the same fp32 CPU reference.
static void test_bf16_resnet18_cifar(void) {
    GPU_CASE_BEGIN();
    check_network_bf16("resnet18 w8 cifar-stem", ARCH_RESNET18, 8, 32, 3, 10, 0, 6);
}
static void test_bf16_resnet18_imagenet_stem(void) {
    GPU_CASE_BEGIN();
    check_network_bf16("resnet18 w4 imagenet-stem", ARCH_RESNET18, 4, 64, 3, 12, 1, 4);
}
static void test_bf16_vgg16_bn(void) {
    GPU_CASE_BEGIN();
    check_network_bf16("vgg16_bn w8", ARCH_VGG16_BN, 8, 32, 3, 10, 0, 4);
}
static void test_bf16_small_cnn(void) {
    GPU_CASE_BEGIN();
    check_network_bf16("small_cnn w8", ARCH_SMALL_CNN, 8, 8, 1, 10, 0, 5);
}

// The all-reduce overlapped with backward, on one GPU (a one-rank communicator: the sum is the identity, so
// this checks the mechanics — buckets sent from backward on their own stream, the wait, no second all-reduce —
// and that nothing is disturbed; the gain needs two GPUs).  Each step is computed twice on the same model, with
// the blocking all-reduce and then overlapped: bit-identical gradients (one model, so the same cuDNN algorithms:
// two models may time their way to different ones).  Then a rank with an empty batch must send the same buckets.
static void test_overlap_single_gpu(void) {
    GPU_CASE_BEGIN();
    GpuComm* comm = gpu_comm_init_single(0);
    Model* a = make_model(ARCH_RESNET18, 8, 32, 3, 10, 0, 11);
    GpuModelOptions oa = {.device = 0, .tf32 = 0, .deterministic = 1, .overlap = 1, .bucket_mb = 0.05};
    gpu_model_attach(a, &oa, comm);
    int nb = gpu_model_overlap_buckets(a);
    CHECK(nb > 4, "overlap: only %d buckets of 0.05 MiB for %zu parameters", nb, a->num_params);
    const int N = 6, K = 10;
    Rng r;
    rng_init(&r, 5, 6, 7, 8);
    float* x = oc_rand(&r, (size_t)N * 32 * 32 * 3, -1, 1);
    int32_t y[6];
    for (int i = 0; i < N; i++) y[i] = (int32_t)rng_below(&r, K);
    float* blocking = malloc(a->num_params * sizeof(float));
    SgdConfig sc = {.momentum = 0.9, .weight_decay = 5e-4, .nesterov = 0};
    Sgd sa;
    sgd_init(&sa, &sc, a->num_params);
    for (int step = 0; step < 3; step++) {
        gpu_model_compute(a, N, x, y, NULL, NULL, 1.0f / N, NULL, NULL);
        gpu_model_allreduce_grads(a);
        model_grads_to_host(a);
        memcpy(blocking, a->grads, a->num_params * sizeof(float));
        gpu_model_overlap_next_backward(a);
        gpu_model_compute(a, N, x, y, NULL, NULL, 1.0f / N, NULL, NULL);
        gpu_model_allreduce_grads(a);
        model_grads_to_host(a);
        size_t bad = gc_bit_diffs(a->grads, blocking, a->num_params);
        CHECK(bad == 0, "overlap step %d: %zu gradients differ from the blocking all-reduce", step, bad);
        gpu_model_sgd(a, &sa, NULL, 0.05f);
    }
    // an empty batch, armed: zero gradients, and the buckets go out all the same (other ranks wait for them)
    gpu_model_overlap_next_backward(a);
    gpu_model_compute(a, 0, x, y, NULL, NULL, 1.0f, NULL, NULL);
    gpu_model_allreduce_grads(a);
    model_grads_to_host(a);
    size_t nonzero = 0;
    for (size_t i = 0; i < a->num_params; i++) nonzero += a->grads[i] != 0.0f;
    CHECK(nonzero == 0, "overlap, empty batch: %zu gradients are not zero", nonzero);
    sgd_free(&sa);
    free(blocking);
    free(x);
    model_destroy(a);
    gpu_comm_destroy(comm);
}

// A rank with no samples in a step (uneven shards) contributes zero gradients, as on the CPU.
static void test_empty_batch(void) {
    GPU_CASE_BEGIN();
    Model* gm = make_model(ARCH_SMALL_CNN, 4, 8, 1, 10, 0, 3);
    GpuModelOptions o = {.device = 0, .tf32 = 0, .deterministic = 1};
    gpu_model_attach(gm, &o, NULL);
    double s = gpu_model_compute(gm, 0, NULL, NULL, NULL, NULL, 1.0f, NULL, NULL);
    CHECK(s == 0.0, "empty batch: loss sum %g", s);
    model_grads_to_host(gm);
    size_t bad = 0;
    for (size_t i = 0; i < gm->num_params; i++) bad += gm->grads[i] != 0.0f;
    CHECK(bad == 0, "empty batch: %zu non-zero gradients", bad);
    model_destroy(gm);
}
#else
static void test_resnet18_cifar(void) { GPU_CASE_BEGIN(); }
static void test_resnet18_imagenet_stem(void) { GPU_CASE_BEGIN(); }
static void test_resnet18_cudnn_bn(void) { GPU_CASE_BEGIN(); }
static void test_vgg16_bn(void) { GPU_CASE_BEGIN(); }
static void test_small_cnn(void) { GPU_CASE_BEGIN(); }
static void test_empty_batch(void) { GPU_CASE_BEGIN(); }
static void test_bf16_resnet18_cifar(void) { GPU_CASE_BEGIN(); }
static void test_bf16_resnet18_imagenet_stem(void) { GPU_CASE_BEGIN(); }
static void test_bf16_vgg16_bn(void) { GPU_CASE_BEGIN(); }
static void test_bf16_small_cnn(void) { GPU_CASE_BEGIN(); }
static void test_overlap_single_gpu(void) { GPU_CASE_BEGIN(); }
#endif

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    gc_begin();
    TEST_CASE(test_resnet18_cifar);
    TEST_CASE(test_resnet18_cudnn_bn);
    TEST_CASE(test_resnet18_imagenet_stem);
    TEST_CASE(test_vgg16_bn);
    TEST_CASE(test_small_cnn);
    TEST_CASE(test_empty_batch);
    TEST_CASE(test_bf16_resnet18_cifar);
    TEST_CASE(test_bf16_resnet18_imagenet_stem);
    TEST_CASE(test_bf16_vgg16_bn);
    TEST_CASE(test_bf16_small_cnn);
    TEST_CASE(test_overlap_single_gpu);
    gc_end();
    return th_end();
}
