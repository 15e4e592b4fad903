// pack_writer.h — the parallel dataset writer used by the image-folder packer.
//
// Every rank holds a contiguous piece of the rows of one round, in global order by rank; an append call
// places them after the rows already written (offsets from MPI_Exscan), grows the datasets (H5Dset_extent)
// and writes with collective MPI-IO transfers.  A rank with no rows selects nothing but still joins.
// With comm == MPI_COMM_NULL the same code runs serially (sec2 driver, no MPI calls): used by unit tests.
// All calls are collective over comm, in the same order on every rank.
#pragma once
#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

#include "data/dataset.h"

typedef struct {
    MPI_Comm comm;         // MPI_COMM_NULL: serial
    int rank, world;
    hid_t file, dxpl;
    char path[4096], tmp[4096];
} ParWriter;

typedef struct {
    DatasetMode mode;
    hid_t group, data, labels, offsets;   // data: images [N,H,W,C] or jpeg bytes [total]
    hid_t groups;                         // 0 when the split has no groups dataset
    int h, w, c;
    int64_t rows, bytes;                  // written so far (same on every rank)
} ParSplit;

// Small collective helpers that are no-ops / identities for MPI_COMM_NULL.
int64_t par_exscan_i64(MPI_Comm comm, int64_t v);      // sum over lower ranks
int64_t par_sum_i64(MPI_Comm comm, int64_t v);
int64_t par_max_i64(MPI_Comm comm, int64_t v);
void par_bcast(MPI_Comm comm, void* buf, int64_t bytes, int root);   // any size (chunked)
void par_barrier(MPI_Comm comm);

void parw_begin(ParWriter* w, const char* path, MPI_Comm comm);   // creates the temp file
// Creates /name.  Decoded mode: images [0,h,w,c] growing along N, chunks of chunk_rows rows; JPEG mode: jpeg
// bytes (DATASET_JPEG_CHUNK_BYTES chunks) and offsets.  with_groups: also a `groups` int32 dataset.  Every column
// is checksummed (dataset_column_dcpl).
void parw_split_create(ParWriter* w, ParSplit* s, const char* name, DatasetMode mode, int h, int w_, int c,
                       int64_t chunk_rows, int with_groups);
// groups: [n_local] when the split was created with groups, else ignored (may be NULL).
void parw_append_decoded(ParWriter* w, ParSplit* s, int64_t n_local, const uint8_t* images, const int32_t* labels,
                         const int32_t* groups);
// sizes[k]: encoded bytes of local row k; bytes: the local rows back to back.
void parw_append_jpeg(ParWriter* w, ParSplit* s, int64_t n_local, const uint8_t* bytes, const int64_t* sizes,
                      const int32_t* labels, const int32_t* groups);
void parw_split_close(ParWriter* w, ParSplit* s);   // JPEG mode: writes the closing offset (= total bytes)
// A root attribute holding n fixed-length strings (e.g. class_descriptions); collective, same strings on all ranks.
void parw_write_strings_attr(ParWriter* w, const char* name, char* const* strs, int n);
// Writes the root attributes, closes, and renames the temp file to the final path (rank 0), then a barrier.
void parw_finish(ParWriter* w, const DatasetInfo* info);
