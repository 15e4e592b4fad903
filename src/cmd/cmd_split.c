// cmd_split.c — `ugradsl split`: forget/retain split files for the four paradigms (docs/SPLITS.md).
// Rank 0 computes and writes; other ranks (if any) only wait.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_options.h"
#include "cmd/commands.h"
#include "common/atomic_file.h"
#include "common/json.h"
#include "common/opts.h"
#include "common/util.h"
#include "data/dataset.h"
#include "data/split.h"
#include "dist/dist.h"

// Parses "3,5,7" into a malloc'd int array; dies naming the option on anything else.
static int32_t* parse_int_list(const char* option, const char* text, int* n_out) {
    int cap = 8, n = 0;
    int32_t* out = ug_malloc((size_t)cap * sizeof *out);
    const char* p = text;
    while (*p) {
        char* end = NULL;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < -2147483647L || v > 2147483647L || (*end && *end != ','))
            ug_die("split: --%s expects comma-separated integers like 3,5, got '%s'", option, text);
        if (n == cap) out = ug_realloc(out, (size_t)(cap *= 2) * sizeof *out);
        out[n++] = (int32_t)v;
        p = *end == ',' ? end + 1 : end;
        if (*end == ',' && !*p) ug_die("split: --%s ends with a comma: '%s'", option, text);
    }
    if (n == 0) ug_die("split: --%s is empty", option);
    *n_out = n;
    return out;
}

static void write_json(const char* path, const char* data, const char* output, const Split* s) {
    AtomicFile af;
    atomic_open(&af, path);
    JsonWriter j;
    json_begin(&j, af.f, 1);
    json_obj_open(&j, NULL);
    json_str(&j, "command", "split");
    json_str(&j, "data", data);
    json_str(&j, "output", output);
    json_str(&j, "paradigm", paradigm_name(s->paradigm));
    json_int(&j, "seed", (int64_t)s->seed);
    json_num(&j, "val_fraction", s->val_fraction);
    json_num(&j, "fraction", s->fraction);
    json_arr_open(&j, "classes");
    for (int k = 0; k < s->num_classes_forgotten; k++) json_int(&j, NULL, s->classes[k]);
    json_arr_close(&j);
    json_int(&j, "coarse", s->coarse);
    json_int(&j, "fine", s->fine);
    json_arr_open(&j, "groups");
    for (int k = 0; k < s->num_groups_forgotten; k++) json_int(&j, NULL, s->groups[k]);
    json_arr_close(&j);
    json_str(&j, "source", s->source);
    json_int(&j, "num_classes", s->num_classes);
    json_int(&j, "n_train", s->n_train);
    json_int(&j, "n_val", s->n_val);
    json_int(&j, "n_forget", s->n_forget);
    json_int(&j, "n_retain", s->n_retain);
    json_int(&j, "n_val_keep", s->n_val_keep);
    json_int(&j, "n_test", s->n_test);
    json_int(&j, "n_test_keep", s->n_test_keep);
    json_obj_close(&j);
    json_end(&j);
    atomic_commit(&af);
}

int cmd_split(int argc, char** argv) {
    char *data = NULL, *output = NULL, *paradigm = NULL, *classes = NULL, *groups = NULL, *json = NULL;
    double fraction = 0, group_fraction = 0, val_fraction = 0.1;
    int64_t count = 0, seed = 0;
    int coarse = -1, fine = -1;
    OptSpec specs[] = {
        opt_data(&data),
        {"output", OPT_STR, &output, "FILE", "the split file to write (HDF5)", 0},
        {"paradigm", OPT_STR, &paradigm, "NAME", "class | random | group | identity (METHOD.md §3)", 0},
        {"classes", OPT_STR, &classes, "LIST", "class: the classes to forget, e.g. 3,5", 0},
        {"fraction", OPT_DOUBLE, &fraction, "F", "random: forget this fraction of train \\ val, in (0,1)", 0},
        {"count", OPT_INT64, &count, "N", "random: forget exactly N samples (instead of --fraction)", 0},
        {"coarse", OPT_INT, &coarse, "C", "group: the coarse class (CIFAR-100 super-class)", 0},
        {"fine", OPT_INT, &fine, "F", "group: the fine class (a label value) inside the coarse class to forget", 0},
        {"groups", OPT_STR, &groups, "LIST", "identity: the group ids to forget, e.g. 1,2", 0},
        {"group-fraction", OPT_DOUBLE, &group_fraction, "F", "identity: forget this fraction of the group ids, in (0,1)", 0},
        {"val-fraction", OPT_DOUBLE, &val_fraction, "F", "validation hold-out per class, in [0,1)", 0},
        opt_seed(&seed, "seed of the hold-out and of random choices (same seed, same split)"),
        opt_json(&json, "also write a summary as JSON"),
        {NULL, 0, NULL, NULL, NULL, 0},
    };
    int npos = 0;
    char** pos = NULL;
    opts_parse("split", "--data D.h5 --output S.h5 --paradigm class|random|group|identity [options]",
               "Writes a forget/retain split of the dataset's train split, with a seeded per-class validation hold-out.",
               specs, argc, argv, &npos, &pos);
    if (npos > 0) ug_die("split: unexpected argument '%s' (options are long, e.g. --data FILE)", pos[0]);
    if (!data) ug_die("split: --data FILE is required (a dataset made by `ugradsl pack`)");
    if (!output) ug_die("split: --output FILE is required");
    if (!paradigm) ug_die("split: --paradigm is required: class, random, group or identity");
    if (!strcmp(data, output)) ug_die("split: --output must not be the dataset file itself");
    SplitParams p = {0};
    if (!paradigm_parse(paradigm, &p.paradigm))
        ug_die("split: unknown --paradigm '%s' (use class, random, group or identity)", paradigm);
    // options that belong to another paradigm are mistakes, not silently ignored
    struct { const char* name; Paradigm owner; } owned[] = {
        {"classes", PARADIGM_CLASS}, {"fraction", PARADIGM_RANDOM}, {"count", PARADIGM_RANDOM},
        {"coarse", PARADIGM_GROUP}, {"fine", PARADIGM_GROUP}, {"groups", PARADIGM_IDENTITY},
        {"group-fraction", PARADIGM_IDENTITY},
    };
    for (size_t k = 0; k < sizeof owned / sizeof owned[0]; k++)
        if (opts_was_set(specs, owned[k].name) && owned[k].owner != p.paradigm)
            ug_die("split: --%s applies to --paradigm %s, not %s", owned[k].name, paradigm_name(owned[k].owner), paradigm);
    if (seed < 0) ug_die("split: --seed must be >= 0, got %lld", (long long)seed);
    p.seed = (uint64_t)seed;
    p.val_fraction = val_fraction;
    p.fraction = fraction;
    p.count = count;
    if (opts_was_set(specs, "fraction") && fraction == 0) ug_die("split: --fraction 0 is outside (0, 1)");
    if (opts_was_set(specs, "count") && count == 0) ug_die("split: --count must be positive, got 0");
    if (opts_was_set(specs, "group-fraction") && group_fraction == 0) ug_die("split: --group-fraction 0 is outside (0, 1)");
    p.coarse = coarse;
    p.fine = fine;
    p.group_fraction = group_fraction;
    int32_t *class_list = NULL, *group_list = NULL;
    if (classes) { class_list = parse_int_list("classes", classes, &p.num_classes_forgotten); p.classes = class_list; }
    if (groups) { group_list = parse_int_list("groups", groups, &p.num_groups_forgotten); p.groups = group_list; }

    if (g_dist.rank == 0) {
        if (!ug_file_exists(data)) ug_die("split: dataset '%s' does not exist (make it with `ugradsl pack`)", data);
        Dataset ds;
        dataset_open(&ds, data, MPI_COMM_NULL);
        DatasetSplit train, test;
        dataset_split_open(&ds, "train", &train);
        int has_test = dataset_has_split(&ds, "test");
        if (has_test) dataset_split_open(&ds, "test", &test);
        SplitInputs in = {ds.info.num_classes, train.n, train.labels, train.coarse_labels, train.groups,
                          has_test ? test.n : 0, has_test ? test.labels : NULL};
        Split s;
        char err[512];
        if (!split_make(&p, &in, ds.info.source, &s, err, sizeof err)) ug_die("split: %s (dataset '%s')", err, data);
        split_write(output, &s);
        printf("split: %s paradigm, seed %llu: train %lld = val %lld + forget %lld + retain %lld; test kept %lld of %lld -> %s\n",
               paradigm_name(s.paradigm), (unsigned long long)s.seed, (long long)s.n_train, (long long)s.n_val,
               (long long)s.n_forget, (long long)s.n_retain, (long long)s.n_test_keep, (long long)s.n_test, output);
        if (json) write_json(json, data, output, &s);
        split_free(&s);
        if (has_test) dataset_split_close(&test);
        dataset_split_close(&train);
        dataset_close(&ds);
    }
    dist_barrier();
    free(class_list); free(group_list);
    free(data); free(output); free(paradigm); free(classes); free(groups); free(json);
    return 0;
}
