// test_h5attr.c — the HDF5 attribute module: every type round-trips exactly, on-disk types are the fixed
// little-endian ones, an absent attribute reads as 0 (output untouched), a wrong count as -1, and strings of every
// storage kind (fixed NUL-terminated, fixed NUL-padded as h5py writes them, variable-length) read back.
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/h5attr.h"
#include "common/util.h"
#include "harness.h"

static char g_path[256];

static void test_round_trip(void) {
    hid_t f = H5Fcreate(g_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    CHECK(f >= 0, "create %s", g_path);
    h5attr_write_i32(f, "i32", -7);
    h5attr_write_i64(f, "i64", -(1ll << 40));
    h5attr_write_u64(f, "u64", 0xfedcba9876543210ull);
    h5attr_write_f64(f, "f64", 0.1);
    h5attr_write_str(f, "str", "ugradsl");
    const float arr[3] = {0.5f, -1.25f, 3.0f};
    h5attr_write(f, "arr", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, 3, arr);
    H5Fclose(f);

    f = H5Fopen(g_path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int32_t i32 = 0;
    int64_t i64 = 0;
    uint64_t u64 = 0;
    double f64 = 0;
    CHECK_TRUE(h5attr_read_i32(f, "i32", &i32));
    CHECK_EQ_INT(i32, -7);
    CHECK_TRUE(h5attr_read_i64(f, "i64", &i64));
    CHECK_EQ_INT(i64, -(1ll << 40));
    CHECK_TRUE(h5attr_read_u64(f, "u64", &u64));
    CHECK(u64 == 0xfedcba9876543210ull, "u64 = %llx", (unsigned long long)u64);
    CHECK_TRUE(h5attr_read_f64(f, "f64", &f64));
    CHECK(f64 == 0.1, "f64 = %.17g", f64);
    char* s = h5attr_read_str(f, "str");
    CHECK(s && strcmp(s, "ugradsl") == 0, "str = %s", s ? s : "(null)");
    free(s);
    float back[3] = {0, 0, 0};
    CHECK_EQ_INT(h5attr_count(f, "arr"), 3);
    CHECK_EQ_INT(h5attr_read(f, "arr", H5T_NATIVE_FLOAT, 3, back), 1);
    CHECK(memcmp(back, arr, sizeof arr) == 0, "array differs");
    // a wider reader converts: the i32 attribute read as i64
    CHECK_TRUE(h5attr_read_i64(f, "i32", &i64));
    CHECK_EQ_INT(i64, -7);
    // the on-disk types are the fixed little-endian ones
    hid_t a = H5Aopen(f, "i32", H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    CHECK(H5Tequal(t, H5T_STD_I32LE) > 0, "i32 is not stored as I32LE");
    H5Tclose(t);
    H5Aclose(a);
    a = H5Aopen(f, "u64", H5P_DEFAULT);
    t = H5Aget_type(a);
    CHECK(H5Tequal(t, H5T_STD_U64LE) > 0, "u64 is not stored as U64LE");
    H5Tclose(t);
    H5Aclose(a);
    H5Fclose(f);
}

static void test_absent_and_wrong_count(void) {
    hid_t f = H5Fcreate(g_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    const int32_t two[2] = {1, 2};
    h5attr_write(f, "two", H5T_STD_I32LE, H5T_NATIVE_INT32, 2, two);
    int64_t v = 42;
    double d = 4.5;
    CHECK_EQ_INT(h5attr_exists(f, "nothing"), 0);
    CHECK_EQ_INT(h5attr_count(f, "nothing"), 0);
    CHECK_EQ_INT(h5attr_read_i64(f, "nothing", &v), 0);
    CHECK_EQ_INT(v, 42);
    CHECK_EQ_INT(h5attr_read_f64(f, "nothing", &d), 0);
    CHECK(d == 4.5, "d changed");
    CHECK(h5attr_read_str(f, "nothing") == NULL, "absent string is not NULL");
    int32_t three[3] = {9, 9, 9};
    CHECK_EQ_INT(h5attr_read(f, "two", H5T_NATIVE_INT32, 3, three), -1);
    CHECK_EQ_INT(three[0], 9);
    CHECK_EQ_INT(h5attr_read_i64(f, "two", &v), 0);   // an array is not a scalar
    CHECK_EQ_INT(h5attr_count(f, "two"), 2);
    CHECK(h5attr_read_str(f, "two") == NULL, "an integer attribute read as a string");
    H5Fclose(f);
}

static void test_string_kinds(void) {
    hid_t f = H5Fcreate(g_path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = H5Screate(H5S_SCALAR);
    // NULLPAD, exactly filled (h5py np.bytes_): no terminator on disk
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, 5);
    H5Tset_strpad(t, H5T_STR_NULLPAD);
    hid_t a = H5Acreate2(f, "padded", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, "abcde");
    H5Aclose(a);
    H5Tclose(t);
    // variable-length
    t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    const char* vs = "variable length";
    a = H5Acreate2(f, "vlen", t, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, t, &vs);
    H5Aclose(a);
    H5Tclose(t);
    H5Sclose(sp);
    char* s = h5attr_read_str(f, "padded");
    CHECK(s && strcmp(s, "abcde") == 0, "padded = %s", s ? s : "(null)");
    free(s);
    s = h5attr_read_str(f, "vlen");
    CHECK(s && strcmp(s, "variable length") == 0, "vlen = %s", s ? s : "(null)");
    free(s);
    H5Fclose(f);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(g_path, sizeof g_path, "/tmp/test_h5attr.%d.h5", (int)getpid());
    TEST_CASE(test_round_trip);
    TEST_CASE(test_absent_and_wrong_count);
    TEST_CASE(test_string_kinds);
    unlink(g_path);
    return th_end();
}
