// ug_host.h — the host services the CUDA files use: fatal errors, allocation, time.  Declared here so that
// kernels/ includes no src/ header; defined in src/common/util.c (same signatures as common/util.h), which every
// program linking libugcuda.a links too.
#pragma once
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

void ug_die_at(const char* file, int line, const char* fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
void* ug_calloc(size_t count, size_t size);
double ug_now(void);

#ifdef __cplusplus
}
#endif

#define ug_die(...) ug_die_at(__FILE__, __LINE__, __VA_ARGS__)
#define UG_CHECK(cond, ...) do { if (!(cond)) ug_die(__VA_ARGS__); } while (0)
