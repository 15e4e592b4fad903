// test_train_recipe.c — Retrain run directly (a command context + the config's [train] recipe + train_run) gives
// the bit-identical model of the way `unlearn --method retrain` ran it before (an argv for `ugradsl train --on
// retain`), at np 1, 2, 3; and the context loads that model with the checkpoint's config and state.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd_context.h"
#include "cmd/commands.h"
#include "cmd/train_recipe.h"
#include "common/util.h"
#include "data/dataset.h"
#include "dist/dist.h"
#include "harness.h"
#include "synth_dataset.h"
#include "train/checkpoint.h"

#define N_TRAIN 120
#define N_TEST 30
#define IMG 8
#define K 3

static char dir[256], data_path[512], split_path[512], ini_path[512];

static void make_inputs(void) {
    synth_dataset_write(data_path, N_TRAIN, N_TEST, IMG, K, "test:train_recipe");
    // the recipe: [train] keys that Retrain keeps, and keys it overrides (seed, on, output)
    FILE* f = fopen(ini_path, "w");
    fprintf(f, "[split]\nparadigm = class\nclasses = 1\nval-fraction = 0.1\n"
               "[train]\narch = small_cnn\nwidth = 4\nepochs = 2\nbatch = 16\nlr = 0.05\nlr-schedule = cosine\n"
               "augment = none\nseed = 99\non = all\noutput = /nonexistent\neval-every = 0\n"
               "[unlearn]\nepochs = 1\n");
    fclose(f);
}

static void make_split(void) {
    char* argv[] = {"split", "--config", ini_path, "--data", data_path, "--output", split_path, NULL};
    CHECK_EQ_INT(cmd_split(7, argv), 0);
}

// Before: unlearn built this argv for cmd_train (src/cmd/cmd_unlearn.c, run_retrain).
static int retrain_by_argv(const char* out_dir, int64_t seed) {
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%lld", (long long)seed);
    char* argv[] = {"train", "--config", ini_path, "--data", data_path, "--split", split_path,
                    "--on", "retain", "--output", (char*)out_dir, "--seed", seed_text, "--device", "cpu",
                    "--precision", "fp32", NULL};
    return cmd_train(17, argv);
}

// Now: the context and the recipe, train_run called directly.
static int retrain_direct(CmdContext* cx, const char* out_dir, int64_t seed) {
    TrainRecipe r;
    train_recipe_load(&r, ini_path);
    train_recipe_retrain(&r, data_path, split_path, out_dir, seed, "cpu", "fp32");
    int rc = train_recipe_run(&r, cx);
    train_recipe_free(&r);
    return rc;
}

static Model* load(const char* path) {
    ModelConfig mc;
    checkpoint_read_config(path, &mc);
    Model* m = model_create(&mc, BACKEND_FAST);
    checkpoint_load(path, m, NULL, NULL);
    return m;
}

static void test_retrain_direct_equals_argv(void) {
    char a[600], b[600], ma[700], mb[700];
    snprintf(a, sizeof a, "%s/argv", dir);
    snprintf(b, sizeof b, "%s/direct", dir);
    CHECK_EQ_INT(retrain_by_argv(a, 7), 0);
    CmdContext cx;
    cmd_context_open(&cx, "unlearn", data_path, split_path);
    CHECK_EQ_INT(retrain_direct(&cx, b, 7), 0);
    snprintf(ma, sizeof ma, "%s/model.h5", a);
    snprintf(mb, sizeof mb, "%s/model.h5", b);
    Model* x = load(ma);
    Model* y = load(mb);
    CHECK_EQ_INT(x->num_params, y->num_params);
    CHECK(memcmp(x->params, y->params, x->num_params * sizeof(float)) == 0, "parameters differ");
    CHECK(memcmp(x->buffers, y->buffers, x->num_buffers * sizeof(float)) == 0, "BN statistics differ");
    // the recipe's seed / on are Retrain's, not the file's
    char* text = checkpoint_read_config_text(mb);
    CHECK(strstr(text, "seed = 7\n") && strstr(text, "on = retain\n") && strstr(text, "arch = small_cnn\n"),
          "config text: %s", text);
    free(text);
    // a different seed is a different model (the comparison above can fail)
    char c[600], mc_path[700];
    snprintf(c, sizeof c, "%s/direct8", dir);
    CHECK_EQ_INT(retrain_direct(&cx, c, 8), 0);
    snprintf(mc_path, sizeof mc_path, "%s/model.h5", c);
    Model* z = load(mc_path);
    CHECK(memcmp(x->params, z->params, x->num_params * sizeof(float)) != 0, "seed 8 gave the model of seed 7");
    // the context loads the retrained model: config from the checkpoint, state, on the CPU
    Model* m = cmd_context_load_model(&cx, mb, BACKEND_FAST, 0);
    CHECK(m == cx.model, "load_model returns cx.model");
    CHECK_EQ_INT(cx.mc.num_classes, K);
    CHECK_EQ_INT(cx.mc.in_c, 1);
    CHECK_EQ_INT(cx.state.seed, 7);
    CHECK(memcmp(m->params, y->params, y->num_params * sizeof(float)) == 0, "context model differs from the file");
    cmd_context_close(&cx);
    model_destroy(x);
    model_destroy(y);
    model_destroy(z);
}

int main(int argc, char** argv) {
    dist_init(&argc, &argv);
    th_begin(&argc, &argv, 1);
    synth_tmpdir_mpi(dir, sizeof dir, "test_train_recipe");
    snprintf(data_path, sizeof data_path, "%s/data.h5", dir);
    snprintf(split_path, sizeof split_path, "%s/split.h5", dir);
    snprintf(ini_path, sizeof ini_path, "%s/recipe.ini", dir);
    if (th_rank == 0) make_inputs();
    MPI_Barrier(MPI_COMM_WORLD);
    make_split();
    TEST_CASE(test_retrain_direct_equals_argv);
    synth_rmdir_mpi(dir);
    return th_end();
}
