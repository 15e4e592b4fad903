// pack_folder_imagenet.h — the label and class-name files ImageNet and Tiny-ImageNet are distributed with.
//
// Flat validation folders (docs/DATA.md, docs/IMAGENET.md):
//   ILSVRC2012_validation_ground_truth.txt  one ILSVRC2012_ID (1..1000) per line, line i labels
//                                            ILSVRC2012_val_%08d.JPEG; the ID -> wnid mapping is in the devkit's
//                                            meta.mat (struct array `synsets`: ILSVRC2012_ID, WNID, words), read
//                                            with libmatio.  The IDs are NOT in sorted-wnid order.
//   LOC_val_solutions.csv                    Kaggle's form: "ImageId,PredictionString" header, then
//                                            "<image id>,<wnid> x y x y [<wnid> x y x y ...]" (first wnid = label)
//   val_annotations.txt                      Tiny-ImageNet: "<file>\t<wnid>\tx\ty\tw\th"
// Class names (human-readable): meta.mat `words`, LOC_synset_mapping.txt ("<wnid> <words>"), Tiny-ImageNet's
// words.txt ("<wnid>\t<words>", all of WordNet).
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum { LABELS_PLAIN = 0, LABELS_DEVKIT = 1, LABELS_LOC_CSV = 2, LABELS_TINY = 3 } FlatLabelKind;

// One labelled file: its name as listed in the label file and its class (wnid) name.
typedef struct {
    char* file;
    char* cls;
} FileClass;

// Which reader a label file needs: by its name (…ground_truth….txt, val_annotations.txt) or its first line
// (ImageId,PredictionString).
FlatLabelKind flat_label_kind(const char* path);

// The devkit's meta.mat for a ground-truth file: beside it, else <root>/meta.mat, else
// <root>/ILSVRC2012_devkit_t12/data/meta.mat.  Returns a malloc'd path or NULL.
char* imagenet_find_meta(const char* root, const char* gt_path);

// Readers; each dies with a message naming the file on bad content.  Return n entries (free with
// file_class_free).  The devkit reader needs meta_path (dies when NULL, saying where it looked).
FileClass* imagenet_read_devkit_gt(const char* gt_path, const char* meta_path, int64_t* n);
FileClass* imagenet_read_loc_csv(const char* path, int64_t* n);
FileClass* imagenet_read_tiny_annotations(const char* path, int64_t* n);
void file_class_free(FileClass* e, int64_t n);

// Human-readable names of the classes `wnids[0..k)` from the first source found under root (meta.mat beside
// a ground truth, <root>/LOC_synset_mapping.txt, <root>/words.txt, <root>/meta.mat, the devkit's meta.mat).
// Returns k malloc'd strings ("" for a wnid the source lacks) or NULL when no source exists; *source_out
// (may be NULL) gets the file used.
char** imagenet_class_descriptions(const char* root, char* const* wnids, int k, char* source_out, size_t cap);
