// bench_loader.c — loader throughput (`make bench-data`, docs/LOADER.md).
//
// Generates its own synthetic data in a temp directory (so it runs anywhere):
//   cifar: 50,000 random 32x32x3 images, decoded mode  → crop (pad 4) + flip, batch 256
//   jpeg:  256 ImageNet-sized JPEGs (500x375 / 375x500 / 500x333, textured, quality 90), JPEG mode
//          → random-resized-crop 224 + flip, batch 64, streamed from HDF5
//   imagenet (--imagenet-dir DIR): ImageNet-like JPEGs around 400x350, ~110 KB, kept as files in DIR for the
//          torchvision comparison (tools/bench-data.sh) → loader_imagenet_train / _eval
// and, with --real FILE (a packed CIFAR-10, e.g. from ../shared), the real data as well.
// "Per core" numbers come from the single-threaded loader (no_prefetch: one thread reads, decodes, augments and
// normalises): images per CPU-second of the process (robust to other load on the machine); the wall-clock rates
// of the same run (_wall) and of the prefetching loader (_prefetch_wall) are printed beside them.
// Output lines: "bench: <name> <value> <unit>".
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/rng.h"
#include "common/util.h"
#include "data/dataset.h"
#include "data/image_codec.h"
#include "data/loader.h"

static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char* CLASS_NAMES[10] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"};

static DatasetInfo make_info(DatasetMode mode, int h, int w) {
    DatasetInfo info;
    memset(&info, 0, sizeof info);
    info.mode = mode;
    info.num_classes = 10;
    info.class_names = CLASS_NAMES;
    info.height = h;
    info.width = w;
    info.channels = 3;
    for (int c = 0; c < 3; c++) { info.mean[c] = 0.45f; info.std[c] = 0.25f; }
    snprintf(info.source, sizeof info.source, "bench:synthetic");
    return info;
}

static void write_cifar_like(const char* path, int64_t n) {
    DatasetInfo info = make_info(DS_DECODED, 32, 32);
    uint8_t* img = ug_malloc((size_t)n * 3072);
    int32_t* labels = ug_malloc((size_t)n * sizeof *labels);
    Rng rng;
    rng_init(&rng, 1, RNG_MISC, 0, 0);
    for (int64_t i = 0; i < n * 3072; i += 8) {
        uint64_t v = rng_u64(&rng);
        memcpy(img + i, &v, 8);
    }
    for (int64_t i = 0; i < n; i++) labels[i] = (int32_t)(i % 10);
    DatasetWriter w;
    dataset_write_begin(&w, path, &info);
    dataset_write_split_decoded(&w, "train", n, img, labels, NULL, NULL);
    dataset_write_finish(&w);
    free(img);
    free(labels);
}

// A photo-like test image: smooth gradients, a few discs, and mild noise (JPEG sizes like ImageNet's, ~100 KB).
static void paint(uint8_t* px, int h, int w, Rng* rng) {
    float base[3], gx[3], gy[3];
    for (int c = 0; c < 3; c++) {
        base[c] = 40 + 150 * rng_uniform(rng);
        gx[c] = (rng_uniform(rng) - 0.5f) * 120 / w;
        gy[c] = (rng_uniform(rng) - 0.5f) * 120 / h;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                float v = base[c] + gx[c] * x + gy[c] * y + 20 * sinf(0.05f * x * (c + 1)) * cosf(0.07f * y) +
                          150 * (rng_uniform(rng) - 0.5f);
                px[((int64_t)y * w + x) * 3 + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
            }
    for (int d = 0; d < 12; d++) {
        int cx = (int)rng_below(rng, (uint32_t)w), cy = (int)rng_below(rng, (uint32_t)h), r = 10 + (int)rng_below(rng, 60);
        uint8_t col[3] = {(uint8_t)rng_below(rng, 256), (uint8_t)rng_below(rng, 256), (uint8_t)rng_below(rng, 256)};
        for (int y = cy - r; y <= cy + r; y++)
            for (int x = cx - r; x <= cx + r; x++)
                if (y >= 0 && y < h && x >= 0 && x < w && (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r)
                    memcpy(px + ((int64_t)y * w + x) * 3, col, 3);
    }
}

static double write_jpeg_set(const char* path, int n) {
    static const int sizes[3][2] = {{375, 500}, {500, 375}, {333, 500}};
    ImageCodec* codec = image_codec_create();
    Rng rng;
    rng_init(&rng, 2, RNG_MISC, 0, 0);
    uint8_t* px = ug_malloc(500 * 500 * 3);
    size_t cap = 1 << 20, total = 0;
    uint8_t* bytes = ug_malloc(cap);
    int64_t* offsets = ug_malloc((size_t)(n + 1) * sizeof *offsets);
    int32_t* labels = ug_malloc((size_t)n * sizeof *labels);
    offsets[0] = 0;
    for (int i = 0; i < n; i++) {
        int h = sizes[i % 3][0], w = sizes[i % 3][1];
        paint(px, h, w, &rng);
        uint8_t* jpg = NULL;
        size_t len = 0;
        char err[256];
        if (image_encode_jpeg(codec, px, h, w, 3, 90, &jpg, &len, err, sizeof err) != 0) ug_die("bench: JPEG encode failed: %s", err);
        while (total + len > cap) bytes = ug_realloc(bytes, cap *= 2);
        memcpy(bytes + total, jpg, len);
        total += len;
        offsets[i + 1] = (int64_t)total;
        labels[i] = i % 10;
        free(jpg);
    }
    DatasetInfo info = make_info(DS_JPEG, 0, 0);
    DatasetWriter w;
    dataset_write_begin(&w, path, &info);
    dataset_write_split_jpeg(&w, "train", n, bytes, offsets, labels, NULL, NULL);
    dataset_write_finish(&w);
    image_codec_destroy(codec);
    free(px); free(bytes); free(offsets); free(labels);
    return (double)total / n;
}

// ImageNet-like set for the side-by-side comparison with torchvision: n JPEGs of ImageNet's typical sizes
// (around 400x350: 400x350, 350x400, 450x300, 375x500 in turn; quality 94, ~110 KB) written as an image folder
// dir/train/c<k>/<i>.JPEG (for tools/bench-torchvision-loader.py) and packed byte for byte into h5 (JPEG mode).
static double write_imagenet_set(const char* dir, const char* h5, int n) {
    static const int sizes[4][2] = {{350, 400}, {400, 350}, {300, 450}, {500, 375}};
    ImageCodec* codec = image_codec_create();
    Rng rng;
    rng_init(&rng, 3, RNG_MISC, 0, 0);
    uint8_t* px = ug_malloc(500 * 500 * 3);
    size_t cap = 1 << 20, total = 0;
    uint8_t* bytes = ug_malloc(cap);
    int64_t* offsets = ug_malloc((size_t)(n + 1) * sizeof *offsets);
    int32_t* labels = ug_malloc((size_t)n * sizeof *labels);
    offsets[0] = 0;
    char path[4096];
    for (int c = 0; c < 10; c++) {
        snprintf(path, sizeof path, "%s/train/c%d", dir, c);
        ug_mkdir_p(path);
    }
    for (int i = 0; i < n; i++) {
        int h = sizes[i % 4][0], w = sizes[i % 4][1];
        paint(px, h, w, &rng);
        uint8_t* jpg = NULL;
        size_t len = 0;
        char err[256];
        if (image_encode_jpeg(codec, px, h, w, 3, 94, &jpg, &len, err, sizeof err) != 0) ug_die("bench: JPEG encode failed: %s", err);
        while (total + len > cap) bytes = ug_realloc(bytes, cap *= 2);
        memcpy(bytes + total, jpg, len);
        total += len;
        offsets[i + 1] = (int64_t)total;
        labels[i] = i % 10;
        snprintf(path, sizeof path, "%s/train/c%d/%05d.JPEG", dir, i % 10, i);
        FILE* f = fopen(path, "wb");
        if (!f || fwrite(jpg, 1, len, f) != len || fclose(f) != 0) ug_die("bench: cannot write '%s'", path);
        free(jpg);
    }
    DatasetInfo info = make_info(DS_JPEG, 0, 0);
    DatasetWriter w;
    dataset_write_begin(&w, h5, &info);
    dataset_write_split_jpeg(&w, "train", n, bytes, offsets, labels, NULL, NULL);
    dataset_write_finish(&w);
    image_codec_destroy(codec);
    free(px); free(bytes); free(offsets); free(labels);
    return (double)total / n;
}

// Runs `epochs` epochs; returns images per wall second, and per CPU second in *per_cpu.
static double run(Dataset* ds, LoaderConfig cfg, int epochs, double* per_cpu) {
    Loader* l = loader_create(ds, &cfg, 0, 1);
    int64_t images = 0;
    double t0 = ug_now(), c0 = cpu_now();
    for (int e = 0; e < epochs; e++) {
        loader_start_epoch(l, e);
        Batch b;
        while (loader_next(l, &b)) images += b.n;
    }
    double wall = ug_now() - t0, cpu = cpu_now() - c0;
    loader_destroy(l);
    *per_cpu = images / cpu;
    return images / wall;
}

static void bench_cifar(const char* path, const char* name, int epochs) {
    Dataset ds;
    dataset_open(&ds, path, MPI_COMM_NULL);
    LoaderConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.split = "train";
    cfg.global_batch = 256;
    cfg.shuffle = 1;
    cfg.augment = AUG_CROP_FLIP;
    cfg.seed = 1;
    cfg.cache = 1;
    cfg.no_prefetch = 1;
    double cpu_rate, wall;
    wall = run(&ds, cfg, epochs, &cpu_rate);
    printf("bench: %s %.0f img/s\n", name, cpu_rate);
    printf("bench: %s_wall %.0f img/s\n", name, wall);
    cfg.no_prefetch = 0;
    wall = run(&ds, cfg, epochs, &cpu_rate);
    printf("bench: %s_prefetch_wall %.0f img/s\n", name, wall);
    printf("bench: %s_prefetch_per_cpu_second %.0f img/s\n", name, cpu_rate);
    cfg.cache = 0;
    cfg.no_prefetch = 1;
    wall = run(&ds, cfg, 1, &cpu_rate);
    printf("bench: %s_hdf5_stream %.0f img/s\n", name, cpu_rate);
    fflush(stdout);
    dataset_close(&ds);
}

// The training loader of the ImageNet-sized benchmarks: RandomResizedCrop(224) + flip, batch 64, no prefetch thread.
static LoaderConfig rrc224_config(void) {
    LoaderConfig cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.split = "train";
    cfg.global_batch = 64;
    cfg.shuffle = 1;
    cfg.augment = AUG_RRC_FLIP;
    cfg.out_h = cfg.out_w = 224;
    cfg.seed = 1;
    cfg.no_prefetch = 1;
    return cfg;
}

// loader_imagenet_train / _eval: per core = images per CPU-second of the single-threaded loader; _allcores:
// one rank with one worker thread per core, images per CPU-second of the process (the number compared with
// torchvision's DataLoader with one worker process per core, measured the same way: tools/bench-data.sh),
// and its wall rate / cores.
static void bench_imagenet(const char* dir, int n) {
    char h5[4200];
    snprintf(h5, sizeof h5, "%s/imagenet.h5", dir);
    double mean_bytes = write_imagenet_set(dir, h5, n);
    int cores = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1) cores = 1;
    printf("# ImageNet-like JPEGs: %d images (350x400, 400x350, 300x450, 500x375; mean %.0f KB) in %s, %d cores\n", n,
           mean_bytes / 1024, dir, cores);
    printf("bench: loader_imagenet_mean_jpeg_bytes %.0f B\n", mean_bytes);
    Dataset ds;
    dataset_open(&ds, h5, MPI_COMM_NULL);
    LoaderConfig cfg = rrc224_config();
    double cpu_rate, wall = run(&ds, cfg, 2, &cpu_rate);
    printf("bench: loader_imagenet_train %.0f img/s\n", cpu_rate);
    cfg.no_prefetch = 0;
    cfg.workers = cores;
    wall = run(&ds, cfg, 2, &cpu_rate);
    printf("bench: loader_imagenet_train_allcores %.0f img/s\n", cpu_rate);
    printf("bench: loader_imagenet_train_allcores_wall_per_core %.0f img/s\n", wall / cores);
    cfg.augment = AUG_NONE;
    cfg.shuffle = 0;
    cfg.no_prefetch = 1;
    cfg.workers = 0;
    wall = run(&ds, cfg, 1, &cpu_rate);
    printf("bench: loader_imagenet_eval %.0f img/s\n", cpu_rate);
    cfg.no_prefetch = 0;
    cfg.workers = cores;
    wall = run(&ds, cfg, 2, &cpu_rate);
    printf("bench: loader_imagenet_eval_allcores %.0f img/s\n", cpu_rate);
    printf("bench: loader_imagenet_eval_allcores_wall_per_core %.0f img/s\n", wall / cores);
    fflush(stdout);
    dataset_close(&ds);
}

int main(int argc, char** argv) {
    const char* real = NULL;
    const char* imagenet_dir = NULL;
    int jpeg_n = 256, imagenet_n = 512;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--real") && i + 1 < argc) real = argv[++i];
        else if (!strcmp(argv[i], "--jpeg-count") && i + 1 < argc) jpeg_n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--imagenet-dir") && i + 1 < argc) imagenet_dir = argv[++i];
        else if (!strcmp(argv[i], "--imagenet-count") && i + 1 < argc) imagenet_n = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--imagenet-only")) jpeg_n = 0;
        else {
            fprintf(stderr, "usage: bench_loader [--real CIFAR10.h5] [--jpeg-count N] [--imagenet-dir DIR] "
                            "[--imagenet-count N] [--imagenet-only]\n");
            return 2;
        }
    }
    if (imagenet_dir) bench_imagenet(imagenet_dir, imagenet_n);
    if (jpeg_n == 0) return 0;
    char dir[] = "/tmp/bench_loader.XXXXXX";
    if (!mkdtemp(dir)) ug_die("bench: cannot create a temp directory: mkdtemp failed");
    char cifar[512], jpeg[512];
    snprintf(cifar, sizeof cifar, "%s/cifar_like.h5", dir);
    snprintf(jpeg, sizeof jpeg, "%s/jpeg.h5", dir);

    printf("# synthetic CIFAR-10-shaped data: 50000 x 32x32x3, crop(pad 4)+flip, batch 256, RAM cache\n");
    write_cifar_like(cifar, 50000);
    bench_cifar(cifar, "loader_cifar10_aug", 2);
    if (real) {
        printf("# real CIFAR-10 (%s), train split\n", real);
        bench_cifar(real, "loader_cifar10_real_aug", 2);
    }

    double mean_bytes = write_jpeg_set(jpeg, jpeg_n);
    printf("# synthetic ImageNet-sized JPEGs: %d images (500x375, 375x500, 500x333; mean %.0f KB), streamed from HDF5\n",
           jpeg_n, mean_bytes / 1024);
    Dataset ds;
    dataset_open(&ds, jpeg, MPI_COMM_NULL);
    LoaderConfig cfg = rrc224_config();
    double cpu_rate, wall = run(&ds, cfg, 2, &cpu_rate);
    printf("bench: loader_jpeg224 %.0f img/s\n", cpu_rate);
    printf("bench: loader_jpeg224_wall %.0f img/s\n", wall);
    cfg.no_prefetch = 0;
    wall = run(&ds, cfg, 2, &cpu_rate);
    printf("bench: loader_jpeg224_prefetch_wall %.0f img/s\n", wall);
    printf("bench: loader_jpeg224_prefetch_per_cpu_second %.0f img/s\n", cpu_rate);
    cfg.augment = AUG_NONE;
    cfg.shuffle = 0;
    cfg.no_prefetch = 1;
    wall = run(&ds, cfg, 1, &cpu_rate);
    printf("bench: loader_jpeg224_eval %.0f img/s\n", cpu_rate);
    dataset_close(&ds);

    unlink(cifar);
    unlink(jpeg);
    rmdir(dir);
    return 0;
}
