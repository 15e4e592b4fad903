// exec_cpu.c — the CPU executor (nn/executor.h): nn's own ops on the host buffers.  The reference every other
// executor is tested against; the state always lives on the host, so residency calls do nothing.
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dist/dist.h"
#include "nn/executor.h"
#include "nn/model_impl.h"
#include "nn/ops.h"

static const float* cpu_forward(Model* m, int N, const float* x, int train, int logits_to_host) {
    return net_forward(m, N, x, train);
}

static const float* cpu_features(Model* m) { return net_features(m); }
static void cpu_backward(Model* m, const float* dlogits, float* dx) { net_backward(m, dlogits, dx); }

// The logit gradient buffer for the last forward's N rows.
static float* cpu_dlogits(Model* m) {
    Net* n = m->impl;
    size_t need = n->last_n > 0 ? (size_t)n->last_n : 1;
    if (need > n->cap_dlogits || !n->dlogits) {
        free(n->dlogits);
        n->dlogits = ug_aligned_alloc(need * (size_t)m->cfg.num_classes * sizeof(float));
        n->cap_dlogits = need;
    }
    return n->dlogits;
}

// The trainer's CPU step as it always was: gls_xent into a logit gradient, then backward from it (with the input
// gradient when dx is not NULL, as model_backward_input).
static double cpu_loss_backward(Model* m, const int32_t* y, const float* alpha, const float* weight, float scale,
                                float* sample_loss, float* logits, float* dx) {
    Net* n = m->impl;
    int N = n->last_n, K = m->cfg.num_classes;
    cpu_dlogits(m);
    double total = 0.0;
    if (N > 0) {
        const float* z = net_logits(m);
        total = gls_xent(N, K, sample_loss, n->dlogits, z, y, alpha, weight, scale);
        if (logits) memcpy(logits, z, (size_t)N * K * sizeof(float));
    }
    net_backward(m, n->dlogits, N > 0 ? dx : NULL);   // N = 0: zero gradients
    return total;
}

// SCRUB's step as it always was: kl_distill_loss (scrub_kl + gls_xent) into a logit gradient, then backward.
static double cpu_kl_loss_backward(Model* m, const Model* teacher, const DistillLoss* loss, int32_t* argmax) {
    Net* n = m->impl;
    int N = n->last_n, K = m->cfg.num_classes;
    float* dl = cpu_dlogits(m);
    double total = 0.0;
    if (N > 0) {
        const Net* tn = teacher->impl;
        UG_CHECK(tn->last_n == N, "kl loss: the teacher's last forward had %d rows, the student's %d", tn->last_n, N);
        const float* z = net_logits(m);
        total = kl_distill_loss(N, K, z, net_logits(teacher), loss, dl);
        if (argmax)
            for (int i = 0; i < N; i++) argmax[i] = ug_argmax(z + (size_t)i * K, K);
    }
    net_backward(m, dl, NULL);   // N = 0: zero gradients
    return total;
}

static double cpu_compute(Model* m, int N, const float* x, const int32_t* y, const float* alpha, const float* weight,
                          float scale, float* sample_loss, float* logits) {
    net_forward(m, N, x, 1);
    return cpu_loss_backward(m, y, alpha, weight, scale, sample_loss, logits, NULL);
}

static void cpu_grad_save(Model* m) {
    Net* n = m->impl;
    if (!n->grad_saved) n->grad_saved = ug_malloc(m->num_params * sizeof(float));
    memcpy(n->grad_saved, m->grads, m->num_params * sizeof(float));
}

static void cpu_grad_add_saved(Model* m) {
    Net* n = m->impl;
    for (size_t i = 0; i < m->num_params; i++) m->grads[i] += n->grad_saved[i];
}

static void cpu_grad_zero(Model* m) { memset(m->grads, 0, m->num_params * sizeof(float)); }

static void cpu_allreduce_grads(Model* m) {
    if (g_dist.world > 1) dist_allreduce_sum_f32(m->grads, m->num_params);
}

static double cpu_grad_norm(Model* m) { return grad_norm(m->grads, m->num_params); }

// The same products as grad_clip (one float multiply per entry).
static void cpu_scale_grads(Model* m, float a) {
    for (size_t i = 0; i < m->num_params; i++) m->grads[i] *= a;
}

static void cpu_sgd(Model* m, Sgd* s, const uint8_t* mask, float lr) { sgd_step(s, m->params, m->grads, mask, lr); }

static void cpu_nothing(Model* m) {}
static void cpu_momentum_nothing(Model* m, Sgd* s) {}
static void cpu_momentum_nothing_const(Model* m, const Sgd* s) {}

static void cpu_adaptive_alpha(Model* m, float* alpha, const AlphaQuery* q) {
    const float* rows = q->from_features ? net_features(m) : q->forget_host;
    adaptive_alpha(alpha, rows, q->n_forget, q->retain, q->n_retain, q->dim, q->n_forget_global, q->kind, q->beta,
                   q->sign, q->scale);
}

const ModelExec model_exec_cpu = {
    .name = "cpu",
    .detach = NULL,
    .forward = cpu_forward,
    .features = cpu_features,
    .backward = cpu_backward,
    .loss_backward = cpu_loss_backward,
    .compute = cpu_compute,
    .kl_loss_backward = cpu_kl_loss_backward,
    .place_like = NULL,
    .grad_save = cpu_grad_save,
    .grad_add_saved = cpu_grad_add_saved,
    .grad_zero = cpu_grad_zero,
    .allreduce_grads = cpu_allreduce_grads,
    .grad_norm = cpu_grad_norm,
    .scale_grads = cpu_scale_grads,
    .sgd = cpu_sgd,
    .state_to_host = cpu_nothing,
    .state_to_device = cpu_nothing,
    .grads_to_host = cpu_nothing,
    .grads_to_device = cpu_nothing,
    .momentum_to_host = cpu_momentum_nothing,
    .momentum_to_device = cpu_momentum_nothing_const,
    .overlap_next_backward = cpu_nothing,
    .adaptive_alpha = cpu_adaptive_alpha,
};
