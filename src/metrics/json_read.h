// json_read.h — a small strict JSON parser into a tree, for reading metrics.json files back (`report`).
// common/json.h's finders match the first key anywhere; the report needs exact paths and clear errors.
#pragma once
#include <stddef.h>

typedef enum { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ } JvType;

typedef struct Jv {
    JvType type;
    int boolean;
    double num;
    char* str;            // JV_STR (UTF-8, unescaped)
    int n;                // items in JV_ARR / JV_OBJ
    struct Jv* items;     // [n]
    char** keys;          // JV_OBJ: [n]
} Jv;

// Parses the whole text (trailing garbage is an error).  Returns 1, or 0 with "line L col C: what" in err.
int jv_parse(const char* text, Jv* out, char* err, size_t err_cap);
void jv_free(Jv* v);
const Jv* jv_get(const Jv* obj, const char* key);   // NULL when obj is not an object or lacks key
const Jv* jv_path(const Jv* root, const char* dotted);   // "timing.rte_s"
