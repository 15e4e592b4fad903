// split_io.c — the split file: HDF5 writer, reader, and validation against a dataset (docs/SPLITS.md).
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/h5attr.h"
#include "common/util.h"
#include "data/split.h"

// ---- writing ----

static void write_i64_array(hid_t file, const char* name, const int64_t* data, int64_t n) {
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    H5_CHECK(space);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5_CHECK(dcpl);
    H5_CHECK(H5Pset_obj_track_times(dcpl, 0));   // no timestamps: the same split gives the same bytes
    hid_t dset = H5Dcreate2(file, name, H5T_STD_I64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(dset);
    H5_CHECK(H5Pclose(dcpl));
    if (n > 0) H5_CHECK(H5Dwrite(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
    H5_CHECK(H5Dclose(dset));
    H5_CHECK(H5Sclose(space));
}

void split_write(const char* path, const Split* s) {
    char tmp[4096];
    atomic_tmp_name(path, tmp, sizeof tmp);
    hid_t file = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file < 0) ug_die("cannot create split file '%s' (is the directory writable?)", tmp);
    write_i64_array(file, "val", s->val, s->n_val);
    write_i64_array(file, "forget", s->forget, s->n_forget);
    write_i64_array(file, "retain", s->retain, s->n_retain);
    write_i64_array(file, "val_keep", s->val_keep, s->n_val_keep);
    write_i64_array(file, "test_keep", s->test_keep, s->n_test_keep);
    int32_t version = s->format_version, num_classes = s->num_classes;
    h5attr_write_i32(file, "format_version", version);
    h5attr_write_str(file, "paradigm", paradigm_name(s->paradigm));
    h5attr_write_u64(file, "seed", s->seed);
    h5attr_write_f64(file, "val_fraction", s->val_fraction);
    h5attr_write_f64(file, "fraction", s->fraction);
    if (s->num_classes_forgotten > 0)
        h5attr_write(file, "classes", H5T_STD_I32LE, H5T_NATIVE_INT32, s->num_classes_forgotten, s->classes);
    if (s->num_groups_forgotten > 0)
        h5attr_write(file, "groups", H5T_STD_I32LE, H5T_NATIVE_INT32, s->num_groups_forgotten, s->groups);
    int32_t coarse = s->coarse, fine = s->fine;
    h5attr_write_i32(file, "coarse", coarse);
    h5attr_write_i32(file, "fine", fine);
    h5attr_write_str(file, "source", s->source);
    h5attr_write_i32(file, "num_classes", num_classes);
    h5attr_write_i64(file, "n_train", s->n_train);
    h5attr_write_i64(file, "n_test", s->n_test);
    h5attr_write_u64(file, "labels_hash", s->labels_hash);
    H5_CHECK(H5Fclose(file));
    atomic_rename(tmp, path);
}

// ---- reading ----

// Reads an attribute the split format requires; dies with a line that names the file when it is absent or has
// another number of values (n < 0: a scalar).
static void read_attr(hid_t file, const char* path, const char* name, hid_t mem_type, int64_t n, void* out) {
    int rc = h5attr_read(file, name, mem_type, n, out);
    if (rc == 0) ug_die("split file '%s' has no attribute '%s': it is damaged or not a split file (remake it with `ugradsl split`)", path, name);
    if (rc < 0) ug_die("split file '%s': attribute '%s' has %lld values, expected %lld", path, name, (long long)h5attr_count(file, name), (long long)(n < 0 ? 1 : n));
}

static void read_attr_str(hid_t file, const char* path, const char* name, char* buf, size_t cap) {
    char* v = h5attr_read_str(file, name);
    if (!v) ug_die("split file '%s' has no string attribute '%s': it is damaged or not a split file", path, name);
    snprintf(buf, cap, "%s", v);
    free(v);
}

static int64_t* read_i64_array(hid_t file, const char* path, const char* name, int64_t* n_out) {
    htri_t exists = H5Lexists(file, name, H5P_DEFAULT);
    H5_CHECK(exists);
    if (!exists) ug_die("split file '%s' has no '%s' array: it is damaged or not a split file (remake it with `ugradsl split`)", path, name);
    hid_t dset = H5Dopen2(file, name, H5P_DEFAULT);
    H5_CHECK(dset);
    hid_t space = H5Dget_space(dset);
    H5_CHECK(space);
    if (H5Sget_simple_extent_ndims(space) != 1) ug_die("split file '%s': '%s' is not one-dimensional", path, name);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    H5_CHECK(n);
    // split_write stores the arrays uncompressed, so a damaged size (a fuzzed file asked for GiBs) shows as more
    // entries than the file has bytes for.
    hsize_t file_bytes = 0;
    H5_CHECK(H5Fget_filesize(file, &file_bytes));
    if ((hsize_t)n > file_bytes / sizeof(int64_t))
        ug_die("split file '%s': '%s' claims %lld entries, more than the file holds (damaged file; remake it with `ugradsl split`)",
               path, name, (long long)n);
    if (!h5_dataset_type_is(dset, H5T_INTEGER, sizeof(int64_t)))   // written as 64-bit integers
        ug_die("split file '%s': '%s' is not an array of 64-bit integers (damaged file; remake it with `ugradsl split`)", path, name);
    int64_t* data = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof *data);
    if (n > 0) H5_CHECK(H5Dread(dset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
    H5_CHECK(H5Sclose(space));
    H5_CHECK(H5Dclose(dset));
    *n_out = (int64_t)n;
    return data;
}

static void check_sorted_in_range(const char* path, const char* name, const int64_t* a, int64_t n, int64_t limit) {
    for (int64_t k = 0; k < n; k++) {
        if (a[k] < 0 || a[k] >= limit)
            ug_die("split file '%s': %s[%lld] = %lld is outside 0..%lld (damaged file; remake it with `ugradsl split`)",
                   path, name, (long long)k, (long long)a[k], (long long)limit - 1);
        if (k > 0 && a[k] <= a[k - 1])
            ug_die("split file '%s': '%s' is not sorted and duplicate-free at position %lld (damaged file)", path, name, (long long)k);
    }
}

// The file's own invariants: sorted, in range, val/forget/retain partition the train split, val_keep ⊆ val.
static void check_invariants(const char* path, const Split* s) {
    check_sorted_in_range(path, "val", s->val, s->n_val, s->n_train);
    check_sorted_in_range(path, "forget", s->forget, s->n_forget, s->n_train);
    check_sorted_in_range(path, "retain", s->retain, s->n_retain, s->n_train);
    check_sorted_in_range(path, "val_keep", s->val_keep, s->n_val_keep, s->n_train);
    check_sorted_in_range(path, "test_keep", s->test_keep, s->n_test_keep, s->n_test > 0 ? s->n_test : 0);
    if (s->n_val + s->n_forget + s->n_retain != s->n_train)
        ug_die("split file '%s': val (%lld) + forget (%lld) + retain (%lld) != n_train (%lld) (damaged file)", path,
               (long long)s->n_val, (long long)s->n_forget, (long long)s->n_retain, (long long)s->n_train);
    uint8_t* seen = ug_calloc((size_t)s->n_train, 1);
    for (int64_t k = 0; k < s->n_val; k++) seen[s->val[k]] |= 1;
    for (int64_t k = 0; k < s->n_forget; k++) seen[s->forget[k]] |= 2;
    for (int64_t k = 0; k < s->n_retain; k++) seen[s->retain[k]] |= 4;
    for (int64_t i = 0; i < s->n_train; i++)
        if (seen[i] != 1 && seen[i] != 2 && seen[i] != 4)
            ug_die("split file '%s': train index %lld is in %s (damaged file)", path, (long long)i,
                   seen[i] ? "more than one of val/forget/retain" : "none of val/forget/retain");
    for (int64_t k = 0; k < s->n_val_keep; k++)
        if (!(seen[s->val_keep[k]] & 1)) ug_die("split file '%s': val_keep has %lld, which is not in val", path, (long long)s->val_keep[k]);
    free(seen);
    if (s->n_forget == 0) ug_die("split file '%s': the forget set is empty", path);
}

void split_read(const char* path, Split* s) {
    memset(s, 0, sizeof *s);
    if (!ug_file_exists(path)) ug_die("split file '%s' does not exist (make one with `ugradsl split`)", path);
    htri_t is_h5 = H5Fis_hdf5(path);
    if (is_h5 <= 0) ug_die("'%s' is not an HDF5 file, so not a split file (make one with `ugradsl split`)", path);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) ug_die("cannot open split file '%s'", path);
    htri_t has_version = H5Aexists(file, "format_version");
    H5_CHECK(has_version);
    if (!has_version || !H5Aexists(file, "paradigm"))
        ug_die("'%s' is not a split file (no format_version/paradigm attribute): pass the file written by `ugradsl split`", path);
    int32_t version = 0, num_classes = 0, coarse = -1, fine = -1;
    read_attr(file, path, "format_version", H5T_NATIVE_INT32, -1, &version);
    if (version > SPLIT_FORMAT_VERSION || version < 1)
        ug_die("split file '%s' has format version %d; this build reads version %d (use a matching ugradsl)", path,
               version, SPLIT_FORMAT_VERSION);
    s->format_version = version;
    char paradigm[64];
    read_attr_str(file, path, "paradigm", paradigm, sizeof paradigm);
    if (!paradigm_parse(paradigm, &s->paradigm)) ug_die("split file '%s': unknown paradigm '%s'", path, paradigm);
    read_attr(file, path, "seed", H5T_NATIVE_UINT64, -1, &s->seed);
    read_attr(file, path, "val_fraction", H5T_NATIVE_DOUBLE, -1, &s->val_fraction);
    read_attr(file, path, "fraction", H5T_NATIVE_DOUBLE, -1, &s->fraction);
    s->num_classes_forgotten = (int)h5attr_count(file, "classes");
    if (s->num_classes_forgotten > 0) {
        s->classes = ug_malloc((size_t)s->num_classes_forgotten * sizeof *s->classes);
        read_attr(file, path, "classes", H5T_NATIVE_INT32, s->num_classes_forgotten, s->classes);
    }
    s->num_groups_forgotten = (int)h5attr_count(file, "groups");
    if (s->num_groups_forgotten > 0) {
        s->groups = ug_malloc((size_t)s->num_groups_forgotten * sizeof *s->groups);
        read_attr(file, path, "groups", H5T_NATIVE_INT32, s->num_groups_forgotten, s->groups);
    }
    read_attr(file, path, "coarse", H5T_NATIVE_INT32, -1, &coarse);
    read_attr(file, path, "fine", H5T_NATIVE_INT32, -1, &fine);
    s->coarse = coarse;
    s->fine = fine;
    read_attr_str(file, path, "source", s->source, sizeof s->source);
    read_attr(file, path, "num_classes", H5T_NATIVE_INT32, -1, &num_classes);
    s->num_classes = num_classes;
    read_attr(file, path, "n_train", H5T_NATIVE_INT64, -1, &s->n_train);
    read_attr(file, path, "n_test", H5T_NATIVE_INT64, -1, &s->n_test);
    read_attr(file, path, "labels_hash", H5T_NATIVE_UINT64, -1, &s->labels_hash);
    s->val = read_i64_array(file, path, "val", &s->n_val);
    s->forget = read_i64_array(file, path, "forget", &s->n_forget);
    s->retain = read_i64_array(file, path, "retain", &s->n_retain);
    s->val_keep = read_i64_array(file, path, "val_keep", &s->n_val_keep);
    s->test_keep = read_i64_array(file, path, "test_keep", &s->n_test_keep);
    H5_CHECK(H5Fclose(file));
    if (s->n_train <= 0) ug_die("split file '%s': n_train is %lld (damaged file)", path, (long long)s->n_train);
    check_invariants(path, s);
}

// Reads the labels of one split of the dataset directly (the split's `labels` dataset); NULL when absent.
static int32_t* read_split_labels(const Dataset* ds, const char* split, int64_t* n_out) {
    *n_out = 0;
    htri_t has_group = H5Lexists(ds->file, split, H5P_DEFAULT);
    H5_CHECK(has_group);
    if (!has_group) return NULL;
    char name[64];
    snprintf(name, sizeof name, "%s/labels", split);
    htri_t has = H5Lexists(ds->file, name, H5P_DEFAULT);
    H5_CHECK(has);
    if (!has) ug_die("dataset '%s' has a /%s group without labels (damaged file; re-pack it)", ds->path, split);
    hid_t dset = H5Dopen2(ds->file, name, H5P_DEFAULT);
    H5_CHECK(dset);
    hid_t space = H5Dget_space(dset);
    H5_CHECK(space);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    H5_CHECK(n);
    if (!h5_dataset_type_is(dset, H5T_INTEGER, sizeof(int32_t)))
        ug_die("dataset '%s': /%s/labels is not an array of 32-bit integers (damaged file; re-pack it)", ds->path, split);
    int32_t* labels = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof *labels);
    if (n > 0 && H5Dread(dset, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, labels) < 0)
        dataset_read_failed(ds->path, split, "labels");   // e.g. the labels' checksum fails: names the file, re-pack
    H5_CHECK(H5Sclose(space));
    H5_CHECK(H5Dclose(dset));
    *n_out = (int64_t)n;
    return labels;
}

void split_load(const char* path, const Dataset* ds, Split* s) {
    split_read(path, s);
    const char* hint = "make the split from this dataset with `ugradsl split --data`";
    if (strcmp(s->source, ds->info.source) != 0)
        ug_die("split '%s' was made from dataset source '%s', but '%s' has source '%s' (%s)", path, s->source, ds->path,
               ds->info.source, hint);
    if (s->num_classes != ds->info.num_classes)
        ug_die("split '%s' was made for %d classes, but dataset '%s' has %d (%s)", path, s->num_classes, ds->path,
               ds->info.num_classes, hint);
    int64_t n_train = 0, n_test = 0;
    int32_t* train_labels = read_split_labels(ds, "train", &n_train);
    int32_t* test_labels = read_split_labels(ds, "test", &n_test);
    if (!train_labels) ug_die("dataset '%s' has no train split, so split '%s' cannot apply to it", ds->path, path);
    if (n_train != s->n_train || n_test != s->n_test)
        ug_die("split '%s' was made for %lld train / %lld test samples, but dataset '%s' has %lld / %lld (%s)", path,
               (long long)s->n_train, (long long)s->n_test, ds->path, (long long)n_train, (long long)n_test, hint);
    if (split_labels_hash(train_labels, n_train) != s->labels_hash)
        ug_die("split '%s' was made from a dataset with other train labels than '%s' (%s)", path, ds->path, hint);
    free(train_labels);
    free(test_labels);
}
