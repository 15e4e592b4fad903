// test_pack_imagenet.c — ImageNet and Tiny-ImageNet as distributed: a flat val/ labelled by the devkit's
// ground truth + meta.mat (written here with libmatio; its ILSVRC2012_IDs deliberately NOT in sorted-wnid
// order), by LOC_val_solutions.csv, or by Tiny-ImageNet's val_annotations.txt; class index = sorted wnid order;
// val packed as the test split; class descriptions stored; the odd files (CMYK JPEG, greyscale JPEG, a PNG
// named .JPEG) packed in both modes; and the errors (no meta.mat, a wnid that train lacks).
#include <hdf5.h>
#include <matio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "common/util.h"
#include "data/dataset.h"
#include "data/image_codec.h"
#include "data/pack_folder.h"
#include "data/pack_folder_imagenet.h"
#include "harness.h"

#define dies_with th_dies_with

static char tmpdir[256];
static ImageCodec* codec;

// Sorted wnids = labels 0, 1, 2.  The devkit numbers them 3, 1, 2 (ILSVRC2012_ID order differs).
static const char* WNIDS[3] = {"n01000001", "n01000002", "n01000003"};
static const char* WORDS[3] = {"tench, Tinca tinca", "goldfish", "great white shark"};
static const int DEVKIT_ID[3] = {3, 1, 2};
// Validation images 1..6 and their true labels (sorted-wnid index).
static const int VAL_LABEL[6] = {2, 0, 1, 1, 0, 2};

static void write_file(const char* path, const void* data, size_t n) {
    FILE* f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) { fprintf(stderr, "cannot write %s\n", path); exit(2); }
}

static void pixels(uint8_t* px, int h, int w, int c, int seed) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int ch = 0; ch < c; ch++) px[((size_t)y * w + x) * c + ch] = (uint8_t)(20 + seed * 9 + 2 * x + 3 * y + 30 * ch);
}

// kind: 0 RGB JPEG, 1 grey JPEG, 2 CMYK JPEG, 3 PNG (whatever the name says)
static void write_image(const char* path, int h, int w, int seed, int kind) {
    int c = kind == 1 ? 1 : kind == 2 ? 4 : 3;
    uint8_t* px = malloc((size_t)h * w * c);
    pixels(px, h, w, c, seed);
    uint8_t* enc = NULL;
    size_t n = 0;
    char err[256];
    if (kind == 2) {
        tjhandle tj = tjInitCompress();
        unsigned long size = 0;
        unsigned char* jpg = NULL;
        if (!tj || tjCompress2(tj, px, w, 0, h, TJPF_CMYK, &jpg, &size, TJSAMP_444, 90, 0) != 0) {
            fprintf(stderr, "CMYK encode: %s\n", tjGetErrorStr2(tj));
            exit(2);
        }
        write_file(path, jpg, size);
        tjFree(jpg);
        tjDestroy(tj);
    } else {
        int rc = kind == 3 ? image_encode_png(px, h, w, c, &enc, &n, err, sizeof err)
                           : image_encode_jpeg(codec, px, h, w, c, 90, &enc, &n, err, sizeof err);
        if (rc != 0) { fprintf(stderr, "encode: %s\n", err); exit(2); }
        write_file(path, enc, n);
        free(enc);
    }
    free(px);
}

static void mkdirf(const char* fmt, const char* a, const char* b) {
    char p[2048];
    snprintf(p, sizeof p, fmt, a, b);
    mkdir(p, 0775);
}

// A devkit-style meta.mat: struct array synsets(n,1) with ILSVRC2012_ID (double), WNID, words (char).
// Entry 4 is a non-leaf synset (ID 4, wnid not in train), as the real file has 1,860 entries.
static void write_meta_mat(const char* path) {
    mat_t* mat = Mat_CreateVer(path, NULL, MAT_FT_MAT5);
    UG_CHECK(mat != NULL, "cannot create %s", path);
    const char* fields[3] = {"ILSVRC2012_ID", "WNID", "words"};
    size_t dims[2] = {4, 1};
    matvar_t* s = Mat_VarCreateStruct("synsets", 2, dims, fields, 3);
    UG_CHECK(s != NULL, "Mat_VarCreateStruct");
    for (int i = 0; i < 4; i++) {
        int cls = -1;   // entry i has ID i+1: the class whose DEVKIT_ID that is
        for (int c = 0; c < 3; c++) if (DEVKIT_ID[c] == i + 1) cls = c;
        double id = i + 1;
        const char* wnid = cls >= 0 ? WNIDS[cls] : "n09999999";
        const char* words = cls >= 0 ? WORDS[cls] : "entity";
        size_t d1[2] = {1, 1}, dw[2] = {1, strlen(wnid)}, dd[2] = {1, strlen(words)};
        Mat_VarSetStructFieldByName(s, "ILSVRC2012_ID", (size_t)i, Mat_VarCreate(NULL, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d1, &id, 0));
        Mat_VarSetStructFieldByName(s, "WNID", (size_t)i, Mat_VarCreate(NULL, MAT_C_CHAR, MAT_T_UINT8, 2, dw, (void*)wnid, 0));
        Mat_VarSetStructFieldByName(s, "words", (size_t)i, Mat_VarCreate(NULL, MAT_C_CHAR, MAT_T_UINT8, 2, dd, (void*)words, 0));
    }
    UG_CHECK(Mat_VarWrite(mat, s, MAT_COMPRESSION_NONE) == 0, "Mat_VarWrite");
    Mat_VarFree(s);
    Mat_Close(mat);
}

// ImageNet layout: train/<wnid>/ (3 classes x 3 images incl. the odd files), flat val/ of 6 images.
static void make_imagenet_tree(const char* root, int labels /* 0 devkit, 1 LOC csv */) {
    char p[4200];
    mkdir(root, 0775);
    mkdirf("%s/%s", root, "train");
    mkdirf("%s/%s", root, "val");
    for (int c = 0; c < 3; c++) {
        mkdirf("%s/train/%s", root, WNIDS[c]);
        for (int i = 0; i < 3; i++) {
            snprintf(p, sizeof p, "%s/train/%s/%s_%d.JPEG", root, WNIDS[c], WNIDS[c], i);
            int kind = c == 0 && i == 1 ? 2 : c == 1 && i == 2 ? 1 : c == 2 && i == 0 ? 3 : 0;   // CMYK, grey, PNG
            write_image(p, 30 + 7 * i, 40 + 5 * c, 3 * c + i, kind);
        }
    }
    for (int v = 0; v < 6; v++) {
        snprintf(p, sizeof p, "%s/val/ILSVRC2012_val_%08d.JPEG", root, v + 1);
        write_image(p, 36, 48, 50 + v, 0);
    }
    if (labels == 0) {
        char dk[4096];
        snprintf(dk, sizeof dk, "%s/ILSVRC2012_devkit_t12", root);
        mkdir(dk, 0775);
        snprintf(dk, sizeof dk, "%s/ILSVRC2012_devkit_t12/data", root);
        mkdir(dk, 0775);
        FILE* f = fopen((snprintf(p, sizeof p, "%s/ILSVRC2012_validation_ground_truth.txt", dk), p), "w");
        for (int v = 0; v < 6; v++) fprintf(f, "%d\n", DEVKIT_ID[VAL_LABEL[v]]);
        fclose(f);
        snprintf(p, sizeof p, "%s/meta.mat", dk);
        write_meta_mat(p);
    } else {
        FILE* f = fopen((snprintf(p, sizeof p, "%s/LOC_val_solutions.csv", root), p), "w");
        fprintf(f, "ImageId,PredictionString\n");
        for (int v = 5; v >= 0; v--)   // any order; ids without extension; several boxes per line
            fprintf(f, "ILSVRC2012_val_%08d,%s 1 2 30 40 %s 3 4 20 20 \n", v + 1, WNIDS[VAL_LABEL[v]], WNIDS[VAL_LABEL[v]]);
        fclose(f);
        f = fopen((snprintf(p, sizeof p, "%s/LOC_synset_mapping.txt", root), p), "w");
        for (int c = 2; c >= 0; c--) fprintf(f, "%s %s\n", WNIDS[c], WORDS[c]);
        fclose(f);
    }
}

static char** read_strings_attr(const char* path, const char* name, int n) {
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0 || H5Aexists(f, name) <= 0) { if (f >= 0) H5Fclose(f); return NULL; }
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a);
    size_t len = H5Tget_size(t);
    char* buf = calloc((size_t)n, len);
    H5Aread(a, t, buf);
    char** out = calloc((size_t)n, sizeof *out);
    for (int k = 0; k < n; k++) { out[k] = calloc(len + 1, 1); memcpy(out[k], buf + (size_t)k * len, len); }
    free(buf);
    H5Tclose(t);
    H5Aclose(a);
    H5Fclose(f);
    return out;
}

// The packed file: sorted-wnid classes, no val split, test = the 6 val images with their true labels.
static void check_packed(const char* out, DatasetMode mode, int val_files_sorted_desc) {
    Dataset ds;
    dataset_open(&ds, out, MPI_COMM_NULL);
    CHECK_EQ_INT(ds.info.num_classes, 3);
    CHECK_EQ_INT(ds.info.mode, mode);
    for (int c = 0; c < 3; c++) CHECK(!strcmp(ds.info.class_names[c], WNIDS[c]), "class %d is %s", c, ds.info.class_names[c]);
    CHECK(!dataset_has_split(&ds, "val"), "val/ must become the test split, not stay val");
    DatasetSplit sp;
    dataset_split_open(&ds, "test", &sp);
    CHECK_EQ_INT(sp.n, 6);
    for (int v = 0; v < 6 && v < sp.n; v++) CHECK(sp.labels[v] == VAL_LABEL[v], "val %d label %d, expected %d", v + 1, sp.labels[v], VAL_LABEL[v]);
    dataset_split_close(&sp);
    dataset_split_open(&ds, "train", &sp);
    CHECK_EQ_INT(sp.n, 9);
    for (int i = 0; i < sp.n; i++) CHECK_EQ_INT(sp.labels[i], i / 3);
    dataset_split_close(&sp);
    dataset_close(&ds);
    (void)val_files_sorted_desc;
    char** words = read_strings_attr(out, "class_descriptions", 3);
    CHECK(words != NULL, "%s has no class_descriptions attribute", out);
    for (int c = 0; words && c < 3; c++) {
        CHECK(!strcmp(words[c], WORDS[c]), "class %d described as '%s', expected '%s'", c, words[c], WORDS[c]);
        free(words[c]);
    }
    free(words);
}

static PackReport pack(const char* root, const char* out, DatasetMode mode) {
    FolderPackOptions o = {.input = root, .output = out, .mode = mode, .channels = 3, .jpeg_quality = 95, .batch = 4,
                           .resize = mode == DS_DECODED ? 24 : 0};
    PackReport r;
    pack_folder(&o, MPI_COMM_NULL, &r);
    return r;
}

static void test_devkit(void) {
    char root[512], out[600];
    snprintf(root, sizeof root, "%s/devkit", tmpdir);
    make_imagenet_tree(root, 0);
    for (int m = 0; m < 2; m++) {
        snprintf(out, sizeof out, "%s/devkit_%d.h5", tmpdir, m);
        PackReport r = pack(root, out, m ? DS_JPEG : DS_DECODED);
        CHECK_EQ_INT(r.n_train, 9);
        CHECK_EQ_INT(r.n_val, 0);
        CHECK_EQ_INT(r.n_test, 6);
        CHECK_EQ_INT(r.reencoded, m ? 1 : 0);   // the PNG named .JPEG
        check_packed(out, m ? DS_JPEG : DS_DECODED, 0);
    }
}

static void test_loc_csv(void) {
    char root[512], out[600];
    snprintf(root, sizeof root, "%s/loc", tmpdir);
    make_imagenet_tree(root, 1);
    snprintf(out, sizeof out, "%s/loc.h5", tmpdir);
    PackReport r = pack(root, out, DS_JPEG);
    CHECK_EQ_INT(r.n_test, 6);
    check_packed(out, DS_JPEG, 1);
}

static void test_label_kind(void) {
    char p[600];
    CHECK_EQ_INT(flat_label_kind("/x/ILSVRC2012_validation_ground_truth.txt"), LABELS_DEVKIT);
    CHECK_EQ_INT(flat_label_kind("/x/val/val_annotations.txt"), LABELS_TINY);
    snprintf(p, sizeof p, "%s/plain.txt", tmpdir);
    write_file(p, "a.jpg cat\n", 10);
    CHECK_EQ_INT(flat_label_kind(p), LABELS_PLAIN);
    snprintf(p, sizeof p, "%s/sol.csv", tmpdir);
    write_file(p, "ImageId,PredictionString\n", 25);
    CHECK_EQ_INT(flat_label_kind(p), LABELS_LOC_CSV);
}

// Tiny-ImageNet: train/<wnid>/images/*.JPEG + <wnid>_boxes.txt, val/images/ + val/val_annotations.txt,
// test/images/ without labels (skipped), words.txt with more wnids than the dataset uses.
static void test_tiny(void) {
    char root[512], p[2048], out[600];
    snprintf(root, sizeof root, "%s/tiny", tmpdir);
    mkdir(root, 0775);
    mkdirf("%s/%s", root, "train");
    mkdirf("%s/%s", root, "val");
    mkdirf("%s/%s", root, "val/images");
    mkdirf("%s/%s", root, "test");
    mkdirf("%s/%s", root, "test/images");
    for (int c = 0; c < 3; c++) {
        mkdirf("%s/train/%s", root, WNIDS[c]);
        mkdirf("%s/train/%s/images", root, WNIDS[c]);
        snprintf(p, sizeof p, "%s/train/%s/%s_boxes.txt", root, WNIDS[c], WNIDS[c]);
        write_file(p, "x\t0\t0\t1\t1\n", 10);
        for (int i = 0; i < 2; i++) {
            snprintf(p, sizeof p, "%s/train/%s/images/%s_%d.JPEG", root, WNIDS[c], WNIDS[c], i);
            write_image(p, 64, 64, c * 2 + i, 0);
        }
    }
    FILE* f = fopen((snprintf(p, sizeof p, "%s/val/val_annotations.txt", root), p), "w");
    for (int v = 0; v < 6; v++) {
        fprintf(f, "val_%d.JPEG\t%s\t0\t32\t44\t62\n", v, WNIDS[VAL_LABEL[v]]);
        snprintf(p, sizeof p, "%s/val/images/val_%d.JPEG", root, v);
        write_image(p, 64, 64, 40 + v, 0);
    }
    fclose(f);
    snprintf(p, sizeof p, "%s/test/images/test_0.JPEG", root);
    write_image(p, 64, 64, 77, 0);
    f = fopen((snprintf(p, sizeof p, "%s/words.txt", root), p), "w");
    fprintf(f, "n00001740\tentity\n");
    for (int c = 0; c < 3; c++) fprintf(f, "%s\t%s\n", WNIDS[c], WORDS[c]);
    fclose(f);
    snprintf(out, sizeof out, "%s/tiny.h5", tmpdir);
    FolderPackOptions o = {.input = root, .output = out, .mode = DS_DECODED, .channels = 3, .jpeg_quality = 95, .batch = 4};
    PackReport r;
    pack_folder(&o, MPI_COMM_NULL, &r);
    CHECK_EQ_INT(r.n_train, 6);
    CHECK_EQ_INT(r.n_test, 6);
    Dataset ds;
    dataset_open(&ds, out, MPI_COMM_NULL);
    CHECK_EQ_INT(ds.info.height, 64);
    DatasetSplit sp;
    dataset_split_open(&ds, "test", &sp);
    for (int v = 0; v < 6 && v < sp.n; v++) CHECK_EQ_INT(sp.labels[v], VAL_LABEL[v]);
    dataset_split_close(&sp);
    dataset_close(&ds);
    char** words = read_strings_attr(out, "class_descriptions", 3);
    CHECK(words && !strcmp(words[1], "goldfish"), "Tiny-ImageNet words.txt descriptions");
    for (int c = 0; words && c < 3; c++) free(words[c]);
    free(words);
}

typedef struct { char root[512]; char out[600]; } Case;
static void run_case(void* arg) {
    Case* c = arg;
    pack(c->root, c->out, DS_JPEG);
}

static void test_errors(void) {
    Case c;
    char p[2048];
    snprintf(c.root, sizeof c.root, "%s/nometa", tmpdir);
    snprintf(c.out, sizeof c.out, "%s/nometa.h5", tmpdir);
    make_imagenet_tree(c.root, 0);
    snprintf(p, sizeof p, "%s/ILSVRC2012_devkit_t12/data/meta.mat", c.root);
    unlink(p);
    CHECK(dies_with(run_case, &c, "needs the devkit's meta.mat"), "ground truth without meta.mat");
    // a ground-truth ID whose synset is not a class folder of train/
    snprintf(p, sizeof p, "%s/ILSVRC2012_devkit_t12/data/meta.mat", c.root);
    write_meta_mat(p);
    snprintf(p, sizeof p, "%s/ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt", c.root);
    write_file(p, "1\n4\n1\n1\n1\n1\n", 12);
    CHECK(dies_with(run_case, &c, "labelled 'n09999999'"), "wnid not in train");
    write_file(p, "1\n9\n", 4);
    CHECK(dies_with(run_case, &c, "'9' is not an ILSVRC2012_ID"), "ID out of range");
    write_file(p, "1\n2\n", 4);   // fewer labels than images
    CHECK(dies_with(run_case, &c, "ILSVRC2012_val_00000003.JPEG' has no label"), "unlabelled val image");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ugradsl_test_packimagenet_XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    codec = image_codec_create();
    TEST_CASE(test_label_kind);
    TEST_CASE(test_devkit);
    TEST_CASE(test_loc_csv);
    TEST_CASE(test_tiny);
    TEST_CASE(test_errors);
    image_codec_destroy(codec);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return th_end();
}
