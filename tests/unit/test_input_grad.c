// model_backward after an eval-mode forward (BatchNorm = affine map of its running statistics) and
// model_backward_input (gradient w.r.t. the input): both against central differences in double, on the small
// CNN and a tiny ResNet-18 (residual junctions, 1x1 projections), with non-trivial running statistics.
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "nn/model.h"

static void fill_normal(float* x, size_t n, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, RNG_MISC, 0, 0);
    for (size_t i = 0; i < n; i++) x[i] = rng_normal(&r);
}

// Running statistics that are not 0/1, so the eval-mode map is not the identity.
static void randomise_running_stats(Model* m) {
    Rng r;
    rng_init(&r, 9, RNG_MISC, 2, 0);
    for (int i = 0; i < m->num_tensors; i++) {
        const TensorInfo* t = &m->tensors[i];
        if (!t->is_buffer) continue;
        for (size_t j = 0; j < t->numel; j++) {
            float* v = m->buffers + t->offset + j;
            if (strstr(t->name, "running_mean")) *v = 0.3f * rng_normal(&r);
            else if (strstr(t->name, "running_var")) *v = 0.5f + rng_uniform(&r);
        }
    }
}

static double probe(Model* m, int N, const float* x, const float* r, int train) {
    float* keep = malloc(m->num_buffers * sizeof(float) + 4);
    memcpy(keep, m->buffers, m->num_buffers * sizeof(float));   // train mode moves the running stats
    const float* z = model_forward(m, N, x, train);
    double s = 0;
    for (int i = 0; i < N * m->cfg.num_classes; i++) s += (double)r[i] * z[i];
    memcpy(m->buffers, keep, m->num_buffers * sizeof(float));
    free(keep);
    return s;
}

static void check_model(ModelConfig c, int N, int train, double tol) {
    Model* m = model_create(&c, BACKEND_REF);
    model_init(m, 3);
    randomise_running_stats(m);
    size_t nx = (size_t)N * c.in_h * c.in_w * c.in_c;
    float* x = malloc(nx * sizeof(float));
    float* dx = malloc(nx * sizeof(float));
    float* r = malloc((size_t)N * c.num_classes * sizeof(float));
    fill_normal(x, nx, 11);
    fill_normal(r, (size_t)N * c.num_classes, 12);
    probe(m, N, x, r, train);
    model_backward_input(m, r, dx);
    float* g = malloc(m->num_params * sizeof(float));
    memcpy(g, m->grads, m->num_params * sizeof(float));
    Rng rng;
    rng_init(&rng, 5, RNG_MISC, 1, 0);
    int bad = 0;
    for (int k = 0; k < 12; k++) {   // input entries
        size_t i = rng_below(&rng, (uint32_t)nx);
        float keep = x[i];
        double h = 1e-3;
        x[i] = keep + (float)h;
        double up = probe(m, N, x, r, train);
        x[i] = keep - (float)h;
        double dn = probe(m, N, x, r, train);
        x[i] = keep;
        double fd = (up - dn) / (2 * h);
        if (fabs(fd - dx[i]) > tol * fmax(1.0, fabs(fd))) bad++, fprintf(stderr, "  dx[%zu] %g vs fd %g\n", i, dx[i], fd);
    }
    if (!train) {
        for (int ti = 0; ti < m->num_tensors; ti++) {   // parameters, eval mode (BN gamma/beta included)
            const TensorInfo* t = &m->tensors[ti];
            if (t->is_buffer) continue;
            size_t i = t->offset + rng_below(&rng, (uint32_t)t->numel);
            float keep = m->params[i];
            double h = 1e-3 * fmax(1.0, fabs(keep));
            m->params[i] = keep + (float)h;
            double up = probe(m, N, x, r, 0);
            m->params[i] = keep - (float)h;
            double dn = probe(m, N, x, r, 0);
            m->params[i] = keep;
            double fd = (up - dn) / (2 * h);
            if (fabs(fd - g[i]) > tol * fmax(1.0, fabs(fd))) bad++, fprintf(stderr, "  %s %g vs fd %g\n", t->name, g[i], fd);
        }
    }
    CHECK(bad == 0, "%d gradient entries differ from central differences (train=%d)", bad, train);
    // The input gradient is really non-zero (a zero dx would pass nothing above, but be sure).
    double norm = 0;
    for (size_t i = 0; i < nx; i++) norm += fabs(dx[i]);
    CHECK(norm > 1e-3, "dx is all zero");
    free(x); free(dx); free(r); free(g);
    model_destroy(m);
}

static void small_cnn_eval(void) {
    check_model((ModelConfig){.arch = ARCH_SMALL_CNN, .width = 4, .num_classes = 5, .in_h = 8, .in_w = 8, .in_c = 1}, 3, 0, 2e-2);
}
static void small_cnn_train_input(void) {
    check_model((ModelConfig){.arch = ARCH_SMALL_CNN, .width = 4, .num_classes = 5, .in_h = 8, .in_w = 8, .in_c = 1}, 3, 1, 2e-2);
}
static void resnet_eval(void) {
    check_model((ModelConfig){.arch = ARCH_RESNET18, .width = 4, .num_classes = 3, .in_h = 8, .in_w = 8, .in_c = 3}, 2, 0, 2e-2);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(small_cnn_eval);
    TEST_CASE(small_cnn_train_input);
    TEST_CASE(resnet_eval);
    return th_end();
}
