// pack_cifar.c — the CIFAR-10 / CIFAR-100 binary distributions (https://www.cs.toronto.edu/~kriz/cifar.html).
//   CIFAR-10:  data_batch_1..5.bin (train), test_batch.bin; record = label byte + 3072 pixel bytes
//   CIFAR-100: train.bin, test.bin;                      record = coarse byte + fine byte + 3072 pixel bytes
// Pixels are stored planar (1024 R, 1024 G, 1024 B, rows top to bottom) and converted to HWC.
// Class names come from batches.meta.txt / fine_label_names.txt (one per line) when present.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/util.h"
#include "data/pack.h"

#define CIFAR_SIDE 32
#define CIFAR_PIXELS (CIFAR_SIDE * CIFAR_SIDE * 3)

static const char* const CIFAR10_NAMES[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                              "dog", "frog", "horse", "ship", "truck"};

// Appends the records of one batch file to split s.
static void read_batch(const char* dir, const char* name, int cifar100, MemSplit* s) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!ug_file_exists(path))
        ug_die("CIFAR file '%s' is missing (expected the %s binary distribution in '%s')", path,
               cifar100 ? "CIFAR-100" : "CIFAR-10", dir);
    size_t size = 0;
    char* buf = ug_read_file(path, &size);
    const size_t header = cifar100 ? 2 : 1, rec = header + CIFAR_PIXELS;
    if (size == 0 || size % rec != 0)
        ug_die("CIFAR file '%s' has %zu bytes, not a multiple of the %zu-byte record (truncated? wrong --from?)", path,
               size, rec);
    int64_t add = (int64_t)(size / rec), n0 = s->n;
    s->images = ug_realloc(s->images, (size_t)(n0 + add) * CIFAR_PIXELS);
    s->labels = ug_realloc(s->labels, (size_t)(n0 + add) * sizeof(int32_t));
    if (cifar100) s->coarse = ug_realloc(s->coarse, (size_t)(n0 + add) * sizeof(int32_t));
    const int fine_max = cifar100 ? 99 : 9;
    for (int64_t r = 0; r < add; r++) {
        const uint8_t* p = (const uint8_t*)buf + (size_t)r * rec;
        int fine = cifar100 ? p[1] : p[0];
        if (fine > fine_max || (cifar100 && p[0] > 19))
            ug_die("CIFAR file '%s' record %lld: label %d is out of range (not a %s file?)", path, (long long)r,
                   fine > fine_max ? fine : p[0], cifar100 ? "CIFAR-100" : "CIFAR-10");
        s->labels[n0 + r] = fine;
        if (cifar100) s->coarse[n0 + r] = p[0];
        const uint8_t* planes = p + header;
        uint8_t* dst = s->images + (size_t)(n0 + r) * CIFAR_PIXELS;
        for (int px = 0; px < CIFAR_SIDE * CIFAR_SIDE; px++)
            for (int c = 0; c < 3; c++) dst[px * 3 + c] = planes[c * CIFAR_SIDE * CIFAR_SIDE + px];
    }
    s->n += add;
    free(buf);
}

// Reads one name per line; returns 1 when the file exists and has exactly `count` non-empty lines.
static int read_names(const char* dir, const char* file, int count, char** names) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    if (!ug_file_exists(path)) return 0;
    char* text = ug_read_file(path, NULL);
    int k = 0;
    for (char* line = strtok(text, "\r\n"); line; line = strtok(NULL, "\r\n")) {
        while (*line == ' ') line++;
        if (!*line) continue;
        if (k == count) { k++; break; }
        names[k++] = ug_strdup(line);
    }
    free(text);
    if (k != count) {
        ug_warn("'%s' does not list exactly %d class names; using default names", path, count);
        for (int i = 0; i < k && i < count; i++) free(names[i]);
        return 0;
    }
    return 1;
}

void pack_read_cifar_bin(const char* dir, int cifar100, MemDataset* out) {
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        ug_die("CIFAR input '%s' is not a directory (pass the extracted cifar-%s-batches-bin / cifar-100-binary folder)", dir,
               cifar100 ? "100" : "10");
    if (cifar100) {
        read_batch(dir, "train.bin", 1, &out->train);
        read_batch(dir, "test.bin", 1, &out->test);
    } else {
        for (int b = 1; b <= 5; b++) {
            char name[32];
            snprintf(name, sizeof name, "data_batch_%d.bin", b);
            read_batch(dir, name, 0, &out->train);
        }
        read_batch(dir, "test_batch.bin", 0, &out->test);
    }
    out->h = out->w = CIFAR_SIDE;
    out->c = 3;
    out->num_classes = cifar100 ? 100 : 10;
    out->num_coarse = cifar100 ? 20 : 0;
    out->class_names = ug_calloc((size_t)out->num_classes, sizeof(char*));
    if (!read_names(dir, cifar100 ? "fine_label_names.txt" : "batches.meta.txt", out->num_classes, out->class_names)) {
        for (int k = 0; k < out->num_classes; k++) {
            char name[32];
            if (cifar100) snprintf(name, sizeof name, "class_%02d", k);
            out->class_names[k] = ug_strdup(cifar100 ? name : CIFAR10_NAMES[k]);
        }
    }
    snprintf(out->source, sizeof out->source, "%s:%s", cifar100 ? "cifar100-bin" : "cifar10-bin", dir);
}
