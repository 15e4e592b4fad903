// pack_folder_scan.c — listing an image-folder tree: classes, files, flat val/test label files; broadcast.
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "data/pack_folder.h"
#include "data/pack_folder_imagenet.h"
#include "data/pack_writer.h"

static const char* const SPLIT_NAMES[3] = {"train", "val", "test"};

typedef struct {
    char** items;
    int64_t n, cap;
} Names;

static void names_add(Names* v, const char* s) {
    if (v->n == v->cap) {
        v->cap = v->cap ? 2 * v->cap : 64;
        v->items = ug_realloc(v->items, (size_t)v->cap * sizeof(char*));
    }
    v->items[v->n++] = ug_strdup(s);
}

static void names_free(Names* v) {
    for (int64_t i = 0; i < v->n; i++) free(v->items[i]);
    free(v->items);
    memset(v, 0, sizeof *v);
}

static int cmp_str(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static int is_dir(const char* path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// Lists the non-hidden entries of dir, sorted; dirs and files separately (stat follows symlinks).
static void list_dir(const char* dir, Names* dirs, Names* files) {
    DIR* d = opendir(dir);
    if (!d) ug_die("cannot open folder '%s': %s", dir, strerror(errno));
    struct dirent* e;
    char path[8192];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;   // ., .., and hidden files (.DS_Store, ...)
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) ug_die("cannot stat '%s': %s", path, strerror(errno));
        if (S_ISDIR(st.st_mode)) names_add(dirs, e->d_name);
        else names_add(files, e->d_name);
    }
    closedir(d);
    if (dirs->n > 1) qsort(dirs->items, (size_t)dirs->n, sizeof(char*), cmp_str);
    if (files->n > 1) qsort(files->items, (size_t)files->n, sizeof(char*), cmp_str);
}

static void list_add(FileList* l, int64_t* cap_n, int64_t* cap_b, const char* path, int32_t label) {
    if (l->n == *cap_n) {
        *cap_n = *cap_n ? 2 * *cap_n : 1024;
        l->path_at = ug_realloc(l->path_at, (size_t)*cap_n * sizeof(int64_t));
        l->labels = ug_realloc(l->labels, (size_t)*cap_n * sizeof(int32_t));
    }
    int64_t len = (int64_t)strlen(path) + 1;
    while (l->paths_bytes + len > *cap_b) {
        *cap_b = *cap_b ? 2 * *cap_b : 1 << 16;
        l->paths = ug_realloc(l->paths, (size_t)*cap_b);
    }
    memcpy(l->paths + l->paths_bytes, path, (size_t)len);
    l->path_at[l->n] = l->paths_bytes;
    l->labels[l->n] = label;
    l->paths_bytes += len;
    l->n++;
}

static int class_index(const FolderListing* l, const char* name) {
    char** hit = bsearch(&name, l->class_names, (size_t)l->num_classes, sizeof(char*), cmp_str);
    return hit ? (int)(hit - l->class_names) : -1;
}

// Adds the files of one class folder; an empty folder is an error (its class would have no samples).
static void add_class_folder(FileList* l, int64_t* cap_n, int64_t* cap_b, const char* root, const char* split,
                             const char* cls, int label) {
    char dir[8192], path[8192];
    snprintf(dir, sizeof dir, "%s/%s/%s", root, split, cls);
    Names dirs = {0}, files = {0};
    list_dir(dir, &dirs, &files);
    if (dirs.n == 1 && !strcmp(dirs.items[0], "images")) {   // Tiny-ImageNet: <class>/images/ + <class>_boxes.txt
        for (int64_t i = 0; i < files.n; i++)
            if (!strstr(files.items[i], ".txt"))
                ug_die("class folder '%s' has 'images/' and a file '%s' beside it (expected only *.txt there)", dir, files.items[i]);
        names_free(&dirs);
        names_free(&files);
        snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/images");
        list_dir(dir, &dirs, &files);
    }
    if (dirs.n > 0) ug_die("class folder '%s' contains a sub-folder '%s' (expected image files only)", dir, dirs.items[0]);
    if (files.n == 0) ug_die("class folder '%s' has no images (remove it or add images)", dir);
    for (int64_t i = 0; i < files.n; i++) {
        if (snprintf(path, sizeof path, "%s/%s", dir, files.items[i]) >= (int)sizeof path) ug_die("path too long: '%s/%s'", dir, files.items[i]);
        list_add(l, cap_n, cap_b, path, label);
    }
    names_free(&dirs);
    names_free(&files);
}

// Entries of a "<file> <value>" text file (label files of flat splits, the --groups file), sorted by name.
typedef struct { char* name; int32_t value; } NamedValue;

static int cmp_named(const void* a, const void* b) {
    return strcmp(((const NamedValue*)a)->name, ((const NamedValue*)b)->name);
}

// Turns the value text of one line into its number, or dies naming the file and line.
typedef int32_t (*ValueParser)(const char* path, long long line_no, const char* name, const char* value, const void* ctx);

// One "<file> <value>" per line (space, tab or comma between; blank lines and lines starting with # ignored).
// Dies on a malformed line or a file listed twice.
static NamedValue* read_name_value_file(const char* path, const char* what, ValueParser parse, const void* ctx,
                                        int64_t* n_out) {
    char* text = ug_read_file(path, NULL);
    int64_t n = 0, cap = 1024, line_no = 0;
    NamedValue* e = ug_malloc((size_t)cap * sizeof(NamedValue));
    char* save = NULL;
    for (char* line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char* p = line;
        while (isspace((unsigned char)*p)) p++;
        if (!*p || *p == '#') continue;
        char* name = p;
        while (*p && !isspace((unsigned char)*p) && *p != ',') p++;
        if (!*p) ug_die("%s line %lld: expected '<file> <%s>', got '%s'", path, (long long)line_no, what, name);
        *p++ = 0;
        while (isspace((unsigned char)*p) || *p == ',') p++;
        char* end = p + strlen(p);
        while (end > p && isspace((unsigned char)end[-1])) *--end = 0;
        if (!*p) ug_die("%s line %lld: no %s given for '%s'", path, (long long)line_no, what, name);
        if (n == cap) e = ug_realloc(e, (size_t)(cap *= 2) * sizeof(NamedValue));
        e[n].value = parse(path, line_no, name, p, ctx);
        e[n].name = ug_strdup(name);
        n++;
    }
    free(text);
    if (n > 1) qsort(e, (size_t)n, sizeof(NamedValue), cmp_named);
    for (int64_t i = 1; i < n; i++)
        if (!strcmp(e[i].name, e[i - 1].name)) ug_die("%s: file '%s' is listed twice", path, e[i].name);
    *n_out = n;
    return e;
}

static void free_named(NamedValue* e, int64_t n) {
    for (int64_t i = 0; i < n; i++) free(e[i].name);
    free(e);
}

// Label of a flat split: a class folder name of train/ or an index.
static int32_t parse_label(const char* path, long long line_no, const char* name, const char* cls, const void* ctx) {
    const FolderListing* l = ctx;
    (void)name;
    int label = class_index(l, cls);
    if (label >= 0) return label;
    char* num_end = NULL;
    long v = strtol(cls, &num_end, 10);
    if (*num_end || v < 0 || v >= l->num_classes)
        ug_die("%s line %lld: '%s' is neither a class folder name of train/ nor an index 0..%d", path, line_no, cls,
               l->num_classes - 1);
    return (int32_t)v;
}

// Groups file (--groups): the file named by its path below the split folder ("cat/0001.jpg", "0001.jpg" when
// flat) or by its bare name (as CelebA's identity_CelebA.txt does), then an integer id >= 0.
static int32_t parse_group(const char* path, long long line_no, const char* name, const char* value, const void* ctx) {
    (void)ctx;
    char* end = NULL;
    long v = strtol(value, &end, 10);
    if (end == value || *end || v < 0 || v > 2147483647L)
        ug_die("%s line %lld: group id '%s' of '%s' is not an integer >= 0", path, line_no, value, name);
    return (int32_t)v;
}

// Gives every listed file of one split its group id (by relative path, else by bare name).
static void assign_groups(const FolderPackOptions* o, FileList* fl, const char* split, const NamedValue* e, int64_t ne) {
    fl->groups = ug_malloc((size_t)(fl->n > 0 ? fl->n : 1) * sizeof(int32_t));
    size_t skip = strlen(o->input) + 1 + strlen(split) + 1;   // "<input>/<split>/"
    for (int64_t i = 0; i < fl->n; i++) {
        const char* full = fl->paths + fl->path_at[i];
        const char* rel = full + skip;
        const char* base = strrchr(full, '/') ? strrchr(full, '/') + 1 : full;
        NamedValue key = {(char*)rel, 0};
        const NamedValue* hit = ne ? bsearch(&key, e, (size_t)ne, sizeof(NamedValue), cmp_named) : NULL;
        if (!hit && ne) {
            key.name = (char*)base;
            hit = bsearch(&key, e, (size_t)ne, sizeof(NamedValue), cmp_named);
        }
        if (!hit) ug_die("'%s' has no group id in '%s' (every image needs one)", full, o->groups_file);
        fl->groups[i] = hit->value;
    }
}

// Reads the labels of a flat split in any supported form (docs/DATA.md) as NamedValue entries sorted by name.
static NamedValue* read_flat_labels(const FolderPackOptions* o, const FolderListing* l, const char* label_path,
                                    int64_t* ne) {
    FlatLabelKind kind = flat_label_kind(label_path);
    if (kind == LABELS_PLAIN) return read_name_value_file(label_path, "class", parse_label, l, ne);
    int64_t n = 0;
    FileClass* fc = NULL;
    char* meta = NULL;
    if (kind == LABELS_DEVKIT) {
        meta = imagenet_find_meta(o->input, label_path);
        fc = imagenet_read_devkit_gt(label_path, meta, &n);
    } else if (kind == LABELS_LOC_CSV) {
        fc = imagenet_read_loc_csv(label_path, &n);
    } else {
        fc = imagenet_read_tiny_annotations(label_path, &n);
    }
    NamedValue* e = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof *e);
    for (int64_t i = 0; i < n; i++) {
        int label = class_index(l, fc[i].cls);
        if (label < 0)
            ug_die("%s: '%s' is labelled '%s'%s%s, which is not a class folder of train/", label_path, fc[i].file, fc[i].cls,
                   meta ? " via " : "", meta ? meta : "");
        e[i].name = fc[i].file;
        e[i].value = label;
        free(fc[i].cls);
    }
    free(fc);
    free(meta);
    if (n > 1) qsort(e, (size_t)n, sizeof(NamedValue), cmp_named);
    for (int64_t i = 1; i < n; i++)
        if (!strcmp(e[i].name, e[i - 1].name)) ug_die("%s: file '%s' is listed twice", label_path, e[i].name);
    *ne = n;
    return e;
}

// The label file of a flat split: --val-labels / --test-labels, else the first that exists of
// <root>/<split>_labels.txt and (val) ImageNet's and Tiny-ImageNet's own files.  NULL when none exists;
// `tried` lists what was looked for.
static char* find_flat_labels(const FolderPackOptions* o, int s, char* tried, size_t cap) {
    const char* given = s == 1 ? o->val_labels : o->test_labels;
    if (given) { snprintf(tried, cap, "%s", given); return ug_file_exists(given) ? ug_strdup(given) : NULL; }
    const char* val_candidates[] = {"val_labels.txt", "LOC_val_solutions.csv", "ILSVRC2012_validation_ground_truth.txt",
                                    "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt",
                                    "val/val_annotations.txt"};
    const char* test_candidates[] = {"test_labels.txt"};
    const char* const* c = s == 1 ? val_candidates : test_candidates;
    int nc = s == 1 ? 5 : 1;
    tried[0] = 0;
    char path[8192];
    for (int k = 0; k < nc; k++) {
        snprintf(path, sizeof path, "%s/%s", o->input, c[k]);
        size_t used = strlen(tried);
        snprintf(tried + used, cap - used, "%s'%s'", k ? ", " : "", path);
        if (ug_file_exists(path)) return ug_strdup(path);
    }
    return NULL;
}

// Looks a file up by its name, then by its name without the extension (LOC_val_solutions.csv names images
// without ".JPEG").
static NamedValue* find_label(NamedValue* e, int64_t ne, const char* file) {
    NamedValue key = {(char*)file, 0};
    NamedValue* hit = bsearch(&key, e, (size_t)ne, sizeof(NamedValue), cmp_named);
    if (hit) return hit;
    char stem[4096];
    snprintf(stem, sizeof stem, "%s", file);
    char* dot = strrchr(stem, '.');
    if (!dot) return NULL;
    *dot = 0;
    key.name = stem;
    return bsearch(&key, e, (size_t)ne, sizeof(NamedValue), cmp_named);
}

// Returns 0 when the split was skipped (Tiny-ImageNet's unlabelled test/images/).
static int scan_split(const FolderPackOptions* o, FolderListing* l, int s) {
    const char* split = SPLIT_NAMES[s];
    char dir[8192], path[8192];
    snprintf(dir, sizeof dir, "%s/%s", o->input, split);
    FileList* fl = &l->split[s];
    int64_t cap_n = 0, cap_b = 0;
    Names dirs = {0}, files = {0};
    list_dir(dir, &dirs, &files);
    if (s == 0) {   // train defines the classes
        if (dirs.n == 0) ug_die("'%s' has no class folders (image-folder layout: train/<class>/<images>)", dir);
        if (files.n > 0) ug_die("'%s' holds a file '%s' beside the class folders (expected class folders only)", dir, files.items[0]);
        if (dirs.n > DATASET_MAX_CLASSES) ug_die("'%s' has %lld class folders; at most %d are supported", dir, (long long)dirs.n, DATASET_MAX_CLASSES);
        l->num_classes = (int)dirs.n;
        l->class_names = ug_malloc((size_t)dirs.n * sizeof(char*));
        for (int64_t k = 0; k < dirs.n; k++) l->class_names[k] = ug_strdup(dirs.items[k]);
        for (int k = 0; k < l->num_classes; k++) add_class_folder(fl, &cap_n, &cap_b, o->input, split, l->class_names[k], k);
        names_free(&dirs);
        names_free(&files);
        return 1;
    }
    // Tiny-ImageNet: <split>/images/ (+ val_annotations.txt beside it) is a flat split
    int images_sub = dirs.n == 1 && !strcmp(dirs.items[0], "images") && class_index(l, "images") < 0;
    if (dirs.n > 0 && !images_sub) {   // val/test as class folders (a subset of train's classes)
        if (files.n > 0) ug_die("'%s' mixes class folders and files ('%s'); use one layout", dir, files.items[0]);
        for (int64_t k = 0; k < dirs.n; k++) {
            int label = class_index(l, dirs.items[k]);
            if (label < 0) ug_die("'%s/%s' is not a class of train/ (class folders of %s/ must also exist in train/)", dir, dirs.items[k], split);
            add_class_folder(fl, &cap_n, &cap_b, o->input, split, dirs.items[k], label);
        }
        names_free(&dirs);
        names_free(&files);
        return 1;
    }
    // flat: labels from a file
    char tried[16384];
    char* label_path = find_flat_labels(o, s, tried, sizeof tried);
    if (images_sub) {
        names_free(&dirs);
        names_free(&files);
        snprintf(dir + strlen(dir), sizeof dir - strlen(dir), "/images");
        list_dir(dir, &dirs, &files);
        if (!label_path && s == 2 && !o->test_labels) {   // Tiny-ImageNet ships test/ without labels
            ug_warn("'%s' has no labels (Tiny-ImageNet's test set is unlabelled): test/ is not packed", dir);
            names_free(&dirs);
            names_free(&files);
            return 0;
        }
    }
    if (files.n == 0) ug_die("'%s' is empty (remove it, or add class folders or images)", dir);
    if (!label_path)
        ug_die("'%s' has no class folders and no label file (looked for %s); give it with --%s-labels FILE", dir, tried, split);
    int64_t ne = 0;
    NamedValue* e = read_flat_labels(o, l, label_path, &ne);
    int64_t used = 0;
    for (int64_t i = 0; i < files.n; i++) {
        NamedValue* hit = find_label(e, ne, files.items[i]);
        if (!hit) ug_die("'%s/%s' has no label in '%s'", dir, files.items[i], label_path);
        if (snprintf(path, sizeof path, "%s/%s", dir, files.items[i]) >= (int)sizeof path) ug_die("path too long: '%s/%s'", dir, files.items[i]);
        list_add(fl, &cap_n, &cap_b, path, hit->value);
        used++;
    }
    if (ne != used) ug_warn("'%s' lists %lld files but '%s' holds %lld; the extra labels are ignored", label_path,
                            (long long)ne, dir, (long long)used);
    free_named(e, ne);
    free(label_path);
    names_free(&dirs);
    names_free(&files);
    return 1;
}

// k strings from rank 0 to all (allocated on the other ranks), as one NUL-separated buffer.
static void bcast_strings(MPI_Comm comm, int rank, char*** strs, int k) {
    int64_t bytes = 0;
    char* buf = NULL;
    if (rank == 0) {
        for (int c = 0; c < k; c++) bytes += (int64_t)strlen((*strs)[c]) + 1;
        buf = ug_malloc((size_t)(bytes > 0 ? bytes : 1));
        int64_t at = 0;
        for (int c = 0; c < k; c++) {
            size_t len = strlen((*strs)[c]) + 1;
            memcpy(buf + at, (*strs)[c], len);
            at += (int64_t)len;
        }
    }
    par_bcast(comm, &bytes, sizeof bytes, 0);
    if (rank != 0) buf = ug_malloc((size_t)(bytes > 0 ? bytes : 1));
    par_bcast(comm, buf, bytes, 0);
    if (rank != 0) {
        *strs = ug_malloc((size_t)(k > 0 ? k : 1) * sizeof(char*));
        int64_t at = 0;
        for (int c = 0; c < k; c++) {
            (*strs)[c] = ug_strdup(buf + at);
            at += (int64_t)strlen(buf + at) + 1;
        }
    }
    free(buf);
}

static void bcast_list(MPI_Comm comm, int rank, FileList* fl, int has_groups) {
    int64_t sizes[2] = {fl->n, fl->paths_bytes};
    par_bcast(comm, sizes, sizeof sizes, 0);
    if (rank != 0) {
        fl->n = sizes[0];
        fl->paths_bytes = sizes[1];
        fl->paths = ug_malloc((size_t)(fl->paths_bytes > 0 ? fl->paths_bytes : 1));
        fl->path_at = ug_malloc((size_t)(fl->n > 0 ? fl->n : 1) * sizeof(int64_t));
        fl->labels = ug_malloc((size_t)(fl->n > 0 ? fl->n : 1) * sizeof(int32_t));
    }
    par_bcast(comm, fl->paths, fl->paths_bytes, 0);
    par_bcast(comm, fl->path_at, fl->n * (int64_t)sizeof(int64_t), 0);
    par_bcast(comm, fl->labels, fl->n * (int64_t)sizeof(int32_t), 0);
    if (has_groups) {
        if (rank != 0) fl->groups = ug_malloc((size_t)(fl->n > 0 ? fl->n : 1) * sizeof(int32_t));
        par_bcast(comm, fl->groups, fl->n * (int64_t)sizeof(int32_t), 0);
    }
}

void folder_list(const FolderPackOptions* o, MPI_Comm comm, FolderListing* out) {
    memset(out, 0, sizeof *out);
    int rank = 0;
    if (comm != MPI_COMM_NULL) MPI_CHECK(MPI_Comm_rank(comm, &rank));
    if (rank == 0) {
        if (!is_dir(o->input)) ug_die("image folder '%s' not found (expected <input>/train/<class>/<images>)", o->input);
        for (int s = 0; s < 3; s++) {
            char dir[8192];
            snprintf(dir, sizeof dir, "%s/%s", o->input, SPLIT_NAMES[s]);
            out->has[s] = is_dir(dir);
            if (s == 0 && !out->has[0]) ug_die("'%s' not found (image-folder layout: <input>/train/<class>/<images>)", dir);
            if (out->has[s]) out->has[s] = scan_split(o, out, s);
        }
        // the evaluation split is `test` (TA and MIA read it): ImageNet's validation set is its test set
        if (out->has[1] && !out->has[2]) {
            out->split[2] = out->split[1];
            memset(&out->split[1], 0, sizeof out->split[1]);
            out->has[1] = 0;
            out->has[2] = 1;
            out->val_is_test = 1;
        }
        out->class_descriptions = imagenet_class_descriptions(o->input, out->class_names, out->num_classes,
                                                              out->descriptions_source, sizeof out->descriptions_source);
        if (o->groups_file) {
            if (!ug_file_exists(o->groups_file)) ug_die("groups file '%s' not found", o->groups_file);
            int64_t ne = 0;
            NamedValue* e = read_name_value_file(o->groups_file, "group id", parse_group, NULL, &ne);
            for (int s = 0; s < 3; s++)
                if (out->has[s]) assign_groups(o, &out->split[s], SPLIT_NAMES[s], e, ne);
            free_named(e, ne);
            out->has_groups = 1;
        }
    }
    // class names as one NUL-separated buffer
    int64_t hdr[7] = {out->num_classes, out->has[0], out->has[1], out->has[2], out->has_groups, out->val_is_test,
                      out->class_descriptions != NULL};
    par_bcast(comm, hdr, sizeof hdr, 0);
    int64_t names_bytes = 0;
    char* names = NULL;
    if (rank == 0) {
        for (int k = 0; k < out->num_classes; k++) names_bytes += (int64_t)strlen(out->class_names[k]) + 1;
        names = ug_malloc((size_t)names_bytes);
        int64_t at = 0;
        for (int k = 0; k < out->num_classes; k++) {
            size_t len = strlen(out->class_names[k]) + 1;
            memcpy(names + at, out->class_names[k], len);
            at += (int64_t)len;
        }
    }
    par_bcast(comm, &names_bytes, sizeof names_bytes, 0);
    if (rank != 0) {
        names = ug_malloc((size_t)names_bytes);
        out->num_classes = (int)hdr[0];
        for (int s = 0; s < 3; s++) out->has[s] = (int)hdr[1 + s];
        out->has_groups = (int)hdr[4];
        out->val_is_test = (int)hdr[5];
    }
    par_bcast(comm, names, names_bytes, 0);
    if (rank != 0) {
        out->class_names = ug_malloc((size_t)out->num_classes * sizeof(char*));
        int64_t at = 0;
        for (int k = 0; k < out->num_classes; k++) {
            out->class_names[k] = ug_strdup(names + at);
            at += (int64_t)strlen(names + at) + 1;
        }
    }
    free(names);
    if (hdr[6]) bcast_strings(comm, rank, &out->class_descriptions, out->num_classes);
    par_bcast(comm, out->descriptions_source, sizeof out->descriptions_source, 0);
    for (int s = 0; s < 3; s++)
        if (out->has[s]) bcast_list(comm, rank, &out->split[s], out->has_groups);
}

void folder_listing_free(FolderListing* l) {
    for (int k = 0; k < l->num_classes; k++) free(l->class_names[k]);
    free(l->class_names);
    if (l->class_descriptions)
        for (int k = 0; k < l->num_classes; k++) free(l->class_descriptions[k]);
    free(l->class_descriptions);
    for (int s = 0; s < 3; s++) {
        free(l->split[s].paths);
        free(l->split[s].path_at);
        free(l->split[s].labels);
        free(l->split[s].groups);
    }
    memset(l, 0, sizeof *l);
}
