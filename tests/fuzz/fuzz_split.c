// fuzz_split — the split reader (data/split_io.c): split_read (the file's own invariants) and, when the digits
// dataset of the seed corpus is there, split_load against it (source, classes, sizes, labels hash).
#include "data/dataset.h"
#include "data/split.h"
#include "fuzz_common.h"

static Dataset digits;
static int have_digits;

int LLVMFuzzerInitialize(int* argc, char*** argv) {
    fuzz_init_mpi_hdf5();
    const char* p = getenv("UG_FUZZ_DIGITS");
    if (!p) p = "tests/fuzz/corpus/dataset/digits.h5";
    if (access(p, R_OK) == 0) {
        dataset_open(&digits, p, MPI_COMM_NULL);
        have_digits = 1;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const char* path = fuzz_write_temp(data, size, ".h5");
    Split s;
    int died = FUZZ_RUN_OR_REJECT(split_read(path, &s));
    if (!died) {
        int64_t* train = split_train_indices(&s);
        free(train);
        split_free(&s);
        if (have_digits && !FUZZ_RUN_OR_REJECT(split_load(path, &digits, &s))) split_free(&s);
    }
    fuzz_h5_close_all_but(have_digits ? digits.file : -1);
    unlink(path);
    return 0;
}
