// pack_folder_imagenet.c — ImageNet / Tiny-ImageNet label and class-name files (see pack_folder_imagenet.h).
#include "data/pack_folder_imagenet.h"

#include <ctype.h>
#include <libgen.h>
#include <matio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static const char* base_name(const char* path) {
    const char* s = strrchr(path, '/');
    return s ? s + 1 : path;
}

FlatLabelKind flat_label_kind(const char* path) {
    const char* b = base_name(path);
    if (!strcmp(b, "val_annotations.txt")) return LABELS_TINY;
    if (strstr(b, "ground_truth") && strstr(b, ".txt")) return LABELS_DEVKIT;
    FILE* f = fopen(path, "r");
    if (!f) return LABELS_PLAIN;   // the caller reports the missing file
    char line[64] = {0};
    if (!fgets(line, sizeof line, f)) line[0] = 0;
    fclose(f);
    return strncmp(line, "ImageId,PredictionString", 24) ? LABELS_PLAIN : LABELS_LOC_CSV;
}

char* imagenet_find_meta(const char* root, const char* gt_path) {
    char path[8192];
    if (gt_path) {
        char* dir = ug_strdup(gt_path);
        snprintf(path, sizeof path, "%s/meta.mat", dirname(dir));
        free(dir);
        if (ug_file_exists(path)) return ug_strdup(path);
    }
    snprintf(path, sizeof path, "%s/meta.mat", root);
    if (ug_file_exists(path)) return ug_strdup(path);
    snprintf(path, sizeof path, "%s/ILSVRC2012_devkit_t12/data/meta.mat", root);
    if (ug_file_exists(path)) return ug_strdup(path);
    return NULL;
}

void file_class_free(FileClass* e, int64_t n) {
    for (int64_t i = 0; i < n; i++) { free(e[i].file); free(e[i].cls); }
    free(e);
}

static void fc_add(FileClass** e, int64_t* n, int64_t* cap, const char* file, const char* cls) {
    if (*n == *cap) *e = ug_realloc(*e, (size_t)(*cap = *cap ? 2 * *cap : 1024) * sizeof **e);
    (*e)[*n].file = ug_strdup(file);
    (*e)[*n].cls = ug_strdup(cls);
    (*n)++;
}

// ---- meta.mat (libmatio) ----

typedef struct {
    int64_t n;
    int32_t* id;      // ILSVRC2012_ID
    char** wnid;
    char** words;
} Synsets;

// A MAT char array as a C string (1-byte or UTF-16 storage; non-ASCII UTF-16 becomes '?').
static char* mat_string(const matvar_t* v, const char* meta, const char* what, int64_t i) {
    if (!v || v->class_type != MAT_C_CHAR)
        ug_die("'%s': synsets(%lld).%s is missing or not text (is this the ILSVRC2012 devkit's meta.mat?)", meta,
               (long long)i + 1, what);
    size_t len = 1;
    for (int d = 0; d < v->rank; d++) len *= v->dims[d];
    if (!v->data) len = 0;
    char* s = ug_malloc(len + 1);
    size_t esz = Mat_SizeOf(v->data_type);
    for (size_t k = 0; k < len; k++) {
        uint32_t c = esz == 2 ? ((const uint16_t*)v->data)[k] : esz == 4 ? ((const uint32_t*)v->data)[k]
                                                                            : ((const uint8_t*)v->data)[k];
        s[k] = (char)(c < 128 || esz == 1 ? c : '?');
    }
    s[len] = 0;
    return s;
}

static int64_t mat_int(const matvar_t* v, const char* meta, int64_t i) {
    if (!v || !v->data || v->isComplex) ug_die("'%s': synsets(%lld).ILSVRC2012_ID is missing", meta, (long long)i + 1);
    switch (v->class_type) {
    case MAT_C_DOUBLE: return (int64_t)*(const double*)v->data;
    case MAT_C_SINGLE: return (int64_t)*(const float*)v->data;
    case MAT_C_INT8: return *(const int8_t*)v->data;
    case MAT_C_UINT8: return *(const uint8_t*)v->data;
    case MAT_C_INT16: return *(const int16_t*)v->data;
    case MAT_C_UINT16: return *(const uint16_t*)v->data;
    case MAT_C_INT32: return *(const int32_t*)v->data;
    case MAT_C_UINT32: return *(const uint32_t*)v->data;
    case MAT_C_INT64: return *(const int64_t*)v->data;
    case MAT_C_UINT64: return (int64_t) * (const uint64_t*)v->data;
    default: ug_die("'%s': synsets(%lld).ILSVRC2012_ID is not a number", meta, (long long)i + 1);
    }
}

static void read_synsets(const char* meta, Synsets* s) {
    mat_t* mat = Mat_Open(meta, MAT_ACC_RDONLY);
    if (!mat) ug_die("cannot open '%s' as a MAT file (libmatio); it should be the ILSVRC2012 devkit's data/meta.mat", meta);
    matvar_t* v = Mat_VarRead(mat, "synsets");
    if (!v || v->class_type != MAT_C_STRUCT)
        ug_die("'%s' has no struct array 'synsets' (expected the ILSVRC2012 devkit's data/meta.mat)", meta);
    int64_t n = 1;
    for (int d = 0; d < v->rank; d++) n *= (int64_t)v->dims[d];
    s->n = n;
    s->id = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof *s->id);
    s->wnid = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof *s->wnid);
    s->words = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof *s->words);
    for (int64_t i = 0; i < n; i++) {
        s->id[i] = (int32_t)mat_int(Mat_VarGetStructFieldByName(v, "ILSVRC2012_ID", (size_t)i), meta, i);
        s->wnid[i] = mat_string(Mat_VarGetStructFieldByName(v, "WNID", (size_t)i), meta, "WNID", i);
        matvar_t* w = Mat_VarGetStructFieldByName(v, "words", (size_t)i);
        s->words[i] = w ? mat_string(w, meta, "words", i) : ug_strdup("");
    }
    Mat_VarFree(v);
    if (Mat_Close(mat) != 0) ug_die("closing '%s' failed", meta);
}

static void synsets_free(Synsets* s) {
    for (int64_t i = 0; i < s->n; i++) { free(s->wnid[i]); free(s->words[i]); }
    free(s->id); free(s->wnid); free(s->words);
    memset(s, 0, sizeof *s);
}

// ---- label files ----

static char* trim(char* p) {
    while (isspace((unsigned char)*p)) p++;
    char* end = p + strlen(p);
    while (end > p && isspace((unsigned char)end[-1])) *--end = 0;
    return p;
}

FileClass* imagenet_read_devkit_gt(const char* gt_path, const char* meta_path, int64_t* n_out) {
    if (!meta_path)
        ug_die("'%s' needs the devkit's meta.mat (ILSVRC2012_ID -> wnid); none found beside it, in the dataset root or "
               "in <root>/ILSVRC2012_devkit_t12/data/ (extract ILSVRC2012_devkit_t12.tar.gz there)", gt_path);
    Synsets s = {0};
    read_synsets(meta_path, &s);
    // ILSVRC2012_ID -> index into synsets (IDs 1..1000 are the leaf classes)
    int32_t max_id = 0;
    for (int64_t i = 0; i < s.n; i++) if (s.id[i] > max_id) max_id = s.id[i];
    int64_t* by_id = ug_malloc((size_t)(max_id + 1) * sizeof *by_id);
    for (int32_t k = 0; k <= max_id; k++) by_id[k] = -1;
    for (int64_t i = 0; i < s.n; i++) if (s.id[i] >= 1) by_id[s.id[i]] = i;
    char* text = ug_read_file(gt_path, NULL);
    FileClass* e = NULL;
    int64_t n = 0, cap = 0, line_no = 0;
    char* save = NULL;
    for (char* line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char* p = trim(line);
        if (!*p) continue;   // strtok_r skips empty lines; a blank-looking line still counts as no image
        line_no++;
        char* end = NULL;
        long id = strtol(p, &end, 10);
        if (*end || id < 1 || id > max_id || by_id[id] < 0)
            ug_die("%s line %lld: '%s' is not an ILSVRC2012_ID of '%s' (1..%d)", gt_path, (long long)line_no, p, meta_path,
                   max_id);
        char file[64];
        snprintf(file, sizeof file, "ILSVRC2012_val_%08lld.JPEG", (long long)line_no);
        fc_add(&e, &n, &cap, file, s.wnid[by_id[id]]);
    }
    free(text);
    free(by_id);
    synsets_free(&s);
    *n_out = n;
    return e;
}

FileClass* imagenet_read_loc_csv(const char* path, int64_t* n_out) {
    char* text = ug_read_file(path, NULL);
    FileClass* e = NULL;
    int64_t n = 0, cap = 0, line_no = 0;
    char* save = NULL;
    for (char* line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char* p = trim(line);
        if (line_no == 1 || !*p) continue;   // header
        char* comma = strchr(p, ',');
        if (!comma) ug_die("%s line %lld: expected '<ImageId>,<wnid> x y x y ...', got '%s'", path, (long long)line_no, p);
        *comma = 0;
        char* wnid = trim(comma + 1);
        char* sp = wnid;
        while (*sp && !isspace((unsigned char)*sp)) sp++;
        *sp = 0;
        if (!*wnid) ug_die("%s line %lld: no class given for '%s'", path, (long long)line_no, p);
        fc_add(&e, &n, &cap, trim(p), wnid);
    }
    free(text);
    *n_out = n;
    return e;
}

FileClass* imagenet_read_tiny_annotations(const char* path, int64_t* n_out) {
    char* text = ug_read_file(path, NULL);
    FileClass* e = NULL;
    int64_t n = 0, cap = 0, line_no = 0;
    char* save = NULL;
    for (char* line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char* p = trim(line);
        if (!*p) continue;
        char* tok_save = NULL;
        char* file = strtok_r(p, " \t", &tok_save);
        char* wnid = strtok_r(NULL, " \t", &tok_save);
        if (!wnid) ug_die("%s line %lld: expected '<file>\\t<wnid>\\t<box>', got '%s'", path, (long long)line_no, p);
        fc_add(&e, &n, &cap, file, wnid);
    }
    free(text);
    *n_out = n;
    return e;
}

// ---- class names ----

// "<wnid><space or tab><words>" lines (LOC_synset_mapping.txt, words.txt) -> the words of each wanted wnid.
static int words_from_text(const char* path, char* const* wnids, int k, char** out) {
    char* text = ug_read_file(path, NULL);
    int found = 0;
    char* save = NULL;
    for (char* line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char* p = trim(line);
        char* sep = p;
        while (*sep && !isspace((unsigned char)*sep)) sep++;
        if (!*sep) continue;
        *sep = 0;
        char* words = trim(sep + 1);
        for (int c = 0; c < k; c++)   // k is at most a few thousand and the file is read once
            if (!out[c][0] && !strcmp(wnids[c], p)) { free(out[c]); out[c] = ug_strdup(words); found++; break; }
    }
    free(text);
    return found;
}

static int words_from_meta(const char* meta, char* const* wnids, int k, char** out) {
    Synsets s = {0};
    read_synsets(meta, &s);
    int found = 0;
    for (int c = 0; c < k; c++)
        for (int64_t i = 0; i < s.n; i++)
            if (!strcmp(s.wnid[i], wnids[c])) { free(out[c]); out[c] = ug_strdup(s.words[i]); found++; break; }
    synsets_free(&s);
    return found;
}

char** imagenet_class_descriptions(const char* root, char* const* wnids, int k, char* source_out, size_t cap) {
    char path[8192];
    const char* text_files[] = {"LOC_synset_mapping.txt", "words.txt"};
    char** out = ug_malloc((size_t)(k > 0 ? k : 1) * sizeof *out);
    for (int c = 0; c < k; c++) out[c] = ug_strdup("");
    for (int t = 0; t < 2; t++) {
        snprintf(path, sizeof path, "%s/%s", root, text_files[t]);
        if (ug_file_exists(path) && words_from_text(path, wnids, k, out) > 0) goto found;
    }
    const char* gts[] = {"ILSVRC2012_validation_ground_truth.txt", "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt"};
    for (int g = 0; g < 2; g++) {
        char gt[8192];
        snprintf(gt, sizeof gt, "%s/%s", root, gts[g]);
        char* meta = imagenet_find_meta(root, gt);
        if (meta) {
            snprintf(path, sizeof path, "%s", meta);
            int got = words_from_meta(meta, wnids, k, out);
            free(meta);
            if (got > 0) goto found;
        }
    }
    for (int c = 0; c < k; c++) free(out[c]);
    free(out);
    return NULL;
found:
    if (source_out) snprintf(source_out, cap, "%s", path);
    return out;
}
