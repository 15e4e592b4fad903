#include "common/json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

void json_begin(JsonWriter* j, FILE* f, int pretty) {
    memset(j, 0, sizeof *j);
    j->f = f;
    j->pretty = pretty;
}

static void indent(JsonWriter* j) {
    if (!j->pretty) return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++) fputs("  ", j->f);
}

static void write_string(FILE* f, const char* s) {
    fputc('"', f);
    for (const unsigned char* p = (const unsigned char*)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20) fprintf(f, "\\u%04x", *p);
            else fputc(*p, f);
        }
    }
    fputc('"', f);
}

static void prefix(JsonWriter* j, const char* key) {
    if (j->need_comma[j->depth]) fputc(',', j->f);
    j->need_comma[j->depth] = 1;
    if (j->depth > 0) indent(j);
    if (key) {
        write_string(j->f, key);
        fputs(j->pretty ? ": " : ":", j->f);
    }
}

void json_obj_open(JsonWriter* j, const char* key) {
    prefix(j, key);
    fputc('{', j->f);
    UG_CHECK(j->depth < 63, "JSON nesting too deep");
    j->need_comma[++j->depth] = 0;
}

void json_obj_close(JsonWriter* j) {
    int had = j->need_comma[j->depth];
    j->depth--;
    if (had) indent(j);
    fputc('}', j->f);
}

void json_arr_open(JsonWriter* j, const char* key) {
    prefix(j, key);
    fputc('[', j->f);
    UG_CHECK(j->depth < 63, "JSON nesting too deep");
    j->need_comma[++j->depth] = 0;
}

void json_arr_close(JsonWriter* j) {
    int had = j->need_comma[j->depth];
    j->depth--;
    if (had) indent(j);
    fputc(']', j->f);
}

void json_num(JsonWriter* j, const char* key, double v) {
    prefix(j, key);
    if (!isfinite(v)) fputs("null", j->f);
    else fprintf(j->f, "%.10g", v);
}

void json_int(JsonWriter* j, const char* key, int64_t v) {
    prefix(j, key);
    fprintf(j->f, "%lld", (long long)v);
}

void json_str(JsonWriter* j, const char* key, const char* v) {
    prefix(j, key);
    if (v) write_string(j->f, v);
    else fputs("null", j->f);
}

void json_bool(JsonWriter* j, const char* key, int v) {
    prefix(j, key);
    fputs(v ? "true" : "false", j->f);
}

void json_null(JsonWriter* j, const char* key) {
    prefix(j, key);
    fputs("null", j->f);
}

void json_end(JsonWriter* j) { fputc('\n', j->f); }

static const char* find_key(const char* text, const char* key) {
    char pat[256];
    snprintf(pat, sizeof pat, "\"%s\"", key);
    const char* p = strstr(text, pat);
    if (!p) return NULL;
    p += strlen(pat);
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p != ':') return NULL;
    p++;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

int json_find_number(const char* text, const char* key, double* out) {
    const char* p = find_key(text, key);
    if (!p) return 0;
    char* end;
    double v = strtod(p, &end);
    if (end == p) return 0;
    *out = v;
    return 1;
}

int json_find_string(const char* text, const char* key, char* buf, size_t cap) {
    const char* p = find_key(text, key);
    if (!p || *p != '"') return 0;
    p++;
    size_t n = 0;
    while (*p && *p != '"' && n + 1 < cap) {
        if (*p == '\\' && p[1]) p++;
        buf[n++] = *p++;
    }
    buf[n] = 0;
    return 1;
}
