// json.h — a small streaming JSON writer (objects, arrays, numbers, strings) with correct escaping.
// Non-finite numbers are written as null (JSON has no NaN).
#pragma once
#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE* f;
    int depth;
    int need_comma[64];
    int pretty;
} JsonWriter;

void json_begin(JsonWriter* j, FILE* f, int pretty);
void json_obj_open(JsonWriter* j, const char* key);   // key NULL inside arrays / at top level
void json_obj_close(JsonWriter* j);
void json_arr_open(JsonWriter* j, const char* key);
void json_arr_close(JsonWriter* j);
void json_num(JsonWriter* j, const char* key, double v);
void json_int(JsonWriter* j, const char* key, int64_t v);
void json_str(JsonWriter* j, const char* key, const char* v);   // v NULL -> null
void json_bool(JsonWriter* j, const char* key, int v);
void json_null(JsonWriter* j, const char* key);
void json_end(JsonWriter* j);   // writes the final newline

// Minimal reader for our own metrics files: finds "key": number at any depth (first match).
// Returns 1 and sets *out when found and numeric, 0 otherwise (null -> 0).
int json_find_number(const char* text, const char* key, double* out);
// Finds "key": "string"; copies into buf. Returns 1 when found.
int json_find_string(const char* text, const char* key, char* buf, size_t cap);
