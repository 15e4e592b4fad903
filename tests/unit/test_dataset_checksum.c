// test_dataset_checksum.c — dataset content checksums (Fletcher-32 per chunk, issue 18): one flipped byte in the
// pixels, the JPEG bytes or the labels of a packed file is refused with one line naming the file and "re-pack";
// files packed before the checksums still read; and a failed HDF5 write leaves no temp file (ug_die's cleanup).
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/atomic_file.h"
#include "common/util.h"
#include "data/dataset.h"
#include "harness.h"

static char tmpdir[256];
static char* NAMES2[] = {"zero", "one"};

static void path_in_tmp(char* out, size_t cap, const char* name) { snprintf(out, cap, "%s/%s", tmpdir, name); }

static DatasetInfo make_info(DatasetMode mode, int h, int w) {
    DatasetInfo info;
    memset(&info, 0, sizeof info);
    info.mode = mode;
    info.num_classes = 2;
    info.class_names = NAMES2;
    info.height = h;
    info.width = w;
    info.channels = 1;
    info.mean[0] = 0.5f;
    info.std[0] = 0.25f;
    snprintf(info.source, sizeof info.source, "test:checksum");
    return info;
}

// 64 rows of 16x16x1 pixels (16 KiB: one chunk), labels alternating.
#define ROWS 64
#define SIDE 16
static void fill_rows(uint8_t* img, int32_t* lab) {
    for (int i = 0; i < ROWS * SIDE * SIDE; i++) img[i] = (uint8_t)(i * 7 + 3);
    for (int i = 0; i < ROWS; i++) lab[i] = i % 2;
}

static void write_decoded(const char* path) {
    DatasetInfo info = make_info(DS_DECODED, SIDE, SIDE);
    static uint8_t img[ROWS * SIDE * SIDE];
    int32_t lab[ROWS];
    fill_rows(img, lab);
    DatasetWriter wr;
    dataset_write_begin(&wr, path, &info);
    dataset_write_split_decoded(&wr, "train", ROWS, img, lab, NULL, NULL);
    dataset_write_finish(&wr);
}

// 8 "JPEGs" of 100 bytes each (the reader does not decode them).
static void write_jpeg(const char* path) {
    DatasetInfo info = make_info(DS_JPEG, 0, 0);
    uint8_t bytes[800];
    int64_t offsets[9];
    int32_t lab[8];
    for (int i = 0; i < 800; i++) bytes[i] = (uint8_t)(i * 13);
    for (int i = 0; i <= 8; i++) offsets[i] = 100 * i;
    for (int i = 0; i < 8; i++) lab[i] = i % 2;
    DatasetWriter wr;
    dataset_write_begin(&wr, path, &info);
    dataset_write_split_jpeg(&wr, "train", 8, bytes, offsets, lab, NULL, NULL);
    dataset_write_finish(&wr);
}

// File offset of the first stored chunk of /split/column.
static long long chunk_offset(const char* path, const char* column) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, column, H5P_DEFAULT);
    haddr_t addr = HADDR_UNDEF;
    hsize_t size = 0;
    unsigned mask = 0;
    hid_t space = H5Dget_space(d);
    herr_t rc = H5Dget_chunk_info(d, space, 0, NULL, &mask, &addr, &size);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
    if (rc < 0 || addr == HADDR_UNDEF) fprintf(stderr, "  no chunk found for %s in %s\n", column, path);
    return rc < 0 || addr == HADDR_UNDEF ? -1 : (long long)addr;
}

static int flip_byte(const char* path, long long at) {
    if (at < 0) return 0;
    FILE* f = fopen(path, "r+b");
    if (!f || fseek(f, at, SEEK_SET) != 0) { if (f) fclose(f); return 0; }
    int c = fgetc(f);
    fseek(f, at, SEEK_SET);
    fputc(c ^ 0xFF, f);
    return fclose(f) == 0;
}

static void copy_file(const char* from, const char* to) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
    if (system(cmd) != 0) fprintf(stderr, "cp failed\n");
}

static void read_all_decoded(void* arg) {
    Dataset ds;
    DatasetSplit s;
    dataset_open(&ds, (const char*)arg, MPI_COMM_NULL);
    dataset_split_open(&ds, "train", &s);
    int64_t idx[ROWS];
    for (int i = 0; i < ROWS; i++) idx[i] = ROWS - 1 - i;
    static uint8_t out[ROWS * SIDE * SIDE];
    dataset_read_decoded(&ds, &s, idx, ROWS, out);
}

static void read_one_jpeg(void* arg) {
    Dataset ds;
    DatasetSplit s;
    dataset_open(&ds, (const char*)arg, MPI_COMM_NULL);
    dataset_split_open(&ds, "train", &s);
    int64_t bytes = 0;
    free(dataset_read_jpeg(&ds, &s, 3, &bytes));
}

static int split_checksummed(const char* path) {
    Dataset ds;
    DatasetSplit s;
    dataset_open(&ds, path, MPI_COMM_NULL);
    dataset_split_open(&ds, "train", &s);
    int c = s.checksummed;
    dataset_split_close(&s);
    dataset_close(&ds);
    return c;
}

static void test_decoded_pixel_flip(void) {
    char good[512], bad[512];
    path_in_tmp(good, sizeof good, "decoded.h5");
    path_in_tmp(bad, sizeof bad, "decoded-flip.h5");
    write_decoded(good);
    CHECK_TRUE(split_checksummed(good));
    CHECK_EQ_INT(th_run_child(read_all_decoded, good, (char[256]){0}, 256), 0);   // the intact file reads
    copy_file(good, bad);
    CHECK(flip_byte(bad, chunk_offset(good, "train/images") + 1000), "flip a pixel byte");
    CHECK(th_dies_with(read_all_decoded, bad, "fails its checksum"), "flipped pixel refused");
    CHECK(th_dies_with(read_all_decoded, bad, "re-pack"), "the error says what to do");
}

static void test_jpeg_byte_flip(void) {
    char good[512], bad[512];
    path_in_tmp(good, sizeof good, "jpeg.h5");
    path_in_tmp(bad, sizeof bad, "jpeg-flip.h5");
    write_jpeg(good);
    CHECK_TRUE(split_checksummed(good));
    CHECK_EQ_INT(th_run_child(read_one_jpeg, good, (char[256]){0}, 256), 0);
    copy_file(good, bad);
    CHECK(flip_byte(bad, chunk_offset(good, "train/jpeg") + 350), "flip a JPEG byte");
    CHECK(th_dies_with(read_one_jpeg, bad, "/train/jpeg fails its checksum"), "flipped JPEG byte refused");
}

static void open_split(void* arg) {
    Dataset ds;
    DatasetSplit s;
    dataset_open(&ds, (const char*)arg, MPI_COMM_NULL);
    dataset_split_open(&ds, "train", &s);
}

static void test_label_flip(void) {
    char good[512], bad[512];
    path_in_tmp(good, sizeof good, "labels.h5");
    path_in_tmp(bad, sizeof bad, "labels-flip.h5");
    write_decoded(good);
    copy_file(good, bad);
    // label 5 becomes 254: the range check would catch that too, but the read fails first, so the message
    // must be the checksum's
    CHECK(flip_byte(bad, chunk_offset(good, "train/labels") + 4 * 5), "flip a label byte");
    CHECK(th_dies_with(open_split, bad, "/train/labels fails its checksum"), "flipped label refused");
}

// A file as pack wrote it before the checksums: contiguous labels, chunked images without a filter.
static void write_unchecksummed(const char* path) {
    DatasetInfo info = make_info(DS_DECODED, SIDE, SIDE);
    static uint8_t img[ROWS * SIDE * SIDE];
    int32_t lab[ROWS];
    fill_rows(img, lab);
    DatasetWriter wr;
    dataset_write_begin(&wr, path, &info);
    hid_t g = H5Gcreate2(wr.file, "train", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t dims[4] = {ROWS, SIDE, SIDE, 1}, chunk[4] = {ROWS, SIDE, SIDE, 1}, n = ROWS;
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, 4, chunk);
    hid_t sp = H5Screate_simple(4, dims, NULL);
    hid_t d = H5Dcreate2(g, "images", H5T_STD_U8LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, img);
    H5Dclose(d);
    H5Sclose(sp);
    H5Pclose(dcpl);
    sp = H5Screate_simple(1, &n, NULL);
    d = H5Dcreate2(g, "labels", H5T_STD_I32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, lab);
    H5Dclose(d);
    H5Sclose(sp);
    H5Gclose(g);
    dataset_write_finish(&wr);
}

static void test_old_files_read(void) {
    char old[512];
    path_in_tmp(old, sizeof old, "old.h5");
    write_unchecksummed(old);
    CHECK_TRUE(!split_checksummed(old));
    Dataset ds;
    DatasetSplit s;
    dataset_open(&ds, old, MPI_COMM_NULL);
    dataset_split_open(&ds, "train", &s);
    int64_t idx[2] = {5, 0};
    uint8_t out[2 * SIDE * SIDE];
    dataset_read_decoded(&ds, &s, idx, 2, out);
    CHECK_EQ_INT(out[0], (uint8_t)(5 * SIDE * SIDE * 7 + 3));
    CHECK_EQ_INT(out[SIDE * SIDE + 1], (uint8_t)(1 * 7 + 3));
    CHECK_EQ_INT(s.labels[5], 1);
    dataset_split_close(&s);
    dataset_close(&ds);
}

// ---- a failed write leaves no temp file: the file-size limit makes HDF5's writes fail (EFBIG) as a full
// disk would (ENOSPC); ug_die must remove the temp file before ending the process.
static void write_past_size_limit(void* arg) {
    signal(SIGXFSZ, SIG_IGN);   // a write past the limit then fails with EFBIG instead of killing the process
    struct rlimit rl = {32 * 1024, 32 * 1024};
    setrlimit(RLIMIT_FSIZE, &rl);
    DatasetInfo info = make_info(DS_DECODED, 256, 256);
    static uint8_t img[8 * 256 * 256];
    int32_t lab[8] = {0};
    DatasetWriter wr;
    dataset_write_begin(&wr, (const char*)arg, &info);
    dataset_write_split_decoded(&wr, "train", 8, img, lab, NULL, NULL);
    dataset_write_finish(&wr);
}

static int count_tmp_files(const char* dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "find '%s' -name '*.tmp.*' | wc -l", dir);
    FILE* p = popen(cmd, "r");
    int n = -1;
    if (p) { if (fscanf(p, "%d", &n) != 1) n = -1; pclose(p); }
    return n;
}

static void test_failed_write_removes_tmp(void) {
    char dir[512], path[600];
    path_in_tmp(dir, sizeof dir, "full");
    ug_mkdir_p(dir);
    snprintf(path, sizeof path, "%s/big.h5", dir);
    char msg[4096];
    int rc = th_run_child(write_past_size_limit, path, msg, sizeof msg);
    CHECK(rc == 1, "the failed write ends with exit 1 (got %d): %s", rc, msg);
    CHECK(strstr(msg, "File too large") != NULL, "the system's cause is named: %s", msg);
    CHECK(strchr(msg, '\n') == strrchr(msg, '\n'), "one line: %s", msg);
    CHECK_EQ_INT(count_tmp_files(dir), 0);
    CHECK_TRUE(!ug_file_exists(path));
}

static void test_tracking(void) {
    char path[512], tmp[600];
    path_in_tmp(path, sizeof path, "tracked.bin");
    int before = atomic_tmp_tracked_count();
    AtomicFile af;
    atomic_open(&af, path);
    CHECK_EQ_INT(atomic_tmp_tracked_count(), before + 1);
    atomic_commit(&af);
    CHECK_EQ_INT(atomic_tmp_tracked_count(), before);   // renamed: nothing left to remove
    atomic_open(&af, path);
    atomic_abort(&af);
    CHECK_EQ_INT(atomic_tmp_tracked_count(), before);
    atomic_tmp_name(path, tmp, sizeof tmp);
    atomic_tmp_name(path, tmp, sizeof tmp);   // the same name twice is tracked once
    CHECK_EQ_INT(atomic_tmp_tracked_count(), before + 1);
    atomic_tmp_untrack(tmp);
    CHECK_EQ_INT(atomic_tmp_tracked_count(), before);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ugradsl_test_dscheck_XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   // the damaged-file cases trip HDF5 errors on purpose
    TEST_CASE(test_decoded_pixel_flip);
    TEST_CASE(test_jpeg_byte_flip);
    TEST_CASE(test_label_flip);
    TEST_CASE(test_old_files_read);
    TEST_CASE(test_failed_write_removes_tmp);
    TEST_CASE(test_tracking);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return th_end();
}
