// pack_fixtures.h — generated image-folder trees with known pixels, shared by the pack tests.
//
// Tree (all good images 12x16 RGB; JPEGs at quality 100 with 4:4:4, PNGs exact):
//   train/cat: a0.jpg a1.png a2.jpg      train/dog: b0.png b1.jpg b2.png b3.jpg     train/emu: c0.jpg c1.jpg c2.jpg
//   test/cat: t0.png t1.jpg              test/emu: t2.jpg                           (class folders, a subset)
//   val/: v0.jpg v1.png v2.jpg v3.png + val_labels.txt (flat; labels by name and by index)
//   groups.txt: group id 3·seed of every image (train by path below the split, val/test by bare name)
// With bad files: train/dog/zz_bad.jpg (text), train/emu/zz_small.png (10x10), test/cat/zz_trunc.jpg (half a JPEG).
#pragma once
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/image_codec.h"

#define FX_H 12
#define FX_W 16

typedef struct {
    const char* split;   // "train", "val", "test"
    const char* rel;     // path below the split folder
    int label, png, seed;
} FxImage;

// In listing order (class folders sorted, files sorted; flat val sorted by name).
static const FxImage FX_IMAGES[] = {
    {"train", "cat/a0.jpg", 0, 0, 1}, {"train", "cat/a1.png", 0, 1, 2}, {"train", "cat/a2.jpg", 0, 0, 3},
    {"train", "dog/b0.png", 1, 1, 4}, {"train", "dog/b1.jpg", 1, 0, 5}, {"train", "dog/b2.png", 1, 1, 6},
    {"train", "dog/b3.jpg", 1, 0, 7}, {"train", "emu/c0.jpg", 2, 0, 8}, {"train", "emu/c1.jpg", 2, 0, 9},
    {"train", "emu/c2.jpg", 2, 0, 10},
    {"val", "v0.jpg", 1, 0, 11}, {"val", "v1.png", 2, 1, 12}, {"val", "v2.jpg", 0, 0, 13}, {"val", "v3.png", 2, 1, 14},
    {"test", "cat/t0.png", 0, 1, 15}, {"test", "cat/t1.jpg", 0, 0, 16}, {"test", "emu/t2.jpg", 2, 0, 17},
};
#define FX_COUNT ((int)(sizeof FX_IMAGES / sizeof FX_IMAGES[0]))

// Smooth pixels (JPEG q100 reproduces them within a few levels); distinct per seed.
static void fx_pixels(uint8_t* px, int h, int w, int seed) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                px[(y * w + x) * 3 + c] = (uint8_t)(10 + (seed * 7) % 40 + 3 * x + 2 * y + 40 * c);   // max 196: no wrap
}

static void fx_write(const char* path, const void* data, size_t n) {
    FILE* f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) { fprintf(stderr, "fixture: cannot write %s\n", path); exit(2); }
}

static void fx_mkdir(const char* root, const char* rel) {
    char p[4096];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    mkdir(p, 0775);
}

static void fx_write_image(ImageCodec* codec, const char* path, int h, int w, int seed, int png, size_t keep_bytes) {
    uint8_t* px = malloc((size_t)h * w * 3);
    fx_pixels(px, h, w, seed);
    uint8_t* enc = NULL;
    size_t n = 0;
    char err[256];
    int rc = png ? image_encode_png(px, h, w, 3, &enc, &n, err, sizeof err)
                 : image_encode_jpeg(codec, px, h, w, 3, 100, &enc, &n, err, sizeof err);
    if (rc != 0) { fprintf(stderr, "fixture: %s\n", err); exit(2); }
    fx_write(path, enc, keep_bytes && keep_bytes < n ? keep_bytes : n);
    free(enc);
    free(px);
}

static void fx_make_tree(const char* root, int with_bad) {
    ImageCodec* codec = image_codec_create();
    mkdir(root, 0775);
    const char* dirs[] = {"train", "train/cat", "train/dog", "train/emu", "val", "test", "test/cat", "test/emu"};
    for (size_t k = 0; k < sizeof dirs / sizeof dirs[0]; k++) fx_mkdir(root, dirs[k]);
    char path[4096];
    for (int i = 0; i < FX_COUNT; i++) {
        snprintf(path, sizeof path, "%s/%s/%s", root, FX_IMAGES[i].split, FX_IMAGES[i].rel);
        fx_write_image(codec, path, FX_H, FX_W, FX_IMAGES[i].seed, FX_IMAGES[i].png, 0);
    }
    // val labels: by class name and by index, in a different order than the files, with a comment
    const char* labels = "# file class\nv2.jpg cat\nv0.jpg dog\nv1.png 2\nv3.png,emu\n";
    snprintf(path, sizeof path, "%s/val_labels.txt", root);
    fx_write(path, labels, strlen(labels));
    // groups: train by relative path, the others by bare name; a bad file gets one too (it may be skipped)
    snprintf(path, sizeof path, "%s/groups.txt", root);
    FILE* g = fopen(path, "w");
    if (!g) { fprintf(stderr, "fixture: cannot write %s\n", path); exit(2); }
    fprintf(g, "# file group\n");
    for (int i = 0; i < FX_COUNT; i++) {
        const char* rel = FX_IMAGES[i].rel;
        const char* base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        fprintf(g, "%s %d\n", strcmp(FX_IMAGES[i].split, "train") ? base : rel, 3 * FX_IMAGES[i].seed);
    }
    fprintf(g, "dog/zz_bad.jpg 1\nemu/zz_small.png 2\nzz_trunc.jpg 3\n");
    fclose(g);
    if (with_bad) {
        snprintf(path, sizeof path, "%s/train/dog/zz_bad.jpg", root);
        fx_write(path, "not an image\n", 13);
        snprintf(path, sizeof path, "%s/train/emu/zz_small.png", root);
        fx_write_image(codec, path, 10, 10, 99, 1, 0);
        snprintf(path, sizeof path, "%s/test/cat/zz_trunc.jpg", root);
        fx_write_image(codec, path, FX_H, FX_W, 98, 0, 40);   // 40 bytes: the header is cut
    }
    image_codec_destroy(codec);
}

// Index in FX_IMAGES of row `row` of `split` (listing order), or -1.
static inline int fx_row(const char* split, int row) {
    int k = 0;
    for (int i = 0; i < FX_COUNT; i++)
        if (!strcmp(FX_IMAGES[i].split, split) && k++ == row) return i;
    return -1;
}

static inline int fx_count(const char* split) {
    int k = 0;
    for (int i = 0; i < FX_COUNT; i++) k += !strcmp(FX_IMAGES[i].split, split);
    return k;
}
