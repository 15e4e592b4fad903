// test_reducer_cmd.c — the commands end to end at np 1, 2, 3: `ugradsl eval` on a checkpoint (in-process
// cmd_eval) writes metrics.json with the rank count and the checkpoint's method, and `ugradsl report` on that
// directory plus a hand-made Retrain run gives the table with an Avg. Gap.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/json.h"
#include "common/util.h"
#include "data/dataset.h"
#include "data/split.h"
#include "dist/dist.h"
#include "harness.h"
#include "synth_dataset.h"
#include "nn/model.h"
#include "train/checkpoint.h"

#define N_TRAIN 120
#define N_TEST 36
#define IMG 8
#define K 3

static char dir[256];
// Rank 0: dataset, class-wise split file, checkpoint (method "ga" in its config), and a Retrain metrics.json.
static void make_inputs(void) {
    char p[600];
    snprintf(p, sizeof p, "%s/data.h5", dir);
    synth_dataset_write(p, N_TRAIN, N_TEST, IMG, K, "test:reducer_cmd");
    int32_t ytr[N_TRAIN], yte[N_TEST];
    for (int i = 0; i < N_TRAIN; i++) ytr[i] = i % K;
    for (int i = 0; i < N_TEST; i++) yte[i] = (i + 1) % K;
    int32_t forget_class = 2;
    SplitParams sp;
    memset(&sp, 0, sizeof sp);
    sp.paradigm = PARADIGM_CLASS;
    sp.seed = 1;
    sp.val_fraction = 0.1;
    sp.classes = &forget_class;
    sp.num_classes_forgotten = 1;
    SplitInputs in = {K, N_TRAIN, ytr, NULL, NULL, N_TEST, yte};
    Split s;
    char err[256];
    if (!split_make(&sp, &in, "test:reducer_cmd", &s, err, sizeof err)) { fprintf(stderr, "%s\n", err); exit(1); }
    snprintf(p, sizeof p, "%s/split.h5", dir);
    split_write(p, &s);
    split_free(&s);
    ModelConfig mc;
    memset(&mc, 0, sizeof mc);
    mc.arch = ARCH_SMALL_CNN;
    mc.width = 4;
    mc.num_classes = K;
    mc.in_h = IMG; mc.in_w = IMG; mc.in_c = 1;
    Model* m = model_create(&mc, BACKEND_FAST);
    model_init(m, 9);
    snprintf(p, sizeof p, "%s/model.h5", dir);
    checkpoint_save(p, m, NULL, NULL, "[unlearn]\nmethod = ga\nlr = 0.001\n");
    model_destroy(m);
    // A Retrain run on the same split (its "split" must be the same absolute path the eval writes).
    char real[4096], text[8192];
    snprintf(p, sizeof p, "%s/split.h5", dir);
    if (!realpath(p, real)) { perror("realpath"); exit(1); }
    snprintf(text, sizeof text,
             "{\"format\": \"ugradsl-metrics\", \"method\": \"retrain\", \"seed\": 1, \"split\": \"%s\","
             " \"split_name\": \"split.h5\", \"timing\": {\"rte_s\": 30},"
             " \"metrics\": {\"UA\": 100, \"MIA\": 100, \"RA\": 100, \"TA\": 100, \"add_MIA\": null}}\n", real);
    snprintf(p, sizeof p, "%s/runs/retrain", dir);
    ug_mkdir_p(p);
    snprintf(p, sizeof p, "%s/runs/retrain/metrics.json", dir);
    FILE* f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

static void eval_then_report(void) {
    char model[600], data[600], split[600], out[600], runs[600];
    snprintf(model, sizeof model, "%s/model.h5", dir);
    snprintf(data, sizeof data, "%s/data.h5", dir);
    snprintf(split, sizeof split, "%s/split.h5", dir);
    snprintf(out, sizeof out, "%s/runs/ga", dir);
    snprintf(runs, sizeof runs, "%s/runs", dir);
    char* argv[] = {"eval", "--model", model, "--data", data, "--split", split, "--output", out, "--batch", "5",
                    "--mia-bootstrap", "3", NULL};
    CHECK_EQ_INT(cmd_eval(13, argv), 0);
    MPI_Barrier(MPI_COMM_WORLD);
    if (th_rank != 0) return;
    char path[700], buf[256];
    snprintf(path, sizeof path, "%s/metrics.json", out);
    char* text = ug_read_file(path, NULL);
    double v;
    CHECK(json_find_string(text, "method", buf, sizeof buf) && !strcmp(buf, "ga"), "method from the checkpoint: %s", buf);
    CHECK(json_find_number(text, "world_size", &v) && (int)v == th_world, "world_size %g", v);
    CHECK(json_find_number(text, "startup_s", &v) && v >= 0, "startup_s measured");
    CHECK(json_find_number(text, "UA", &v) && v >= 0 && v <= 100, "UA in range");
    free(text);
    char* rargv[] = {"report", runs, "--no-plot", NULL};
    fflush(stdout);
    int saved = dup(1);
    FILE* null = fopen("/dev/null", "w");
    dup2(fileno(null), 1);
    int rc = cmd_report(3, rargv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    fclose(null);
    CHECK_EQ_INT(rc, 0);
    snprintf(path, sizeof path, "%s/report.json", runs);
    text = ug_read_file(path, NULL);
    CHECK(strstr(text, "\"method\": \"retrain\"") && strstr(text, "\"method\": \"ga\""), "both rows:\n%s", text);
    // GA's row has a numeric gap (same split as Retrain), Retrain's is null.
    const char* ga = strstr(text, "\"method\": \"ga\"");
    CHECK(ga && json_find_number(ga, "avg_gap", &v) && v >= 0, "GA avg_gap numeric");
    free(text);
}

int main(int argc, char** argv) {
    dist_init(&argc, &argv);
    th_begin(&argc, &argv, 1);
    if (th_rank == 0) {
        snprintf(dir, sizeof dir, "/tmp/test_reducer_cmd.XXXXXX");
        if (!mkdtemp(dir)) { perror("mkdtemp"); MPI_Abort(MPI_COMM_WORLD, 1); }
        make_inputs();
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    TEST_CASE(eval_then_report);
    MPI_Barrier(MPI_COMM_WORLD);
    if (th_rank == 0) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    }
    return th_end();
}
