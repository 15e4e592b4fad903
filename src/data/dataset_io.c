// dataset_io.c — reader and serial writer of the HDF5 dataset format (see dataset.h and docs/DATA.md).
#include "data/dataset.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/h5attr.h"
#include "common/util.h"

const char* dataset_mode_name(DatasetMode m) { return m == DS_JPEG ? "jpeg" : "decoded"; }

hid_t dataset_fapl(MPI_Comm comm) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5_CHECK(fapl);
    if (comm != MPI_COMM_NULL) H5_CHECK(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
    H5_CHECK(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_LATEST));
    return fapl;
}

hid_t dataset_column_dcpl(int rank, const hsize_t* chunk) {
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5_CHECK(dcpl);
    H5_CHECK(H5Pset_chunk(dcpl, rank, chunk));
    H5_CHECK(H5Pset_fletcher32(dcpl));   // readers verify it by default (H5Pset_edc_check is on)
    return dcpl;
}

// H5Ewalk2 callback: is there a Fletcher-32 mismatch on the stack?  (1.10's text: "data error detected by
// Fletcher32 checksum", raised under the pipeline's read error.)
static herr_t find_checksum_error(unsigned n, const H5E_error2_t* e, void* found) {
    (void)n;
    if (e->desc && strstr(e->desc, "Fletcher32")) *(int*)found = 1;
    return 0;
}

void dataset_read_failed(const char* path, const char* split, const char* column) {
    int checksum = 0;
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, find_checksum_error, &checksum);
    if (checksum)
        ug_die("dataset '%s' is damaged: /%s/%s fails its checksum (its bytes changed after pack wrote them); "
               "re-pack it with ugradsl pack (or copy it again from its source)", path, split, column);
    ug_die("cannot read /%s/%s of dataset '%s' (damaged file or I/O error; re-pack it with ugradsl pack if it persists)",
           split, column, path);
}

int64_t dataset_chunk_rows(int64_t row_bytes, int64_t n) {
    const int64_t target = 16 * 1024;
    int64_t rows = row_bytes > 0 ? target / row_bytes : 1;
    if (rows < 1) rows = 1;
    if (rows > n) rows = n;
    if (rows < 1) rows = 1;
    return rows;
}

// ---------------------------------------------------------------- attributes

// The dataset format's required attributes: a missing or malformed one names the file and the fix.
static int read_attr_int(hid_t obj, const char* path, const char* name) {
    int32_t v = 0;
    if (!h5attr_read_i32(obj, name, &v))
        ug_die("'%s' has no attribute '%s' (not a ugradsl dataset? re-run ugradsl pack)", path, name);
    return (int)v;
}

static void read_attr_str(hid_t obj, const char* path, const char* name, char* buf, size_t cap) {
    char* v = h5attr_read_str(obj, name);
    if (!v) ug_die("'%s' has no string attribute '%s' (not a ugradsl dataset? re-run ugradsl pack)", path, name);
    snprintf(buf, cap, "%s", v);
    free(v);
}

static void read_attr_floats(hid_t obj, const char* path, const char* name, float* v, int n) {
    int rc = h5attr_read(obj, name, H5T_NATIVE_FLOAT, n, v);
    if (rc == 0) ug_die("'%s' has no attribute '%s' (re-run ugradsl pack)", path, name);
    if (rc < 0)
        ug_die("'%s': attribute '%s' has %lld values, expected %d (one per channel)", path, name,
               (long long)h5attr_count(obj, name), n);
}

void dataset_write_root_attrs(hid_t file, const DatasetInfo* info) {
    UG_CHECK(info->channels >= 1 && info->channels <= 4, "dataset has %d channels; 1..4 are supported", info->channels);
    UG_CHECK(info->num_classes >= 1 && info->num_classes <= DATASET_MAX_CLASSES,
             "dataset has %d classes; 1..%d are supported", info->num_classes, DATASET_MAX_CLASSES);
    h5attr_write_i32(file, "format_version", DATASET_FORMAT_VERSION);
    h5attr_write_str(file, "mode", dataset_mode_name(info->mode));
    h5attr_write_i32(file, "num_classes", info->num_classes);
    h5attr_write_i32(file, "num_coarse", info->num_coarse);
    h5attr_write_i32(file, "height", info->height);
    h5attr_write_i32(file, "width", info->width);
    h5attr_write_i32(file, "channels", info->channels);
    h5attr_write_str(file, "source", info->source);
    h5attr_write(file, "mean", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, info->channels, info->mean);
    h5attr_write(file, "std", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, info->channels, info->std);
    // class names: one fixed-length string array (length of the longest name + NUL)
    size_t len = 1;
    for (int k = 0; k < info->num_classes; k++) {
        size_t l = info->class_names && info->class_names[k] ? strlen(info->class_names[k]) + 1 : 1;
        if (l > len) len = l;
    }
    char* names = ug_calloc((size_t)info->num_classes, len);
    for (int k = 0; k < info->num_classes; k++)
        if (info->class_names && info->class_names[k]) memcpy(names + (size_t)k * len, info->class_names[k], strlen(info->class_names[k]));
    hid_t t = H5Tcopy(H5T_C_S1);
    H5_CHECK(t);
    H5_CHECK(H5Tset_size(t, len));
    H5_CHECK(H5Tset_strpad(t, H5T_STR_NULLTERM));
    h5attr_write(file, "class_names", t, t, info->num_classes, names);
    H5_CHECK(H5Tclose(t));
    free(names);
}

static void read_class_names(Dataset* ds) {
    DatasetInfo* info = &ds->info;
    if (!h5attr_exists(ds->file, "class_names")) ug_die("'%s' has no attribute 'class_names' (re-run ugradsl pack)", ds->path);
    hid_t a = H5Aopen(ds->file, "class_names", H5P_DEFAULT);
    H5_CHECK(a);
    hid_t ft = H5Aget_type(a);
    H5_CHECK(ft);
    hid_t space = H5Aget_space(a);
    H5_CHECK(space);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    if (n != info->num_classes)
        ug_die("'%s': %lld class names for %d classes (corrupt file; re-run ugradsl pack)", ds->path, (long long)n, info->num_classes);
    if (H5Tget_class(ft) != H5T_STRING || H5Tis_variable_str(ft) != 0)
        ug_die("'%s': class_names is not a fixed-length string array", ds->path);
    size_t len = H5Tget_size(ft);
    char* buf = ug_calloc((size_t)n, len);
    H5_CHECK(H5Aread(a, ft, buf));
    info->class_names = ug_calloc((size_t)n, sizeof(char*));
    for (hssize_t k = 0; k < n; k++) {
        info->class_names[k] = ug_calloc(len + 1, 1);
        memcpy(info->class_names[k], buf + (size_t)k * len, len);
    }
    free(buf);
    H5_CHECK(H5Sclose(space));
    H5_CHECK(H5Tclose(ft));
    H5_CHECK(H5Aclose(a));
}

void dataset_info_free(DatasetInfo* info) {
    if (info->class_names)
        for (int k = 0; k < info->num_classes; k++) free(info->class_names[k]);
    free(info->class_names);
    info->class_names = NULL;
}

// ---------------------------------------------------------------- reader

void dataset_open(Dataset* ds, const char* path, MPI_Comm comm) {
    memset(ds, 0, sizeof *ds);
    snprintf(ds->path, sizeof ds->path, "%s", path);
    // Every rank checks the same thing, so a missing file ends all ranks with the same message.
    if (!ug_file_exists(path)) ug_die("dataset '%s' not found (make it with: ugradsl pack ...)", path);
    htri_t is_h5 = H5Fis_hdf5(path);
    if (is_h5 <= 0) ug_die("'%s' is not an HDF5 file (make datasets with: ugradsl pack ...)", path);
    hid_t fapl = dataset_fapl(comm);
    ds->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    if (ds->file < 0) ug_die("cannot open dataset '%s' (unreadable or corrupt HDF5 file)", path);
    H5_CHECK(H5Pclose(fapl));
    DatasetInfo* info = &ds->info;
    info->format_version = read_attr_int(ds->file, path, "format_version");
    if (info->format_version > DATASET_FORMAT_VERSION || info->format_version < 1)
        ug_die("'%s' has dataset format version %d; this build reads version %d (update ugradsl or re-pack)",
               path, info->format_version, DATASET_FORMAT_VERSION);
    char mode[32];
    read_attr_str(ds->file, path, "mode", mode, sizeof mode);
    if (!strcmp(mode, "decoded")) info->mode = DS_DECODED;
    else if (!strcmp(mode, "jpeg")) info->mode = DS_JPEG;
    else ug_die("'%s': unknown mode '%s' (expected decoded or jpeg)", path, mode);
    info->num_classes = read_attr_int(ds->file, path, "num_classes");
    if (info->num_classes < 1 || info->num_classes > DATASET_MAX_CLASSES)
        ug_die("'%s': num_classes = %d is out of range (corrupt file?)", path, info->num_classes);
    info->num_coarse = read_attr_int(ds->file, path, "num_coarse");
    info->height = read_attr_int(ds->file, path, "height");
    info->width = read_attr_int(ds->file, path, "width");
    info->channels = read_attr_int(ds->file, path, "channels");
    if (info->channels < 1 || info->channels > 4) ug_die("'%s': channels = %d is out of range (1..4)", path, info->channels);
    if (info->mode == DS_DECODED && (info->height < 1 || info->width < 1))
        ug_die("'%s': decoded dataset with image size %dx%d (corrupt file?)", path, info->height, info->width);
    read_attr_str(ds->file, path, "source", info->source, sizeof info->source);
    read_attr_floats(ds->file, path, "mean", info->mean, info->channels);
    read_attr_floats(ds->file, path, "std", info->std, info->channels);
    read_class_names(ds);
    if (!dataset_has_split(ds, "train")) ug_die("'%s' has no /train split (corrupt file; re-run ugradsl pack)", path);
}

void dataset_close(Dataset* ds) {
    if (ds->file > 0) H5_CHECK(H5Fclose(ds->file));
    ds->file = 0;
    dataset_info_free(&ds->info);
}

int dataset_has_split(const Dataset* ds, const char* split) {
    htri_t e = H5Lexists(ds->file, split, H5P_DEFAULT);
    H5_CHECK(e);
    return e > 0;
}

static int64_t dataset_length(hid_t d) {
    hid_t space = H5Dget_space(d);
    H5_CHECK(space);
    int rank = H5Sget_simple_extent_ndims(space);
    H5_CHECK(rank);
    hsize_t dims[8] = {0};
    UG_CHECK(rank >= 1 && rank <= 8, "unexpected dataset rank %d", rank);
    H5_CHECK(H5Sget_simple_extent_dims(space, dims, NULL));
    H5_CHECK(H5Sclose(space));
    return (int64_t)dims[0];
}

// A damaged file can give a column another integer size or more rows than the file has bytes (datasets are stored
// uncompressed); HDF5 would then allocate GiBs for the read.  Dies naming the column.
static void check_int_column(hid_t d, const char* path, const char* split, const char* name, size_t bytes, int64_t rows) {
    if (!h5_dataset_type_is(d, H5T_INTEGER, bytes))
        ug_die("'%s': /%s/%s is not an array of %zu-byte integers (corrupt file; re-run ugradsl pack)", path, split, name, bytes);
    hsize_t file_bytes = 0;
    hid_t file = H5Iget_file_id(d);
    H5_CHECK(file);
    H5_CHECK(H5Fget_filesize(file, &file_bytes));
    H5_CHECK(H5Fclose(file));
    if (rows < 0 || (hsize_t)rows > file_bytes / bytes)
        ug_die("'%s': /%s/%s claims %lld rows, more than the file holds (corrupt file; re-run ugradsl pack)", path, split, name, (long long)rows);
}

// Reads a whole 1-D int32 dataset of length n; NULL when absent and optional.
static int32_t* read_i32_column(hid_t group, const char* path, const char* split, const char* name, int64_t n, int optional) {
    htri_t e = H5Lexists(group, name, H5P_DEFAULT);
    H5_CHECK(e);
    if (e <= 0) {
        if (optional) return NULL;
        ug_die("'%s': split /%s has no '%s' dataset (corrupt file; re-run ugradsl pack)", path, split, name);
    }
    hid_t d = H5Dopen2(group, name, H5P_DEFAULT);
    H5_CHECK(d);
    int64_t len = dataset_length(d);
    if (len != n) ug_die("'%s': /%s/%s has %lld rows, the split has %lld (corrupt file)", path, split, name, (long long)len, (long long)n);
    check_int_column(d, path, split, name, sizeof(int32_t), n);
    int32_t* v = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof(int32_t));
    if (n > 0 && H5Dread(d, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0) dataset_read_failed(path, split, name);
    H5_CHECK(H5Dclose(d));
    return v;
}

// 1 when the column is stored with the Fletcher-32 filter (a loop over the filters: asking for an absent filter by
// id would leave an error on HDF5's stack, printed under UG_DEBUG_HDF5=1).
static int has_fletcher32(hid_t d) {
    hid_t dcpl = H5Dget_create_plist(d);
    H5_CHECK(dcpl);
    int n = H5Pget_nfilters(dcpl), found = 0;
    H5_CHECK(n);
    for (int k = 0; k < n; k++) {
        unsigned flags = 0, config = 0;
        size_t nvals = 0;
        H5Z_filter_t id = H5Pget_filter2(dcpl, (unsigned)k, &flags, &nvals, NULL, 0, NULL, &config);
        H5_CHECK(id);
        found |= id == H5Z_FILTER_FLETCHER32;
    }
    H5_CHECK(H5Pclose(dcpl));
    return found;
}

void dataset_split_open(Dataset* ds, const char* split, DatasetSplit* s) {
    memset(s, 0, sizeof *s);
    if (!dataset_has_split(ds, split))
        ug_die("dataset '%s' has no split '%s' (inspect it with: ugradsl inspect %s)", ds->path, split, ds->path);
    snprintf(s->name, sizeof s->name, "%s", split);
    s->group = H5Gopen2(ds->file, split, H5P_DEFAULT);
    H5_CHECK(s->group);
    hid_t labels = H5Dopen2(s->group, "labels", H5P_DEFAULT);
    if (labels < 0) ug_die("'%s': split /%s has no labels (corrupt file; re-run ugradsl pack)", ds->path, split);
    s->n = dataset_length(labels);
    H5_CHECK(H5Dclose(labels));
    s->labels = read_i32_column(s->group, ds->path, split, "labels", s->n, 0);
    for (int64_t i = 0; i < s->n; i++)
        if (s->labels[i] < 0 || s->labels[i] >= ds->info.num_classes)
            ug_die("'%s': /%s/labels[%lld] = %d is outside 0..%d (corrupt file)", ds->path, split, (long long)i,
                   s->labels[i], ds->info.num_classes - 1);
    s->coarse_labels = read_i32_column(s->group, ds->path, split, "coarse_labels", s->n, 1);
    s->groups = read_i32_column(s->group, ds->path, split, "groups", s->n, 1);
    const char* data_name = ds->info.mode == DS_JPEG ? "jpeg" : "images";
    s->images = H5Dopen2(s->group, data_name, H5P_DEFAULT);
    if (s->images < 0) ug_die("'%s': split /%s has no '%s' dataset (corrupt file)", ds->path, split, data_name);
    check_int_column(s->images, ds->path, split, data_name, 1, 0);   // uint8 pixels / JPEG bytes
    s->checksummed = has_fletcher32(s->images);
    if (ds->info.mode == DS_DECODED) {
        hid_t space = H5Dget_space(s->images);
        H5_CHECK(space);
        hsize_t dims[4] = {0};
        if (H5Sget_simple_extent_ndims(space) != 4) ug_die("'%s': /%s/images is not [N,H,W,C]", ds->path, split);
        H5_CHECK(H5Sget_simple_extent_dims(space, dims, NULL));
        H5_CHECK(H5Sclose(space));
        if ((int64_t)dims[0] != s->n || (int)dims[1] != ds->info.height || (int)dims[2] != ds->info.width ||
            (int)dims[3] != ds->info.channels)
            ug_die("'%s': /%s/images is [%llu,%llu,%llu,%llu], expected [%lld,%d,%d,%d] (corrupt file)", ds->path, split,
                   (unsigned long long)dims[0], (unsigned long long)dims[1], (unsigned long long)dims[2],
                   (unsigned long long)dims[3], (long long)s->n, ds->info.height, ds->info.width, ds->info.channels);
    } else {
        hid_t d = H5Dopen2(s->group, "offsets", H5P_DEFAULT);
        if (d < 0) ug_die("'%s': JPEG split /%s has no offsets (corrupt file)", ds->path, split);
        if (dataset_length(d) != s->n + 1) ug_die("'%s': /%s/offsets must have N+1 = %lld rows (corrupt file)", ds->path, split, (long long)s->n + 1);
        check_int_column(d, ds->path, split, "offsets", sizeof(int64_t), s->n + 1);
        s->offsets = ug_malloc((size_t)(s->n + 1) * sizeof(int64_t));
        if (H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, s->offsets) < 0)
            dataset_read_failed(ds->path, split, "offsets");
        H5_CHECK(H5Dclose(d));
        int64_t total = dataset_length(s->images);
        if (s->offsets[0] != 0 || s->offsets[s->n] != total)
            ug_die("'%s': /%s/offsets do not span the %lld JPEG bytes (corrupt file)", ds->path, split, (long long)total);
        for (int64_t i = 0; i < s->n; i++)
            if (s->offsets[i + 1] < s->offsets[i]) ug_die("'%s': /%s/offsets decrease at row %lld (corrupt file)", ds->path, split, (long long)i);
    }
}

void dataset_split_close(DatasetSplit* s) {
    if (s->images > 0) H5_CHECK(H5Dclose(s->images));
    if (s->group > 0) H5_CHECK(H5Gclose(s->group));
    free(s->labels);
    free(s->coarse_labels);
    free(s->groups);
    free(s->offsets);
    memset(s, 0, sizeof *s);
}

typedef struct { int64_t row, pos; } RowPos;

static int cmp_rowpos(const void* a, const void* b) {
    const RowPos* x = a;
    const RowPos* y = b;
    if (x->row != y->row) return x->row < y->row ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

// Sorts the requested rows (keeping where each goes) so the file is read in increasing order, once per row.
static RowPos* sorted_rows(const DatasetSplit* s, const char* path, const int64_t* idx, int64_t n) {
    RowPos* rp = ug_malloc((size_t)n * sizeof(RowPos));
    for (int64_t k = 0; k < n; k++) {
        if (idx[k] < 0 || idx[k] >= s->n)
            ug_die("'%s': row %lld requested from /%s which has %lld rows", path, (long long)idx[k], s->name, (long long)s->n);
        rp[k].row = idx[k];
        rp[k].pos = k;
    }
    qsort(rp, (size_t)n, sizeof(RowPos), cmp_rowpos);
    return rp;
}

void dataset_read_decoded(const Dataset* ds, const DatasetSplit* s, const int64_t* idx, int64_t n, uint8_t* out) {
    UG_CHECK(ds->info.mode == DS_DECODED, "'%s' is a JPEG-mode dataset; read it with dataset_read_jpeg", ds->path);
    if (n <= 0) return;
    const DatasetInfo* info = &ds->info;
    size_t row_bytes = (size_t)info->height * info->width * info->channels;
    RowPos* rp = sorted_rows(s, ds->path, idx, n);
    // unique rows, in increasing order, as a union of contiguous runs
    int64_t nunique = 0;
    hid_t fspace = H5Dget_space(s->images);
    H5_CHECK(fspace);
    H5_CHECK(H5Sselect_none(fspace));
    for (int64_t k = 0; k < n;) {
        int64_t start = rp[k].row, end = start + 1;
        // rows are sorted: a duplicate (row == end-1) stays in the run, row == end extends it
        while (k < n && rp[k].row <= end) { if (rp[k].row == end) end++; k++; }
        hsize_t off[4] = {(hsize_t)start, 0, 0, 0};
        hsize_t cnt[4] = {(hsize_t)(end - start), (hsize_t)info->height, (hsize_t)info->width, (hsize_t)info->channels};
        H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_OR, off, NULL, cnt, NULL));
        nunique += end - start;
    }
    // same rank and row shape as the file selection, so HDF5 copies whole rows (a 1-D memory space makes it
    // map element by element, ~10x slower)
    hsize_t mdims[4] = {(hsize_t)nunique, (hsize_t)info->height, (hsize_t)info->width, (hsize_t)info->channels};
    hid_t mspace = H5Screate_simple(4, mdims, NULL);
    H5_CHECK(mspace);
    uint8_t* buf = nunique == n ? NULL : ug_malloc((size_t)nunique * row_bytes);
    uint8_t* dst = buf ? buf : ug_malloc((size_t)n * row_bytes);
    if (H5Dread(s->images, H5T_NATIVE_UINT8, mspace, fspace, H5P_DEFAULT, dst) < 0) dataset_read_failed(ds->path, s->name, "images");
    H5_CHECK(H5Sclose(mspace));
    H5_CHECK(H5Sclose(fspace));
    // scatter the unique rows (in sorted order) to their requested positions
    int64_t u = -1, last = -1;
    for (int64_t k = 0; k < n; k++) {
        if (rp[k].row != last) { u++; last = rp[k].row; }
        memcpy(out + (size_t)rp[k].pos * row_bytes, dst + (size_t)u * row_bytes, row_bytes);
    }
    free(dst);
    free(rp);
}

// Reads bytes [start, end) of the JPEG byte dataset into dst.
static void read_jpeg_bytes(const Dataset* ds, const DatasetSplit* s, int64_t start, int64_t end, uint8_t* dst) {
    if (end <= start) return;
    hid_t fspace = H5Dget_space(s->images);
    H5_CHECK(fspace);
    hsize_t off = (hsize_t)start, cnt = (hsize_t)(end - start);
    H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &off, NULL, &cnt, NULL));
    hid_t mspace = H5Screate_simple(1, &cnt, NULL);
    H5_CHECK(mspace);
    if (H5Dread(s->images, H5T_NATIVE_UINT8, mspace, fspace, H5P_DEFAULT, dst) < 0) dataset_read_failed(ds->path, s->name, "jpeg");
    H5_CHECK(H5Sclose(mspace));
    H5_CHECK(H5Sclose(fspace));
}

uint8_t* dataset_read_jpeg(const Dataset* ds, const DatasetSplit* s, int64_t i, int64_t* bytes) {
    UG_CHECK(ds->info.mode == DS_JPEG, "'%s' is a decoded-mode dataset; read it with dataset_read_decoded", ds->path);
    if (i < 0 || i >= s->n) ug_die("'%s': row %lld requested from /%s which has %lld rows", ds->path, (long long)i, s->name, (long long)s->n);
    int64_t len = s->offsets[i + 1] - s->offsets[i];
    uint8_t* buf = ug_malloc((size_t)(len > 0 ? len : 1));
    read_jpeg_bytes(ds, s, s->offsets[i], s->offsets[i + 1], buf);
    *bytes = len;
    return buf;
}

uint8_t* dataset_read_jpeg_many(const Dataset* ds, const DatasetSplit* s, const int64_t* idx, int64_t n,
                                int64_t** offsets_out) {
    UG_CHECK(ds->info.mode == DS_JPEG, "'%s' is a decoded-mode dataset; read it with dataset_read_decoded", ds->path);
    int64_t* offs = ug_malloc((size_t)(n + 1) * sizeof(int64_t));
    offs[0] = 0;
    if (n <= 0) { *offsets_out = offs; return ug_malloc(1); }
    RowPos* rp = sorted_rows(s, ds->path, idx, n);
    // output layout in request order
    for (int64_t k = 0; k < n; k++) offs[k + 1] = offs[k] + (s->offsets[idx[k] + 1] - s->offsets[idx[k]]);
    uint8_t* out = ug_malloc((size_t)(offs[n] > 0 ? offs[n] : 1));
    // read sorted contiguous runs into a staging buffer, then copy each row to its place
    int64_t max_run = 0;
    for (int64_t k = 0; k < n;) {
        int64_t a = rp[k].row, b = a + 1;
        while (k < n && rp[k].row <= b) { if (rp[k].row == b) b++; k++; }
        int64_t len = s->offsets[b] - s->offsets[a];
        if (len > max_run) max_run = len;
    }
    uint8_t* stage = ug_malloc((size_t)(max_run > 0 ? max_run : 1));
    for (int64_t k = 0; k < n;) {
        int64_t first = k, a = rp[k].row, b = a + 1;
        while (k < n && rp[k].row <= b) { if (rp[k].row == b) b++; k++; }
        read_jpeg_bytes(ds, s, s->offsets[a], s->offsets[b], stage);
        for (int64_t q = first; q < k; q++) {
            int64_t row = rp[q].row, pos = rp[q].pos;
            memcpy(out + offs[pos], stage + (s->offsets[row] - s->offsets[a]), (size_t)(offs[pos + 1] - offs[pos]));
        }
    }
    free(stage);
    free(rp);
    *offsets_out = offs;
    return out;
}

// ---------------------------------------------------------------- pixel statistics

void pixel_stats_add(PixelStats* st, const uint8_t* pixels, int64_t npixels, int channels) {
    if (st->channels == 0) st->channels = channels;
    UG_CHECK(st->channels == channels, "pixel statistics mix %d- and %d-channel images", st->channels, channels);
    uint64_t sum[4] = {0}, sumsq[4] = {0};
    for (int64_t p = 0; p < npixels; p++)
        for (int c = 0; c < channels; c++) {
            uint64_t v = pixels[p * channels + c];
            sum[c] += v;
            sumsq[c] += v * v;
        }
    for (int c = 0; c < channels; c++) { st->sum[c] += sum[c]; st->sumsq[c] += sumsq[c]; }
    st->count += (uint64_t)npixels;
}

void pixel_stats_allreduce(PixelStats* st, MPI_Comm comm) {
    if (comm == MPI_COMM_NULL) return;
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &st->channels, 1, MPI_INT, MPI_MAX, comm));
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &st->count, 1, MPI_UINT64_T, MPI_SUM, comm));
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, st->sum, 4, MPI_UINT64_T, MPI_SUM, comm));
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, st->sumsq, 4, MPI_UINT64_T, MPI_SUM, comm));
}

void pixel_stats_finish(const PixelStats* st, float mean[4], float std[4]) {
    for (int c = 0; c < 4; c++) { mean[c] = 0; std[c] = 1; }
    if (st->count == 0) return;
    for (int c = 0; c < st->channels; c++) {
        double m = (double)st->sum[c] / (double)st->count;
        double var = (double)st->sumsq[c] / (double)st->count - m * m;
        double sd = sqrt(var > 0 ? var : 0) / 255.0;
        mean[c] = (float)(m / 255.0);
        std[c] = (float)(sd > 1e-6 ? sd : 1.0);   // a constant channel normalises to 0, not NaN
    }
}

// ---------------------------------------------------------------- serial writer

void dataset_write_begin(DatasetWriter* w, const char* path, const DatasetInfo* info) {
    memset(w, 0, sizeof *w);
    snprintf(w->path, sizeof w->path, "%s", path);
    atomic_tmp_name(path, w->tmp, sizeof w->tmp);
    w->info = *info;
    hid_t fapl = dataset_fapl(MPI_COMM_NULL);
    w->file = H5Fcreate(w->tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (w->file < 0) ug_die("cannot create '%s' (is the directory there and writable?)", w->tmp);
    H5_CHECK(H5Pclose(fapl));
}

static void check_split_name(const char* split) {
    if (strcmp(split, "train") && strcmp(split, "val") && strcmp(split, "test"))
        ug_die("split name '%s' is not one of train, val, test", split);
}

// Creation properties of a 1-D column of n rows: checksummed chunks of up to max_chunk rows (an empty column
// has no chunk to checksum: contiguous).
static hid_t column_dcpl_1d(int64_t n, int64_t max_chunk) {
    if (n <= 0) {
        hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
        H5_CHECK(dcpl);
        return dcpl;
    }
    hsize_t chunk = (hsize_t)(n < max_chunk ? n : max_chunk);
    return dataset_column_dcpl(1, &chunk);
}

static void write_column(hid_t group, const char* name, hid_t file_type, hid_t mem_type, int64_t n, const void* v) {
    hsize_t dims = (hsize_t)n;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    H5_CHECK(space);
    hid_t dcpl = column_dcpl_1d(n, DATASET_COLUMN_CHUNK_ROWS);
    hid_t d = H5Dcreate2(group, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    if (n > 0) H5_CHECK(H5Dwrite(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
    H5_CHECK(H5Dclose(d));
    H5_CHECK(H5Pclose(dcpl));
    H5_CHECK(H5Sclose(space));
}

static void write_i32(hid_t group, const char* name, int64_t n, const int32_t* v) {
    write_column(group, name, H5T_STD_I32LE, H5T_NATIVE_INT32, n, v);
}

static void check_labels(const DatasetWriter* w, const char* split, int64_t n, const int32_t* labels) {
    for (int64_t i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= w->info.num_classes)
            ug_die("writing '%s': /%s label %d of row %lld is outside 0..%d", w->path, split, labels[i], (long long)i,
                   w->info.num_classes - 1);
}

void dataset_write_split_decoded(DatasetWriter* w, const char* split, int64_t n, const uint8_t* images,
                                 const int32_t* labels, const int32_t* coarse, const int32_t* groups) {
    check_split_name(split);
    UG_CHECK(w->info.mode == DS_DECODED, "dataset_write_split_decoded on a JPEG-mode writer");
    check_labels(w, split, n, labels);
    const DatasetInfo* info = &w->info;
    hid_t g = H5Gcreate2(w->file, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(g);
    hsize_t dims[4] = {(hsize_t)n, (hsize_t)info->height, (hsize_t)info->width, (hsize_t)info->channels};
    hid_t space = H5Screate_simple(4, dims, NULL);
    H5_CHECK(space);
    hsize_t chunk[4] = {(hsize_t)dataset_chunk_rows((int64_t)(dims[1] * dims[2] * dims[3]), n), dims[1], dims[2], dims[3]};
    hid_t dcpl = n > 0 ? dataset_column_dcpl(4, chunk) : H5Pcreate(H5P_DATASET_CREATE);
    H5_CHECK(dcpl);
    hid_t d = H5Dcreate2(g, "images", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    if (n > 0) H5_CHECK(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, images));
    H5_CHECK(H5Dclose(d));
    H5_CHECK(H5Pclose(dcpl));
    H5_CHECK(H5Sclose(space));
    write_i32(g, "labels", n, labels);
    if (coarse) write_i32(g, "coarse_labels", n, coarse);
    if (groups) write_i32(g, "groups", n, groups);
    H5_CHECK(H5Gclose(g));
}

void dataset_write_split_jpeg(DatasetWriter* w, const char* split, int64_t n, const uint8_t* bytes,
                              const int64_t* offsets, const int32_t* labels, const int32_t* coarse,
                              const int32_t* groups) {
    check_split_name(split);
    UG_CHECK(w->info.mode == DS_JPEG, "dataset_write_split_jpeg on a decoded-mode writer");
    UG_CHECK(offsets[0] == 0, "JPEG offsets must start at 0");
    check_labels(w, split, n, labels);
    hid_t g = H5Gcreate2(w->file, split, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(g);
    hsize_t total = (hsize_t)offsets[n];
    hid_t space = H5Screate_simple(1, &total, NULL);
    H5_CHECK(space);
    hid_t dcpl = column_dcpl_1d((int64_t)total, DATASET_JPEG_CHUNK_BYTES);
    hid_t d = H5Dcreate2(g, "jpeg", H5T_STD_U8LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5_CHECK(d);
    if (total > 0) H5_CHECK(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, bytes));
    H5_CHECK(H5Dclose(d));
    H5_CHECK(H5Pclose(dcpl));
    H5_CHECK(H5Sclose(space));
    write_column(g, "offsets", H5T_STD_I64LE, H5T_NATIVE_INT64, n + 1, offsets);
    write_i32(g, "labels", n, labels);
    if (coarse) write_i32(g, "coarse_labels", n, coarse);
    if (groups) write_i32(g, "groups", n, groups);
    H5_CHECK(H5Gclose(g));
}

void dataset_write_finish(DatasetWriter* w) {
    dataset_write_root_attrs(w->file, &w->info);
    H5_CHECK(H5Fclose(w->file));
    w->file = 0;
    atomic_rename(w->tmp, w->path);
}
