// cmd_inspect.c — `ugradsl inspect FILE`: what an HDF5 file holds.
// A dataset file (docs/DATA.md) gets a summary: attributes, splits, counts, class histogram.  Any HDF5 file
// (split files, checkpoints, ...) gets the generic listing: every group and dataset with its shape, type and
// attributes.  Runs on rank 0; --json FILE writes the same as JSON.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_options.h"
#include "cmd/commands.h"
#include "common/atomic_file.h"
#include "common/json.h"
#include "common/opts.h"
#include "common/util.h"
#include "data/dataset.h"
#include "dist/dist.h"

#define MAX_SHOWN 16   // values of an attribute shown in text (JSON gets up to MAX_JSON)
#define MAX_JSON 1024

typedef struct {
    JsonWriter* j;   // NULL: no JSON
    int show_classes;
} InspectCtx;

static const char* type_name(hid_t t) {
    switch (H5Tget_class(t)) {
    case H5T_INTEGER: {
        size_t sz = H5Tget_size(t);
        int sgn = H5Tget_sign(t) == H5T_SGN_2;
        static const char* s[] = {"int8", "int16", "int32", "int64"};
        static const char* u[] = {"uint8", "uint16", "uint32", "uint64"};
        int k = sz == 1 ? 0 : sz == 2 ? 1 : sz == 4 ? 2 : 3;
        return sgn ? s[k] : u[k];
    }
    case H5T_FLOAT: return H5Tget_size(t) == 4 ? "float32" : H5Tget_size(t) == 2 ? "float16" : "float64";
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_ARRAY: return "array";
    case H5T_VLEN: return "vlen";
    case H5T_OPAQUE: return "opaque";
    case H5T_REFERENCE: return "reference";
    default: return "other";
    }
}

// Shape of a dataspace as "[a,b,c]" (scalar: "scalar"); returns the number of elements.
static int64_t shape_text(hid_t space, char* buf, size_t cap, hsize_t* dims_out, int* rank_out) {
    int rank = H5Sget_simple_extent_ndims(space);
    hsize_t dims[32] = {0};
    if (rank < 0 || rank > 32) rank = 0;
    if (rank > 0) H5Sget_simple_extent_dims(space, dims, NULL);
    int64_t n = 1;
    size_t at = 0;
    if (rank == 0) snprintf(buf, cap, "scalar");
    else {
        at += (size_t)snprintf(buf + at, cap - at, "[");
        for (int k = 0; k < rank && at < cap; k++) {
            at += (size_t)snprintf(buf + at, cap - at, "%s%llu", k ? "," : "", (unsigned long long)dims[k]);
            n *= (int64_t)dims[k];
        }
        if (at < cap) snprintf(buf + at, cap - at, "]");
    }
    if (dims_out) memcpy(dims_out, dims, sizeof(hsize_t) * (size_t)(rank > 0 ? rank : 0));
    if (rank_out) *rank_out = rank;
    return n;
}

// Prints (and writes as JSON under `key`) one attribute's values.
static void show_attr(InspectCtx* c, hid_t attr, const char* name, const char* indent) {
    hid_t t = H5Aget_type(attr), space = H5Aget_space(attr);
    char shape[256];
    int64_t n = shape_text(space, shape, sizeof shape, NULL, NULL);
    H5T_class_t cls = H5Tget_class(t);
    printf("%s@%s (%s %s) =", indent, name, type_name(t), shape);
    int64_t shown = n < MAX_JSON ? n : MAX_JSON;
    if (cls == H5T_INTEGER) {   // exact: 64-bit ids and hashes must not pass through a double
        int is_unsigned = H5Tget_sign(t) == H5T_SGN_NONE;
        uint64_t* v = ug_calloc((size_t)(n > 0 ? n : 1), sizeof(uint64_t));
        if (n > 0 && H5Aread(attr, is_unsigned ? H5T_NATIVE_UINT64 : H5T_NATIVE_INT64, v) < 0) n = 0;
        char num[32];
        for (int64_t k = 0; k < n && k < MAX_SHOWN; k++) {
            if (is_unsigned) printf(" %llu", (unsigned long long)v[k]);
            else printf(" %lld", (long long)(int64_t)v[k]);
        }
        if (c->j) {
            int scalar = n == 1 && strcmp(shape, "scalar") == 0;
            if (!scalar) json_arr_open(c->j, name);
            for (int64_t k = 0; k < (scalar ? 1 : shown); k++) {
                const char* key = scalar ? name : NULL;
                if (is_unsigned && v[k] > (uint64_t)INT64_MAX) {   // JSON numbers are doubles: keep it exact as text
                    snprintf(num, sizeof num, "%llu", (unsigned long long)v[k]);
                    json_str(c->j, key, num);
                } else json_int(c->j, key, (int64_t)v[k]);
            }
            if (!scalar) json_arr_close(c->j);
        }
        free(v);
    } else if (cls == H5T_FLOAT) {
        double* v = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
        if (n > 0 && H5Aread(attr, H5T_NATIVE_DOUBLE, v) < 0) n = 0;
        for (int64_t k = 0; k < n && k < MAX_SHOWN; k++) printf(" %.6g", v[k]);
        if (c->j) {
            if (n == 1 && strcmp(shape, "scalar") == 0) json_num(c->j, name, v[0]);
            else {
                json_arr_open(c->j, name);
                for (int64_t k = 0; k < shown; k++) json_num(c->j, NULL, v[k]);
                json_arr_close(c->j);
            }
        }
        free(v);
    } else if (cls == H5T_STRING) {
        char** strs = ug_calloc((size_t)(n > 0 ? n : 1), sizeof(char*));
        if (H5Tis_variable_str(t) > 0) {
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(t));   // HDF5 does not convert ASCII <-> UTF-8 (h5py writes UTF-8)
            char** raw = ug_calloc((size_t)(n > 0 ? n : 1), sizeof(char*));
            if (H5Aread(attr, mt, raw) >= 0)
                for (int64_t k = 0; k < n; k++) strs[k] = ug_strdup(raw[k] ? raw[k] : "");
            H5Dvlen_reclaim(mt, space, H5P_DEFAULT, raw);
            free(raw);
            H5Tclose(mt);
        } else {
            size_t len = H5Tget_size(t);
            char* buf = ug_calloc((size_t)(n > 0 ? n : 1), len + 1);
            if (H5Aread(attr, t, buf) >= 0)
                for (int64_t k = 0; k < n; k++) {
                    strs[k] = ug_calloc(len + 1, 1);
                    memcpy(strs[k], buf + (size_t)k * len, len);
                }
            free(buf);
        }
        for (int64_t k = 0; k < n && k < MAX_SHOWN; k++) printf(" \"%s\"", strs[k] ? strs[k] : "");
        if (c->j) {
            if (n == 1 && strcmp(shape, "scalar") == 0) json_str(c->j, name, strs[0] ? strs[0] : "");
            else {
                json_arr_open(c->j, name);
                for (int64_t k = 0; k < shown; k++) json_str(c->j, NULL, strs[k] ? strs[k] : "");
                json_arr_close(c->j);
            }
        }
        for (int64_t k = 0; k < n; k++) free(strs[k]);
        free(strs);
    } else {
        printf(" <%s>", type_name(t));
        if (c->j) json_str(c->j, name, type_name(t));
    }
    if (n > MAX_SHOWN) printf(" ... (%lld values)", (long long)n);
    printf("\n");
    H5Tclose(t);
    H5Sclose(space);
}

static void show_attrs(InspectCtx* c, hid_t obj, const char* indent) {
    H5O_info_t oi;
    if (H5Oget_info2(obj, &oi, H5O_INFO_NUM_ATTRS) < 0) return;
    if (c->j) json_obj_open(c->j, "attributes");
    for (hsize_t k = 0; k < oi.num_attrs; k++) {
        hid_t a = H5Aopen_by_idx(obj, ".", H5_INDEX_NAME, H5_ITER_INC, k, H5P_DEFAULT, H5P_DEFAULT);
        if (a < 0) continue;
        char name[256];
        H5Aget_name(a, sizeof name, name);
        show_attr(c, a, name, indent);
        H5Aclose(a);
    }
    if (c->j) json_obj_close(c->j);
}

static herr_t visit_object(hid_t root, const char* name, const H5O_info_t* info, void* data) {
    InspectCtx* c = data;
    if (!strcmp(name, ".")) return 0;
    hid_t obj = H5Oopen(root, name, H5P_DEFAULT);
    if (obj < 0) return 0;
    if (c->j) {
        json_obj_open(c->j, NULL);
        json_str(c->j, "path", name);
    }
    if (info->type == H5O_TYPE_GROUP) {
        printf("  /%s  (group)\n", name);
        if (c->j) json_str(c->j, "type", "group");
    } else if (info->type == H5O_TYPE_DATASET) {
        hid_t space = H5Dget_space(obj), t = H5Dget_type(obj);
        char shape[256];
        hsize_t dims[32];
        int rank = 0;
        shape_text(space, shape, sizeof shape, dims, &rank);
        printf("  /%s  %s %s\n", name, type_name(t), shape);
        if (c->j) {
            json_str(c->j, "type", "dataset");
            json_str(c->j, "dtype", type_name(t));
            json_arr_open(c->j, "shape");
            for (int k = 0; k < rank; k++) json_int(c->j, NULL, (int64_t)dims[k]);
            json_arr_close(c->j);
        }
        H5Sclose(space);
        H5Tclose(t);
    } else {
        printf("  /%s  (other object)\n", name);
        if (c->j) json_str(c->j, "type", "other");
    }
    show_attrs(c, obj, "      ");
    if (c->j) json_obj_close(c->j);
    H5Oclose(obj);
    return 0;
}

static int is_dataset_file(hid_t file) {
    const char* need[] = {"format_version", "mode", "num_classes", "class_names", "mean", "std"};
    for (size_t k = 0; k < sizeof need / sizeof need[0]; k++)
        if (H5Aexists(file, need[k]) <= 0) return 0;
    return H5Lexists(file, "train", H5P_DEFAULT) > 0;
}

// The dataset summary: info, then per split the count and class histogram.
static void show_dataset(InspectCtx* c, const char* path) {
    Dataset ds;
    dataset_open(&ds, path, MPI_COMM_NULL);
    const DatasetInfo* in = &ds.info;
    printf("dataset %s\n  format version %d, %s mode, %d classes", path, in->format_version, dataset_mode_name(in->mode),
           in->num_classes);
    if (in->num_coarse) printf(" (%d coarse)", in->num_coarse);
    if (in->mode == DS_DECODED) printf(", images %dx%dx%d", in->height, in->width, in->channels);
    else printf(", JPEG bytes, %d channels when decoded", in->channels);
    printf("\n  source %s\n  mean", in->source);
    for (int k = 0; k < in->channels; k++) printf(" %.4f", in->mean[k]);
    printf("  std");
    for (int k = 0; k < in->channels; k++) printf(" %.4f", in->std[k]);
    printf("  (train, pixel/255)\n");
    if (c->j) {
        json_obj_open(c->j, "dataset");
        json_int(c->j, "format_version", in->format_version);
        json_str(c->j, "mode", dataset_mode_name(in->mode));
        json_int(c->j, "num_classes", in->num_classes);
        json_int(c->j, "num_coarse", in->num_coarse);
        json_int(c->j, "height", in->height);
        json_int(c->j, "width", in->width);
        json_int(c->j, "channels", in->channels);
        json_str(c->j, "source", in->source);
        json_arr_open(c->j, "class_names");
        for (int k = 0; k < in->num_classes; k++) json_str(c->j, NULL, in->class_names[k]);
        json_arr_close(c->j);
        json_arr_open(c->j, "mean");
        for (int k = 0; k < in->channels; k++) json_num(c->j, NULL, in->mean[k]);
        json_arr_close(c->j);
        json_arr_open(c->j, "std");
        for (int k = 0; k < in->channels; k++) json_num(c->j, NULL, in->std[k]);
        json_arr_close(c->j);
        json_obj_open(c->j, "splits");
    }
    const char* splits[3] = {"train", "val", "test"};
    int64_t* hist = ug_malloc((size_t)in->num_classes * sizeof(int64_t));
    for (int s = 0; s < 3; s++) {
        if (!dataset_has_split(&ds, splits[s])) continue;
        DatasetSplit sp;
        dataset_split_open(&ds, splits[s], &sp);
        memset(hist, 0, (size_t)in->num_classes * sizeof(int64_t));
        for (int64_t i = 0; i < sp.n; i++) hist[sp.labels[i]]++;
        int64_t present = 0, lo = sp.n, hi = 0;
        for (int k = 0; k < in->num_classes; k++) {
            present += hist[k] > 0;
            if (hist[k] < lo) lo = hist[k];
            if (hist[k] > hi) hi = hist[k];
        }
        printf("  /%s: %lld samples, %lld of %d classes present, per class %lld..%lld%s%s", splits[s], (long long)sp.n,
               (long long)present, in->num_classes, (long long)lo, (long long)hi, sp.coarse_labels ? ", coarse labels" : "",
               sp.groups ? ", groups" : "");
        if (sp.offsets) printf(", %.1f MB of JPEG (%.0f bytes/image)", sp.offsets[sp.n] / 1e6, sp.n ? (double)sp.offsets[sp.n] / sp.n : 0.0);
        // files packed before the checksums stay readable: say that a damaged byte in them would go unnoticed
        printf("\n      checksum: %s\n", sp.checksummed ? "Fletcher-32 per chunk (verified on every read)"
                                                        : "none (packed before checksums; re-pack to add them)");
        for (int k = 0; k < in->num_classes && k < c->show_classes; k++)
            printf("      %5d %-24s %lld\n", k, in->class_names[k], (long long)hist[k]);
        if (in->num_classes > c->show_classes) printf("      ... (%d classes; --classes N shows more)\n", in->num_classes);
        if (c->j) {
            json_obj_open(c->j, splits[s]);
            json_int(c->j, "n", sp.n);
            json_arr_open(c->j, "class_counts");
            for (int k = 0; k < in->num_classes; k++) json_int(c->j, NULL, hist[k]);
            json_arr_close(c->j);
            json_bool(c->j, "coarse_labels", sp.coarse_labels != NULL);
            json_bool(c->j, "groups", sp.groups != NULL);
            json_str(c->j, "checksum", sp.checksummed ? "fletcher32" : "none");
            if (sp.offsets) json_int(c->j, "jpeg_bytes", sp.offsets[sp.n]);
            json_obj_close(c->j);
        }
        dataset_split_close(&sp);
    }
    free(hist);
    if (c->j) {
        json_obj_close(c->j);   // splits
        json_obj_close(c->j);   // dataset
    }
    dataset_close(&ds);
}

int cmd_inspect(int argc, char** argv) {
    char* json = NULL;
    int show_classes = 20;
    OptSpec specs[] = {
        opt_json(&json, "also write what is shown as JSON"),
        {"classes", OPT_INT, &show_classes, "N", "classes listed per split in the histogram", 0},
        {NULL, 0, NULL, NULL, NULL, 0},
    };
    int npos = 0;
    char** pos = NULL;
    opts_parse("inspect", "FILE.h5 [--json FILE]",
               "Shows what an HDF5 file holds: for a dataset, its attributes, splits, counts and class histogram;\n"
               "for any HDF5 file (split files, checkpoints), every group and dataset with shape, type and attributes.",
               specs, argc, argv, &npos, &pos);
    if (npos != 1) ug_die("inspect: expected one FILE.h5 (see ugradsl inspect --help)");
    const char* path = pos[0];
    free(pos);
    if (g_dist.rank != 0) return 0;
    if (!ug_file_exists(path)) ug_die("inspect: '%s' not found", path);
    if (H5Fis_hdf5(path) <= 0) ug_die("inspect: '%s' is not an HDF5 file", path);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);   // attribute probes on foreign files may fail quietly
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) ug_die("inspect: cannot open '%s' (corrupt HDF5 file?)", path);
    AtomicFile af;
    JsonWriter j;
    InspectCtx c = {NULL, show_classes};
    if (json) {
        atomic_open(&af, json);
        json_begin(&j, af.f, 1);
        json_obj_open(&j, NULL);
        json_str(&j, "file", path);
        c.j = &j;
    }
    int is_ds = is_dataset_file(file);
    if (c.j) json_str(c.j, "kind", is_ds ? "dataset" : "hdf5");
    if (is_ds) show_dataset(&c, path);
    printf("%s %s\n", is_ds ? "objects of" : "hdf5 file", path);
    show_attrs(&c, file, "  ");
    if (c.j) json_arr_open(c.j, "objects");
    H5_CHECK(H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, visit_object, &c, H5O_INFO_BASIC));
    if (c.j) json_arr_close(c.j);
    H5_CHECK(H5Fclose(file));
    if (c.j) {
        json_obj_close(c.j);
        json_end(c.j);
        atomic_commit(&af);
    }
    return 0;
}
