// fuzz_dataset — the dataset reader (data/dataset_io.c): dataset_open, then every split it has, reading a few
// rows as the loader does (decoded pixels or JPEG bytes).
#include "data/dataset.h"
#include "fuzz_common.h"

int LLVMFuzzerInitialize(int* argc, char*** argv) {
    fuzz_init_mpi_hdf5();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const char* path = fuzz_write_temp(data, size, ".h5");
    Dataset ds;
    FUZZ_RUN_OR_REJECT({
        dataset_open(&ds, path, MPI_COMM_NULL);
        const char* splits[] = {"train", "test"};
        for (int k = 0; k < 2; k++) {
            if (!dataset_has_split(&ds, splits[k])) continue;
            DatasetSplit s;
            dataset_split_open(&ds, splits[k], &s);
            int64_t idx[3] = {0, s.n / 2, s.n - 1};
            int64_t n = s.n < 3 ? s.n : 3;
            if (n > 0 && ds.info.mode == DS_DECODED) {
                size_t row = (size_t)ds.info.height * ds.info.width * ds.info.channels;
                if (row <= (1u << 20)) {   // the loader's batch buffer; a huge row is the allocation's business
                    uint8_t* out = ug_malloc(row * (size_t)n);
                    dataset_read_decoded(&ds, &s, idx, n, out);
                    free(out);
                }
            } else if (n > 0) {
                int64_t bytes = 0;
                free(dataset_read_jpeg(&ds, &s, idx[0], &bytes));
            }
            dataset_split_close(&s);
        }
        dataset_close(&ds);
    });
    fuzz_h5_close_all();
    unlink(path);
    return 0;
}
