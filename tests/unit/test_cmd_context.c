// test_cmd_context.c — the command context: a fitting checkpoint loads (config, weights and state from the file,
// split loaded for the dataset); every misfit dies with one line that names the command and the files (another
// class count, other input channels, no --data, no --model); a model replaced by a second load is freed.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd_context.h"
#include "common/util.h"
#include "data/dataset.h"
#include "data/split.h"
#include "dist/dist.h"
#include "harness.h"
#include "synth_dataset.h"
#include "train/checkpoint.h"

#define N_TRAIN 60
#define N_TEST 12
#define IMG 8
#define K 3

static char dir[256], data_path[512], split_path[512], good_path[512], classes_path[512], channels_path[512];

static void write_dataset(void) {
    synth_dataset_write(data_path, N_TRAIN, N_TEST, IMG, K, "test:cmd_context");
    int32_t ytr[N_TRAIN], yte[N_TEST];
    for (int i = 0; i < N_TRAIN; i++) ytr[i] = i % K;
    for (int i = 0; i < N_TEST; i++) yte[i] = (i + 1) % K;

    SplitParams p;
    memset(&p, 0, sizeof p);
    p.paradigm = PARADIGM_CLASS;
    p.seed = 1;
    p.val_fraction = 0.1;
    const int32_t forget[1] = {2};
    p.classes = forget;
    p.num_classes_forgotten = 1;
    p.coarse = p.fine = -1;
    SplitInputs in = {K, N_TRAIN, ytr, NULL, NULL, N_TEST, yte};
    Split s;
    char err[256];
    CHECK(split_make(&p, &in, "test:cmd_context", &s, err, sizeof err), "split_make: %s", err);
    split_write(split_path, &s);
    split_free(&s);
}

static void write_model(const char* path, int classes, int channels, uint64_t seed) {
    ModelConfig c = {ARCH_SMALL_CNN, 4, classes, IMG, IMG, channels, 0, 0};
    Model* m = model_create(&c, BACKEND_REF);
    model_init(m, seed);
    TrainState st = {2, 0, 10, seed, 1, 0.01};
    checkpoint_save(path, m, NULL, &st, "[train]\nseed = 5\n");
    model_destroy(m);
}

static void test_loads_a_fitting_model(void) {
    CmdContext cx;
    cmd_context_open(&cx, "eval", data_path, split_path);
    CHECK_EQ_INT(cx.ds.info.num_classes, K);
    CHECK(cx.split.n_forget > 0 && cx.split.n_retain > 0, "split not loaded");
    Model* m = cmd_context_load_model(&cx, good_path, BACKEND_FAST, 0);
    CHECK(m && m == cx.model, "no model");
    CHECK_EQ_INT(cx.mc.num_classes, K);
    CHECK_EQ_INT(cx.mc.in_c, 1);
    CHECK_EQ_INT(cx.state.seed, 5);
    CHECK_EQ_INT(cx.state.global_step, 10);
    CHECK(strstr(cx.model_desc, "small_cnn") != NULL, "desc '%s'", cx.model_desc);
    // the weights are the file's: the same seed's fresh model
    ModelConfig c = cx.mc;
    Model* ref = model_create(&c, BACKEND_REF);
    model_init(ref, 5);
    CHECK(memcmp(ref->params, m->params, m->num_params * sizeof(float)) == 0, "weights differ from the file");
    model_destroy(ref);
    // a second load replaces the first (ASan: the first is freed)
    Model* again = cmd_context_load_model(&cx, good_path, BACKEND_REF, 0);
    CHECK(again == cx.model, "second load");
    cmd_context_close(&cx);
    // without a split
    cmd_context_open(&cx, "train", data_path, NULL);
    CHECK(cx.split_path == NULL && cx.split.n_forget == 0, "a split without --split");
    cmd_context_close(&cx);
}

typedef struct { const char* command; const char* data; const char* model; } Misfit;

static void open_and_load(void* arg) {
    const Misfit* f = arg;
    CmdContext cx;
    cmd_context_open(&cx, f->command, f->data, split_path);
    cmd_context_load_model(&cx, f->model, BACKEND_REF, 0);
}

static void expect_death(Misfit f, const char* expect) {
    char msg[4096];
    int rc = th_run_child(open_and_load, &f, msg, sizeof msg);
    CHECK(rc != 0, "expected a non-zero exit for '%s'", expect);
    CHECK(strstr(msg, expect) != NULL, "expected '%s' in: %s", expect, msg);
    CHECK(strstr(msg, "\n") == strrchr(msg, '\n'), "more than one line: %s", msg);
}

static void test_misfits_die_with_one_line(void) {
    char want[1200];
    snprintf(want, sizeof want, "eval: the model %s (small_cnn w4 5 classes 8x8x1) has 5 classes but the dataset %s has 3",
             classes_path, data_path);
    expect_death((Misfit){"eval", data_path, classes_path}, want);
    snprintf(want, sizeof want, "unlearn: the model %s expects 3 input channels but the dataset %s has 1",
             channels_path, data_path);
    expect_death((Misfit){"unlearn", data_path, channels_path}, want);
    expect_death((Misfit){"unlearn", NULL, good_path}, "unlearn: --data is required");
    expect_death((Misfit){"eval", data_path, NULL}, "eval: --model is required");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    g_dist.rank = 0;
    g_dist.world = 1;
    g_dist.comm = MPI_COMM_NULL;   // no MPI here: serial HDF5
    snprintf(dir, sizeof dir, "/tmp/test_cmd_context.XXXXXX");
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    snprintf(data_path, sizeof data_path, "%s/data.h5", dir);
    snprintf(split_path, sizeof split_path, "%s/split.h5", dir);
    snprintf(good_path, sizeof good_path, "%s/good.h5", dir);
    snprintf(classes_path, sizeof classes_path, "%s/classes5.h5", dir);
    snprintf(channels_path, sizeof channels_path, "%s/rgb.h5", dir);
    write_dataset();
    write_model(good_path, K, 1, 5);
    write_model(classes_path, 5, 1, 5);
    write_model(channels_path, K, 3, 5);
    TEST_CASE(test_loads_a_fitting_model);
    TEST_CASE(test_misfits_die_with_one_line);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return th_end();
}
