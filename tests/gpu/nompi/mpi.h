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
typedef int MPI_Request;
typedef int MPI_Info;
typedef int MPI_Errhandler;
typedef struct { int dummy; } MPI_Status;
#define MPI_INT 1
#define MPI_FLOAT 2
#define MPI_DOUBLE 3
#define MPI_INT64_T 4
#define MPI_BYTE 5
#define MPI_SUM 1
#define MPI_MAX 2
#define MPI_MIN 3
#define MPI_THREAD_FUNNELED 1
#define MPI_COMM_TYPE_SHARED 1
#define MPI_INFO_NULL 0
#define MPI_ERRORS_RETURN 0
#define MPI_STATUS_IGNORE ((MPI_Status*)0)
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
static inline size_t mpi_stub_size(MPI_Datatype t) {
    return t == MPI_INT || t == MPI_FLOAT ? 4 : t == MPI_DOUBLE || t == MPI_INT64_T ? 8 : 1;
}
static inline int MPI_Allreduce(const void* in, void* out, int n, MPI_Datatype t, MPI_Op op, MPI_Comm c) {
    (void)op; (void)c;
    if (in != MPI_IN_PLACE) memcpy(out, in, (size_t)n * mpi_stub_size(t));
    return 0;
}
// What src/dist/dist.c (the CPU executor's all-reduce, model_sync_buffers) needs on one process.
static inline int MPI_Init_thread(int* argc, char*** argv, int req, int* provided) {
    (void)argc; (void)argv; *provided = req; return 0;
}
static inline int MPI_Comm_set_errhandler(MPI_Comm c, MPI_Errhandler e) { (void)c; (void)e; return 0; }
static inline int MPI_Comm_split_type(MPI_Comm c, int type, int key, MPI_Info info, MPI_Comm* out) {
    (void)type; (void)key; (void)info; *out = c; return 0;
}
static inline int MPI_Comm_free(MPI_Comm* c) { (void)c; return 0; }
static inline int MPI_Barrier(MPI_Comm c) { (void)c; return 0; }
static inline int MPI_Ibarrier(MPI_Comm c, MPI_Request* r) { (void)c; *r = 0; return 0; }
static inline int MPI_Test(MPI_Request* r, int* done, MPI_Status* s) { (void)r; (void)s; *done = 1; return 0; }
static inline int MPI_Bcast(void* buf, int n, MPI_Datatype t, int root, MPI_Comm c) {
    (void)buf; (void)n; (void)t; (void)root; (void)c; return 0;
}
