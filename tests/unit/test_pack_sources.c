// test_pack_sources.c — the small sources: generated CIFAR-10/100 binaries (planar -> HWC, labels, coarse
// labels, class names), the digits CSV (generated, and the real one from python3-sklearn when installed),
// the stratified test split, and the bad-input errors.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "data/dataset.h"
#include "data/pack.h"
#include "harness.h"

#define DIGITS_CSV "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"

static char tmpdir[256];

#define dies_with th_dies_with

static void write_file(const char* path, const void* data, size_t n) {
    FILE* f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) { fprintf(stderr, "cannot write %s\n", path); exit(2); }
}

// Pixel (y, x, c) of CIFAR record r of file `file`.
static uint8_t cifar_px(int file, int r, int y, int x, int c) { return (uint8_t)(file * 50 + r * 7 + y * 3 + x + c * 85); }

// Writes a CIFAR binary file with `n` records; label of record r: (file + r) % classes.
static void write_cifar(const char* dir, const char* name, int file, int n, int cifar100) {
    size_t rec = (cifar100 ? 2 : 1) + 3072;
    uint8_t* buf = malloc(rec * (size_t)n);
    for (int r = 0; r < n; r++) {
        uint8_t* p = buf + rec * (size_t)r;
        if (cifar100) { p[0] = (uint8_t)((file + r) % 100 / 5); p[1] = (uint8_t)((file + r) % 100); }
        else p[0] = (uint8_t)((file + r) % 10);
        uint8_t* planes = p + (cifar100 ? 2 : 1);
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) planes[c * 1024 + y * 32 + x] = cifar_px(file, r, y, x, c);
    }
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_file(path, buf, rec * (size_t)n);
    free(buf);
}

static void check_cifar_split(const Dataset* ds, const char* split, const int* files, const int* counts, int nfiles,
                              int cifar100) {
    DatasetSplit s;
    dataset_split_open((Dataset*)ds, split, &s);
    int64_t total = 0;
    for (int f = 0; f < nfiles; f++) total += counts[f];
    CHECK_EQ_INT(s.n, total);
    CHECK_TRUE(cifar100 ? s.coarse_labels != NULL : s.coarse_labels == NULL);
    uint8_t img[3072];
    int64_t row = 0;
    int bad_px = 0, bad_label = 0;
    for (int f = 0; f < nfiles; f++)
        for (int r = 0; r < counts[f]; r++, row++) {
            int classes = cifar100 ? 100 : 10;
            bad_label += s.labels[row] != (files[f] + r) % classes;
            if (cifar100) bad_label += s.coarse_labels[row] != (files[f] + r) % 100 / 5;
            dataset_read_decoded(ds, &s, &row, 1, img);
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    for (int c = 0; c < 3; c++) bad_px += img[(y * 32 + x) * 3 + c] != cifar_px(files[f], r, y, x, c);
        }
    CHECK(bad_px == 0, "%s: %d pixels differ (planar -> HWC)", split, bad_px);
    CHECK(bad_label == 0, "%s: %d labels differ", split, bad_label);
    dataset_split_close(&s);
}

static void test_cifar10(void) {
    char dir[600], out[700], meta[700];
    snprintf(dir, sizeof dir, "%s/c10", tmpdir);
    mkdir(dir, 0775);
    int files[5] = {1, 2, 3, 4, 5}, counts[5] = {3, 4, 2, 5, 1};
    for (int b = 0; b < 5; b++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", b + 1);
        write_cifar(dir, name, files[b], counts[b], 0);
    }
    write_cifar(dir, "test_batch.bin", 9, 6, 0);
    snprintf(meta, sizeof meta, "%s/batches.meta.txt", dir);
    const char* names = "plane\ncar\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n";
    write_file(meta, names, strlen(names));
    MemDataset m;
    pack_read_cifar_bin(dir, 0, &m);
    snprintf(out, sizeof out, "%s/c10.h5", tmpdir);
    PackReport r;
    pack_write_memory(&m, out, &r);
    mem_dataset_free(&m);
    CHECK_EQ_INT(r.n_train, 15);
    CHECK_EQ_INT(r.n_test, 6);
    Dataset ds;
    dataset_open(&ds, out, MPI_COMM_NULL);
    CHECK_EQ_INT(ds.info.num_classes, 10);
    CHECK_EQ_INT(ds.info.num_coarse, 0);
    CHECK(!strcmp(ds.info.class_names[0], "plane") && !strcmp(ds.info.class_names[9], "truck"), "names from batches.meta.txt");
    check_cifar_split(&ds, "train", files, counts, 5, 0);
    int tf[1] = {9}, tc[1] = {6};
    check_cifar_split(&ds, "test", tf, tc, 1, 0);
    // mean of channel 0 over train, computed directly
    double sum = 0;
    for (int b = 0; b < 5; b++)
        for (int rr = 0; rr < counts[b]; rr++)
            for (int p = 0; p < 1024; p++) sum += cifar_px(files[b], rr, p / 32, p % 32, 0);
    CHECK_CLOSE(ds.info.mean[0], sum / (15.0 * 1024) / 255.0, 1e-6);
    dataset_close(&ds);
    // without the meta file: the standard CIFAR-10 names
    unlink(meta);
    pack_read_cifar_bin(dir, 0, &m);
    CHECK(!strcmp(m.class_names[0], "airplane") && !strcmp(m.class_names[1], "automobile"), "default names");
    mem_dataset_free(&m);
}

static void test_cifar100(void) {
    char dir[600], out[700];
    snprintf(dir, sizeof dir, "%s/c100", tmpdir);
    mkdir(dir, 0775);
    write_cifar(dir, "train.bin", 3, 120, 1);
    write_cifar(dir, "test.bin", 40, 7, 1);
    MemDataset m;
    pack_read_cifar_bin(dir, 1, &m);
    snprintf(out, sizeof out, "%s/c100.h5", tmpdir);
    PackReport r;
    pack_write_memory(&m, out, &r);
    mem_dataset_free(&m);
    Dataset ds;
    dataset_open(&ds, out, MPI_COMM_NULL);
    CHECK_EQ_INT(ds.info.num_classes, 100);
    CHECK_EQ_INT(ds.info.num_coarse, 20);
    int f1[1] = {3}, c1[1] = {120}, f2[1] = {40}, c2[1] = {7};
    check_cifar_split(&ds, "train", f1, c1, 1, 1);
    check_cifar_split(&ds, "test", f2, c2, 1, 1);
    dataset_close(&ds);
}

static void read_c10(void* dir) { MemDataset m; pack_read_cifar_bin(dir, 0, &m); }
static void read_c100(void* dir) { MemDataset m; pack_read_cifar_bin(dir, 1, &m); }

static void test_cifar_errors(void) {
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/c10bad", tmpdir);
    mkdir(dir, 0775);
    CHECK(dies_with(read_c10, dir, "data_batch_1.bin' is missing"), "missing batch");
    for (int b = 1; b <= 5; b++) {
        char name[32];
        snprintf(name, sizeof name, "data_batch_%d.bin", b);
        write_cifar(dir, name, b, 2, 0);
    }
    snprintf(path, sizeof path, "%s/test_batch.bin", dir);
    write_file(path, "short", 5);
    CHECK(dies_with(read_c10, dir, "not a multiple of the 3073-byte record"), "truncated file");
    // CIFAR-100 records read as CIFAR-10 (or a label out of range)
    write_cifar(dir, "test_batch.bin", 0, 2, 0);
    snprintf(path, sizeof path, "%s/data_batch_3.bin", dir);
    uint8_t rec[3073];
    memset(rec, 0, sizeof rec);
    rec[0] = 12;
    write_file(path, rec, sizeof rec);
    CHECK(dies_with(read_c10, dir, "label 12 is out of range"), "label out of range");
    CHECK(dies_with(read_c100, dir, "train.bin' is missing"), "CIFAR-100 layout");
    snprintf(path, sizeof path, "%s/not-a-dir", tmpdir);
    write_file(path, "x", 1);
    CHECK(dies_with(read_c10, path, "is not a directory"), "input not a directory");
}

static void test_stratified_split(void) {
    const int64_t n = 1000;
    int32_t labels[1000];
    for (int64_t i = 0; i < n; i++) labels[i] = (int32_t)(i % 7 == 0 ? 0 : i % 3 + 1);   // uneven classes
    uint8_t a[1000], b[1000], c[1000];
    pack_stratified_test(labels, n, 4, 0.2, 5, a);
    pack_stratified_test(labels, n, 4, 0.2, 5, b);
    pack_stratified_test(labels, n, 4, 0.2, 6, c);
    CHECK(memcmp(a, b, (size_t)n) == 0, "same seed, same split");
    CHECK(memcmp(a, c, (size_t)n) != 0, "another seed, another split");
    for (int k = 0; k < 4; k++) {
        int64_t members = 0, test = 0;
        for (int64_t i = 0; i < n; i++)
            if (labels[i] == k) { members++; test += a[i]; }
        CHECK_EQ_INT(test, (int64_t)(0.2 * (double)members + 0.5));
    }
    pack_stratified_test(labels, n, 4, 0.0, 5, a);
    int64_t any = 0;
    for (int64_t i = 0; i < n; i++) any += a[i];
    CHECK_EQ_INT(any, 0);
}

static void test_digits_generated(void) {
    // 3 rows per digit, pixel k of row r = (r + k) % 17; plain text (zlib reads it transparently)
    char path[700], out[700];
    snprintf(path, sizeof path, "%s/digits.csv", tmpdir);
    FILE* f = fopen(path, "w");
    for (int r = 0; r < 30; r++) {
        for (int k = 0; k < 64; k++) fprintf(f, "%d,", (r + k) % 17);
        fprintf(f, "%d\n", r % 10);
    }
    fclose(f);
    MemDataset m;
    pack_read_digits_csv(path, 1.0 / 3.0, 7, &m);
    CHECK_EQ_INT(m.train.n, 20);
    CHECK_EQ_INT(m.test.n, 10);
    CHECK_EQ_INT(m.h * m.w * m.c, 64);
    // every test row is one of the CSV rows, with the value scaling round(v * 255 / 16)
    int bad = 0;
    for (int64_t i = 0; i < m.test.n; i++) {
        int label = m.test.labels[i], found = 0;
        for (int r = label; r < 30 && !found; r += 10) {
            int same = 1;
            for (int k = 0; k < 64 && same; k++) {
                int v = (r + k) % 17;
                same = m.test.images[i * 64 + k] == (uint8_t)((v * 255 + 8) / 16);
            }
            found = same;
        }
        bad += !found;
    }
    CHECK(bad == 0, "%d test rows do not match a CSV row", bad);
    snprintf(out, sizeof out, "%s/digits_gen.h5", tmpdir);
    PackReport rep;
    pack_write_memory(&m, out, &rep);
    mem_dataset_free(&m);
    CHECK_EQ_INT(rep.channels, 1);
}

static void read_digits(void* path) { MemDataset m; pack_read_digits_csv(path, 0.2, 1, &m); }

static void test_digits_errors(void) {
    char path[700];
    snprintf(path, sizeof path, "%s/bad_digits.csv", tmpdir);
    const char* cases[][2] = {
        {"1,2,3\n", "line 1: has 3 fields, expected 65"},
        {"", "has no rows"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        write_file(path, cases[k][0], strlen(cases[k][0]));
        CHECK(dies_with(read_digits, path, cases[k][1]), "case %zu", k);
    }
    char line[400] = "";
    for (int k = 0; k < 64; k++) strcat(line, k == 5 ? "17," : "0,");
    strcat(line, "3\n");
    write_file(path, line, strlen(line));
    CHECK(dies_with(read_digits, path, "pixel 6 = 17 is not an integer in 0..16"), "pixel out of range");
    line[0] = 0;
    for (int k = 0; k < 64; k++) strcat(line, "1,");
    strcat(line, "12\n");
    write_file(path, line, strlen(line));
    CHECK(dies_with(read_digits, path, "label 12 is not a digit"), "label out of range");
    snprintf(path, sizeof path, "%s/missing.csv.gz", tmpdir);
    CHECK(dies_with(read_digits, path, "cannot open digits CSV"), "missing file");
}

static void test_digits_real(void) {
    if (!ug_file_exists(DIGITS_CSV)) SKIP("%s absent (python3-sklearn not installed)", DIGITS_CSV);
    MemDataset m;
    pack_read_digits_csv(DIGITS_CSV, 0.2, 1, &m);
    CHECK_EQ_INT(m.train.n + m.test.n, 1797);
    int64_t per_class[10] = {0};
    for (int64_t i = 0; i < m.test.n; i++) per_class[m.test.labels[i]]++;
    for (int k = 0; k < 10; k++) CHECK(per_class[k] >= 35 && per_class[k] <= 37, "class %d: %lld test rows", k, (long long)per_class[k]);
    // the first CSV row is a 0 (label 0) starting 0,0,5,13,9,1: it is in train or test, scaled by 255/16
    const uint8_t first[6] = {0, 0, 80, 207, 143, 16};
    int found = 0;
    for (int s = 0; s < 2 && !found; s++) {
        MemSplit* sp = s ? &m.test : &m.train;
        for (int64_t i = 0; i < sp->n && !found; i++) found = sp->labels[i] == 0 && !memcmp(sp->images + i * 64, first, 6);
    }
    CHECK(found, "first CSV row not found with values round(v*255/16)");
    char out[700];
    snprintf(out, sizeof out, "%s/digits.h5", tmpdir);
    PackReport r;
    pack_write_memory(&m, out, &r);
    CHECK(r.mean[0] > 0.2 && r.mean[0] < 0.4, "digits mean %g", r.mean[0]);
    mem_dataset_free(&m);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ugradsl_test_packsrc_XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    TEST_CASE(test_cifar10);
    TEST_CASE(test_cifar100);
    TEST_CASE(test_cifar_errors);
    TEST_CASE(test_stratified_split);
    TEST_CASE(test_digits_generated);
    TEST_CASE(test_digits_errors);
    TEST_CASE(test_digits_real);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return th_end();
}
