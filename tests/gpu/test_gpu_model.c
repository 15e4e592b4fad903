// test_gpu_model.c — the GPU executor (src/gpu/gpu_model.c) against the CPU reference model, tensor by tensor:
// one full training step (forward, GLS loss with per-sample α and weight, backward, SGD with momentum) on four
// networks (ResNet-18 with the CIFAR and the ImageNet stem, VGG-16-BN with conv biases, the digits CNN), then
// BN running statistics, eval-mode forward / backward with the input gradient (from given logit gradients, and
// through the fused loss + backward with dx, as Boundary Shrink's FGSM), the update mask and the gradient
// arithmetic the unlearning methods use.  fp32 math, deterministic cuDNN algorithms; then the same networks in the
// bf16 mixed-precision mode, judged against the CPU reference's emulation of that mode (see TOLS_F32 below).
#include "gpu_check.h"

#include <math.h>

#include "gpu/gpu_model.h"
#include "nn/adaptive_alpha.h"
#include "nn/executor.h"
#include "nn/model.h"
#include "nn/ops.h"
#include "nn/optim.h"

#ifdef UG_HAVE_CUDA
#include "ug_nccl.h"
#define TOL 2e-3   // normalised error; cuDNN's algorithms sum in other orders than the reference loops

// fp32 tolerances: outputs (logits, losses, features), each gradient / parameter / statistic tensor, and the whole
// gradient vector (relative L2).  bf16 has no fixed tolerance: at random init these networks' gradients are so
// sensitive (train-mode BN over small batches) that bf16's 8 significant bits alone move the whole gradient by
// ~25% (tests/unit/test_model_bf16.c).  So the CPU reference runs the same sequence a second time emulating the bf16
// mode (model_emulate_bf16: rounded wherever the GPU stores bf16), and each GPU error against the fp32 reference
// must stay under BF16_FACTOR x the emulation's own error plus a floor.  A wrong layout, type or cast gives errors
// of order 1 where bf16 gives ~1e-2 (the logits) and fails; so does a bf16 path much noisier than bf16 itself.
typedef struct { double out, tensor, whole; } Tols;
static const Tols TOLS_F32 = {1e-4, TOL, 1e-4};
static const Tols FLOOR_BF16 = {2e-2, 5e-2, 2e-2};
#define BF16_FACTOR 3.0
static double worst_tensor, worst_whole, worst_out;   // the GPU's worst errors, printed per network
static double worst_use;                              // bf16: the largest error / tolerance

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

// The batch one sequence runs on.
typedef struct {
    int N, K;
    size_t per;
    float *x, *alpha, *weight, scale;
    int32_t* y;
} Batch;

// Everything one run of the sequence yields, on the host: the first training step (logits, per-sample losses,
// loss sum, gradients, gradient norm), the state after two SGD steps with momentum (parameters, BN running
// statistics, momentum), then eval mode (logits, features, parameter gradients and input gradient of a backward
// from the fp32 reference's eval logits, BN as a fixed affine map), then the fused eval-mode loss + backward with
// the input gradient (model_loss_backward with dx, on this run's own eval logits).
typedef struct {
    float *logits, *losses, *grads, *params, *buffers, *momentum, *eval_logits, *features, *eval_grads, *dx, *dl_eval;
    float *fused_dx, *fused_grads;
    double loss_sum, grad_norm, fused_loss;
} Run;

static float* dupf(const float* src, size_t n) {
    float* d = ug_malloc((n ? n : 1) * sizeof(float));
    memcpy(d, src, n * sizeof(float));
    return d;
}

static void free_run(Run* r) {
    free(r->logits); free(r->losses); free(r->grads); free(r->params); free(r->buffers); free(r->momentum);
    free(r->eval_logits); free(r->features); free(r->eval_grads); free(r->dx); free(r->dl_eval);
    free(r->fused_dx); free(r->fused_grads);
}

// One training step on the CPU model or the GPU model (logits and losses into z / loss).
static double train_step(Model* m, int on_gpu, const Batch* b, float* loss, float* z) {
    if (on_gpu) return model_compute(m, b->N, b->x, b->y, b->alpha, b->weight, b->scale, loss, z);
    float* dl = ug_malloc((size_t)b->N * b->K * sizeof(float));
    const float* zc = model_forward(m, b->N, b->x, 1);
    if (z) memcpy(z, zc, (size_t)b->N * b->K * sizeof(float));
    double sum = gls_xent(b->N, b->K, loss, dl, zc, b->y, b->alpha, b->weight, b->scale);
    model_backward(m, dl);
    free(dl);
    return sum;
}

// The sequence; dl_eval: the eval backward's upstream gradient (NULL: from this run's eval logits, kept in r).
static void run_sequence(Model* m, int on_gpu, const Batch* b, Sgd* sg, const float* dl_eval, Run* r) {
    int N = b->N, K = b->K;
    memset(r, 0, sizeof *r);
    r->logits = ug_malloc((size_t)N * K * sizeof(float));
    r->losses = ug_malloc((size_t)N * sizeof(float));
    r->loss_sum = train_step(m, on_gpu, b, r->losses, r->logits);
    r->grad_norm = on_gpu ? model_grad_norm(m) : 0;
    model_grads_to_host(m);
    if (!on_gpu) r->grad_norm = grad_norm(m->grads, m->num_params);
    r->grads = dupf(m->grads, m->num_params);
    for (int step = 0; step < 2; step++) {   // two steps: the second uses the momentum of the first
        if (step == 1) train_step(m, on_gpu, b, NULL, NULL);
        if (on_gpu) model_sgd(m, sg, NULL, 0.05f);
        else sgd_step(sg, m->params, m->grads, NULL, 0.05f);
    }
    model_state_to_host(m);
    r->params = dupf(m->params, m->num_params);
    r->buffers = dupf(m->buffers, m->num_buffers);
    if (on_gpu) model_momentum_to_host(m, sg);
    r->momentum = dupf(sg->momentum_buf, m->num_params);
    r->eval_logits = dupf(model_forward(m, N, b->x, 0), (size_t)N * K);
    r->features = dupf(model_features(m), (size_t)N * m->feature_dim);
    if (!dl_eval) {
        r->dl_eval = ug_malloc((size_t)N * K * sizeof(float));
        gls_xent(N, K, NULL, r->dl_eval, r->eval_logits, b->y, NULL, NULL, 1.0f);
        dl_eval = r->dl_eval;
    }
    r->dx = ug_malloc((size_t)N * b->per * sizeof(float));
    model_backward_input(m, dl_eval, r->dx);
    model_grads_to_host(m);
    r->eval_grads = dupf(m->grads, m->num_params);
    r->fused_dx = ug_malloc((size_t)N * b->per * sizeof(float));
    model_forward_resident(m, N, b->x, 0);
    r->fused_loss = model_loss_backward(m, b->y, NULL, NULL, 1.0f, NULL, NULL, r->fused_dx);
    model_grads_to_host(m);
    r->fused_grads = dupf(m->grads, m->num_params);
}

// One compared quantity: e, the GPU's error against the fp32 reference; e_emu, the bf16 emulation's (bf16 only).
static void expect_err(const char* name, const char* what, double e, double e_emu, double tol_f32, double floor,
                       int bf16, double* worst) {
    double tol = bf16 ? BF16_FACTOR * e_emu + floor : tol_f32;
    NOTE_MAX(*worst, e);
    NOTE_MAX(worst_use, e / tol);
    if (bf16) CHECK(e < tol, "%s bf16: %s error %.3g > %.3g (= %.0f x the bf16 emulation's %.3g + %.3g)", name, what, e,
                    tol, BF16_FACTOR, e_emu, floor);
    else CHECK(e < tol, "%s: %s error %.3g > %.3g", name, what, e, tol);
}

// Per-tensor errors (parameters, or buffers) of the GPU run g and the emulated run e against the reference c.
static void expect_tensors(const char* name, const char* what, const Model* m, int buffers, const float* g,
                           const float* e, const float* c, double tol_f32, double floor, int bf16) {
    char label[160];
    for (int i = 0; i < m->num_tensors; i++) {
        const TensorInfo* t = &m->tensors[i];
        if (t->is_buffer != buffers) continue;
        double eg = oc_norm_err(g + t->offset, c + t->offset, t->numel, 1e-3);
        double ee = e ? oc_norm_err(e + t->offset, c + t->offset, t->numel, 1e-3) : 0;
        snprintf(label, sizeof label, "%s %s (normalised)", what, t->name);
        expect_err(name, label, eg, ee, tol_f32, floor, bf16, &worst_tensor);
    }
}

static void check_network_mode(const char* name, Arch a, int width, int h, int c, int K, int stem, int N, int bf16) {
    const Tols T = TOLS_F32, F = FLOOR_BF16;
    worst_tensor = worst_whole = worst_out = worst_use = 0;
    Model* cpu = make_model(a, width, h, c, K, stem, 7);
    Model* gm = make_model(a, width, h, c, K, stem, 7);
    Model* emu = bf16 ? make_model(a, width, h, c, K, stem, 7) : NULL;
    if (emu) model_emulate_bf16(emu, 1);
    GpuModelOptions o = {.device = 0, .tf32 = 0, .deterministic = 1, .bf16 = bf16};
    gpu_model_attach(gm, &o, NULL);
    Rng r;
    rng_init(&r, 99, (uint64_t)a, (uint64_t)width, (uint64_t)h);
    Batch b = {.N = N, .K = K, .per = (size_t)h * h * c, .scale = 1.0f / (float)N};
    b.x = oc_rand(&r, (size_t)N * b.per, -1.5f, 1.5f);
    b.y = ug_malloc((size_t)N * sizeof(int32_t));
    b.alpha = ug_malloc((size_t)N * sizeof(float));
    b.weight = ug_malloc((size_t)N * sizeof(float));
    for (int i = 0; i < N; i++) {
        b.y[i] = (int32_t)rng_below(&r, (uint32_t)K);
        b.alpha[i] = i % 3 == 0 ? -0.5f : (i % 3 == 1 ? 0.0f : 0.3f);   // NLS, plain, positive smoothing
        b.weight[i] = i % 2 ? -0.4f : 0.6f;                             // ascent and descent in one batch
    }
    SgdConfig sc = {.momentum = 0.9, .weight_decay = 5e-4, .nesterov = 0};
    Sgd sg_c, sg_g, sg_e;
    sgd_init(&sg_c, &sc, cpu->num_params);
    sgd_init(&sg_g, &sc, gm->num_params);
    if (emu) sgd_init(&sg_e, &sc, emu->num_params);
    Run rc, rg, re;
    run_sequence(cpu, 0, &b, &sg_c, NULL, &rc);
    run_sequence(gm, 1, &b, &sg_g, rc.dl_eval, &rg);
    if (emu) run_sequence(emu, 0, &b, &sg_e, rc.dl_eval, &re);
    const Run* E = emu ? &re : NULL;
    size_t NK = (size_t)N * K, P = cpu->num_params;
#define ERR(field, n) oc_norm_err(rg.field, rc.field, (n), 1e-3), (E ? oc_norm_err(E->field, rc.field, (n), 1e-3) : 0)
#define REL(v) fabs(rg.v - rc.v) / (fabs(rc.v) + 1), (E ? fabs(E->v - rc.v) / (fabs(rc.v) + 1) : 0)

    expect_err(name, "train-step logits", ERR(logits, NK), T.out, F.out, bf16, &worst_out);
    expect_err(name, "per-sample losses", ERR(losses, (size_t)N), T.out, F.out, bf16, &worst_out);
    expect_err(name, "loss sum (relative)", REL(loss_sum), T.out, F.out, bf16, &worst_out);
    expect_tensors(name, "train-step gradient", cpu, 0, rg.grads, E ? E->grads : NULL, rc.grads, T.tensor, F.tensor, bf16);
    expect_err(name, "whole gradient (relative L2)", l2_rel_err(rg.grads, rc.grads, P),
               E ? l2_rel_err(E->grads, rc.grads, P) : 0, T.whole, F.whole, bf16, &worst_whole);
    expect_err(name, "gradient norm (relative)", fabs(rg.grad_norm - rc.grad_norm) / rc.grad_norm,
               E ? fabs(E->grad_norm - rc.grad_norm) / rc.grad_norm : 0, T.whole, F.whole, bf16, &worst_whole);
    expect_tensors(name, "after 2 SGD steps", cpu, 0, rg.params, E ? E->params : NULL, rc.params, T.tensor, F.tensor, bf16);
    expect_tensors(name, "BN running stats", cpu, 1, rg.buffers, E ? E->buffers : NULL, rc.buffers, T.tensor, F.tensor,
                   bf16);
    expect_err(name, "momentum (normalised)", ERR(momentum, P), T.tensor, F.tensor, bf16, &worst_tensor);
    expect_err(name, "eval logits", ERR(eval_logits, NK), T.out, F.out, bf16, &worst_out);
    expect_err(name, "eval features", ERR(features, (size_t)N * cpu->feature_dim), T.out, F.out, bf16, &worst_out);
    expect_tensors(name, "eval gradient", cpu, 0, rg.eval_grads, E ? E->eval_grads : NULL, rc.eval_grads, T.tensor,
                   F.tensor, bf16);
    expect_err(name, "eval input gradient (normalised)", ERR(dx, (size_t)N * b.per), T.tensor, F.tensor, bf16,
               &worst_tensor);
    expect_err(name, "fused eval loss (relative)", REL(fused_loss), T.out, F.out, bf16, &worst_out);
    expect_tensors(name, "fused eval gradient", cpu, 0, rg.fused_grads, E ? E->fused_grads : NULL, rc.fused_grads,
                   T.tensor, F.tensor, bf16);
    expect_err(name, "fused eval input gradient (normalised)", ERR(fused_dx, (size_t)N * b.per), T.tensor, F.tensor,
               bf16, &worst_tensor);
    // On the CPU the fused op is gls_xent + model_backward_input, bit for bit (the same logits: no update between).
    CHECK(!memcmp(rc.fused_dx, rc.dx, (size_t)N * b.per * sizeof(float)), "%s: CPU fused dx differs from "
          "gls_xent + model_backward_input", name);
    CHECK(!memcmp(rc.fused_grads, rc.eval_grads, P * sizeof(float)), "%s: CPU fused eval gradient differs from "
          "gls_xent + model_backward_input", name);
    if (E) {   // the GPU rounds where the emulation does: the two agree far closer than either agrees with fp32
        double el = oc_norm_err(rg.logits, E->logits, NK, 1e-3), eg = l2_rel_err(rg.grads, E->grads, P);
        CHECK(el < 1e-2, "%s bf16: train-step logits %.3g from the CPU bf16 emulation (a rounding site missed?)", name, el);
        CHECK(eg < 5e-2, "%s bf16: whole gradient %.3g from the CPU bf16 emulation (relative L2)", name, eg);
    }
    if (E)
        printf("note %s bf16: GPU vs the bf16 emulation: train-step logits %.3g, whole gradient %.3g (relative L2); "
               "emulation vs fp32: %.3g, %.3g\n", name, oc_norm_err(rg.logits, E->logits, NK, 1e-3),
               l2_rel_err(rg.grads, E->grads, P), oc_norm_err(E->logits, rc.logits, NK, 1e-3),
               l2_rel_err(E->grads, rc.grads, P));
#undef ERR
#undef REL

    // ---- gradient arithmetic (UGradSL's two passes) and the update mask, on the GPU model ----
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
    model_sgd(gm, &sg_g, mask, 0.1f);
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

    free(g1); free(mask); free(before);
    free_run(&rc); free_run(&rg);
    if (emu) { free_run(&re); sgd_free(&sg_e); model_destroy(emu); }
    sgd_free(&sg_c); sgd_free(&sg_g);
    free(b.x); free(b.y); free(b.alpha); free(b.weight);
    model_destroy(cpu);
    model_destroy(gm);
    if (bf16)
        printf("note %s bf16: worst error: outputs %.3g, tensors %.3g, whole gradient L2 %.3g; largest error / tolerance "
               "%.2f (tolerance: %.0f x the bf16 emulation's error + floor)\n", name, worst_out, worst_tensor,
               worst_whole, worst_use, BF16_FACTOR);
    else
        printf("note %s: worst normalised error: outputs %.3g (tol %.3g), tensors %.3g (tol %.3g); whole gradient L2 "
               "%.3g (tol %.3g)\n", name, worst_out, T.out, worst_tensor, T.tensor, worst_whole, T.whole);
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
        model_compute(a, N, x, y, NULL, NULL, 1.0f / N, NULL, NULL);
        model_allreduce_grads(a);
        model_grads_to_host(a);
        memcpy(blocking, a->grads, a->num_params * sizeof(float));
        model_overlap_next_backward(a);
        model_compute(a, N, x, y, NULL, NULL, 1.0f / N, NULL, NULL);
        model_allreduce_grads(a);
        model_grads_to_host(a);
        size_t bad = gc_bit_diffs(a->grads, blocking, a->num_params);
        CHECK(bad == 0, "overlap step %d: %zu gradients differ from the blocking all-reduce", step, bad);
        model_sgd(a, &sa, NULL, 0.05f);
    }
    // an empty batch, armed: zero gradients, and the buckets go out all the same (other ranks wait for them)
    model_overlap_next_backward(a);
    model_compute(a, 0, x, y, NULL, NULL, 1.0f, NULL, NULL);
    model_allreduce_grads(a);
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
    double s = model_compute(gm, 0, NULL, NULL, NULL, NULL, 1.0f, NULL, NULL);
    CHECK(s == 0.0, "empty batch: loss sum %g", s);
    model_grads_to_host(gm);
    size_t bad = 0;
    for (size_t i = 0; i < gm->num_params; i++) bad += gm->grads[i] != 0.0f;
    CHECK(bad == 0, "empty batch: %zu non-zero gradients", bad);
    float dx_sentinel = 123.0f;   // N = 0: the input gradient is left as it was
    model_forward_resident(gm, 0, NULL, 0);
    s = model_loss_backward(gm, NULL, NULL, NULL, 1.0f, NULL, NULL, &dx_sentinel);
    CHECK(s == 0.0 && dx_sentinel == 123.0f, "empty batch: fused loss + dx gave loss %g, dx %g", s, dx_sentinel);
    model_destroy(gm);
}
static int cmp_double(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return x < y ? -1 : x > y;
}

// The self-adaptive alpha through the GPU executor (the ug_adaptive_alpha kernel on the device-resident features
// or input of the last forward) against the CPU: (1) on the same rows (the GPU's features read back) it must give
// exactly adaptive_alpha's result; (2) against the CPU executor on the CPU reference model's own features, counts
// may differ only for pairs whose CPU distance lies within 1e-3 of beta (the features agree to ~1e-4).
static void check_alpha(Model* cpu, Model* gm, int from_features, int N, int R, const float* x, size_t per) {
    const char* what = from_features ? "cosine (features)" : "pixel (input)";
    Rng r;
    rng_init(&r, 21, (uint64_t)from_features, 0, 0);
    int dim = from_features ? gm->feature_dim : (int)per;
    model_forward_resident(cpu, N, x, 1);
    model_forward_resident(gm, N, x, 1);
    float* gfeat = dupf(from_features ? model_features(gm) : x, (size_t)N * dim);
    const float* cfeat = from_features ? model_features(cpu) : x;
    // retain rows: perturbed copies of the forget rows (so that distances spread around beta) and random ones
    float* retain = ug_malloc((size_t)R * dim * sizeof(float));
    for (int j = 0; j < R; j++)
        for (int k = 0; k < dim; k++)
            retain[(size_t)j * dim + k] = j % 2 ? gfeat[(size_t)(j % N) * dim + k] * (1.0f + 0.3f * rng_normal(&r))
                                                : rng_normal(&r);
    AlphaDistance kind = from_features ? DIST_COSINE : DIST_PIXEL;
    double* d = ug_malloc((size_t)N * R * sizeof(double));
    for (int i = 0; i < N; i++)
        for (int j = 0; j < R; j++)
            d[(size_t)i * R + j] = alpha_distance(kind, retain + (size_t)j * dim, gfeat + (size_t)i * dim, dim);
    qsort(d, (size_t)N * R, sizeof(double), cmp_double);
    size_t mid = (size_t)N * R / 2;
    double beta = 0.5 * (d[mid - 1] + d[mid]);   // between two distances: about half the pairs are near
    AlphaQuery q = {.from_features = from_features, .forget_host = x, .n_forget = N, .retain = retain, .n_retain = R,
                    .dim = dim, .n_forget_global = N, .kind = kind, .beta = beta, .sign = ALPHA_LITERAL, .scale = 1};
    float* got = ug_malloc((size_t)N * sizeof(float));
    float* want = ug_malloc((size_t)N * sizeof(float));
    float* cpu_alpha = ug_malloc((size_t)N * sizeof(float));
    model_adaptive_alpha(gm, got, &q);
    adaptive_alpha(want, gfeat, N, retain, R, dim, N, kind, beta, ALPHA_LITERAL, 1);
    size_t bad = gc_bit_diffs(got, want, (size_t)N);
    CHECK(bad == 0, "adaptive alpha %s: the kernel through the executor differs from adaptive_alpha on %zu of %d rows",
          what, bad, N);
    double sum = 0;
    for (int i = 0; i < N; i++) sum += want[i];
    CHECK(sum > 0 && sum < R, "adaptive alpha %s: mean count %.3g of %d: the check is vacuous", what, sum, R);
    model_adaptive_alpha(cpu, cpu_alpha, &q);
    int unexplained = 0;
    for (int i = 0; i < N; i++) {
        int lo = 0, hi = 0;
        for (int j = 0; j < R; j++) {
            double dc = alpha_distance(kind, retain + (size_t)j * dim, cfeat + (size_t)i * dim, dim);
            lo += dc < beta - 1e-3;
            hi += dc < beta + 1e-3;
        }
        int cg = (int)lroundf(got[i] * (float)N);
        unexplained += cg < lo || cg > hi;
    }
    CHECK(unexplained == 0, "adaptive alpha %s: %d rows differ from the CPU model's beyond the 1e-3 band", what,
          unexplained);
    printf("note adaptive alpha %s: beta %.4g, GPU vs CPU model: %zu of %d alphas differ (inside the band)\n", what, beta,
           gc_bit_diffs(got, cpu_alpha, (size_t)N), N);
    free(gfeat); free(retain); free(d); free(got); free(want); free(cpu_alpha);
}

static void test_adaptive_alpha_executor(void) {
    GPU_CASE_BEGIN();
    const int N = 12, R = 20, h = 32, c = 3;
    Model* cpu = make_model(ARCH_RESNET18, 8, h, c, 10, 0, 13);
    Model* gm = make_model(ARCH_RESNET18, 8, h, c, 10, 0, 13);
    GpuModelOptions o = {.device = 0, .tf32 = 0, .deterministic = 1};
    gpu_model_attach(gm, &o, NULL);
    Rng r;
    rng_init(&r, 17, 1, 2, 3);
    size_t per = (size_t)h * h * c;
    float* x = oc_rand(&r, (size_t)N * per, -1.5f, 1.5f);
    check_alpha(cpu, gm, 1, N, R, x, per);
    check_alpha(cpu, gm, 0, N, R, x, per);
    free(x);
    model_destroy(cpu);
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
static void test_adaptive_alpha_executor(void) { GPU_CASE_BEGIN(); }
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
    TEST_CASE(test_adaptive_alpha_executor);
    gc_end();
    return th_end();
}
