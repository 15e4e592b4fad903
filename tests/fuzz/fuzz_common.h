// fuzz_common.h — shared pieces of the libFuzzer harnesses (built only by `make fuzz-build`, with
// -DUG_FUZZ_BUILD so that ug_die longjmps back to the harness instead of exiting).
//
// A clean ug_die is the expected answer to a bad input ("rejected"); a sanitizer report, a signal or a hang is
// a bug.  After a rejection the abandoned call's memory and HDF5 ids are leaked, so the HDF5 targets run with
// detect_leaks=0 and close every open HDF5 id after each input (fuzz_h5_close_all).
#pragma once
#include <hdf5.h>
#include <mpi.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

// Runs the statement (the macro argument) with ug_die turned into a jump back here; evaluates to 1 when it died
// (input rejected).  UG_FUZZ_VERBOSE=1 prints accepted/rejected per call (to check that the seeds get through).
#define FUZZ_RUN_OR_REJECT(...)                               \
    __extension__({                                           \
        jmp_buf fuzz_env_;                                    \
        int fuzz_died_ = 0;                                   \
        ug_die_jump = &fuzz_env_;                             \
        if (setjmp(fuzz_env_) == 0) {                         \
            __VA_ARGS__;                                      \
        } else {                                              \
            fuzz_died_ = 1;                                   \
        }                                                     \
        ug_die_jump = NULL;                                   \
        if (getenv("UG_FUZZ_VERBOSE"))                        \
            fprintf(stderr, "fuzz: %.60s: %s %s\n", #__VA_ARGS__, \
                    fuzz_died_ ? "rejected:" : "accepted",    \
                    fuzz_died_ ? ug_die_last_message : "");   \
        fuzz_died_;                                           \
    })

// MPI is initialised once (the readers ask for the rank in their messages) and HDF5's own stack printing is off.
static inline void fuzz_init_mpi_hdf5(void) {
    int init = 0;
    MPI_Initialized(&init);
    if (!init) MPI_Init(NULL, NULL);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

// Writes the input to a per-process temp file (the HDF5 readers take a path) and returns its path.
static inline const char* fuzz_write_temp(const uint8_t* data, size_t size, const char* suffix) {
    static char path[256];
    const char* dir = getenv("TMPDIR");
    snprintf(path, sizeof path, "%s/ugfuzz-%d%s", dir && *dir ? dir : "/tmp", (int)getpid(), suffix);
    FILE* f = fopen(path, "wb");
    if (!f) { perror(path); abort(); }
    if (size && fwrite(data, 1, size, f) != size) { perror(path); abort(); }
    if (fclose(f) != 0) { perror(path); abort(); }
    return path;
}

// Closes every HDF5 object and file left open by a reader that died half-way (else each rejected input leaks
// an open file and the campaign slows down and runs out of descriptors).
// keep: a file id the harness holds across inputs (-1: none).
static inline void fuzz_h5_close_all_but(hid_t keep) {
    ssize_t n = H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL);
    if (n <= 0) return;
    hid_t* ids = malloc((size_t)n * sizeof *ids);
    n = H5Fget_obj_ids(H5F_OBJ_ALL, H5F_OBJ_ALL, (size_t)n, ids);
    for (int pass = 0; pass < 2; pass++)   // objects first, then files
        for (ssize_t i = 0; i < n; i++) {
            H5I_type_t t = H5Iget_type(ids[i]);
            if (t == H5I_BADID || ids[i] == keep) continue;
            if (pass == 0 && t != H5I_FILE) {
                if (t == H5I_DATASET) H5Dclose(ids[i]);
                else if (t == H5I_GROUP) H5Gclose(ids[i]);
                else if (t == H5I_ATTR) H5Aclose(ids[i]);
                else if (t == H5I_DATATYPE) H5Tclose(ids[i]);
            } else if (pass == 1 && t == H5I_FILE) {
                H5Fclose(ids[i]);
            }
        }
    free(ids);
}

static inline void fuzz_h5_close_all(void) { fuzz_h5_close_all_but(-1); }
