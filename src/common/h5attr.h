// h5attr.h — HDF5 attributes of a file, group or dataset: write and read integers, doubles, floats and strings.
// One argument order everywhere: (object, name, value / output ...).  Every HDF5 call is checked (H5_CHECK):
// a failing call dies.  Readers return 0 when the attribute is absent, so each caller can say in its own words
// which file lacks what.  On-disk types are fixed little-endian types, so a file is the same on every machine.
#pragma once
#include <hdf5.h>
#include <stdint.h>

// 1 when obj has the attribute.
int h5attr_exists(hid_t obj, const char* name);

// Number of values of an attribute (1 for a scalar); 0 when absent.
int64_t h5attr_count(hid_t obj, const char* name);

// Writes n values (n < 0: a scalar) of mem_type as file_type.  The typed writers below are built on it.
void h5attr_write(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, int64_t n, const void* values);

void h5attr_write_i32(hid_t obj, const char* name, int32_t v);
void h5attr_write_i64(hid_t obj, const char* name, int64_t v);
void h5attr_write_u64(hid_t obj, const char* name, uint64_t v);
void h5attr_write_f64(hid_t obj, const char* name, double v);
// A fixed-length, NUL-terminated string.
void h5attr_write_str(hid_t obj, const char* name, const char* v);

// Reads exactly n values (n < 0: a scalar) converted to mem_type into out.  Returns 1, 0 when absent, or -1 (out
// untouched) when the attribute holds another number of values.
int h5attr_read(hid_t obj, const char* name, hid_t mem_type, int64_t n, void* out);

// Scalars converted to the asked type; 1 read, 0 absent (v untouched).
int h5attr_read_i32(hid_t obj, const char* name, int32_t* v);
int h5attr_read_i64(hid_t obj, const char* name, int64_t* v);
int h5attr_read_u64(hid_t obj, const char* name, uint64_t* v);
int h5attr_read_f64(hid_t obj, const char* name, double* v);

// A fixed- or variable-length string attribute, malloc'd; NULL when absent, not a string, or not exactly one string.
char* h5attr_read_str(hid_t obj, const char* name);

// 1 when dataset d's stored type is of class cls and exactly size bytes per element.  Check before H5Dread: a
// damaged file's type can claim GiB-sized elements, and HDF5 would allocate its conversion buffer for them.
int h5_dataset_type_is(hid_t d, H5T_class_t cls, size_t size);
