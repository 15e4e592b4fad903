// h5attr.c — HDF5 attributes (see h5attr.h).
#include "common/h5attr.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int h5attr_exists(hid_t obj, const char* name) {
    htri_t e = H5Aexists(obj, name);
    H5_CHECK(e);
    return e > 0;
}

int64_t h5attr_count(hid_t obj, const char* name) {
    if (!h5attr_exists(obj, name)) return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    H5_CHECK(a);
    hid_t space = H5Aget_space(a);
    H5_CHECK(space);
    hssize_t n = H5Sget_simple_extent_npoints(space);
    H5_CHECK(n);
    H5_CHECK(H5Sclose(space));
    H5_CHECK(H5Aclose(a));
    return (int64_t)n;
}

void h5attr_write(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, int64_t n, const void* values) {
    hsize_t dims[1] = {(hsize_t)(n < 0 ? 1 : n)};
    hid_t space = n < 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, NULL);
    H5_CHECK(space);
    hid_t a = H5Acreate2(obj, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(a);
    H5_CHECK(H5Awrite(a, mem_type, values));
    H5_CHECK(H5Aclose(a));
    H5_CHECK(H5Sclose(space));
}

void h5attr_write_i32(hid_t obj, const char* name, int32_t v) {
    h5attr_write(obj, name, H5T_STD_I32LE, H5T_NATIVE_INT32, -1, &v);
}

void h5attr_write_i64(hid_t obj, const char* name, int64_t v) {
    h5attr_write(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, -1, &v);
}

void h5attr_write_u64(hid_t obj, const char* name, uint64_t v) {
    h5attr_write(obj, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, -1, &v);
}

void h5attr_write_f64(hid_t obj, const char* name, double v) {
    h5attr_write(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, -1, &v);
}

void h5attr_write_str(hid_t obj, const char* name, const char* v) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5_CHECK(t);
    H5_CHECK(H5Tset_size(t, strlen(v) + 1));
    H5_CHECK(H5Tset_strpad(t, H5T_STR_NULLTERM));
    h5attr_write(obj, name, t, t, -1, v);
    H5_CHECK(H5Tclose(t));
}

int h5attr_read(hid_t obj, const char* name, hid_t mem_type, int64_t n, void* out) {
    int64_t count = h5attr_count(obj, name);
    if (count == 0) return 0;
    if (count != (n < 0 ? 1 : n)) return -1;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    H5_CHECK(a);
    H5_CHECK(H5Aread(a, mem_type, out));
    H5_CHECK(H5Aclose(a));
    return 1;
}

// A scalar attribute read with a wrong count is as absent to the typed readers: their callers want one value.
int h5attr_read_i32(hid_t obj, const char* name, int32_t* v) { return h5attr_read(obj, name, H5T_NATIVE_INT32, -1, v) > 0; }
int h5attr_read_i64(hid_t obj, const char* name, int64_t* v) { return h5attr_read(obj, name, H5T_NATIVE_INT64, -1, v) > 0; }
int h5attr_read_u64(hid_t obj, const char* name, uint64_t* v) { return h5attr_read(obj, name, H5T_NATIVE_UINT64, -1, v) > 0; }
int h5attr_read_f64(hid_t obj, const char* name, double* v) { return h5attr_read(obj, name, H5T_NATIVE_DOUBLE, -1, v) > 0; }

char* h5attr_read_str(hid_t obj, const char* name) {
    if (!h5attr_exists(obj, name)) return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    H5_CHECK(a);
    hid_t ft = H5Aget_type(a);
    H5_CHECK(ft);
    char* out = NULL;
    hid_t space = H5Aget_space(a);
    H5_CHECK(space);
    hssize_t npoints = H5Sget_simple_extent_npoints(space);
    H5_CHECK(H5Sclose(space));
    // One string only: H5Aread writes every element, so an array attribute (a damaged file) would overrun out.
    if (H5Tget_class(ft) == H5T_STRING && npoints == 1) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5_CHECK(mt);
        htri_t variable = H5Tis_variable_str(ft);
        H5_CHECK(variable);
        if (variable) {
            char* vs = NULL;
            H5_CHECK(H5Tset_size(mt, H5T_VARIABLE));
            H5_CHECK(H5Aread(a, mt, &vs));
            out = ug_strdup(vs ? vs : "");
            if (vs) H5free_memory(vs);
        } else {
            // one byte more than stored: a NULLPAD string (h5py's np.bytes_) fills all of its bytes
            size_t sz = H5Tget_size(ft);
            out = ug_calloc(sz + 2, 1);
            H5_CHECK(H5Tset_size(mt, sz + 1));
            H5_CHECK(H5Aread(a, mt, out));
        }
        H5_CHECK(H5Tclose(mt));
    }
    H5_CHECK(H5Tclose(ft));
    H5_CHECK(H5Aclose(a));
    return out;
}

int h5_dataset_type_is(hid_t d, H5T_class_t cls, size_t size) {
    hid_t t = H5Dget_type(d);
    H5_CHECK(t);
    int ok = H5Tget_class(t) == cls && H5Tget_size(t) == size;
    H5_CHECK(H5Tclose(t));
    return ok;
}
