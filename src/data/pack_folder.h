// pack_folder.h — packing an image-folder tree (ImageNet layout) on all ranks of a communicator.
//
//   <input>/train/<class>/<files>          class names = sorted folder names = labels 0..K-1
//   <input>/val/<class>/<files>  or  <input>/val/<files> + a label file     (optional)
//   <input>/test/...                        same as val (optional)
// A val/ without test/ is packed as the `test` split (the evaluation split).  Flat val/ labels may also come
// as ImageNet's devkit ground truth + meta.mat, LOC_val_solutions.csv, or Tiny-ImageNet's val_annotations.txt
// (pack_folder_imagenet.h); Tiny-ImageNet's <class>/images/ folders are read too.
// Every non-hidden file in a class folder must be a JPEG or PNG (by content).  Files are taken in sorted
// order, class by class; the dataset rows keep that order (minus skipped files) whatever the rank count.
#pragma once
#include <mpi.h>
#include <stdint.h>

#include "data/dataset.h"
#include "data/pack.h"

typedef struct {
    const char* input;
    const char* output;
    DatasetMode mode;
    int resize;          // decoded mode: shorter side -> S, centre crop SxS; 0 = keep (one size required)
    int channels;        // 1 or 3
    int skip_bad;
    int jpeg_quality;    // JPEG mode: quality of re-encoded PNGs
    int batch;           // images per rank per collective write
    const char* val_labels;    // label file of a flat val/ (NULL: <input>/val_labels.txt)
    const char* test_labels;
    const char* groups_file;   // "<file> <group id>" lines -> a groups dataset in every split (NULL: none)
} FolderPackOptions;

// Collective over comm (MPI_COMM_NULL: serial, no MPI).  Fills *report on every rank.
void pack_folder(const FolderPackOptions* o, MPI_Comm comm, PackReport* report);

// ---- listing (pack_folder_scan.c)
typedef struct {
    int64_t n;
    char* paths;          // NUL-terminated paths back to back
    int64_t paths_bytes;
    int64_t* path_at;     // [n] start of path i in paths
    int32_t* labels;      // [n]
    int32_t* groups;      // [n] when a groups file was given, else NULL
} FileList;

typedef struct {
    int num_classes;
    char** class_names;
    int has[3];           // train, val, test present
    int has_groups;
    int val_is_test;              // val/ was found without test/: it is packed as the test (evaluation) split
    char** class_descriptions;    // human-readable names (ImageNet words), or NULL when no source was found
    char descriptions_source[4096];
    FileList split[3];
} FolderListing;

// Rank 0 scans the tree (dying with a clear message on a bad layout) and broadcasts the listing.
void folder_list(const FolderPackOptions* o, MPI_Comm comm, FolderListing* out);
void folder_listing_free(FolderListing* l);
