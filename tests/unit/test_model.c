// test_model.c — tensor tables (torchvision names and counts), init statistics, whole-network gradients by
// finite differences (residual junctions included), reference vs fast backend, eval vs train BN.
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "harness.h"
#include "nn/model.h"

static ModelConfig cfg_of(Arch a, int width, int classes, int h, int c, int stem) {
    ModelConfig cfg = {a, width, classes, h, h, c, stem, 0};
    return cfg;
}

static void fill_normal(float* x, size_t n, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, RNG_MISC, 0, 0);
    for (size_t i = 0; i < n; i++) x[i] = rng_normal(&r);
}

static void test_resnet18_table(void) {
    ModelConfig c = cfg_of(ARCH_RESNET18, 64, 10, 32, 3, 0);
    Model* m = model_create(&c, BACKEND_REF);
    CHECK_EQ_INT(m->num_params, 11173962);   // torchvision resnet18, CIFAR stem, 10 classes
    CHECK_EQ_INT(m->num_tensors, 122);       // 62 parameters + 60 BN buffers (state_dict entries)
    CHECK_EQ_INT(m->feature_dim, 512);
    CHECK_EQ_INT(m->num_layers, 41);         // 20 conv + 20 bn + fc
    const TensorInfo* t = model_find_tensor(m, "layer2.0.downsample.0.weight");
    CHECK(t && t->ndim == 4 && t->shape[0] == 128 && t->shape[1] == 64 && t->shape[2] == 1, "downsample conv");
    t = model_find_tensor(m, "conv1.weight");
    CHECK(t && t->shape[2] == 3 && t->offset == 0, "CIFAR stem 3x3 first");
    CHECK(model_find_tensor(m, "layer1.0.downsample.0.weight") == NULL, "layer1.0 has no downsample");
    t = model_find_tensor(m, "layer4.1.bn2.num_batches_tracked");
    CHECK(t && t->is_buffer && t->ndim == 0, "BN buffers");
    CHECK(strcmp(m->tensors[m->num_tensors - 1].name, "layer4.1.bn2.num_batches_tracked") == 0 ||
          m->tensors[m->num_tensors - 1].is_buffer, "buffers after parameters");
    model_destroy(m);
    c = cfg_of(ARCH_RESNET18, 64, 1000, 64, 3, 1);
    m = model_create(&c, BACKEND_REF);
    CHECK_EQ_INT(m->num_params, 11689512);   // torchvision resnet18 (ImageNet)
    model_destroy(m);
}

static void test_vgg_table(void) {
    ModelConfig c = cfg_of(ARCH_VGG16_BN, 64, 10, 32, 3, 0);
    Model* m = model_create(&c, BACKEND_REF);
    // torchvision vgg16_bn features (14,723,136 params incl. BN affine) + one linear 512->10
    CHECK_EQ_INT(m->num_params, 14728266);
    CHECK(model_find_tensor(m, "features.0.weight") && model_find_tensor(m, "features.1.running_var") &&
          model_find_tensor(m, "features.41.bias") && model_find_tensor(m, "classifier.weight"), "vgg names");
    model_destroy(m);
}

static void test_init_stats(void) {
    ModelConfig c = cfg_of(ARCH_RESNET18, 16, 10, 32, 3, 0);
    Model* m = model_create(&c, BACKEND_REF);
    model_init(m, 7);
    const TensorInfo* t = model_find_tensor(m, "layer3.1.conv1.weight");   // 64x64x3x3, fan_out = 576
    double s2 = 0;
    for (size_t i = 0; i < t->numel; i++) s2 += (double)m->params[t->offset + i] * m->params[t->offset + i];
    CHECK_CLOSE(sqrt(s2 / t->numel), sqrt(2.0 / 576), 0.02 * sqrt(2.0 / 576));
    t = model_find_tensor(m, "fc.weight");
    float bound = 1.0f / sqrtf(128.0f), mx = 0;
    for (size_t i = 0; i < t->numel; i++) mx = fmaxf(mx, fabsf(m->params[t->offset + i]));
    CHECK(mx <= bound && mx > 0.9f * bound, "fc uniform bound %g vs %g", mx, bound);
    t = model_find_tensor(m, "bn1.weight");
    CHECK(m->params[t->offset] == 1.0f && m->params[model_find_tensor(m, "bn1.bias")->offset] == 0.0f, "bn 1/0");
    CHECK(m->buffers[model_find_tensor(m, "bn1.running_var")->offset] == 1.0f, "running var 1");
    // deterministic: same seed gives the same parameters, another seed differs
    Model* m2 = model_create(&c, BACKEND_REF);
    model_init(m2, 7);
    CHECK(memcmp(m->params, m2->params, m->num_params * sizeof(float)) == 0, "same seed same init");
    model_init(m2, 8);
    CHECK(memcmp(m->params, m2->params, m->num_params * sizeof(float)) != 0, "other seed differs");
    model_destroy(m);
    model_destroy(m2);
}

// loss = Σ_i Σ_k r_ik · z_ik with fixed random r: dlogits = r.  Central differences in double from float
// forwards, on a few parameters of every tensor.
static double probe_loss(Model* m, int N, const float* x, const float* r) {
    const float* z = model_forward(m, N, x, 1);
    double s = 0;
    for (int i = 0; i < N * m->cfg.num_classes; i++) s += (double)r[i] * z[i];
    return s;
}

static void grad_check(ModelConfig c, int N, double tol) {
    Model* m = model_create(&c, BACKEND_REF);
    model_init(m, 3);
    size_t nx = (size_t)N * c.in_h * c.in_w * c.in_c;
    float* x = malloc(nx * sizeof(float));
    float* r = malloc((size_t)N * c.num_classes * sizeof(float));
    fill_normal(x, nx, 11);
    fill_normal(r, (size_t)N * c.num_classes, 12);
    probe_loss(m, N, x, r);
    model_backward(m, r);
    float* g = malloc(m->num_params * sizeof(float));
    memcpy(g, m->grads, m->num_params * sizeof(float));
    int bad = 0, checked = 0;
    Rng rng;
    rng_init(&rng, 5, RNG_MISC, 1, 0);
    for (int ti = 0; ti < m->num_tensors; ti++) {
        const TensorInfo* t = &m->tensors[ti];
        if (t->is_buffer) continue;
        for (int k = 0; k < 2; k++) {
            size_t i = t->offset + rng_below(&rng, (uint32_t)t->numel);
            float keep = m->params[i];
            double h = 1e-4 * fmax(1.0, fabs(keep));   // small: BN on tiny batches is strongly non-linear
            m->params[i] = keep + (float)h;
            double lp = probe_loss(m, N, x, r);
            m->params[i] = keep - (float)h;
            double lm = probe_loss(m, N, x, r);
            m->params[i] = keep;
            double fd = (lp - lm) / (2 * h);
            double err = fabs(fd - g[i]) / fmax(1.0, fabs(fd) + fabs(g[i]));
            checked++;
            if (err > tol) {
                bad++;
                fprintf(stderr, "  %s[%zu]: fd %.6g analytic %.6g\n", t->name, i - t->offset, fd, g[i]);
            }
        }
    }
    // ReLU / max-pool kinks can make a rare probe disagree; a wrong junction breaks most of them.
    CHECK(bad <= checked / 20, "%d of %d gradient probes disagree", bad, checked);
    free(x); free(r); free(g);
    model_destroy(m);
}

static void test_grad_resnet(void) { grad_check(cfg_of(ARCH_RESNET18, 4, 5, 8, 3, 0), 4, 2e-2); }
static void test_grad_resnet_imagenet_stem(void) { grad_check(cfg_of(ARCH_RESNET18, 4, 3, 16, 3, 1), 3, 2e-2); }
static void test_grad_small_cnn(void) { grad_check(cfg_of(ARCH_SMALL_CNN, 4, 10, 8, 1, 0), 6, 2e-2); }
static void test_grad_vgg(void) { grad_check(cfg_of(ARCH_VGG16_BN, 4, 4, 32, 3, 0), 2, 2e-2); }

// The fast backend runs the same network: logits and every gradient within fp32 tolerance of the reference
// (CIFAR and ImageNet stems, VGG with its max-pools and conv biases, odd batch sizes).
static void fast_vs_ref(ModelConfig c, int N) {
    Model* a = model_create(&c, BACKEND_REF);
    Model* b = model_create(&c, BACKEND_FAST);
    model_init(a, 9);
    model_copy_state(b, a);
    size_t nx = (size_t)N * c.in_h * c.in_w * c.in_c, nl = (size_t)N * c.num_classes;
    float* x = malloc(nx * sizeof(float));
    float* r = malloc(nl * sizeof(float));
    fill_normal(x, nx, 1);
    fill_normal(r, nl, 2);
    const float* za = model_forward(a, N, x, 1);
    const float* zb = model_forward(b, N, x, 1);
    double maxd = 0;
    for (size_t i = 0; i < nl; i++) maxd = fmax(maxd, fabs(za[i] - zb[i]));
    CHECK(maxd < 1e-3, "%s: logits differ by %g", arch_name(c.arch), maxd);
    model_backward(a, r);
    model_backward(b, r);
    double gd = 0, gs = 0;
    for (size_t i = 0; i < a->num_params; i++) {
        gd = fmax(gd, fabs(a->grads[i] - b->grads[i]));
        gs = fmax(gs, fabs(a->grads[i]));
    }
    CHECK(gd <= 1e-3 * fmax(1.0, gs), "%s: gradients differ by %g (max %g)", arch_name(c.arch), gd, gs);
    double bd = 0;
    for (size_t i = 0; i < a->num_buffers; i++) bd = fmax(bd, fabs(a->buffers[i] - b->buffers[i]));
    CHECK(bd < 1e-4, "%s: running stats differ by %g", arch_name(c.arch), bd);
    free(x);
    free(r);
    model_destroy(a);
    model_destroy(b);
}

static void test_fast_vs_ref(void) {
    fast_vs_ref(cfg_of(ARCH_RESNET18, 8, 10, 16, 3, 0), 5);
    fast_vs_ref(cfg_of(ARCH_RESNET18, 4, 7, 24, 3, 1), 3);
    fast_vs_ref(cfg_of(ARCH_VGG16_BN, 4, 6, 32, 3, 0), 3);
    fast_vs_ref(cfg_of(ARCH_SMALL_CNN, 8, 10, 8, 1, 0), 7);
}

// Eval mode uses the running stats: right after init (mean 0, var 1) BN is the identity up to eps.
static void test_eval_mode(void) {
    ModelConfig c = cfg_of(ARCH_SMALL_CNN, 4, 10, 8, 1, 0);
    Model* m = model_create(&c, BACKEND_REF);
    model_init(m, 1);
    float x[2 * 64];
    fill_normal(x, 128, 4);
    float z1[20], z2[20];
    memcpy(z1, model_forward(m, 2, x, 0), sizeof z1);
    const TensorInfo* nbt = model_find_tensor(m, "bn1.num_batches_tracked");
    CHECK(m->buffers[nbt->offset] == 0.0f, "eval does not count batches");
    memcpy(z2, model_forward(m, 2, x, 1), sizeof z2);
    CHECK(m->buffers[nbt->offset] == 1.0f, "train counts batches");
    double d = 0;
    for (int i = 0; i < 20; i++) d += fabs(z1[i] - z2[i]);
    CHECK(d > 1e-3, "train and eval BN must differ on a random batch");
    // batch growth keeps working
    float* big = calloc(40 * 64, sizeof(float));
    model_forward(m, 40, big, 1);
    CHECK(model_max_batch(m) >= 40, "grows");
    free(big);
    model_destroy(m);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_resnet18_table);
    TEST_CASE(test_vgg_table);
    TEST_CASE(test_init_stats);
    TEST_CASE(test_grad_resnet);
    TEST_CASE(test_grad_resnet_imagenet_stem);
    TEST_CASE(test_grad_small_cnn);
    TEST_CASE(test_grad_vgg);
    TEST_CASE(test_fast_vs_ref);
    TEST_CASE(test_eval_mode);
    return th_end();
}
