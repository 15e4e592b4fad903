// model_bf16.c — which activation slots the bf16 mixed-precision mode stores in bf16 (one rule, shared by the GPU
// model and the CPU reference), and the CPU reference's emulation of that mode: every value the GPU stores in bf16
// (bf16 activation slots and their gradients, the convolution weights it reads, the convolution weight gradients
// it computes) is rounded to bf16 at the same place; master weights, BN statistics and sums stay fp32.  The GPU
// bf16 test measures how much bf16 itself moves each result (emulated vs fp32 reference) and holds the GPU to it.
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "nn/model_impl.h"

// All slots but the classifier's input and output and the global average pool's output (which feeds it) are bf16;
// a layer that computes in one type (conv, BN, ReLU, max-pool, add) gets fp32 on all its slots if any of them must
// be fp32 (a network without global pooling: fp32 up to there).
void model_bf16_slots(const Model* m, uint8_t* is_bf16) {
    const Net* n = m->impl;
    memset(is_bf16, 1, (size_t)n->num_slots);
    is_bf16[n->logits_slot] = 0;
    for (int i = 0; i < n->num_layers; i++) {
        const Layer* l = &n->layers[i];
        if (l->kind == L_GAP || l->kind == L_LINEAR) is_bf16[l->out] = 0;
        if (l->kind == L_LINEAR) is_bf16[l->in] = 0;
    }
    for (int changed = 1; changed;) {
        changed = 0;
        for (int i = 0; i < n->num_layers; i++) {
            const Layer* l = &n->layers[i];
            if (l->kind == L_GAP || l->kind == L_LINEAR) continue;
            int sl[3] = {l->in, l->out, l->kind == L_ADD ? l->in2 : l->in}, any = 0;
            for (int k = 0; k < 3; k++) any |= !is_bf16[sl[k]];
            for (int k = 0; k < 3 && any; k++)
                if (is_bf16[sl[k]]) { is_bf16[sl[k]] = 0; changed = 1; }
        }
    }
}

// Round to nearest even, as the GPU's cast (ug_cast) and cuDNN do; NaN stays NaN, ±Inf stays.
float bf16_round(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7f800000u) == 0x7f800000u) {   // Inf stays Inf; a NaN stays a NaN (quiet) after the truncation
        u = (u & 0xffff0000u) | ((u & 0x007fffffu) ? 0x00400000u : 0u);
    } else {
        u += 0x7fffu + ((u >> 16) & 1u);
        u &= 0xffff0000u;
    }
    memcpy(&f, &u, sizeof f);
    return f;
}

void bf16_round_n(float* x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = bf16_round(x[i]);
}

void model_emulate_bf16(Model* m, int on) {
    Net* n = m->impl;
    UG_CHECK(!model_on_device(m), "model_emulate_bf16: the CPU reference only (a GPU model has --precision bf16)");
    free(n->bf16_slot);
    free(n->wround);
    n->bf16_slot = NULL;
    n->wround = NULL;
    if (!on) return;
    n->bf16_slot = ug_malloc((size_t)n->num_slots);
    model_bf16_slots(m, n->bf16_slot);
    n->wround = ug_malloc((m->num_params ? m->num_params : 1) * sizeof(float));
    for (size_t i = 0; i < m->num_params; i++) n->wround[i] = bf16_round(m->params[i]);   // defined before a forward
}

int model_is_emulating_bf16(const Model* m) { return ((const Net*)m->impl)->bf16_slot != NULL; }

// The weights a convolution reads under emulation: its fp32 master weights rounded, once per forward (the
// backward reads the same copy); NULL: not a bf16 layer.
const float* bf16_conv_weights(const Model* m, const Layer* l) {
    const Net* n = m->impl;
    if (!n->bf16_slot || !n->bf16_slot[l->in]) return NULL;
    size_t cnt = (size_t)l->cd.K * l->cd.C * l->cd.R * l->cd.S;
    for (size_t i = 0; i < cnt; i++) n->wround[l->w + i] = bf16_round(m->params[l->w + i]);
    return n->wround + l->w;
}
