// test_pack_folder.c — image-folder packing (serial path) on a generated tree with known pixels: decoded mode
// (exact for PNG, close for JPEG), --resize, JPEG mode (bytes kept, PNG re-encoded), flat val with a label
// file, test as a subset of class folders, mean/std, and every bad-input case (error naming the file, or
// --skip-bad counting it).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "data/dataset.h"
#include "data/image_codec.h"
#include "data/pack_folder.h"
#include "harness.h"
#include "pack_fixtures.h"

static char tmpdir[256], good_tree[512], bad_tree[512];
static ImageCodec* codec;

#define dies_with th_dies_with

static FolderPackOptions options(const char* input, const char* output, DatasetMode mode, int resize) {
    FolderPackOptions o = {.input = input, .output = output, .mode = mode, .resize = resize, .channels = 3,
                           .skip_bad = 0, .jpeg_quality = 95, .batch = 2};
    return o;
}

static int max_diff(const uint8_t* a, const uint8_t* b, size_t n) {
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > m) m = d;
    }
    return m;
}

// Checks labels and pixels of every split against the fixture; size = stored side (0: FX_H x FX_W).
static void check_decoded(const char* path, int resize) {
    Dataset ds;
    dataset_open(&ds, path, MPI_COMM_NULL);
    int h = resize ? resize : FX_H, w = resize ? resize : FX_W;
    CHECK_EQ_INT(ds.info.mode, DS_DECODED);
    CHECK_EQ_INT(ds.info.height, h);
    CHECK_EQ_INT(ds.info.width, w);
    CHECK_EQ_INT(ds.info.channels, 3);
    CHECK_EQ_INT(ds.info.num_classes, 3);
    CHECK(!strcmp(ds.info.class_names[0], "cat") && !strcmp(ds.info.class_names[2], "emu"), "class names");
    const char* splits[3] = {"train", "val", "test"};
    uint8_t* expect = malloc((size_t)FX_H * FX_W * 3);
    uint8_t* resized = malloc((size_t)h * w * 3);
    uint8_t* got = malloc((size_t)h * w * 3);
    for (int s = 0; s < 3; s++) {
        DatasetSplit sp;
        dataset_split_open(&ds, splits[s], &sp);
        CHECK_EQ_INT(sp.n, fx_count(splits[s]));
        for (int64_t i = 0; i < sp.n; i++) {
            const FxImage* fx = &FX_IMAGES[fx_row(splits[s], (int)i)];
            CHECK(sp.labels[i] == fx->label, "%s row %lld label %d, expected %d", splits[s], (long long)i, sp.labels[i], fx->label);
            fx_pixels(expect, FX_H, FX_W, fx->seed);
            const uint8_t* want = expect;
            if (resize) {
                Image src = {FX_H, FX_W, 3, expect};
                image_resize_center_crop(&src, resize, resized);
                want = resized;
            }
            dataset_read_decoded(&ds, &sp, &i, 1, got);
            int d = max_diff(got, want, (size_t)h * w * 3);
            // PNG exact; JPEG q100 4:4:4 within 3 levels; with --resize the JPEG is decoded at 5/8 scale (DCT
            // scaling) before the area shrink: within 6 levels on these 12x16 gradients (measured 4-5)
            int tol = fx->png ? 0 : resize ? 6 : 3;
            CHECK(d <= tol, "%s/%s: max pixel error %d > %d", splits[s], fx->rel, d, tol);
        }
        dataset_split_close(&sp);
    }
    free(expect);
    free(resized);
    free(got);
    dataset_close(&ds);
}

static void test_decoded_round_trip(void) {
    char out[600];
    snprintf(out, sizeof out, "%s/decoded.h5", tmpdir);
    FolderPackOptions o = options(good_tree, out, DS_DECODED, 0);
    PackReport r;
    pack_folder(&o, MPI_COMM_NULL, &r);
    CHECK_EQ_INT(r.n_train, 10);
    CHECK_EQ_INT(r.n_val, 4);
    CHECK_EQ_INT(r.n_test, 3);
    CHECK_EQ_INT(r.skipped, 0);
    check_decoded(out, 0);
    // mean/std over the train split from the known pixels (JPEG error is a few levels: 0.005 tolerance)
    double sum[3] = {0}, sumsq[3] = {0}, count = 0;
    uint8_t px[FX_H * FX_W * 3];
    for (int i = 0; i < FX_COUNT; i++) {
        if (strcmp(FX_IMAGES[i].split, "train")) continue;
        fx_pixels(px, FX_H, FX_W, FX_IMAGES[i].seed);
        for (int p = 0; p < FX_H * FX_W; p++)
            for (int c = 0; c < 3; c++) { double v = px[3 * p + c] / 255.0; sum[c] += v; sumsq[c] += v * v; }
        count += FX_H * FX_W;
    }
    for (int c = 0; c < 3; c++) {
        double m = sum[c] / count, sd = sqrt(sumsq[c] / count - m * m);
        CHECK_CLOSE(r.mean[c], m, 0.005);
        CHECK_CLOSE(r.std[c], sd, 0.005);
    }
    Dataset ds;
    dataset_open(&ds, out, MPI_COMM_NULL);
    CHECK_CLOSE(ds.info.mean[1], r.mean[1], 0);
    CHECK(strstr(ds.info.source, "image-folder:") != NULL, "source '%s'", ds.info.source);
    dataset_close(&ds);
}

static void test_resize(void) {
    char out[600];
    snprintf(out, sizeof out, "%s/resized.h5", tmpdir);
    FolderPackOptions o = options(good_tree, out, DS_DECODED, 8);
    o.batch = 100;   // one round
    PackReport r;
    pack_folder(&o, MPI_COMM_NULL, &r);
    CHECK_EQ_INT(r.height, 8);
    check_decoded(out, 8);
}

static void test_jpeg_mode(void) {
    char out[600], path[1200];
    snprintf(out, sizeof out, "%s/jpegmode.h5", tmpdir);
    FolderPackOptions o = options(good_tree, out, DS_JPEG, 0);
    PackReport r;
    pack_folder(&o, MPI_COMM_NULL, &r);
    CHECK_EQ_INT(r.reencoded, 6);   // the PNGs of all splits
    Dataset ds;
    dataset_open(&ds, out, MPI_COMM_NULL);
    CHECK_EQ_INT(ds.info.mode, DS_JPEG);
    CHECK_EQ_INT(ds.info.channels, 3);
    const char* splits[3] = {"train", "val", "test"};
    uint8_t expect[FX_H * FX_W * 3];
    for (int s = 0; s < 3; s++) {
        DatasetSplit sp;
        dataset_split_open(&ds, splits[s], &sp);
        CHECK_EQ_INT(sp.n, fx_count(splits[s]));
        for (int64_t i = 0; i < sp.n; i++) {
            const FxImage* fx = &FX_IMAGES[fx_row(splits[s], (int)i)];
            CHECK_EQ_INT(sp.labels[i], fx->label);
            int64_t n = 0;
            uint8_t* bytes = dataset_read_jpeg(&ds, &sp, i, &n);
            CHECK_EQ_INT(image_sniff(bytes, (size_t)n), IMG_JPEG);
            if (!fx->png) {   // JPEG files are stored byte for byte
                snprintf(path, sizeof path, "%s/%s/%s", good_tree, splits[s], fx->rel);
                size_t fn = 0;
                char* file = ug_read_file(path, &fn);
                CHECK(fn == (size_t)n && memcmp(file, bytes, fn) == 0, "%s: stored bytes differ from the file", fx->rel);
                free(file);
            }
            Image img;
            int warned = 0;
            char err[256];
            CHECK(image_decode(codec, bytes, (size_t)n, 3, 0, &img, &warned, err, sizeof err) == 0, "decode: %s", err);
            fx_pixels(expect, FX_H, FX_W, fx->seed);
            int d = max_diff(img.data, expect, sizeof expect);
            CHECK(d <= (fx->png ? 6 : 3), "%s: max pixel error %d", fx->rel, d);   // re-encoded PNG: quality 95
            image_free(&img);
            free(bytes);
        }
        dataset_split_close(&sp);
    }
    dataset_close(&ds);
}

static void test_skip_bad(void) {
    char out[600];
    snprintf(out, sizeof out, "%s/skipbad.h5", tmpdir);
    FolderPackOptions o = options(bad_tree, out, DS_DECODED, 0);
    o.skip_bad = 1;
    PackReport r;
    pack_folder(&o, MPI_COMM_NULL, &r);
    CHECK_EQ_INT(r.skipped, 3);   // text file, 10x10 PNG (wrong size), truncated JPEG
    CHECK(strstr(r.first_skipped, "zz_bad.jpg") != NULL, "first skipped: '%s'", r.first_skipped);
    check_decoded(out, 0);        // what remains is exactly the good tree
    // with --resize the small PNG is fine: only the two undecodable files are skipped
    o.resize = 6;
    pack_folder(&o, MPI_COMM_NULL, &r);
    CHECK_EQ_INT(r.skipped, 2);
    CHECK_EQ_INT(r.n_train, 11);
    CHECK_EQ_INT(r.n_test, 3);
}

static void test_groups(void) {
    char out[600], groups[700];
    snprintf(out, sizeof out, "%s/groups.h5", tmpdir);
    snprintf(groups, sizeof groups, "%s/groups.txt", good_tree);
    FolderPackOptions o = options(good_tree, out, DS_DECODED, 0);
    o.groups_file = groups;
    PackReport r;
    pack_folder(&o, MPI_COMM_NULL, &r);
    Dataset ds;
    dataset_open(&ds, out, MPI_COMM_NULL);
    const char* splits[3] = {"train", "val", "test"};
    for (int s = 0; s < 3; s++) {
        DatasetSplit sp;
        dataset_split_open(&ds, splits[s], &sp);
        CHECK(sp.groups != NULL, "/%s has no groups", splits[s]);
        for (int64_t i = 0; sp.groups && i < sp.n; i++) {
            const FxImage* fx = &FX_IMAGES[fx_row(splits[s], (int)i)];
            CHECK(sp.groups[i] == 3 * fx->seed, "%s: group %d, expected %d", fx->rel, sp.groups[i], 3 * fx->seed);
        }
        dataset_split_close(&sp);
    }
    dataset_close(&ds);
}

// ---- errors

typedef struct { char root[512]; char out[600]; int resize, mode; const char* val_labels, *groups; } ErrCase;

static void run_case(void* arg) {
    ErrCase* e = arg;
    FolderPackOptions o = options(e->root, e->out, (DatasetMode)e->mode, e->resize);
    o.val_labels = e->val_labels;
    o.groups_file = e->groups;
    PackReport r;
    pack_folder(&o, MPI_COMM_NULL, &r);
}

static void make_case(ErrCase* e, const char* name) {
    memset(e, 0, sizeof *e);
    snprintf(e->root, sizeof e->root, "%s/%s", tmpdir, name);
    snprintf(e->out, sizeof e->out, "%s/%s.h5", tmpdir, name);
    fx_make_tree(e->root, 0);
}

static void test_errors(void) {
    ErrCase e;
    char p[1200], cmd[1400];
    // the bad tree without --skip-bad: the first bad file is named
    memset(&e, 0, sizeof e);
    snprintf(e.root, sizeof e.root, "%s", bad_tree);
    snprintf(e.out, sizeof e.out, "%s/bad.h5", tmpdir);
    CHECK(dies_with(run_case, &e, "train/dog/zz_bad.jpg"), "non-image file");
    CHECK(!ug_file_exists(e.out), "no output after an error");
    e.mode = DS_JPEG;
    CHECK(dies_with(run_case, &e, "zz_bad.jpg': not a JPEG or PNG"), "non-image file, JPEG mode");

    make_case(&e, "mixed");   // one image of another size, no --resize
    ImageCodec* c = image_codec_create();
    snprintf(p, sizeof p, "%s/train/emu/c9.png", e.root);
    fx_write_image(c, p, 20, 20, 5, 1, 0);
    image_codec_destroy(c);
    CHECK(dies_with(run_case, &e, "train/emu/c9.png': size 20x20 differs from 16x12"), "mixed sizes");
    CHECK(dies_with(run_case, &e, "pass --resize"), "mixed sizes hint");

    make_case(&e, "emptyclass");
    snprintf(p, sizeof p, "%s/train/fox", e.root);
    mkdir(p, 0775);
    CHECK(dies_with(run_case, &e, "train/fox' has no images"), "empty class folder");

    make_case(&e, "unknownclass");
    snprintf(p, sizeof p, "%s/test/yak", e.root);
    mkdir(p, 0775);
    snprintf(p, sizeof p, "%s/test/yak/y.jpg", e.root);
    fx_write(p, "x", 1);
    CHECK(dies_with(run_case, &e, "test/yak' is not a class of train/"), "unknown class in test");

    make_case(&e, "nolabels");
    snprintf(p, sizeof p, "%s/val_labels.txt", e.root);
    unlink(p);
    CHECK(dies_with(run_case, &e, "--val-labels"), "flat val without label file");

    make_case(&e, "badlabel");
    snprintf(p, sizeof p, "%s/labels.txt", tmpdir);
    fx_write(p, "v0.jpg dog\nv1.png 7\n", 20);
    e.val_labels = p;
    CHECK(dies_with(run_case, &e, "'7' is neither a class"), "label out of range");
    e.val_labels = NULL;

    make_case(&e, "unlabelled");
    snprintf(p, sizeof p, "%s/val/v9.jpg", e.root);
    fx_write(p, "x", 1);
    CHECK(dies_with(run_case, &e, "val/v9.jpg' has no label"), "val file without label");

    make_case(&e, "nogroup");
    snprintf(p, sizeof p, "%s/groups_short.txt", tmpdir);
    fx_write(p, "cat/a0.jpg 1\n", 13);
    e.groups = p;
    CHECK(dies_with(run_case, &e, "train/cat/a1.png' has no group id"), "image without group");
    fx_write(p, "cat/a0.jpg x\n", 13);
    CHECK(dies_with(run_case, &e, "group id 'x' of 'cat/a0.jpg' is not an integer"), "bad group id");
    e.groups = NULL;

    memset(&e, 0, sizeof e);
    snprintf(e.root, sizeof e.root, "%s/nothing-here", tmpdir);
    snprintf(e.out, sizeof e.out, "%s/x.h5", tmpdir);
    CHECK(dies_with(run_case, &e, "not found"), "missing input");

    make_case(&e, "notrain");
    snprintf(cmd, sizeof cmd, "rm -rf '%s/train'", e.root);
    CHECK(system(cmd) == 0, "rm");
    CHECK(dies_with(run_case, &e, "/train' not found"), "missing train/");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ugradsl_test_packfolder_XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    codec = image_codec_create();
    snprintf(good_tree, sizeof good_tree, "%s/good", tmpdir);
    snprintf(bad_tree, sizeof bad_tree, "%s/bad", tmpdir);
    fx_make_tree(good_tree, 0);
    fx_make_tree(bad_tree, 1);
    TEST_CASE(test_decoded_round_trip);
    TEST_CASE(test_resize);
    TEST_CASE(test_jpeg_mode);
    TEST_CASE(test_skip_bad);
    TEST_CASE(test_groups);
    TEST_CASE(test_errors);
    image_codec_destroy(codec);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return th_end();
}
