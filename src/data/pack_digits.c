// pack_digits.c — the UCI handwritten digits as shipped by Debian's python3-sklearn (digits.csv.gz):
// 1,797 rows of 64 pixel values in 0..16 (8x8, row-major) followed by the label 0..9.
// Stored as uint8 8x8x1 with value round(v * 255 / 16).  The file has no test split, so a seeded stratified
// one is drawn (pack_stratified_test).
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/util.h"
#include "data/pack.h"

#define DIGITS_PIXELS 64

// Reads a gzip (or plain) text file whole; zlib reads uncompressed files transparently.
static char* read_gz_text(const char* path) {
    gzFile f = gzopen(path, "rb");
    if (!f) ug_die("cannot open digits CSV '%s': %s (install python3-sklearn or pass --input)", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char* buf = ug_malloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = ug_realloc(buf, cap *= 2);
        int got = gzread(f, buf + n, (unsigned)(cap - n - 1));
        if (got < 0) {
            int zerr = 0;
            ug_die("cannot read digits CSV '%s': %s (corrupt gzip?)", path, gzerror(f, &zerr));
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    gzclose(f);
    buf[n] = 0;
    return buf;
}

void pack_read_digits_csv(const char* path, double test_fraction, uint64_t seed, MemDataset* out) {
    memset(out, 0, sizeof *out);
    char* text = read_gz_text(path);
    int64_t cap = 2048, n = 0;
    uint8_t* images = ug_malloc((size_t)cap * DIGITS_PIXELS);
    int32_t* labels = ug_malloc((size_t)cap * sizeof(int32_t));
    int64_t line_no = 0;
    for (char* line = text; line && *line;) {
        char* next = strchr(line, '\n');
        if (next) *next++ = 0;
        line_no++;
        char* p = line;
        while (*p == ' ' || *p == '\r' || *p == '\t') p++;
        if (*p == 0) { line = next; continue; }   // blank line
        if (n == cap) {
            cap *= 2;
            images = ug_realloc(images, (size_t)cap * DIGITS_PIXELS);
            labels = ug_realloc(labels, (size_t)cap * sizeof(int32_t));
        }
        double v[DIGITS_PIXELS + 1];
        for (int k = 0; k <= DIGITS_PIXELS; k++) {
            char* end = NULL;
            errno = 0;
            v[k] = strtod(p, &end);
            if (end == p || errno)
                ug_die("%s line %lld: field %d is not a number (expected 64 pixels in 0..16 and a label)", path,
                       (long long)line_no, k + 1);
            p = end;
            while (*p == ' ' || *p == '\r' || *p == '\t') p++;
            if (k < DIGITS_PIXELS) {
                if (*p != ',') ug_die("%s line %lld: has %d fields, expected 65 (64 pixels + label)", path, (long long)line_no, k + 1);
                p++;
            }
        }
        if (*p != 0) ug_die("%s line %lld: more than 65 fields (expected 64 pixels + label)", path, (long long)line_no);
        for (int k = 0; k < DIGITS_PIXELS; k++) {
            if (v[k] < 0 || v[k] > 16 || v[k] != floor(v[k]))
                ug_die("%s line %lld: pixel %d = %g is not an integer in 0..16", path, (long long)line_no, k + 1, v[k]);
            images[n * DIGITS_PIXELS + k] = (uint8_t)(((int)v[k] * 255 + 8) / 16);   // round(v * 255 / 16)
        }
        if (v[DIGITS_PIXELS] < 0 || v[DIGITS_PIXELS] > 9 || v[DIGITS_PIXELS] != floor(v[DIGITS_PIXELS]))
            ug_die("%s line %lld: label %g is not a digit 0..9", path, (long long)line_no, v[DIGITS_PIXELS]);
        labels[n++] = (int32_t)v[DIGITS_PIXELS];
        line = next;
    }
    free(text);
    if (n == 0) ug_die("digits CSV '%s' has no rows", path);

    uint8_t* is_test = ug_malloc((size_t)n);
    pack_stratified_test(labels, n, 10, test_fraction, seed, is_test);
    int64_t n_test = 0;
    for (int64_t i = 0; i < n; i++) n_test += is_test[i];
    MemSplit* parts[2] = {&out->train, &out->test};
    parts[0]->n = n - n_test;
    parts[1]->n = n_test;
    for (int s = 0; s < 2; s++) {
        parts[s]->images = ug_malloc((size_t)(parts[s]->n + 1) * DIGITS_PIXELS);
        parts[s]->labels = ug_malloc((size_t)(parts[s]->n + 1) * sizeof(int32_t));
        parts[s]->n = 0;
    }
    for (int64_t i = 0; i < n; i++) {   // file order is kept inside each split
        MemSplit* s = parts[is_test[i]];
        memcpy(s->images + s->n * DIGITS_PIXELS, images + i * DIGITS_PIXELS, DIGITS_PIXELS);
        s->labels[s->n++] = labels[i];
    }
    free(is_test);
    free(images);
    free(labels);
    out->h = out->w = 8;
    out->c = 1;
    out->num_classes = 10;
    out->class_names = ug_malloc(10 * sizeof(char*));
    for (int k = 0; k < 10; k++) {
        char name[16];
        snprintf(name, sizeof name, "%d", k);
        out->class_names[k] = ug_strdup(name);
    }
    snprintf(out->source, sizeof out->source, "digits-csv:%s (test split: stratified, fraction %g, seed %llu)", path,
             test_fraction, (unsigned long long)seed);
}
