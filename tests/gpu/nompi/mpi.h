// mpi.h (stub) — a one-process stand-in for the few MPI calls util.c and tests/harness.h make, so the GPU
// tests build on a GPU machine without MPI (`make gpu-standalone`, used by tools/gpu-check.sh).
// Never on the include path of the normal build.
#pragma once
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int MPI_Comm;
typedef int MPI_Datatype;
typedef int MPI_Op;
#define MPI_COMM_WORLD 0
#define MPI_COMM_NULL (-1)
#define MPI_INT 1
#define MPI_SUM 1
#define MPI_MAX 2
#define MPI_IN_PLACE ((void*)1)
#define MPI_MAX_ERROR_STRING 64
#define UG_NO_MPI 1

static inline int MPI_Init(int* argc, char*** argv) { (void)argc; (void)argv; return 0; }
static inline int MPI_Finalize(void) { return 0; }
static inline int MPI_Initialized(int* flag) { *flag = 0; return 0; }   // util.c then takes its no-MPI paths
static inline int MPI_Finalized(int* flag) { *flag = 0; return 0; }
static inline int MPI_Comm_rank(MPI_Comm c, int* r) { (void)c; *r = 0; return 0; }
static inline int MPI_Comm_size(MPI_Comm c, int* s) { (void)c; *s = 1; return 0; }
static inline int MPI_Abort(MPI_Comm c, int code) { (void)c; exit(code); }
static inline int MPI_Error_string(int rc, char* s, int* len) {
    *len = snprintf(s, MPI_MAX_ERROR_STRING, "MPI error %d", rc);
    return 0;
}
static inline int MPI_Allreduce(const void* in, void* out, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
    (void)op; (void)c;
    if (in != MPI_IN_PLACE) memcpy(out, in, (size_t)n * (t == MPI_INT ? sizeof(int) : 1));
    return 0;
}
