// Boundary unlearning: BS's FGSM targets are never the true label (and are the argmax of the perturbed input
// when that one is wrong); BE's widened model reproduces the original's K logits, and pruning gives the
// original parameters back.
#include "harness.h"

#include <stdlib.h>

#include "test_baselines_common.h"

static void bs_targets_differ_from_labels(void) {
    Model* m = tb_model(4, TB_K, 7);
    Model* keep = tb_model(4, TB_K, 7);
    int32_t out[TB_N], tiny[TB_N];
    int runner_up = 0;
    for (uint64_t seed = 0; seed < 8; seed++) {
        TbBatch b;
        tb_batch(&b, TB_K, 30 + seed);
        // labels = the clean prediction, so the FGSM step really has a boundary to cross
        float z[TB_N * TB_K];
        memcpy(z, model_forward(m, b.b.n, b.b.x, 0), sizeof z);
        int second[TB_N];
        for (int i = 0; i < b.b.n; i++) {
            int best = 0;
            for (int k = 1; k < TB_K; k++)
                if (z[i * TB_K + k] > z[i * TB_K + best]) best = k;
            b.y[i] = best;
            second[i] = best == 0 ? 1 : 0;
            for (int k = 0; k < TB_K; k++)
                if (k != best && z[i * TB_K + k] > z[i * TB_K + second[i]]) second[i] = k;
        }
        bs_targets(m, &b.b, 0.5, out);
        bs_targets(m, &b.b, 1e-7, tiny);   // a step too small to cross: the clean runner-up
        for (int i = 0; i < b.b.n; i++) {
            CHECK(out[i] != b.y[i], "sample %d: target %d equals the true label", i, out[i]);
            CHECK(out[i] >= 0 && out[i] < TB_K, "target %d out of range", out[i]);
            runner_up += tiny[i] == second[i];
        }
    }
    CHECK(runner_up == 8 * TB_N, "a tiny step must give the clean runner-up (%d of %d)", runner_up, 8 * TB_N);
    CHECK(tb_same(m->params, keep->params, m->num_params), "the frozen model must not change");
    model_destroy(m); model_destroy(keep);
}

static void be_widen_and_prune(void) {
    Model* m = tb_model(4, TB_K, 7);
    Model* wide = tb_model(4, TB_K + 1, 99);
    model_copy_common(wide, m);
    TbBatch b;
    tb_batch(&b, TB_K, 5);
    float z0[TB_N * TB_K];
    memcpy(z0, model_forward(m, b.b.n, b.b.x, 0), sizeof z0);
    const float* zw = model_forward(wide, b.b.n, b.b.x, 0);
    int bad = 0;
    for (int i = 0; i < TB_N; i++)
        for (int k = 0; k < TB_K; k++) bad += fabsf(zw[i * (TB_K + 1) + k] - z0[i * TB_K + k]) > 1e-5f;
    CHECK(bad == 0, "%d of the first K logits of the widened model differ from the original", bad);
    // the shadow row is a fresh init, not zeros
    const TensorInfo* fw = model_find_tensor(wide, "fc.weight");
    double s = 0;
    for (int j = 0; j < fw->shape[1]; j++) s += fabsf(wide->params[fw->offset + (size_t)TB_K * fw->shape[1] + j]);
    CHECK(s > 0, "the shadow row is all zeros");
    // prune back into a scratch copy: the original parameters exactly
    Model* back = tb_model(4, TB_K, 123);
    model_copy_common(back, wide);
    CHECK(tb_same(back->params, m->params, m->num_params), "prune(widen(θ)) != θ");
    CHECK(tb_same(back->buffers, m->buffers, m->num_buffers), "buffers differ after prune");
    model_destroy(m); model_destroy(wide); model_destroy(back);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(bs_targets_differ_from_labels);
    TEST_CASE(be_widen_and_prune);
    return th_end();
}
