// EU-k / CF-k: exactly the last k parametrised layers are trainable; EU re-initialises exactly those; after
// unlearning steps (momentum and weight decay on) every frozen tensor is bit-identical to the original.
#include "harness.h"

#include <stdlib.h>

#include "test_baselines_common.h"

static int tensor_same(const Model* a, const Model* b, const TensorInfo* t) {
    const float* pa = (t->is_buffer ? a->buffers : a->params) + t->offset;
    const float* pb = (t->is_buffer ? b->buffers : b->params) + t->offset;
    return tb_same(pa, pb, t->numel);
}

static void mask_covers_last_k_layers(void) {
    Model* m = tb_model(4, TB_K, 7);
    CHECK_EQ_INT(m->num_layers, 7);   // conv1 bn1 conv2 bn2 conv3 bn3 fc
    for (int k = 1; k <= 3; k++) {
        uint8_t* mask = last_k_layers_mask(m, k);
        for (int i = 0; i < m->num_tensors; i++) {
            const TensorInfo* t = &m->tensors[i];
            if (t->is_buffer) continue;
            size_t on = mask_count(mask + t->offset, t->numel);
            int want = t->layer >= m->num_layers - k;
            CHECK(on == (want ? t->numel : 0), "k=%d tensor %s: %zu of %zu trainable", k, t->name, on, t->numel);
        }
        free(mask);
    }
    uint8_t* mask = last_k_layers_mask(m, 1);
    const TensorInfo* fc = model_find_tensor(m, "fc.weight");
    const TensorInfo* fb = model_find_tensor(m, "fc.bias");
    CHECK_EQ_INT(mask_count(mask, m->num_params), fc->numel + fb->numel);
    free(mask);
    model_destroy(m);
}

static void run_method(MethodKind kind, int k) {
    Model *m = tb_model(4, TB_K, 7), *orig = tb_model(4, TB_K, 7);
    UnlearnConfig c = tb_config(kind);
    c.k = k;
    Trainer t;
    trainer_init(&t, m, &c.sgd);
    const MethodDef* d = method_def_of(&c);   // the row's hooks, as unlearn_loop calls them
    void* b = d->hooks.begin(&c, &t, NULL, NULL);
    CHECK_TRUE(t.update_mask != NULL);
    // EU: the last k layers differ from the original right away, all others are untouched.
    for (int i = 0; i < m->num_tensors; i++) {
        const TensorInfo* ti = &m->tensors[i];
        int last = ti->layer >= m->num_layers - k;
        if (kind == METHOD_EU_K && last && !ti->is_buffer && strstr(ti->name, "bn") == NULL)
            CHECK(!tensor_same(m, orig, ti), "eu-k: %s (one of the last %d layers) was not re-initialised", ti->name, k);
        if (!last || kind == METHOD_CF_K) CHECK(tensor_same(m, orig, ti), "%s changed at the start", ti->name);
    }
    Model* start = tb_model(4, TB_K, 7);
    model_copy_state(start, m);
    for (int s = 0; s < 4; s++) {
        TbBatch r;
        tb_batch(&r, TB_K, 10 + (uint64_t)s);
        UnlearnStep st;
        CHECK_TRUE(unlearn_step(&c, &t, &r.b, NULL, &st));
    }
    for (int i = 0; i < m->num_tensors; i++) {
        const TensorInfo* ti = &m->tensors[i];
        if (ti->is_buffer) continue;
        if (ti->layer < m->num_layers - k) CHECK(tensor_same(m, orig, ti), "frozen %s moved", ti->name);
        else CHECK(!tensor_same(m, start, ti), "trainable %s did not move", ti->name);
    }
    d->hooks.end(b, &t);
    CHECK_TRUE(t.update_mask == NULL);
    trainer_free(&t);
    model_destroy(m); model_destroy(orig); model_destroy(start);
}

static void eu_k1(void) { run_method(METHOD_EU_K, 1); }
static void eu_k3(void) { run_method(METHOD_EU_K, 3); }
static void cf_k2(void) { run_method(METHOD_CF_K, 2); }

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(mask_covers_last_k_layers);
    TEST_CASE(eu_k1);
    TEST_CASE(eu_k3);
    TEST_CASE(cf_k2);
    return th_end();
}
