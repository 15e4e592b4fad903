// test_dataset_io.c — the HDF5 dataset format: write/read round trips (decoded and JPEG mode), attributes,
// random-order reads with duplicates, pixel statistics, atomic output, and the clear errors on bad files.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "data/dataset.h"
#include "harness.h"

static char tmpdir[256];

static void path_in_tmp(char* out, size_t cap, const char* name) { snprintf(out, cap, "%s/%s", tmpdir, name); }

// Runs fn(arg) in a child process; returns 1 when the child died with a non-zero status and its stderr
// contains `needle`.
#define dies_with th_dies_with

static char* NAMES3[] = {"alpha", "beta", "a-much-longer-class-name"};

static DatasetInfo make_info(DatasetMode mode, int h, int w, int c) {
    DatasetInfo info;
    memset(&info, 0, sizeof info);
    info.mode = mode;
    info.num_classes = 3;
    info.class_names = NAMES3;
    info.height = h;
    info.width = w;
    info.channels = c;
    for (int k = 0; k < c; k++) { info.mean[k] = 0.1f * (float)(k + 1); info.std[k] = 0.2f + 0.01f * (float)k; }
    snprintf(info.source, sizeof info.source, "test:unit");
    return info;
}

static uint8_t pixel_value(int64_t row, int64_t j) { return (uint8_t)((row * 131 + j * 7 + row * j) & 0xff); }

// Writes a decoded dataset: train n_train rows, test n_test rows, with known pixels and labels.
static void write_decoded(const char* path, int64_t n_train, int64_t n_test, int h, int w, int c) {
    DatasetInfo info = make_info(DS_DECODED, h, w, c);
    DatasetWriter wr;
    dataset_write_begin(&wr, path, &info);
    int64_t row = (int64_t)h * w * c;
    int64_t ns[2] = {n_train, n_test};
    const char* names[2] = {"train", "test"};
    for (int s = 0; s < 2; s++) {
        int64_t n = ns[s];
        uint8_t* img = malloc((size_t)(n * row + 1));
        int32_t* lab = malloc((size_t)(n + 1) * 4);
        int32_t* grp = malloc((size_t)(n + 1) * 4);
        for (int64_t i = 0; i < n; i++) {
            for (int64_t j = 0; j < row; j++) img[i * row + j] = pixel_value(i + 1000 * s, j);
            lab[i] = (int32_t)((i + s) % 3);
            grp[i] = (int32_t)(i / 4);
        }
        dataset_write_split_decoded(&wr, names[s], n, img, lab, s == 0 ? grp : NULL, s == 0 ? grp : NULL);
        free(img);
        free(lab);
        free(grp);
    }
    dataset_write_finish(&wr);
}

static void test_decoded_round_trip(void) {
    char path[512];
    path_in_tmp(path, sizeof path, "decoded.h5");
    const int h = 5, w = 7, c = 3;
    write_decoded(path, 37, 11, h, w, c);
    Dataset ds;
    dataset_open(&ds, path, MPI_COMM_NULL);
    CHECK_EQ_INT(ds.info.format_version, DATASET_FORMAT_VERSION);
    CHECK_EQ_INT(ds.info.mode, DS_DECODED);
    CHECK_EQ_INT(ds.info.num_classes, 3);
    CHECK_EQ_INT(ds.info.height, h);
    CHECK_EQ_INT(ds.info.width, w);
    CHECK_EQ_INT(ds.info.channels, c);
    for (int k = 0; k < 3; k++) CHECK(strcmp(ds.info.class_names[k], NAMES3[k]) == 0, "class %d = '%s'", k, ds.info.class_names[k]);
    for (int k = 0; k < c; k++) {
        CHECK_CLOSE(ds.info.mean[k], 0.1f * (float)(k + 1), 0);
        CHECK_CLOSE(ds.info.std[k], 0.2f + 0.01f * (float)k, 0);
    }
    CHECK(strcmp(ds.info.source, "test:unit") == 0, "source '%s'", ds.info.source);
    CHECK_TRUE(dataset_has_split(&ds, "train"));
    CHECK_TRUE(dataset_has_split(&ds, "test"));
    CHECK_TRUE(!dataset_has_split(&ds, "val"));

    DatasetSplit tr;
    dataset_split_open(&ds, "train", &tr);
    CHECK_EQ_INT(tr.n, 37);
    CHECK_TRUE(tr.coarse_labels != NULL && tr.groups != NULL);
    for (int64_t i = 0; i < tr.n; i++) {
        CHECK_EQ_INT(tr.labels[i], i % 3);
        CHECK_EQ_INT(tr.groups[i], i / 4);
    }
    // random order with duplicates and adjacent runs
    int64_t idx[] = {36, 0, 5, 5, 6, 7, 20, 1, 36, 19, 18};
    int64_t n = (int64_t)(sizeof idx / sizeof idx[0]);
    int64_t row = (int64_t)h * w * c;
    uint8_t* out = malloc((size_t)(n * row));
    dataset_read_decoded(&ds, &tr, idx, n, out);
    int bad = 0;
    for (int64_t k = 0; k < n; k++)
        for (int64_t j = 0; j < row; j++) bad += out[k * row + j] != pixel_value(idx[k], j);
    CHECK(bad == 0, "%d pixels differ after random-order read", bad);
    // the whole split in order
    int64_t* all = malloc((size_t)tr.n * sizeof(int64_t));
    for (int64_t i = 0; i < tr.n; i++) all[i] = i;
    uint8_t* whole = malloc((size_t)(tr.n * row));
    dataset_read_decoded(&ds, &tr, all, tr.n, whole);
    bad = 0;
    for (int64_t i = 0; i < tr.n; i++)
        for (int64_t j = 0; j < row; j++) bad += whole[i * row + j] != pixel_value(i, j);
    CHECK(bad == 0, "%d pixels differ after whole read", bad);
    dataset_split_close(&tr);

    DatasetSplit te;
    dataset_split_open(&ds, "test", &te);
    CHECK_EQ_INT(te.n, 11);
    CHECK_TRUE(te.coarse_labels == NULL && te.groups == NULL);
    CHECK_EQ_INT(te.labels[0], 1);
    int64_t one = 10;
    dataset_read_decoded(&ds, &te, &one, 1, out);
    bad = 0;
    for (int64_t j = 0; j < row; j++) bad += out[j] != pixel_value(1010, j);
    CHECK(bad == 0, "test row 10: %d pixels differ", bad);
    dataset_split_close(&te);
    dataset_close(&ds);
    free(out);
    free(all);
    free(whole);
}

static void test_empty_split(void) {
    char path[512];
    path_in_tmp(path, sizeof path, "empty_test.h5");
    write_decoded(path, 4, 0, 2, 2, 1);
    Dataset ds;
    dataset_open(&ds, path, MPI_COMM_NULL);
    DatasetSplit te;
    dataset_split_open(&ds, "test", &te);
    CHECK_EQ_INT(te.n, 0);
    dataset_read_decoded(&ds, &te, NULL, 0, NULL);
    dataset_split_close(&te);
    dataset_close(&ds);
}

static void test_chunking(void) {
    CHECK_EQ_INT(dataset_chunk_rows(32 * 32 * 3, 50000), 5);     // 16 KiB / 3 KiB
    CHECK_EQ_INT(dataset_chunk_rows(32 * 32 * 3, 3), 3);         // never more than N
    CHECK_EQ_INT(dataset_chunk_rows(4000 * 4000 * 3, 10), 1);    // at least one row
    int64_t r = dataset_chunk_rows(224 * 224 * 3, 1000000);
    CHECK_EQ_INT(r, 1);                                           // 147 KiB rows: one per chunk
    CHECK_EQ_INT(dataset_chunk_rows(8 * 8, 1438), 256);           // digits
}

static void test_jpeg_round_trip(void) {
    char path[512];
    path_in_tmp(path, sizeof path, "jpegmode.h5");
    DatasetInfo info = make_info(DS_JPEG, 0, 0, 3);
    DatasetWriter wr;
    dataset_write_begin(&wr, path, &info);
    // the reader does not decode: arbitrary byte strings of varied length (one empty) stand in for JPEGs
    const int64_t n = 9;
    int64_t offsets[10] = {0};
    for (int64_t i = 0; i < n; i++) offsets[i + 1] = offsets[i] + (i == 4 ? 0 : 10 + i * 13);
    uint8_t* bytes = malloc((size_t)offsets[n]);
    for (int64_t i = 0; i < n; i++)
        for (int64_t b = offsets[i]; b < offsets[i + 1]; b++) bytes[b] = (uint8_t)(i * 17 + (b - offsets[i]));
    int32_t labels[9] = {0, 1, 2, 0, 1, 2, 0, 1, 2};
    dataset_write_split_jpeg(&wr, "train", n, bytes, offsets, labels, NULL, NULL);
    dataset_write_split_jpeg(&wr, "val", 2, bytes, offsets, labels, NULL, NULL);
    dataset_write_finish(&wr);

    Dataset ds;
    dataset_open(&ds, path, MPI_COMM_NULL);
    CHECK_EQ_INT(ds.info.mode, DS_JPEG);
    DatasetSplit s;
    dataset_split_open(&ds, "train", &s);
    CHECK_EQ_INT(s.n, n);
    for (int64_t i = 0; i <= n; i++) CHECK_EQ_INT(s.offsets[i], offsets[i]);
    for (int64_t i = 0; i < n; i++) {
        int64_t len = -1;
        uint8_t* got = dataset_read_jpeg(&ds, &s, i, &len);
        CHECK_EQ_INT(len, offsets[i + 1] - offsets[i]);
        CHECK(memcmp(got, bytes + offsets[i], (size_t)len) == 0, "row %lld bytes differ", (long long)i);
        free(got);
    }
    int64_t idx[] = {8, 3, 4, 5, 3, 0, 1};
    int64_t m = 7, *offs = NULL;
    uint8_t* many = dataset_read_jpeg_many(&ds, &s, idx, m, &offs);
    for (int64_t k = 0; k < m; k++) {
        int64_t i = idx[k];
        CHECK_EQ_INT(offs[k + 1] - offs[k], offsets[i + 1] - offsets[i]);
        CHECK(memcmp(many + offs[k], bytes + offsets[i], (size_t)(offs[k + 1] - offs[k])) == 0, "many: row %lld differs", (long long)i);
    }
    free(many);
    free(offs);
    dataset_split_close(&s);
    DatasetSplit v;
    dataset_split_open(&ds, "val", &v);
    CHECK_EQ_INT(v.n, 2);
    dataset_split_close(&v);
    dataset_close(&ds);
    free(bytes);
}

static void test_pixel_stats(void) {
    // 2 channels; channel 0 = 0,255 alternating (mean 0.5, std 0.5), channel 1 constant 51 (mean 0.2, std -> 1)
    uint8_t px[200];
    for (int p = 0; p < 100; p++) { px[2 * p] = (uint8_t)(p % 2 ? 255 : 0); px[2 * p + 1] = 51; }
    PixelStats a = {0}, b = {0};
    pixel_stats_add(&a, px, 100, 2);
    pixel_stats_add(&b, px, 40, 2);       // split in two parts: same exact sums
    pixel_stats_add(&b, px + 80, 60, 2);
    CHECK_EQ_INT(a.count, b.count);
    CHECK_EQ_INT(a.sum[0], b.sum[0]);
    CHECK_EQ_INT(a.sumsq[1], b.sumsq[1]);
    float mean[4], std[4];
    pixel_stats_finish(&a, mean, std);
    CHECK_CLOSE(mean[0], 0.5, 1e-6);
    CHECK_CLOSE(std[0], 0.5, 1e-6);
    CHECK_CLOSE(mean[1], 0.2, 1e-6);
    CHECK_CLOSE(std[1], 1.0, 0);   // constant channel: std 1 so normalisation stays finite
}

static void test_atomic_output(void) {
    char path[512];
    path_in_tmp(path, sizeof path, "atomic.h5");
    DatasetInfo info = make_info(DS_DECODED, 2, 2, 1);
    DatasetWriter wr;
    dataset_write_begin(&wr, path, &info);
    CHECK_TRUE(!ug_file_exists(path));   // nothing at the final name until complete
    CHECK_TRUE(ug_file_exists(wr.tmp));
    uint8_t img[8] = {0};
    int32_t lab[2] = {0, 2};
    dataset_write_split_decoded(&wr, "train", 2, img, lab, NULL, NULL);
    dataset_write_finish(&wr);
    CHECK_TRUE(ug_file_exists(path));
    CHECK_TRUE(!ug_file_exists(wr.tmp));
}

// ---- bad input: each must die with a message naming the problem

static void open_path(void* arg) {
    Dataset ds;
    dataset_open(&ds, (const char*)arg, MPI_COMM_NULL);
}

static void open_missing_split(void* arg) {
    Dataset ds;
    DatasetSplit s;
    dataset_open(&ds, (const char*)arg, MPI_COMM_NULL);
    dataset_split_open(&ds, "val", &s);
}

static void read_out_of_range(void* arg) {
    Dataset ds;
    DatasetSplit s;
    dataset_open(&ds, (const char*)arg, MPI_COMM_NULL);
    dataset_split_open(&ds, "train", &s);
    int64_t idx = s.n;
    uint8_t buf[64];
    dataset_read_decoded(&ds, &s, &idx, 1, buf);
}

static void write_bad_label(void* arg) {
    DatasetInfo info = make_info(DS_DECODED, 1, 1, 1);
    DatasetWriter wr;
    dataset_write_begin(&wr, (const char*)arg, &info);
    uint8_t img[1] = {0};
    int32_t lab[1] = {3};
    dataset_write_split_decoded(&wr, "train", 1, img, lab, NULL, NULL);
}

static void test_bad_files(void) {
    char missing[512], junk[512], good[512], newer[512], badlab[512];
    path_in_tmp(missing, sizeof missing, "does-not-exist.h5");
    path_in_tmp(junk, sizeof junk, "junk.h5");
    path_in_tmp(good, sizeof good, "good.h5");
    path_in_tmp(newer, sizeof newer, "newer.h5");
    path_in_tmp(badlab, sizeof badlab, "badlabel.h5");
    FILE* f = fopen(junk, "w");
    fputs("this is not an HDF5 file\n", f);
    fclose(f);
    write_decoded(good, 3, 1, 2, 2, 1);
    write_decoded(newer, 3, 1, 2, 2, 1);
    hid_t file = H5Fopen(newer, H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(file, "format_version", H5P_DEFAULT);
    int v = DATASET_FORMAT_VERSION + 1;
    H5Awrite(a, H5T_NATIVE_INT, &v);
    H5Aclose(a);
    H5Fclose(file);

    CHECK(dies_with(open_path, missing, "not found"), "missing file");
    CHECK(dies_with(open_path, junk, "not an HDF5 file"), "junk file");
    CHECK(dies_with(open_path, newer, "format version"), "newer version");
    CHECK(dies_with(open_missing_split, good, "has no split 'val'"), "missing split");
    CHECK(dies_with(read_out_of_range, good, "row 3 requested"), "row out of range");
    CHECK(dies_with(write_bad_label, badlab, "outside 0..2"), "label out of range");
    CHECK_TRUE(!ug_file_exists(badlab));   // a failed write leaves nothing at the final name
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ugradsl_test_dsio_XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   // the bad-file cases trip HDF5 errors on purpose
    TEST_CASE(test_decoded_round_trip);
    TEST_CASE(test_empty_split);
    TEST_CASE(test_chunking);
    TEST_CASE(test_jpeg_round_trip);
    TEST_CASE(test_pixel_stats);
    TEST_CASE(test_atomic_output);
    TEST_CASE(test_bad_files);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return th_end();
}
