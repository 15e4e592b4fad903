// provenance.c — split hash, dataset identity and options text of a checkpoint's provenance (see provenance.h).
#include "train/provenance.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static uint64_t fnv(uint64_t h, const void* data, size_t n) {
    const unsigned char* p = data;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ULL; }
    return h;
}

static uint64_t fnv_set(uint64_t h, const int64_t* idx, int64_t n) {
    h = fnv(h, &n, sizeof n);
    return n > 0 && idx ? fnv(h, idx, (size_t)n * sizeof *idx) : h;
}

void provenance_split_hash(const Split* sp, char out[PROVENANCE_HASH_CHARS]) {
    uint64_t h = 1469598103934665603ULL;
    h = fnv_set(h, sp->forget, sp->n_forget);
    h = fnv_set(h, sp->retain, sp->n_retain);
    h = fnv_set(h, sp->val, sp->n_val);
    h = fnv_set(h, sp->val_keep, sp->n_val_keep);
    h = fnv_set(h, sp->test_keep, sp->n_test_keep);
    snprintf(out, PROVENANCE_HASH_CHARS, "%016llx", (unsigned long long)h);
}

void provenance_dataset_id(const Dataset* ds, const Split* sp, char* out, size_t cap) {
    const DatasetInfo* i = &ds->info;
    int n = snprintf(out, cap, "source=%s; classes=%d; image=%dx%dx%d", i->source, i->num_classes, i->height,
                     i->width, i->channels);
    if (sp && n >= 0 && (size_t)n < cap)
        snprintf(out + n, cap - (size_t)n, "; train_labels_hash=%016llx", (unsigned long long)sp->labels_hash);
}

char* provenance_options_text(const char* section, const OptSpec* specs) {
    size_t cap = 8192, len = 0;
    char* s = ug_malloc(cap);
    len += (size_t)snprintf(s, cap, "[%s]\n", section);
    for (const OptSpec* o = specs; o->name; o++) {
        char val[1024] = "";
        switch (o->type) {
        case OPT_STR:
            if (!*(char**)o->dest) continue;
            snprintf(val, sizeof val, "%s", *(char**)o->dest);
            break;
        case OPT_INT: case OPT_FLAG: snprintf(val, sizeof val, "%d", *(int*)o->dest); break;
        case OPT_INT64: snprintf(val, sizeof val, "%lld", (long long)*(int64_t*)o->dest); break;
        case OPT_DOUBLE: snprintf(val, sizeof val, "%.17g", *(double*)o->dest); break;
        default: continue;
        }
        size_t need = strlen(o->name) + strlen(val) + 8;
        if (len + need >= cap) { cap = 2 * (len + need); s = ug_realloc(s, cap); }
        len += (size_t)snprintf(s + len, cap - len, "%s = %s\n", o->name, val);
    }
    return s;
}

char* provenance_ini_value(const char* text, const char* key) {
    size_t klen = strlen(key);
    for (const char* line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        while (*line == ' ' || *line == '\t') line++;
        if (strncmp(line, key, klen) != 0) continue;
        const char* p = line + klen;
        while (*p == ' ' || *p == '\t') p++;
        if (*p != '=') continue;
        p++;
        while (*p == ' ' || *p == '\t') p++;
        size_t n = strcspn(p, "\r\n");
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) n--;
        char* v = ug_malloc(n + 1);
        memcpy(v, p, n);
        v[n] = 0;
        return v;
    }
    return NULL;
}

static int listed(const char* key, const char* const* list) {
    for (; list && *list; list++)
        if (!strcmp(*list, key)) return 1;
    return 0;
}

static int same_value(const char* key, const char* a, const char* b, const char* const* path_keys) {
    if (!strcmp(a, b)) return 1;
    if (!listed(key, path_keys)) return 0;
    char ra[PATH_MAX], rb[PATH_MAX];
    return realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

int provenance_config_diff(const char* before, const char* now, const char* const* keys,
                           const char* const* path_keys, char* out, size_t cap) {
    int n = 0;
    out[0] = 0;
    for (; *keys; keys++) {
        char* a = provenance_ini_value(before, *keys);
        char* b = provenance_ini_value(now, *keys);
        if (!same_value(*keys, a ? a : "", b ? b : "", path_keys)) {
            size_t len = strlen(out);
            snprintf(out + len, cap - len, "%s%s (checkpoint: %s, now: %s)", n ? ", " : "", *keys,
                     a && *a ? a : "-", b && *b ? b : "-");
            n++;
        }
        free(a);
        free(b);
    }
    return n;
}
