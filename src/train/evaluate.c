// evaluate.c — accuracy / loss of the model over a loader (BN eval mode), summed over ranks.
#include <math.h>

#include "common/util.h"
#include "dist/dist.h"
#include "train/trainer.h"

double trainer_evaluate(Trainer* t, Loader* l, double* loss_out) {
    Model* m = t->model;
    int K = m->cfg.num_classes;
    trainer_sync_buffers(t);
    loader_start_epoch(l, 0);
    double sums[3] = {0, 0, 0};   // loss, correct, count
    Batch b;
    while (loader_next(l, &b)) {
        if (b.n == 0) continue;
        const float* logits = model_forward(m, b.n, b.x, 0);
        sums[0] += gls_xent(b.n, K, NULL, NULL, logits, b.y, NULL, NULL, 1.0f);
        for (int i = 0; i < b.n; i++) sums[1] += ug_argmax(logits + (size_t)i * K, K) == b.y[i];
        sums[2] += b.n;
    }
    if (g_dist.world > 1) dist_allreduce_sum_f64(sums, 3);
    if (loss_out) *loss_out = sums[2] > 0 ? sums[0] / sums[2] : NAN;
    return sums[2] > 0 ? sums[1] / sums[2] : NAN;
}

