// cmd_pack.c — `ugradsl pack`: build one HDF5 dataset file from an image folder, CIFAR binaries or the digits CSV.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_options.h"
#include "cmd/commands.h"
#include "common/atomic_file.h"
#include "common/json.h"
#include "common/opts.h"
#include "common/util.h"
#include "data/pack.h"
#include "data/pack_folder.h"
#include "dist/dist.h"

#define DIGITS_DEFAULT "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"

static void write_report_json(const char* path, const char* from, const char* input, const char* output,
                              const PackReport* r) {
    AtomicFile af;
    atomic_open(&af, path);
    JsonWriter j;
    json_begin(&j, af.f, 1);
    json_obj_open(&j, NULL);
    json_str(&j, "command", "pack");
    json_str(&j, "from", from);
    json_str(&j, "input", input);
    json_str(&j, "output", output);
    json_str(&j, "mode", dataset_mode_name(r->mode));
    json_int(&j, "num_classes", r->num_classes);
    json_int(&j, "height", r->height);
    json_int(&j, "width", r->width);
    json_int(&j, "channels", r->channels);
    json_obj_open(&j, "splits");
    json_int(&j, "train", r->n_train);
    if (r->n_val > 0) json_int(&j, "val", r->n_val);
    json_int(&j, "test", r->n_test);
    json_obj_close(&j);
    json_arr_open(&j, "mean");
    for (int c = 0; c < r->channels; c++) json_num(&j, NULL, r->mean[c]);
    json_arr_close(&j);
    json_arr_open(&j, "std");
    for (int c = 0; c < r->channels; c++) json_num(&j, NULL, r->std[c]);
    json_arr_close(&j);
    json_int(&j, "skipped", r->skipped);
    if (r->skipped) json_str(&j, "first_skipped", r->first_skipped);
    json_int(&j, "jpeg_warnings", r->warned);
    json_int(&j, "png_reencoded", r->reencoded);
    json_int(&j, "ranks", r->ranks);
    json_num(&j, "seconds", r->seconds);
    int64_t total = r->n_train + r->n_val + r->n_test;
    json_num(&j, "images_per_s", r->seconds > 0 ? (double)total / r->seconds : 0);
    json_obj_close(&j);
    json_end(&j);
    atomic_commit(&af);
}

int cmd_pack(int argc, char** argv) {
    char* from = "digits-csv";
    char* input = NULL;
    char* output = NULL;
    char* mode = "decoded";
    char* json = NULL;
    char* val_labels = NULL;
    char* test_labels = NULL;
    char* groups_file = NULL;
    int resize = 0, skip_bad = 0, channels = 3, jpeg_quality = 95, batch = 256;
    double test_fraction = 0.2;
    int64_t seed = 1;
    OptSpec specs[] = {
        {"from", OPT_STR, &from, "KIND", "source kind: folder | cifar10-bin | cifar100-bin | digits-csv", 0},
        {"input", OPT_STR, &input, "PATH", "image-folder root, CIFAR binary directory, or digits CSV (.csv/.csv.gz); "
                                           "digits-csv defaults to python3-sklearn's copy", 0},
        {"output", OPT_STR, &output, "FILE.h5", "dataset file to write (atomically: temp file + rename)", 0},
        {"mode", OPT_STR, &mode, "MODE", "folder: decoded (uint8 pixels) | jpeg (keep the JPEG bytes; PNGs re-encoded)", 0},
        {"resize", OPT_INT, &resize, "S", "folder, decoded mode: resize the shorter side to S, centre-crop SxS (0: keep; "
                                         "then all images must have one size)", 0},
        {"channels", OPT_INT, &channels, "C", "folder: 3 (RGB; grey converted) or 1 (grey)", 0},
        {"skip-bad", OPT_FLAG, &skip_bad, NULL, "folder: skip unreadable / non-image / wrong-size files and report the count", 0},
        {"val-labels", OPT_STR, &val_labels, "FILE", "folder: labels of a flat val/ folder ('<file> <class name or index>' "
                                                   "lines; default <input>/val_labels.txt)", 0},
        {"test-labels", OPT_STR, &test_labels, "FILE", "folder: labels of a flat test/ folder (default <input>/test_labels.txt)", 0},
        {"groups", OPT_STR, &groups_file, "FILE", "folder: group (identity) ids, '<file> <id>' lines (file: path below the "
                                                  "split folder or bare name); stored as `groups` in every split", 0},
        {"jpeg-quality", OPT_INT, &jpeg_quality, "Q", "folder, jpeg mode: quality for re-encoding PNG files", 0},
        {"batch", OPT_INT, &batch, "N", "folder: images each rank decodes per collective write", 0},
        {"test-fraction", OPT_DOUBLE, &test_fraction, "F", "digits-csv: stratified test fraction (the CSV has no test split)", 0},
        opt_seed(&seed, "digits-csv: seed of the stratified test split"),
        opt_json(&json, "also write the summary as JSON"),
        {NULL, 0, NULL, NULL, NULL, 0},
    };
    int npos = 0;
    char** pos = NULL;
    opts_parse("pack", "--from KIND --input PATH --output FILE.h5 [options]",
               "Packs a dataset into one HDF5 file (format: docs/DATA.md).  Image folders are packed by all MPI ranks\n"
               "(mpirun -np N ugradsl pack ...); the other sources are small and packed by rank 0.",
               specs, argc, argv, &npos, &pos);
    if (npos > 0) ug_die("pack: unexpected argument '%s' (see ugradsl pack --help)", pos[0]);
    free(pos);
    if (!output) ug_die("pack: --output FILE.h5 is required");
    if (!strcmp(from, "digits-csv") && !input) input = DIGITS_DEFAULT;
    if (!input) ug_die("pack: --input PATH is required for --from %s", from);
    int is_folder = !strcmp(from, "folder");
    DatasetMode dmode = DS_DECODED;
    if (!strcmp(mode, "jpeg")) dmode = DS_JPEG;
    else if (strcmp(mode, "decoded")) ug_die("pack: --mode must be decoded or jpeg, not '%s'", mode);
    if (!is_folder && (dmode == DS_JPEG || resize || opts_was_set(specs, "skip-bad") || opts_was_set(specs, "channels") ||
                       groups_file))
        ug_die("pack: --mode jpeg, --resize, --channels, --groups and --skip-bad apply to --from folder only");
    if (strcmp(from, "digits-csv") && (opts_was_set(specs, "test-fraction") || opts_was_set(specs, "seed")))
        ug_die("pack: --test-fraction and --seed apply to --from digits-csv only (the other sources have a test split)");
    if (resize < 0) ug_die("pack: --resize %d must be >= 0", resize);
    if (dmode == DS_JPEG && resize) ug_die("pack: --resize applies to decoded mode; JPEG mode keeps the original bytes");
    if (channels != 1 && channels != 3) ug_die("pack: --channels must be 1 or 3");
    if (jpeg_quality < 1 || jpeg_quality > 100) ug_die("pack: --jpeg-quality must be in 1..100");
    if (batch < 1) ug_die("pack: --batch must be >= 1");

    PackReport report;
    memset(&report, 0, sizeof report);
    double t0 = ug_now();
    if (is_folder) {
        FolderPackOptions fo = {
            .input = input, .output = output, .mode = dmode, .resize = resize, .channels = channels,
            .skip_bad = skip_bad, .jpeg_quality = jpeg_quality, .batch = batch,
            .val_labels = val_labels, .test_labels = test_labels, .groups_file = groups_file,
        };
        pack_folder(&fo, g_dist.comm, &report);
    } else {
        // small sources: rank 0 reads and writes; the others wait (an error on rank 0 aborts them all)
        if (g_dist.rank == 0) {
            MemDataset m;
            if (!strcmp(from, "digits-csv")) pack_read_digits_csv(input, test_fraction, (uint64_t)seed, &m);
            else if (!strcmp(from, "cifar10-bin")) pack_read_cifar_bin(input, 0, &m);
            else if (!strcmp(from, "cifar100-bin")) pack_read_cifar_bin(input, 1, &m);
            else ug_die("pack: unknown --from '%s' (folder, cifar10-bin, cifar100-bin, digits-csv)", from);
            pack_write_memory(&m, output, &report);
            mem_dataset_free(&m);
        }
        dist_barrier();
    }
    report.seconds = ug_now() - t0;
    if (g_dist.rank == 0) {
        int64_t total = report.n_train + report.n_val + report.n_test;
        printf("packed %s: %s mode, %d classes, %dx%dx%d, train %lld, val %lld, test %lld\n", output,
               dataset_mode_name(report.mode), report.num_classes, report.height, report.width, report.channels,
               (long long)report.n_train, (long long)report.n_val, (long long)report.n_test);
        printf("mean");
        for (int c = 0; c < report.channels; c++) printf(" %.4f", report.mean[c]);
        printf("  std");
        for (int c = 0; c < report.channels; c++) printf(" %.4f", report.std[c]);
        printf("  (train split, pixel/255)\n");
        if (report.skipped) printf("skipped %lld bad files (first: %s)\n", (long long)report.skipped, report.first_skipped);
        if (report.warned) printf("%lld JPEGs decoded with libjpeg warnings (kept)\n", (long long)report.warned);
        if (report.reencoded) printf("%lld PNGs re-encoded as JPEG (quality %d)\n", (long long)report.reencoded, jpeg_quality);
        printf("took %.2f s on %d rank(s): %.0f images/s\n", report.seconds, g_dist.world,
               report.seconds > 0 ? (double)total / report.seconds : 0);
        report.ranks = g_dist.world;
        if (json) write_report_json(json, from, input, output, &report);
    }
    return 0;
}
