// model_exec.c — the model's operations, dispatched to its executor (nn/executor.h), and what is built from them.
#include <mpi.h>

#include "common/util.h"
#include "dist/dist.h"
#include "nn/executor.h"
#include "nn/model_impl.h"

const float* model_forward(Model* m, int N, const float* x, int train) {
    UG_CHECK(N >= 0, "model_forward: negative batch");
    Net* n = m->impl;
    n->last_n = N;
    n->last_train = train;
    return m->exec->forward(m, N, x, train, 1);
}

void model_forward_resident(Model* m, int N, const float* x, int train) {
    UG_CHECK(N >= 0, "model_forward: negative batch");
    Net* n = m->impl;
    n->last_n = N;
    n->last_train = train;
    m->exec->forward(m, N, x, train, 0);
}

const float* model_features(const Model* m) { return m->exec->features((Model*)m); }
void model_backward(Model* m, const float* dlogits) { m->exec->backward(m, dlogits, NULL); }
void model_backward_input(Model* m, const float* dlogits, float* dx) { m->exec->backward(m, dlogits, dx); }

double model_loss_backward(Model* m, const int32_t* y, const float* alpha, const float* weight, float scale,
                           float* sample_loss, float* logits, float* dx) {
    return m->exec->loss_backward(m, y, alpha, weight, scale, sample_loss, logits, dx);
}

double model_kl_loss_backward(Model* student, const Model* teacher, const DistillLoss* loss, int32_t* argmax) {
    UG_CHECK(teacher->exec == student->exec, "model_kl_loss_backward: the teacher runs on %s, the student on %s "
             "(model_place_like)", teacher->exec->name, student->exec->name);
    UG_CHECK(model_config_equal(&student->cfg, &teacher->cfg), "model_kl_loss_backward: different models");
    return student->exec->kl_loss_backward(student, teacher, loss, argmax);
}

void model_place_like(Model* twin, const Model* m) {
    UG_CHECK(!model_on_device(twin), "model_place_like: the twin is already on a device");
    UG_CHECK(model_config_equal(&twin->cfg, &m->cfg), "model_place_like: different models");
    if (m->exec->place_like) m->exec->place_like(twin, m);
}

double model_compute(Model* m, int N, const float* x, const int32_t* y, const float* alpha, const float* weight,
                     float scale, float* sample_loss, float* logits) {
    UG_CHECK(N >= 0, "model_compute: negative batch");
    Net* n = m->impl;
    n->last_n = N;
    n->last_train = 1;
    return m->exec->compute(m, N, x, y, alpha, weight, scale, sample_loss, logits);
}

void model_state_to_host(Model* m) { m->exec->state_to_host(m); }
void model_state_to_device(Model* m) { m->exec->state_to_device(m); }
void model_grads_to_host(Model* m) { m->exec->grads_to_host(m); }
void model_grads_to_device(Model* m) { m->exec->grads_to_device(m); }
void model_grad_save(Model* m) { m->exec->grad_save(m); }
void model_grad_add_saved(Model* m) { m->exec->grad_add_saved(m); }
void model_grad_zero(Model* m) { m->exec->grad_zero(m); }
void model_allreduce_grads(Model* m) { m->exec->allreduce_grads(m); }
double model_grad_norm(Model* m) { return m->exec->grad_norm(m); }
void model_scale_grads(Model* m, float a) { m->exec->scale_grads(m, a); }
void model_sgd(Model* m, Sgd* s, const uint8_t* mask, float lr) { m->exec->sgd(m, s, mask, lr); }
void model_momentum_to_host(Model* m, Sgd* s) { m->exec->momentum_to_host(m, s); }
void model_momentum_to_device(Model* m, const Sgd* s) { m->exec->momentum_to_device(m, s); }
void model_overlap_next_backward(Model* m) { m->exec->overlap_next_backward(m); }
void model_adaptive_alpha(Model* m, float* alpha, const AlphaQuery* q) { m->exec->adaptive_alpha(m, alpha, q); }
int model_on_device(const Model* m) { return m->exec != &model_exec_cpu; }

void model_sync_buffers(Model* m) {
    if (g_dist.world <= 1 || m->num_buffers == 0) return;
    model_state_to_host(m);
    MPI_CHECK(MPI_Bcast(m->buffers, (int)m->num_buffers, MPI_FLOAT, 0, g_dist.comm));
    model_state_to_device(m);
}
