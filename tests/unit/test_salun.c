// SalUn: the mask keeps exactly floor(fraction·n) parameters, the ones of largest saliency (ties by index);
// masked-out weights are bit-identical after RL steps with momentum and weight decay; the mask file round-trips.
#include "harness.h"

#include <stdlib.h>
#include <unistd.h>

#include "common/util.h"
#include "test_baselines_common.h"

static void mask_keeps_exact_fraction(void) {
    enum { n = 1001 };
    float* score = malloc(n * sizeof(float));
    Rng r;
    rng_init(&r, 4, RNG_MISC, 0, 0);
    for (int i = 0; i < n; i++) score[i] = (float)rng_below(&r, 50);   // many ties
    double fractions[] = {0.5, 0.1, 0.999, 1.0, 0.0005};
    for (int f = 0; f < 5; f++) {
        uint8_t* mask = salun_mask_from_scores(score, n, fractions[f]);
        size_t want = (size_t)(fractions[f] * n);
        CHECK(mask_count(mask, n) == want, "fraction %g: kept %zu, want %zu", fractions[f], mask_count(mask, n), want);
        // every kept score >= every dropped score
        float min_kept = INFINITY, max_dropped = -INFINITY;
        for (int i = 0; i < n; i++)
            if (mask[i]) min_kept = fminf(min_kept, score[i]);
            else max_dropped = fmaxf(max_dropped, score[i]);
        if (want > 0 && want < n) CHECK(min_kept >= max_dropped, "kept %g < dropped %g", min_kept, max_dropped);
        free(mask);
    }
    free(score);
}

static void masked_out_weights_do_not_move(void) {
    Model* m = tb_model(4, TB_K, 7);
    Model* orig = tb_model(4, TB_K, 7);
    float* score = malloc(m->num_params * sizeof(float));
    Rng r;
    rng_init(&r, 5, RNG_MISC, 0, 0);
    for (size_t i = 0; i < m->num_params; i++) score[i] = rng_uniform(&r);
    uint8_t* mask = salun_mask_from_scores(score, m->num_params, 0.5);
    UnlearnConfig c = tb_config(METHOD_SALUN);
    Trainer t;
    trainer_init(&t, m, &c.sgd);
    t.update_mask = mask;
    for (int s = 0; s < 5; s++) {
        TbBatch b;
        tb_batch(&b, TB_K, 20 + (uint64_t)s);
        UnlearnStep st;
        CHECK_TRUE(unlearn_step(&c, &t, &b.b, NULL, &st));
    }
    size_t moved_out = 0, moved_in = 0;
    for (size_t i = 0; i < m->num_params; i++) {
        int moved = memcmp(&m->params[i], &orig->params[i], sizeof(float)) != 0;
        if (mask[i]) moved_in += moved;
        else moved_out += moved;
    }
    CHECK(moved_out == 0, "%zu masked-out parameters moved", moved_out);
    CHECK(moved_in > mask_count(mask, m->num_params) / 2, "only %zu of %zu masked-in parameters moved", moved_in,
          mask_count(mask, m->num_params));
    // the momentum of masked-out entries stays zero too
    size_t mom = 0;
    for (size_t i = 0; i < m->num_params; i++) mom += !mask[i] && t.sgd.momentum_buf[i] != 0.0f;
    CHECK(mom == 0, "%zu masked-out momentum entries are non-zero", mom);
    trainer_free(&t);
    free(score); free(mask);
    model_destroy(m); model_destroy(orig);
}

static void mask_file_round_trip(void) {
    char dir[] = "/tmp/ugradsl-salun-XXXXXX";
    CHECK_TRUE(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/mask.h5", dir);
    Model* m = tb_model(4, TB_K, 7);
    uint8_t* mask = ug_malloc(m->num_params);
    for (size_t i = 0; i < m->num_params; i++) mask[i] = (uint8_t)(i % 3 == 0);
    salun_mask_save(path, mask, m, 0.33);
    uint8_t* back = salun_mask_load(path, m);
    CHECK(memcmp(mask, back, m->num_params) == 0, "the loaded mask differs");
    free(mask); free(back);
    unlink(path);
    rmdir(dir);
    model_destroy(m);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(mask_keeps_exact_fraction);
    TEST_CASE(masked_out_weights_do_not_move);
    TEST_CASE(mask_file_round_trip);
    return th_end();
}
