// Loader at 1, 2 and 3 ranks: every sample exactly once per epoch across ranks (uneven last batch, a rank with
// no data), global batches independent of the rank count, augmentation keyed by sample, prefetch on/off give
// identical batches, seek, RAM cache = HDF5 streaming, and the paired retain/forget stream.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/rng.h"
#include "common/util.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "data/sampler.h"
#include "harness.h"

#define N_TRAIN 103
#define IMG_H 6
#define IMG_W 5
#define IMG_C 3
#define ROW (IMG_H * IMG_W * IMG_C)

static char path[512];
static Dataset ds;
static int rank, world;
static char* NAMES[] = {"a", "b", "c", "d", "e", "f", "g"};

static uint8_t pixel(int64_t i, int j) { return (uint8_t)((i * 37 + j * 11 + (i * j) % 7) & 0xff); }
static int32_t label_of(int64_t i) { return (int32_t)((i * 5) % 7); }

static void write_dataset(void) {
    DatasetInfo info;
    memset(&info, 0, sizeof info);
    info.mode = DS_DECODED;
    info.num_classes = 7;
    info.class_names = NAMES;
    info.height = IMG_H; info.width = IMG_W; info.channels = IMG_C;
    for (int c = 0; c < IMG_C; c++) { info.mean[c] = 0.4f + 0.05f * c; info.std[c] = 0.25f + 0.01f * c; }
    snprintf(info.source, sizeof info.source, "test:loader");
    uint8_t* img = malloc((size_t)N_TRAIN * ROW);
    int32_t labels[N_TRAIN];
    for (int64_t i = 0; i < N_TRAIN; i++) {
        labels[i] = label_of(i);
        for (int j = 0; j < ROW; j++) img[i * ROW + j] = pixel(i, j);
    }
    DatasetWriter w;
    dataset_write_begin(&w, path, &info);
    dataset_write_split_decoded(&w, "train", N_TRAIN, img, labels, NULL, NULL);
    dataset_write_finish(&w);
    free(img);
}

static LoaderConfig base_config(void) {
    LoaderConfig c;
    memset(&c, 0, sizeof c);
    c.split = "train";
    c.global_batch = 10;
    c.shuffle = 1;
    c.seed = 1234;
    return c;
}

// Gathers this rank's batch indices into the global batch (rank order); returns its size.
static int gather_indices(const Batch* b, int64_t* global) {
    int counts[64], displs[64];
    int n = b->n;
    MPI_Allgather(&n, 1, MPI_INT, counts, 1, MPI_INT, MPI_COMM_WORLD);
    int total = 0;
    for (int r = 0; r < world; r++) { displs[r] = total; total += counts[r]; }
    MPI_Allgatherv(b->index, n, MPI_INT64_T, global, counts, displs, MPI_INT64_T, MPI_COMM_WORLD);
    return total;
}

static int min_over_ranks(int v) { MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD); return v; }
static int max_over_ranks(int v) { MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD); return v; }

// The pixels of AUG_NONE batches are the stored pixels, normalised.
static int pixels_match(const Batch* b, const float* lut) {
    int bad = 0;
    for (int k = 0; k < b->n; k++)
        for (int j = 0; j < ROW; j++)
            bad += b->x[k * ROW + j] != lut[(j % IMG_C) * 256 + pixel(b->index[k], j)];
    return bad;
}

static void run_epochs(LoaderConfig cfg, const char* what) {
    Loader* l = loader_create(&ds, &cfg, rank, world);
    int64_t n = cfg.subset ? cfg.subset_n : N_TRAIN;
    int64_t steps = loader_steps_per_epoch(l);
    CHECK_EQ_INT(steps, cfg.drop_last ? n / cfg.global_batch : (n + cfg.global_batch - 1) / cfg.global_batch);
    float lut[4 * 256];
    aug_make_lut(ds.info.mean, ds.info.std, IMG_C, lut);
    int64_t* global = malloc((size_t)(cfg.global_batch + 1) * sizeof *global);
    int64_t* order = malloc((size_t)n * sizeof *order);
    for (int epoch = 0; epoch < 2; epoch++) {
        loader_start_epoch(l, epoch);
        int* seen = calloc(N_TRAIN, sizeof *seen);
        sampler_order(n, cfg.shuffle, cfg.seed, 0, epoch, order);
        Batch b;
        int64_t step = 0, pos = 0;
        while (loader_next(l, &b)) {
            int total = gather_indices(&b, global);
            int64_t expect = n - step * cfg.global_batch < cfg.global_batch ? n - step * cfg.global_batch : cfg.global_batch;
            CHECK(total == expect, "%s: epoch %d step %lld has %d samples, expected %lld", what, epoch, (long long)step, total, (long long)expect);
            CHECK(max_over_ranks(b.n) - min_over_ranks(b.n) <= 1, "%s: rank slices differ by more than one", what);
            for (int k = 0; k < total; k++, pos++) {
                seen[global[k]]++;
                int64_t want = cfg.subset ? cfg.subset[order[pos]] : order[pos];
                CHECK(global[k] == want, "%s: epoch %d position %lld is %lld, expected %lld", what, epoch, (long long)pos, (long long)global[k], (long long)want);
            }
            for (int k = 0; k < b.n; k++) CHECK(b.y[k] == label_of(b.index[k]), "%s: wrong label", what);
            CHECK(b.h == IMG_H && b.w == IMG_W && b.c == IMG_C, "%s: batch shape", what);
            if (cfg.augment == AUG_NONE) CHECK(pixels_match(&b, lut) == 0, "%s: pixels differ from the stored ones", what);
            step++;
        }
        CHECK_EQ_INT(step, steps);
        int64_t covered = 0, twice = 0;
        for (int i = 0; i < N_TRAIN; i++) { covered += seen[i] == 1; twice += seen[i] > 1; }
        CHECK(covered == (cfg.drop_last ? steps * cfg.global_batch : n) && twice == 0,
              "%s: epoch %d covered %lld samples once, %lld more than once", what, epoch, (long long)covered, (long long)twice);
        if (cfg.subset && !cfg.drop_last)
            for (int64_t p = 0; p < n; p++) CHECK(seen[cfg.subset[p]] == 1, "%s: subset member %lld missed", what, (long long)cfg.subset[p]);
        free(seen);
    }
    free(global); free(order);
    loader_destroy(l);
}

static void test_coverage_uneven(void) {
    LoaderConfig cfg = base_config();
    run_epochs(cfg, "stream+prefetch");
    cfg.no_prefetch = 1;
    run_epochs(cfg, "stream");
    cfg.cache = 1;
    run_epochs(cfg, "cache");
    cfg.no_prefetch = 0;
    cfg.shuffle = 0;
    run_epochs(cfg, "cache+prefetch, index order");
    cfg.shuffle = 1;
    cfg.drop_last = 1;
    run_epochs(cfg, "drop_last");
}

static void test_subset(void) {
    int64_t subset[40];
    for (int k = 0; k < 40; k++) subset[k] = (k * 13) % N_TRAIN + (k % 2);  // scattered, unsorted
    LoaderConfig cfg = base_config();
    cfg.subset = subset;
    cfg.subset_n = 40;
    cfg.global_batch = 7;
    run_epochs(cfg, "subset");
    cfg.cache = 1;
    run_epochs(cfg, "subset cache");
}

// 2 samples on 3 ranks: rank 2 has nothing but still takes the step.
static void test_rank_without_data(void) {
    int64_t subset[2] = {5, 80};
    LoaderConfig cfg = base_config();
    cfg.subset = subset;
    cfg.subset_n = 2;
    cfg.global_batch = 4;
    Loader* l = loader_create(&ds, &cfg, rank, world);
    CHECK_EQ_INT(loader_steps_per_epoch(l), 1);
    loader_start_epoch(l, 0);
    Batch b;
    int got = loader_next(l, &b);
    CHECK(got == 1, "every rank takes the step");
    int64_t lo, hi;
    shard_slice(2, rank, world, &lo, &hi);
    CHECK_EQ_INT(b.n, hi - lo);
    if (world == 3 && rank == 2) CHECK_EQ_INT(b.n, 0);
    int64_t global[4];
    CHECK_EQ_INT(gather_indices(&b, global), 2);
    CHECK(loader_next(l, &b) == 0, "the epoch has one step");
    loader_destroy(l);
}

// Augmented batches: each sample's image equals crop/flip with the draws of Rng(seed, AUGMENT, epoch, index),
// whatever the rank count; prefetch and seek give the same bytes.
static void test_augment_and_prefetch(void) {
    LoaderConfig cfg = base_config();
    cfg.augment = AUG_CROP_FLIP;
    cfg.pad = 2;
    float lut[4 * 256], ref[ROW];
    aug_make_lut(ds.info.mean, ds.info.std, IMG_C, lut);
    uint8_t src[ROW];
    LoaderConfig sync_cfg = cfg;
    sync_cfg.no_prefetch = 1;
    Loader* a = loader_create(&ds, &cfg, rank, world);
    Loader* s = loader_create(&ds, &sync_cfg, rank, world);
    int flips = 0, total = 0;
    for (int epoch = 0; epoch < 2; epoch++) {
        loader_start_epoch(a, epoch);
        loader_start_epoch(s, epoch);
        Batch ba, bs;
        while (loader_next(a, &ba)) {
            CHECK(loader_next(s, &bs) == 1, "same number of steps");
            CHECK(ba.n == bs.n && !memcmp(ba.index, bs.index, (size_t)ba.n * 8), "prefetch changes the order");
            CHECK(!memcmp(ba.x, bs.x, (size_t)ba.n * ROW * sizeof(float)), "prefetch changes the pixels");
            for (int k = 0; k < ba.n; k++) {
                Rng rng;
                rng_init(&rng, cfg.seed, RNG_AUGMENT, (uint64_t)epoch, (uint64_t)ba.index[k]);
                int dy, dx, flip;
                aug_draw_crop_flip(&rng, 2, &dy, &dx, &flip);
                for (int j = 0; j < ROW; j++) src[j] = pixel(ba.index[k], j);
                aug_crop_flip(src, IMG_H, IMG_W, IMG_C, 2, dy, dx, flip, lut, ref);
                CHECK(!memcmp(ref, ba.x + k * ROW, sizeof ref), "sample %lld: augmentation differs from its key", (long long)ba.index[k]);
                flips += flip;
                total++;
            }
        }
        CHECK(loader_next(s, &bs) == 0, "same number of steps");
    }
    CHECK(flips > 0 && flips < total, "flip never or always taken (%d of %d)", flips, total);
    // seek to the middle of epoch 1 and compare with a straight run
    loader_seek(a, 1, 4);
    loader_start_epoch(s, 1);
    Batch ba, bs;
    for (int k = 0; k < 4; k++) loader_next(s, &bs);
    int steps_after = 0;
    while (loader_next(a, &ba)) {
        CHECK(loader_next(s, &bs) == 1, "seek: steps");
        CHECK(ba.n == bs.n && !memcmp(ba.x, bs.x, (size_t)ba.n * ROW * sizeof(float)), "seek: batch differs");
        steps_after++;
    }
    CHECK_EQ_INT(steps_after, loader_steps_per_epoch(a) - 4);
    // restart in the middle of a prefetched epoch
    loader_start_epoch(a, 0);
    loader_next(a, &ba);
    loader_start_epoch(a, 0);
    loader_start_epoch(s, 0);
    loader_next(a, &ba);
    loader_next(s, &bs);
    CHECK(ba.n == bs.n && !memcmp(ba.x, bs.x, (size_t)ba.n * ROW * sizeof(float)), "restart: batch differs");
    loader_destroy(a);
    loader_destroy(s);
}

// Paired stream: |B_f| = |B_r| at every step; the defining set is covered once per epoch; the cycled set is a
// sequence of passes, each a permutation, reshuffled at each wrap, continuing across epochs.
static void run_paired(EpochBy by, int drop_last) {
    int64_t retain[60], forget[13];
    int nr = 0, nf = 0;
    for (int64_t i = 0; i < 80; i++) {
        if (i % 6 == 1 && nf < 13) forget[nf++] = i;
        else if (nr < 60) retain[nr++] = i;
    }
    CHECK(nr == 60 && nf == 13, "subsets");
    LoaderConfig rc = base_config(), fc = base_config();
    rc.subset = retain; rc.subset_n = nr; rc.global_batch = 8; rc.drop_last = drop_last;
    fc.subset = forget; fc.subset_n = nf; fc.global_batch = 8; fc.drop_last = drop_last;
    fc.seed = 99;
    PairedLoader* p = paired_create(&ds, &rc, &fc, by, rank, world);
    int64_t n_def = by == EPOCH_BY_RETAIN ? nr : nf, n_cyc = by == EPOCH_BY_RETAIN ? nf : nr;
    const int64_t* def_set = by == EPOCH_BY_RETAIN ? retain : forget;
    const int64_t* cyc_set = by == EPOCH_BY_RETAIN ? forget : retain;
    int64_t steps = paired_steps_per_epoch(p);
    CHECK_EQ_INT(steps, drop_last ? n_def / 8 : (n_def + 7) / 8);
    int epochs = by == EPOCH_BY_FORGET ? 20 : 4;   // enough for the cycled set to wrap at least twice
    int64_t cyc_cap = epochs * (n_def + 8) + 8, cyc_n = 0;
    int64_t* cyc_seq = malloc((size_t)cyc_cap * sizeof *cyc_seq);
    int64_t global_r[8], global_f[8];
    for (int epoch = 0; epoch < epochs; epoch++) {
        paired_start_epoch(p, epoch);
        int seen[N_TRAIN] = {0};
        Batch br, bf;
        int64_t s = 0;
        while (paired_next(p, &br, &bf)) {
            CHECK(br.n == bf.n, "|B_r| = %d != |B_f| = %d", br.n, bf.n);
            int tr = gather_indices(&br, global_r), tf = gather_indices(&bf, global_f);
            CHECK(tr == tf, "global sizes differ");
            const int64_t* gd = by == EPOCH_BY_RETAIN ? global_r : global_f;
            const int64_t* gc = by == EPOCH_BY_RETAIN ? global_f : global_r;
            for (int k = 0; k < tr; k++) { seen[gd[k]]++; cyc_seq[cyc_n++] = gc[k]; }
            for (int k = 0; k < br.n; k++) CHECK(br.y[k] == label_of(br.index[k]) && bf.y[k] == label_of(bf.index[k]), "labels");
            s++;
        }
        CHECK_EQ_INT(s, steps);
        int64_t once = 0;
        for (int64_t k = 0; k < n_def; k++) once += seen[def_set[k]] == 1;
        CHECK_EQ_INT(once, drop_last ? steps * 8 : n_def);
    }
    // the cycled sequence: consecutive passes of n_cyc, each a permutation of the cycled set, not all equal
    int all_same = 1;
    for (int64_t pass = 0; (pass + 1) * n_cyc <= cyc_n; pass++) {
        int cnt[N_TRAIN] = {0};
        for (int64_t k = 0; k < n_cyc; k++) cnt[cyc_seq[pass * n_cyc + k]]++;
        int ok = 1;
        for (int64_t k = 0; k < n_cyc; k++) ok &= cnt[cyc_set[k]] == 1;
        CHECK(ok, "pass %lld of the cycled set is not a permutation of it", (long long)pass);
        if (pass > 0 && memcmp(cyc_seq + pass * n_cyc, cyc_seq, (size_t)n_cyc * 8) != 0) all_same = 0;
    }
    CHECK(cyc_n >= 2 * n_cyc, "the cycled set wrapped fewer than twice (%lld samples)", (long long)cyc_n);
    CHECK(!all_same, "the cycled set is not reshuffled at the wrap");
    // pure function of (epoch, step): a fresh loader at epoch 2 gives what the sequence gave
    PairedLoader* q = paired_create(&ds, &rc, &fc, by, rank, world);
    paired_seek(q, 2, 1);
    paired_seek(p, 2, 1);
    Batch r1, f1, r2, f2;
    int a = paired_next(q, &r1, &f1), b = paired_next(p, &r2, &f2);
    CHECK(a == b, "seek");
    if (a) CHECK(r1.n == r2.n && !memcmp(r1.index, r2.index, (size_t)r1.n * 8) && !memcmp(f1.index, f2.index, (size_t)f1.n * 8), "fresh paired loader differs");
    paired_destroy(q);
    paired_destroy(p);
    free(cyc_seq);
}

static void test_paired_by_forget(void) { run_paired(EPOCH_BY_FORGET, 0); }
static void test_paired_by_retain(void) { run_paired(EPOCH_BY_RETAIN, 0); }
static void test_paired_drop_last(void) { run_paired(EPOCH_BY_RETAIN, 1); run_paired(EPOCH_BY_FORGET, 1); }

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 1);
    rank = th_rank;
    world = th_world;
    if (rank == 0) {
        char dir[] = "/tmp/test_loader.XXXXXX";
        if (!mkdtemp(dir)) { perror("mkdtemp"); MPI_Abort(MPI_COMM_WORLD, 1); }
        snprintf(path, sizeof path, "%s/data.h5", dir);
        write_dataset();
    }
    MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
    dataset_open(&ds, path, MPI_COMM_WORLD);
    TEST_CASE(test_coverage_uneven);
    TEST_CASE(test_subset);
    TEST_CASE(test_rank_without_data);
    TEST_CASE(test_augment_and_prefetch);
    TEST_CASE(test_paired_by_forget);
    TEST_CASE(test_paired_by_retain);
    TEST_CASE(test_paired_drop_last);
    dataset_close(&ds);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) {
        unlink(path);
        char* slash = strrchr(path, '/');
        *slash = 0;
        rmdir(path);
    }
    return th_end();
}
