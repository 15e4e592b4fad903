// test_grad_buckets.c — the plan of the bucketed gradient all-reduce (src/nn/grad_buckets.c), checked against
// an owner map built independently from the layers' shapes: the buckets tile the buffer exactly, each is sent only
// after every layer writing into it has had its backward (and right after the last of them), they are sent in
// backward order, and every bucket but the first of the buffer holds at least the target.
#include <limits.h>
#include <stdlib.h>

#include "harness.h"
#include "nn/grad_buckets.h"
#include "nn/model_impl.h"

static Model* make(Arch a, int width, int h, int c, int K, int stem) {
    ModelConfig mc = {.arch = a, .width = width, .num_classes = K, .in_h = h, .in_w = h, .in_c = c, .imagenet_stem = stem};
    return model_create(&mc, BACKEND_REF);
}

// owner[i] = the layer whose backward writes gradient i, from each layer's kind and shape (not the tensor table).
static int* owner_map(const Model* m) {
    const Net* n = (const Net*)m->impl;
    int* owner = malloc(m->num_params * sizeof(int));
    for (size_t i = 0; i < m->num_params; i++) owner[i] = -1;
    for (int li = 0; li < n->num_layers; li++) {
        const Layer* l = &n->layers[li];
        size_t wn = 0, bn = 0;
        if (l->kind == L_CONV) { wn = (size_t)l->cd.K * l->cd.C * l->cd.R * l->cd.S; bn = l->cd.K; }
        else if (l->kind == L_BN) { wn = bn = (size_t)l->C; }
        else if (l->kind == L_LINEAR) { wn = (size_t)l->O * l->C; bn = (size_t)l->O; }
        else continue;
        for (size_t i = 0; i < wn; i++) owner[l->w + i] = li;
        if (l->b != SIZE_MAX)
            for (size_t i = 0; i < bn; i++) owner[l->b + i] = li;
    }
    return owner;
}

static void check_plan(const char* name, Model* m, size_t target) {
    int* owner = owner_map(m);
    size_t unowned = 0;
    for (size_t i = 0; i < m->num_params; i++) unowned += owner[i] < 0;
    CHECK(unowned == 0, "%s: %zu gradients owned by no layer (the test's map)", name, unowned);
    int nb = grad_buckets_plan(m, target, NULL, 0);
    CHECK(nb > 0, "%s target %zu: no plan", name, target);
    GradBucket* b = calloc((size_t)nb, sizeof *b);
    CHECK(grad_buckets_plan(m, target, b, nb - 1) == 0, "%s: a plan larger than cap was not refused", name);
    CHECK(grad_buckets_plan(m, target, b, nb) == nb, "%s: the plan changed between two calls", name);
    unsigned char* covered = calloc(m->num_params, 1);
    size_t overlap = 0, small = 0;
    int prev_after = INT_MAX;
    for (int k = 0; k < nb; k++) {
        CHECK(b[k].lo < b[k].hi && b[k].hi <= m->num_params, "%s: bucket %d is [%zu, %zu)", name, k, b[k].lo, b[k].hi);
        CHECK(b[k].after_layer <= prev_after, "%s: bucket %d is sent after layer %d, after one sent after layer %d "
              "(not backward order)", name, k, b[k].after_layer, prev_after);
        prev_after = b[k].after_layer;
        int lowest = INT_MAX;
        for (size_t i = b[k].lo; i < b[k].hi; i++) {
            overlap += covered[i];
            covered[i] = 1;
            if (owner[i] < lowest) lowest = owner[i];
        }
        // sent after the backward of layer after_layer: every owner must have index >= it (backward goes down),
        // and the lowest owner is that layer (not later than needed)
        CHECK(lowest == b[k].after_layer, "%s: bucket %d [%zu, %zu) sent after layer %d, but its lowest owner is "
              "layer %d", name, k, b[k].lo, b[k].hi, b[k].after_layer, lowest);
        small += b[k].lo != 0 && b[k].hi - b[k].lo < target;
    }
    size_t missing = 0;
    for (size_t i = 0; i < m->num_params; i++) missing += !covered[i];
    CHECK(overlap == 0 && missing == 0, "%s: %zu gradients in two buckets, %zu in none", name, overlap, missing);
    CHECK(small == 0, "%s target %zu: %zu buckets below the target besides the first of the buffer", name, target,
          small);
    if (target >= m->num_params) CHECK(nb == 1, "%s: target >= the buffer gives %d buckets", name, nb);
    if (target == 1) {   // one bucket per tensor: the classifier's is sent first, right after its backward
        const Net* n = (const Net*)m->impl;
        CHECK(n->layers[b[0].after_layer].kind == L_LINEAR, "%s: the first bucket is not the classifier's", name);
    }
    free(covered);
    free(b);
    free(owner);
}

static void check_network(const char* name, Model* m) {
    size_t targets[] = {1, 1000, 100000, (size_t)m->num_params / 3, (size_t)m->num_params, (size_t)m->num_params * 2};
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) check_plan(name, m, targets[i]);
    model_destroy(m);
}

static void test_resnet18_cifar(void) { check_network("resnet18 w16 cifar-stem", make(ARCH_RESNET18, 16, 32, 3, 10, 0)); }
static void test_resnet18_imagenet(void) {
    check_network("resnet18 w8 imagenet-stem", make(ARCH_RESNET18, 8, 64, 3, 100, 1));
}
static void test_vgg16_bn(void) { check_network("vgg16_bn w8", make(ARCH_VGG16_BN, 8, 32, 3, 10, 0)); }
static void test_small_cnn(void) { check_network("small_cnn w8", make(ARCH_SMALL_CNN, 8, 8, 1, 10, 0)); }

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_resnet18_cifar);
    TEST_CASE(test_resnet18_imagenet);
    TEST_CASE(test_vgg16_bn);
    TEST_CASE(test_small_cnn);
    return th_end();
}
