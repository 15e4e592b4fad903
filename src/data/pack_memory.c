// pack_memory.c — writing small, fully-decoded sources (digits, CIFAR) and the seeded stratified test split.
#include <stdlib.h>
#include <string.h>

#include "common/rng.h"
#include "common/util.h"
#include "data/pack.h"

// Keeps the pack-time split stream apart from `ugradsl split`'s streams, which also use RNG_SPLIT.
#define PACK_SPLIT_KEY 0x7061636bull   // "pack"

void pack_stratified_test(const int32_t* labels, int64_t n, int num_classes, double test_fraction, uint64_t seed,
                          uint8_t* is_test) {
    UG_CHECK(test_fraction >= 0 && test_fraction < 1, "--test-fraction %g must be in [0, 1)", test_fraction);
    memset(is_test, 0, (size_t)n);
    int64_t* members = ug_malloc((size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    for (int c = 0; c < num_classes; c++) {
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            if (labels[i] == c) members[m++] = i;
        int64_t take = (int64_t)(test_fraction * (double)m + 0.5);
        Rng rng;
        rng_init(&rng, seed, RNG_SPLIT, (uint64_t)c, PACK_SPLIT_KEY);
        rng_shuffle_i64(&rng, members, m);
        for (int64_t k = 0; k < take; k++) is_test[members[k]] = 1;
    }
    free(members);
}

void pack_write_memory(const MemDataset* m, const char* output, PackReport* report) {
    double t0 = ug_now();
    DatasetInfo info;
    memset(&info, 0, sizeof info);
    info.format_version = DATASET_FORMAT_VERSION;
    info.mode = DS_DECODED;
    info.num_classes = m->num_classes;
    info.class_names = m->class_names;
    info.height = m->h;
    info.width = m->w;
    info.channels = m->c;
    info.num_coarse = m->num_coarse;
    snprintf(info.source, sizeof info.source, "%s", m->source);
    PixelStats st = {0};
    pixel_stats_add(&st, m->train.images, m->train.n * m->h * m->w, m->c);
    pixel_stats_finish(&st, info.mean, info.std);
    DatasetWriter w;
    dataset_write_begin(&w, output, &info);
    dataset_write_split_decoded(&w, "train", m->train.n, m->train.images, m->train.labels, m->train.coarse, NULL);
    dataset_write_split_decoded(&w, "test", m->test.n, m->test.images, m->test.labels, m->test.coarse, NULL);
    dataset_write_finish(&w);
    memset(report, 0, sizeof *report);
    report->n_train = m->train.n;
    report->n_test = m->test.n;
    report->num_classes = m->num_classes;
    report->channels = m->c;
    report->height = m->h;
    report->width = m->w;
    report->mode = DS_DECODED;
    memcpy(report->mean, info.mean, sizeof info.mean);
    memcpy(report->std, info.std, sizeof info.std);
    report->seconds = ug_now() - t0;
    report->ranks = 1;
}

static void mem_split_free(MemSplit* s) {
    free(s->images);
    free(s->labels);
    free(s->coarse);
    memset(s, 0, sizeof *s);
}

void mem_dataset_free(MemDataset* m) {
    if (m->class_names)
        for (int k = 0; k < m->num_classes; k++) free(m->class_names[k]);
    free(m->class_names);
    mem_split_free(&m->train);
    mem_split_free(&m->test);
    memset(m, 0, sizeof *m);
}
