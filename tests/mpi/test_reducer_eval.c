// test_reducer_eval.c — the evaluation end to end at np 1, 2, 3: a small CNN on a synthetic dataset, each
// rank evaluating its shard, rank 0 reducing.  The records (and so every metric) must equal those of a
// single-rank evaluation with another batch size run on rank 0 alone; metrics.json is written and complete.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json.h"
#include "common/util.h"
#include "data/dataset.h"
#include "data/split.h"
#include "dist/dist.h"
#include "harness.h"
#include "metrics/eval.h"
#include "metrics/metrics.h"
#include "nn/model.h"
#include "synth_dataset.h"

#define N_TRAIN 150
#define N_TEST 40
#define IMG 8
#define K 3

static char dir[256], path[512];
static Dataset ds;
static Split split;
static int32_t label_of(int64_t i) { return (int32_t)(i % K); }
static void write_dataset(void) { synth_dataset_write(path, N_TRAIN, N_TEST, IMG, K, "test:reducer_eval"); }

static void make_split(void) {
    int32_t ytr[N_TRAIN], yte[N_TEST];
    for (int i = 0; i < N_TRAIN; i++) ytr[i] = label_of(i);
    for (int i = 0; i < N_TEST; i++) yte[i] = label_of(i + 1);
    int32_t forget_class = 1;
    SplitParams p;
    memset(&p, 0, sizeof p);
    p.paradigm = PARADIGM_CLASS;
    p.seed = 3;
    p.val_fraction = 0.1;
    p.classes = &forget_class;
    p.num_classes_forgotten = 1;
    SplitInputs in = {K, N_TRAIN, ytr, NULL, NULL, N_TEST, yte};
    char err[256];
    if (!split_make(&p, &in, "test:reducer_eval", &split, err, sizeof err)) {
        fprintf(stderr, "split_make: %s\n", err);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
}

static Model* make_model(void) {
    ModelConfig mc;
    memset(&mc, 0, sizeof mc);
    mc.arch = ARCH_SMALL_CNN;
    mc.width = 4;
    mc.num_classes = K;
    mc.in_h = IMG; mc.in_w = IMG; mc.in_c = 1;
    Model* m = model_create(&mc, BACKEND_REF);
    model_init(m, 5);
    return m;
}

static void sharded_equals_single_rank(void) {
    Model* m = make_model();
    EvalConfig ec;
    eval_config_default(&ec);
    ec.batch = 7;   // uneven: the last global batch leaves some ranks short or empty
    RecordSet all;
    eval_collect(m, &ds, &split, &ec, &all);
    // Reference: rank 0 alone (a one-rank world), one big batch.
    RecordSet ref = {0};
    if (th_rank == 0) {
        Dist saved = g_dist;
        g_dist.comm = MPI_COMM_SELF;
        g_dist.rank = 0;
        g_dist.world = 1;
        EvalConfig big = ec;
        big.batch = 64;
        eval_collect(m, &ds, &split, &big, &ref);
        g_dist = saved;
        int64_t expect = split.n_retain + split.n_forget + split.n_test_keep + split.n_val_keep;
        CHECK_EQ_INT(all.n, expect);
        CHECK_EQ_INT(ref.n, expect);
        int same_ids = all.n == ref.n, worst_pred = 0;
        double worst = 0;
        for (int64_t i = 0; same_ids && i < all.n; i++) {
            same_ids = all.recs[i].index == ref.recs[i].index && all.recs[i].set == ref.recs[i].set &&
                       all.recs[i].label == ref.recs[i].label;
            worst_pred += all.recs[i].pred != ref.recs[i].pred;
            double d = fabs(all.recs[i].prob_true - ref.recs[i].prob_true);
            if (d > worst) worst = d;
        }
        CHECK(same_ids, "the sharded records are not the single-rank records");
        CHECK_EQ_INT(worst_pred, 0);
        CHECK(worst < 1e-6, "prob_true differs by %.3g between sharded and single-rank evaluation", worst);
        // Class-wise: no test record of the forgotten class, every forget record is of it.
        int64_t b;
        int64_t nt = records_range(&all, SET_TEST, &b);
        for (int64_t i = 0; i < nt; i++) CHECK(all.recs[b + i].label != 1, "test record of the forgotten class");
        int64_t nf = records_range(&all, SET_FORGET, &b);
        CHECK(nf > 0, "no forget records");
        for (int64_t i = 0; i < nf; i++) CHECK(all.recs[b + i].label == 1, "forget record of another class");
        MetricsOptions o;
        metrics_options_default(&o);
        o.mia_bootstrap = 3;
        Metrics ma, mb;
        metrics_compute(&all, &o, &ma);
        metrics_compute(&ref, &o, &mb);
        CHECK_CLOSE(ma.UA, mb.UA, 0);
        CHECK_CLOSE(ma.RA, mb.RA, 0);
        CHECK_CLOSE(ma.TA, mb.TA, 0);
        CHECK_CLOSE(ma.MIA, mb.MIA, 0);
    }
    free(all.recs);
    free(ref.recs);
    model_destroy(m);
}

static void eval_run_writes_metrics_json(void) {
    Model* m = make_model();
    EvalConfig ec;
    eval_config_default(&ec);
    MetricsOptions o;
    metrics_options_default(&o);
    o.mia_bootstrap = 2;
    o.has_smoothing = 1;
    o.alpha = -0.5;
    o.p = 0.8;
    RunInfo run;
    run_info_init(&run);
    run.method = "ugradsl";
    run.world_size = th_world;
    char json[600];
    snprintf(json, sizeof json, "%s/metrics.json", dir);
    Metrics met;
    eval_run(m, &ds, &split, &ec, &o, &run, json, &met);
    if (th_rank == 0) {
        char* text = ug_read_file(json, NULL);
        double v;
        CHECK(json_find_number(text, "RA", &v) && fabs(v - met.RA) < 1e-6, "RA in metrics.json");
        CHECK(json_find_number(text, "epsilon", &v) && fabs(v - log(16.0)) < 1e-9, "epsilon %g", v);   // (3/-0.5)(1-4) + 1 - 3 = 16
        CHECK(json_find_number(text, "eval_s", &v) && v >= 0, "eval_s measured");
        free(text);
        unlink(json);
    }
    model_destroy(m);
}

int main(int argc, char** argv) {
    dist_init(&argc, &argv);
    th_begin(&argc, &argv, 1);
    if (th_rank == 0) {
        snprintf(dir, sizeof dir, "/tmp/test_reducer_eval.XXXXXX");
        if (!mkdtemp(dir)) { perror("mkdtemp"); MPI_Abort(MPI_COMM_WORLD, 1); }
        snprintf(path, sizeof path, "%s/data.h5", dir);
        write_dataset();
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
    dataset_open(&ds, path, MPI_COMM_WORLD);
    make_split();
    TEST_CASE(sharded_equals_single_rank);
    TEST_CASE(eval_run_writes_metrics_json);
    split_free(&split);
    dataset_close(&ds);
    MPI_Barrier(MPI_COMM_WORLD);
    if (th_rank == 0) {
        unlink(path);
        rmdir(dir);
    }
    return th_end();
}
