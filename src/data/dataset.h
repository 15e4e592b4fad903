// dataset.h — the HDF5 dataset format (docs/DATA.md) and its reader/writer.
//
// One file per dataset; one group per split: /train, /val (optional), /test.
//   decoded mode: images uint8 [N,H,W,C] chunked along N (~16 KiB chunks, at least one row), labels int32 [N]
//   JPEG mode:    jpeg uint8 [total_bytes] (all encoded images back to back), offsets int64 [N+1], labels int32 [N]
//   optional:     coarse_labels int32 [N], groups int32 [N]
// Every column is chunked with HDF5's Fletcher-32 checksum per chunk (files packed before issue 18 have none
// and stay readable): a read of a chunk whose bytes changed since pack fails, and the reader says so.
// Root attributes: format_version, num_classes, class_names (fixed-length strings), mean[C], std[C]
// (per channel, in [0,1] pixel units, over the train split), height, width, channels, source, mode.
//
// Readers are used from many ranks: the file is opened with the MPI-IO driver on `comm` (or the sec2
// driver when comm == MPI_COMM_NULL).  Reads are independent (each rank reads its own rows); small
// splits may be cached whole in memory by the caller.
#pragma once
#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

#define DATASET_FORMAT_VERSION 1
#define DATASET_MAX_CLASSES 100000

typedef enum { DS_DECODED = 0, DS_JPEG = 1 } DatasetMode;

typedef struct {
    int format_version;
    DatasetMode mode;
    int num_classes;
    char** class_names;        // num_classes strings
    int height, width, channels;   // decoded mode: the stored size; JPEG mode: 0 (varies) unless resized
    float mean[4], std[4];     // per channel, pixel values scaled to [0,1]
    char source[256];          // "image-folder:<path>", "cifar10-bin:<path>", "digits-csv:<path>", ...
    int num_coarse;            // > 0 when coarse_labels are present
} DatasetInfo;

typedef struct {
    char name[16];             // "train", "val", "test"
    int64_t n;
    int32_t* labels;           // [n], always loaded
    int32_t* coarse_labels;    // [n] or NULL
    int32_t* groups;           // [n] or NULL
    hid_t group;               // the split's HDF5 group
    hid_t images;              // decoded mode: images dataset; JPEG mode: the jpeg bytes dataset
    int64_t* offsets;          // JPEG mode: [n+1], loaded; NULL in decoded mode
    int checksummed;           // the images/jpeg column carries Fletcher-32 checksums (packed since issue 18)
} DatasetSplit;

typedef struct {
    char path[4096];
    hid_t file;
    DatasetInfo info;
} Dataset;

// Opens and validates a dataset (dies with a clear message on a missing/corrupt file or a newer version).
void dataset_open(Dataset* ds, const char* path, MPI_Comm comm);
void dataset_close(Dataset* ds);
int dataset_has_split(const Dataset* ds, const char* split);
void dataset_split_open(Dataset* ds, const char* split, DatasetSplit* s);   // dies if the split is absent
void dataset_split_close(DatasetSplit* s);

// Decoded mode: reads the rows idx[0..n) (any order, duplicates allowed) into out [n,H,W,C] uint8.
void dataset_read_decoded(const Dataset* ds, const DatasetSplit* s, const int64_t* idx, int64_t n, uint8_t* out);
// JPEG mode: reads the encoded bytes of row i; returns a malloc'd buffer, size in *bytes.
uint8_t* dataset_read_jpeg(const Dataset* ds, const DatasetSplit* s, int64_t i, int64_t* bytes);

// JPEG mode: reads rows idx[0..n) (any order) into one malloc'd buffer; (*offsets_out)[k] .. [k+1] are the
// bytes of row idx[k] inside it (offsets_out: malloc'd [n+1]).  One HDF5 read per contiguous run of rows.
uint8_t* dataset_read_jpeg_many(const Dataset* ds, const DatasetSplit* s, const int64_t* idx, int64_t n,
                                int64_t** offsets_out);

// Writer used by pack and by tests: creates/overwrites `path` (atomically: temp file + rename on
// dataset_write_finish).  Serial; pack's parallel writer (pack_writer.c) uses the helpers further below.
typedef struct {
    char path[4096], tmp[4096];
    hid_t file;
    DatasetInfo info;
} DatasetWriter;
// `info` is copied shallowly: its class_names must stay valid until dataset_write_finish.
void dataset_write_begin(DatasetWriter* w, const char* path, const DatasetInfo* info);
// Decoded split from memory: images [n,H,W,C] uint8, labels [n]; coarse/groups may be NULL.
void dataset_write_split_decoded(DatasetWriter* w, const char* split, int64_t n, const uint8_t* images,
                                 const int32_t* labels, const int32_t* coarse, const int32_t* groups);
void dataset_write_finish(DatasetWriter* w);   // writes root attributes, closes, fsyncs, renames
// JPEG split from memory: bytes [offsets[n]] (all images back to back), offsets [n+1] with offsets[0] = 0.
void dataset_write_split_jpeg(DatasetWriter* w, const char* split, int64_t n, const uint8_t* bytes,
                              const int64_t* offsets, const int32_t* labels, const int32_t* coarse,
                              const int32_t* groups);

// ---- helpers shared with the parallel writer, the loader and inspect ----
// Creation properties of every column pack writes: chunked as chunk[0..rank) with a Fletcher-32 checksum per
// chunk, so that a damaged chunk is a read error instead of silently changed pixels or labels.
hid_t dataset_column_dcpl(int rank, const hsize_t* chunk);
// A failed H5Dread of `column` of `split`: dies with one line naming the file and what to do (re-pack when the
// chunk fails its checksum: the bytes changed after pack wrote them).  Call it right after the failed read.
void dataset_read_failed(const char* path, const char* split, const char* column) __attribute__((noreturn));
// Rows per chunk of an images dataset: ~16 KiB chunks along N (at least 1 row, at most n).  Small, because a
// checksummed chunk is read and verified whole: a random row costs its chunk (bench-data: 512 KiB chunks made
// streaming 4.5x slower with the checksum, 16 KiB ones 2x faster than 512 KiB chunks without it).
int64_t dataset_chunk_rows(int64_t row_bytes, int64_t n);
#define DATASET_JPEG_CHUNK_BYTES (64 * 1024)   // JPEG mode's byte blob: a ~110 KB image reads 2-3 chunks
#define DATASET_COLUMN_CHUNK_ROWS (1 << 16)    // labels, offsets, groups: read whole when a split is opened
// File-access property list: MPI-IO on comm, or sec2 when comm == MPI_COMM_NULL; file format >= 1.8
// (attributes over 64 KiB, e.g. many class names, need it).
hid_t dataset_fapl(MPI_Comm comm);
// Writes the root attributes of `info` (collective when the file is open with MPI-IO: same values on all ranks).
void dataset_write_root_attrs(hid_t file, const DatasetInfo* info);
void dataset_info_free(DatasetInfo* info);   // frees class_names
const char* dataset_mode_name(DatasetMode m);

// Per-channel pixel statistics, exact (integer sums) so that they do not depend on how images are sharded.
typedef struct { int channels; uint64_t count; uint64_t sum[4], sumsq[4]; } PixelStats;
void pixel_stats_add(PixelStats* st, const uint8_t* pixels, int64_t npixels, int channels);  // HWC pixels
void pixel_stats_allreduce(PixelStats* st, MPI_Comm comm);   // sums over ranks (no-op for MPI_COMM_NULL)
void pixel_stats_finish(const PixelStats* st, float mean[4], float std[4]);  // in [0,1] pixel units
