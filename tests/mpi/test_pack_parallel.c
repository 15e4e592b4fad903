// test_pack_parallel.c — image-folder packing on all ranks gives the same dataset content as the serial
// path (= np 1): decoded with and without --resize, JPEG mode, with bad files skipped, with rounds so small
// that some ranks have nothing to write.  Also reads the packed file back through MPI-IO on every rank.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "data/dataset.h"
#include "data/pack_folder.h"
#include "harness.h"
#include "pack_fixtures.h"

static char tmpdir[256], good_tree[512], bad_tree[512];

static const char* SPLITS[3] = {"train", "val", "test"};

// Compares two dataset files (attributes and every row of every split); returns the number of differences.
static int compare_files(const char* a_path, const char* b_path) {
    Dataset a, b;
    dataset_open(&a, a_path, MPI_COMM_NULL);
    dataset_open(&b, b_path, MPI_COMM_NULL);
    int diffs = 0;
    const DatasetInfo *ia = &a.info, *ib = &b.info;
    diffs += ia->mode != ib->mode || ia->num_classes != ib->num_classes || ia->height != ib->height ||
             ia->width != ib->width || ia->channels != ib->channels;
    diffs += memcmp(ia->mean, ib->mean, sizeof(float) * (size_t)ia->channels) != 0;
    diffs += memcmp(ia->std, ib->std, sizeof(float) * (size_t)ia->channels) != 0;
    for (int k = 0; k < ia->num_classes && k < ib->num_classes; k++) diffs += strcmp(ia->class_names[k], ib->class_names[k]) != 0;
    if (diffs) fprintf(stderr, "  attributes differ\n");
    for (int s = 0; s < 3; s++) {
        if (dataset_has_split(&a, SPLITS[s]) != dataset_has_split(&b, SPLITS[s])) { diffs++; continue; }
        if (!dataset_has_split(&a, SPLITS[s])) continue;
        DatasetSplit sa, sb;
        dataset_split_open(&a, SPLITS[s], &sa);
        dataset_split_open(&b, SPLITS[s], &sb);
        if (sa.n != sb.n) {
            fprintf(stderr, "  /%s: %lld vs %lld rows\n", SPLITS[s], (long long)sa.n, (long long)sb.n);
            diffs++;
        } else {
            diffs += memcmp(sa.labels, sb.labels, (size_t)sa.n * sizeof(int32_t)) != 0;
            diffs += (sa.groups == NULL) != (sb.groups == NULL);
            if (sa.groups && sb.groups) diffs += memcmp(sa.groups, sb.groups, (size_t)sa.n * sizeof(int32_t)) != 0;
            int64_t* idx = malloc((size_t)(sa.n + 1) * sizeof(int64_t));
            for (int64_t i = 0; i < sa.n; i++) idx[i] = i;
            if (ia->mode == DS_DECODED) {
                size_t bytes = (size_t)sa.n * ia->height * ia->width * ia->channels;
                uint8_t* pa = malloc(bytes + 1);
                uint8_t* pb = malloc(bytes + 1);
                dataset_read_decoded(&a, &sa, idx, sa.n, pa);
                dataset_read_decoded(&b, &sb, idx, sb.n, pb);
                if (memcmp(pa, pb, bytes) != 0) { fprintf(stderr, "  /%s: images differ\n", SPLITS[s]); diffs++; }
                free(pa);
                free(pb);
            } else {
                diffs += memcmp(sa.offsets, sb.offsets, (size_t)(sa.n + 1) * sizeof(int64_t)) != 0;
                int64_t *oa = NULL, *ob = NULL;
                uint8_t* ja = dataset_read_jpeg_many(&a, &sa, idx, sa.n, &oa);
                uint8_t* jb = dataset_read_jpeg_many(&b, &sb, idx, sb.n, &ob);
                if (oa[sa.n] != ob[sb.n] || memcmp(ja, jb, (size_t)oa[sa.n]) != 0) {
                    fprintf(stderr, "  /%s: JPEG bytes differ\n", SPLITS[s]);
                    diffs++;
                }
                free(ja);
                free(jb);
                free(oa);
                free(ob);
            }
            free(idx);
        }
        dataset_split_close(&sa);
        dataset_split_close(&sb);
    }
    dataset_close(&a);
    dataset_close(&b);
    return diffs;
}

// Every rank reads its rows of /train of `par` through MPI-IO and compares them with the serial file.
static int compare_collective_read(const char* par, const char* ser) {
    Dataset a, b;
    dataset_open(&a, par, MPI_COMM_WORLD);
    dataset_open(&b, ser, MPI_COMM_NULL);
    DatasetSplit sa, sb;
    dataset_split_open(&a, "train", &sa);
    dataset_split_open(&b, "train", &sb);
    int diffs = sa.n != sb.n;
    for (int64_t i = th_rank; i < sa.n && !diffs; i += th_world) {
        if (a.info.mode == DS_DECODED) {
            size_t row = (size_t)a.info.height * a.info.width * a.info.channels;
            uint8_t* pa = malloc(row);
            uint8_t* pb = malloc(row);
            dataset_read_decoded(&a, &sa, &i, 1, pa);
            dataset_read_decoded(&b, &sb, &i, 1, pb);
            diffs += memcmp(pa, pb, row) != 0;
            free(pa);
            free(pb);
        } else {
            int64_t na = 0, nb = 0;
            uint8_t* ja = dataset_read_jpeg(&a, &sa, i, &na);
            uint8_t* jb = dataset_read_jpeg(&b, &sb, i, &nb);
            diffs += na != nb || memcmp(ja, jb, (size_t)na) != 0;
            free(ja);
            free(jb);
        }
    }
    dataset_split_close(&sa);
    dataset_split_close(&sb);
    dataset_close(&a);
    dataset_close(&b);
    return diffs;
}

static void run_case(const char* name, const char* tree, DatasetMode mode, int resize, int skip_bad, int batch,
                     int64_t expect_skipped, int with_groups) {
    char par[700], ser[700], groups[700];
    snprintf(groups, sizeof groups, "%s/groups.txt", tree);
    snprintf(par, sizeof par, "%s/%s_par.h5", tmpdir, name);
    snprintf(ser, sizeof ser, "%s/%s_ser.h5", tmpdir, name);
    FolderPackOptions o = {.input = tree, .output = par, .mode = mode, .resize = resize, .channels = 3,
                           .skip_bad = skip_bad, .jpeg_quality = 90, .batch = batch,
                           .groups_file = with_groups ? groups : NULL};
    PackReport rp, rs;
    pack_folder(&o, MPI_COMM_WORLD, &rp);
    CHECK_EQ_INT(rp.skipped, expect_skipped);
    CHECK_EQ_INT(rp.ranks, th_world);
    if (th_rank == 0) {
        o.output = ser;
        o.batch = 5;   // another round size too: the content must not depend on it
        pack_folder(&o, MPI_COMM_NULL, &rs);
        CHECK_EQ_INT(rs.skipped, expect_skipped);
        CHECK_EQ_INT(rs.n_train, rp.n_train);
        CHECK(strcmp(rs.first_skipped, rp.first_skipped) == 0, "first skipped '%s' vs '%s'", rs.first_skipped, rp.first_skipped);
        int d = compare_files(par, ser);
        CHECK(d == 0, "%s: %d differences between the np %d and the serial file", name, d, th_world);
        Dataset ds;
        DatasetSplit sp;
        dataset_open(&ds, par, MPI_COMM_NULL);
        dataset_split_open(&ds, "train", &sp);
        CHECK((sp.groups != NULL) == with_groups, "%s: groups present %d, expected %d", name, sp.groups != NULL, with_groups);
        dataset_split_close(&sp);
        dataset_close(&ds);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    CHECK(compare_collective_read(par, ser) == 0, "%s: MPI-IO read differs", name);
}

static void test_decoded_skip_bad(void) { run_case("dec_skip", bad_tree, DS_DECODED, 0, 1, 2, 3, 1); }
static void test_decoded_resize(void) { run_case("dec_resize", bad_tree, DS_DECODED, 6, 1, 1, 2, 0); }
static void test_jpeg_mode(void) { run_case("jpeg", bad_tree, DS_JPEG, 0, 1, 3, 2, 1); }
static void test_one_round(void) { run_case("one_round", good_tree, DS_DECODED, 0, 0, 1000, 0, 0); }

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 1);
    if (th_rank == 0) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/ugradsl_test_packpar_XXXXXX");
        if (!mkdtemp(tmpdir)) { perror("mkdtemp"); MPI_Abort(MPI_COMM_WORLD, 1); }
        snprintf(good_tree, sizeof good_tree, "%s/good", tmpdir);
        snprintf(bad_tree, sizeof bad_tree, "%s/bad", tmpdir);
        fx_make_tree(good_tree, 0);
        fx_make_tree(bad_tree, 1);
    }
    MPI_Bcast(tmpdir, sizeof tmpdir, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(good_tree, sizeof good_tree, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(bad_tree, sizeof bad_tree, MPI_CHAR, 0, MPI_COMM_WORLD);
    TEST_CASE(test_decoded_skip_bad);
    TEST_CASE(test_decoded_resize);
    TEST_CASE(test_jpeg_mode);
    TEST_CASE(test_one_round);
    MPI_Barrier(MPI_COMM_WORLD);
    if (th_rank == 0) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return th_end();
}
