// json_read.c — recursive-descent JSON parser (RFC 8259; depth-limited).
#include "metrics/json_read.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

typedef struct {
    const char* text;
    const char* p;
    char* err;
    size_t err_cap;
    int failed;
} Parser;

static void fail(Parser* ps, const char* fmt, ...) {
    if (ps->failed) return;
    ps->failed = 1;
    int line = 1, col = 1;
    for (const char* q = ps->text; q < ps->p && *q; q++) {
        if (*q == '\n') { line++; col = 1; }
        else col++;
    }
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(ps->err, ps->err_cap, "line %d col %d: %s", line, col, msg);
}

static void skip_ws(Parser* ps) {
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r') ps->p++;
}

static void put_utf8(char** out, unsigned cp) {
    char* o = *out;
    if (cp < 0x80) *o++ = (char)cp;
    else if (cp < 0x800) { *o++ = (char)(0xC0 | (cp >> 6)); *o++ = (char)(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12)); *o++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18)); *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *o++ = (char)(0x80 | (cp & 0x3F));
    }
    *out = o;
}

static int hex4(const char* s, unsigned* out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static char* parse_string(Parser* ps) {
    // ps->p at the opening quote.  The unescaped string is never longer than the escaped one.
    const char* start = ++ps->p;
    const char* q = start;
    while (*q && *q != '"') q += (*q == '\\' && q[1]) ? 2 : 1;
    if (!*q) { fail(ps, "unterminated string"); return NULL; }
    char* buf = ug_malloc((size_t)(q - start) + 8);
    char* o = buf;
    while (*ps->p != '"') {
        unsigned char c = (unsigned char)*ps->p;
        if (c < 0x20) { fail(ps, "control character in string"); free(buf); return NULL; }
        if (c != '\\') { *o++ = (char)c; ps->p++; continue; }
        char e = ps->p[1];
        ps->p += 2;
        switch (e) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '/': *o++ = '/'; break;
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            unsigned cp;
            if (!hex4(ps->p, &cp)) { fail(ps, "bad \\u escape"); free(buf); return NULL; }
            ps->p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && ps->p[0] == '\\' && ps->p[1] == 'u') {
                unsigned lo;
                if (hex4(ps->p + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    ps->p += 6;
                }
            }
            put_utf8(&o, cp);
            break;
        }
        default: fail(ps, "bad escape '\\%c'", e); free(buf); return NULL;
        }
    }
    ps->p++;
    *o = 0;
    return buf;
}

static void parse_value(Parser* ps, Jv* v, int depth);

static void push_item(Jv* v, int* cap) {
    if (v->n == *cap) {
        *cap = *cap ? 2 * *cap : 4;
        v->items = ug_realloc(v->items, sizeof(Jv) * (size_t)*cap);
        if (v->type == JV_OBJ) v->keys = ug_realloc(v->keys, sizeof(char*) * (size_t)*cap);
    }
    memset(&v->items[v->n], 0, sizeof(Jv));
    if (v->type == JV_OBJ) v->keys[v->n] = NULL;
    v->n++;
}

static void parse_container(Parser* ps, Jv* v, int depth, char close) {
    int cap = 0;
    ps->p++;
    skip_ws(ps);
    if (*ps->p == close) { ps->p++; return; }
    for (;;) {
        skip_ws(ps);
        push_item(v, &cap);
        if (v->type == JV_OBJ) {
            if (*ps->p != '"') { fail(ps, "expected a key string"); return; }
            v->keys[v->n - 1] = parse_string(ps);
            if (ps->failed) return;
            skip_ws(ps);
            if (*ps->p != ':') { fail(ps, "expected ':' after a key"); return; }
            ps->p++;
        }
        parse_value(ps, &v->items[v->n - 1], depth + 1);
        if (ps->failed) return;
        skip_ws(ps);
        if (*ps->p == ',') { ps->p++; continue; }
        if (*ps->p == close) { ps->p++; return; }
        fail(ps, "expected ',' or '%c'", close);
        return;
    }
}

static void parse_value(Parser* ps, Jv* v, int depth) {
    memset(v, 0, sizeof *v);
    if (depth > 64) { fail(ps, "nesting too deep"); return; }
    skip_ws(ps);
    char c = *ps->p;
    if (c == '{') { v->type = JV_OBJ; parse_container(ps, v, depth, '}'); }
    else if (c == '[') { v->type = JV_ARR; parse_container(ps, v, depth, ']'); }
    else if (c == '"') { v->type = JV_STR; v->str = parse_string(ps); }
    else if (!strncmp(ps->p, "true", 4)) { v->type = JV_BOOL; v->boolean = 1; ps->p += 4; }
    else if (!strncmp(ps->p, "false", 5)) { v->type = JV_BOOL; ps->p += 5; }
    else if (!strncmp(ps->p, "null", 4)) { v->type = JV_NULL; ps->p += 4; }
    else if (c == '-' || (c >= '0' && c <= '9')) {
        char* end;
        v->type = JV_NUM;
        v->num = strtod(ps->p, &end);
        if (end == ps->p) fail(ps, "bad number");
        ps->p = end;
    } else if (!c) fail(ps, "unexpected end of text");
    else fail(ps, "unexpected character '%c'", c);
}

int jv_parse(const char* text, Jv* out, char* err, size_t err_cap) {
    Parser ps = {text, text, err, err_cap, 0};
    if (err_cap) err[0] = 0;
    parse_value(&ps, out, 0);
    if (!ps.failed) {
        skip_ws(&ps);
        if (*ps.p) fail(&ps, "unexpected text after the JSON value");
    }
    if (ps.failed) {
        jv_free(out);
        return 0;
    }
    return 1;
}

void jv_free(Jv* v) {
    for (int i = 0; i < v->n; i++) {
        jv_free(&v->items[i]);
        if (v->keys) free(v->keys[i]);
    }
    free(v->items);
    free(v->keys);
    free(v->str);
    memset(v, 0, sizeof *v);
}

const Jv* jv_get(const Jv* obj, const char* key) {
    if (!obj || obj->type != JV_OBJ) return NULL;
    for (int i = 0; i < obj->n; i++)
        if (obj->keys[i] && !strcmp(obj->keys[i], key)) return &obj->items[i];
    return NULL;
}

const Jv* jv_path(const Jv* root, const char* dotted) {
    char part[128];
    const Jv* v = root;
    while (v && *dotted) {
        const char* dot = strchr(dotted, '.');
        size_t len = dot ? (size_t)(dot - dotted) : strlen(dotted);
        if (len >= sizeof part) return NULL;
        memcpy(part, dotted, len);
        part[len] = 0;
        v = jv_get(v, part);
        dotted += len + (dot ? 1 : 0);
    }
    return v;
}
