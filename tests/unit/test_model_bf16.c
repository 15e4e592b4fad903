// test_model_bf16.c — the CPU reference of the bf16 mixed-precision mode (src/nn/model_bf16.c): the rounding,
// the slot rule the GPU shares, and the emulation (rounded where the GPU stores bf16, fp32 master weights kept).
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "harness.h"
#include "nn/ops.h"
#include "nn/model.h"
#include "nn/model_impl.h"

static uint32_t bits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static int is_bf16(float f) { return (bits(f) & 0xffffu) == 0; }

static void test_round(void) {
    CHECK(bf16_round(1.0f) == 1.0f, "1 is a bf16");
    CHECK(bf16_round(1.0f + 0x1p-8f) == 1.0f, "a tie rounds to the even neighbour (down)");
    CHECK(bf16_round(1.0f + 3 * 0x1p-8f) == 1.0f + 0x1p-6f, "a tie rounds to the even neighbour (up)");
    CHECK(bf16_round(1.0f + 0x1p-8f + 0x1p-20f) == 1.0f + 0x1p-7f, "above the tie rounds up");
    CHECK(bf16_round(-3.1415927f) == -3.140625f, "pi rounds to -3.140625, got %.9g", bf16_round(-3.1415927f));
    CHECK(bits(bf16_round(-0.0f)) == bits(-0.0f), "-0 stays -0");
    CHECK(isinf(bf16_round(INFINITY)) && bf16_round(-INFINITY) < 0, "inf stays inf");
    CHECK(isnan(bf16_round(NAN)), "NaN stays NaN");
    uint32_t low_nan = 0x7f800001u;   // a NaN whose payload sits only in the bits bf16 drops
    float f;
    memcpy(&f, &low_nan, 4);
    CHECK(isnan(bf16_round(f)), "a low-payload NaN must not become inf");
    CHECK(isinf(bf16_round(3.4028235e38f)), "FLT_MAX rounds to inf, as in bf16");
}

// The slot rule: the input and the convolution trunk in bf16, the global pool's output and the classifier fp32.
static void test_slot_rule(void) {
    ModelConfig c = {.arch = ARCH_RESNET18, .width = 4, .num_classes = 10, .in_h = 16, .in_w = 16, .in_c = 3};
    Model* m = model_create(&c, BACKEND_REF);
    const Net* n = m->impl;
    uint8_t low[256];
    CHECK(n->num_slots <= 256, "slots %d", n->num_slots);
    model_bf16_slots(m, low);
    CHECK(low[0], "the input slot is bf16");
    CHECK(!low[n->logits_slot] && !low[n->features_slot], "logits and pooled features stay fp32");
    int nlow = 0;
    for (int s = 0; s < n->num_slots; s++) nlow += low[s];
    CHECK(nlow == n->num_slots - 2, "ResNet-18: every slot but the two fp32 ones is bf16 (%d of %d)", nlow, n->num_slots);
    for (int i = 0; i < n->num_layers; i++) {   // a layer computing in one type has one type on all its slots
        const Layer* l = &n->layers[i];
        if (l->kind == L_GAP || l->kind == L_LINEAR) continue;
        CHECK(low[l->in] == low[l->out] && (l->kind != L_ADD || low[l->in2] == low[l->in]), "layer %d mixes types", i);
    }
    model_destroy(m);
}

static void step(Model* m, int N, const float* x, const int32_t* y, int K) {
    float dl[64 * 10];
    const float* z = model_forward(m, N, x, 1);
    gls_xent(N, K, NULL, dl, z, y, NULL, NULL, 1.0f / N);
    model_backward(m, dl);
}

static void test_emulation(void) {
    ModelConfig c = {.arch = ARCH_RESNET18, .width = 4, .num_classes = 10, .in_h = 16, .in_w = 16, .in_c = 3};
    Model* ref = model_create(&c, BACKEND_REF);
    Model* emu = model_create(&c, BACKEND_REF);
    model_init(ref, 3);
    model_init(emu, 3);
    const int N = 8, K = 10;
    size_t per = 16 * 16 * 3;
    float* x = ug_malloc(N * per * sizeof(float));
    int32_t y[8];
    Rng r;
    rng_init(&r, 4, RNG_MISC, 0, 0);
    for (size_t i = 0; i < N * per; i++) x[i] = rng_normal(&r);
    for (int i = 0; i < N; i++) y[i] = (int32_t)rng_below(&r, K);
    float* master = ug_malloc(emu->num_params * sizeof(float));
    memcpy(master, emu->params, emu->num_params * sizeof(float));

    model_emulate_bf16(emu, 1);
    CHECK(model_is_emulating_bf16(emu) && !model_is_emulating_bf16(ref), "emulation flag");
    step(ref, N, x, y, K);
    step(emu, N, x, y, K);
    CHECK(memcmp(master, emu->params, emu->num_params * sizeof(float)) == 0, "the fp32 master weights changed");
    const Net* n = emu->impl;
    size_t conv_w = 0, conv_w_low = 0, bn_g = 0, bn_g_low = 0;
    for (int i = 0; i < n->num_layers; i++) {
        const Layer* l = &n->layers[i];
        if (l->kind == L_CONV) {
            size_t cnt = (size_t)l->cd.K * l->cd.C * l->cd.R * l->cd.S;
            for (size_t j = 0; j < cnt; j++) { conv_w++; conv_w_low += is_bf16(emu->grads[l->w + j]); }
        } else if (l->kind == L_BN) {
            for (int j = 0; j < l->C; j++) { bn_g++; bn_g_low += is_bf16(emu->grads[l->w + j]); }
        }
    }
    CHECK(conv_w > 0 && conv_w_low == conv_w, "convolution weight gradients: %zu of %zu are bf16", conv_w_low, conv_w);
    CHECK(bn_g_low < bn_g / 2, "BN gradients stay fp32 (%zu of %zu happen to be bf16)", bn_g_low, bn_g);
    const float* fe = model_features(emu);   // fp32 slot, computed from bf16 activations: not all bf16
    size_t fe_low = 0;
    for (int i = 0; i < N * emu->feature_dim; i++) fe_low += is_bf16(fe[i]);
    CHECK(fe_low < (size_t)N * emu->feature_dim, "pooled features are fp32");
    double d = 0, s = 0;
    for (size_t i = 0; i < ref->num_params; i++) {
        d += ((double)emu->grads[i] - ref->grads[i]) * ((double)emu->grads[i] - ref->grads[i]);
        s += (double)ref->grads[i] * ref->grads[i];
    }
    double rel = sqrt(d / s);
    // bf16 moves the gradient (8 significant bits), but it stays the same gradient
    CHECK(rel > 1e-4 && rel < 0.8, "emulated vs fp32 gradient: relative L2 %.3g", rel);
    printf("note resnet18 w4 16x16 N=8: bf16 emulation moves the whole gradient by %.3g (relative L2)\n", rel);

    model_emulate_bf16(emu, 0);   // off again: the fp32 reference, bit for bit
    step(ref, N, x, y, K);
    memcpy(emu->buffers, ref->buffers, ref->num_buffers * sizeof(float));
    step(emu, N, x, y, K);
    CHECK(memcmp(emu->grads, ref->grads, ref->num_params * sizeof(float)) == 0, "emulation off is not the fp32 path");
    free(x);
    free(master);
    model_destroy(ref);
    model_destroy(emu);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_round);
    TEST_CASE(test_slot_rule);
    TEST_CASE(test_emulation);
    return th_end();
}
