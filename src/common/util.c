#include "common/util.h"

#include <errno.h>
#include <mpi.h>
#ifdef UG_FUZZ_BUILD
#include <setjmp.h>
#endif
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int ug_rank(void) {
    int init = 0, fin = 0, rank = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (init && !fin) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    return rank;
}

__attribute__((noreturn)) static void abort_all(int code) {
    int init = 0, fin = 0, size = 1;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    fflush(stdout);
    fflush(stderr);
    if (init && !fin) {
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        if (size > 1) MPI_Abort(MPI_COMM_WORLD, code);
    }
    _exit(code);  // single rank: skip atexit handlers that could touch half-finished state
}

#ifdef UG_FUZZ_BUILD
jmp_buf* ug_die_jump = NULL;
char ug_die_last_message[2048];
#endif

#define MAX_DIE_HOOKS 8
static void (*g_die_hooks[MAX_DIE_HOOKS])(void);
static int g_n_die_hooks;
static int g_in_die_hooks;   // a hook that dies must not run the hooks again

void ug_at_die(void (*hook)(void)) {
    for (int k = 0; k < g_n_die_hooks; k++)
        if (g_die_hooks[k] == hook) return;
    UG_CHECK(g_n_die_hooks < MAX_DIE_HOOKS, "ug_at_die: more than %d cleanup hooks", MAX_DIE_HOOKS);
    g_die_hooks[g_n_die_hooks++] = hook;
}

static void run_die_hooks(void) {
    if (g_in_die_hooks) return;
    g_in_die_hooks = 1;
    for (int k = g_n_die_hooks - 1; k >= 0; k--) g_die_hooks[k]();
    g_in_die_hooks = 0;
}

void ug_die_at(const char* file, int line, const char* fmt, ...) {
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    run_die_hooks();
#ifdef UG_FUZZ_BUILD
    if (ug_die_jump) {   // a fuzz harness counts a clean die as "input rejected"
        snprintf(ug_die_last_message, sizeof ug_die_last_message, "%s:%d: %s", file, line, msg);
        longjmp(*ug_die_jump, 1);
    }
#endif
    fprintf(stderr, "ugradsl: error: [rank %d] %s:%d: %s\n", ug_rank(), file, line, msg);
    abort_all(1);
}

void ug_die_errno_at(const char* file, int line, const char* fmt, ...) {
    int err = errno;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    ug_die_at(file, line, "%s: %s", msg, err ? strerror(err) : "unknown cause (errno not set)");
}

void ug_mpi_die(const char* file, int line, const char* expr, int rc) {
    char err[MPI_MAX_ERROR_STRING] = "";
    int len = 0;
    MPI_Error_string(rc, err, &len);
    ug_die_at(file, line, "MPI call failed: %s: %s (a peer rank may have died; check its log)", expr, err);
}

void* ug_malloc(size_t bytes) {
    void* p = malloc(bytes ? bytes : 1);
    if (!p) ug_die("out of memory allocating %zu bytes (reduce batch size or model width)", bytes);
    return p;
}

void* ug_calloc(size_t count, size_t size) {
    void* p = calloc(count ? count : 1, size ? size : 1);
    if (!p) ug_die("out of memory allocating %zu x %zu bytes (reduce batch size or model width)", count, size);
    return p;
}

void* ug_aligned_alloc(size_t bytes) {
    void* p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0)
        ug_die("out of memory allocating %zu aligned bytes (reduce batch size or model width)", bytes);
    return p;
}

void* ug_realloc(void* old, size_t bytes) {
    void* p = realloc(old, bytes ? bytes : 1);
    if (!p) ug_die("out of memory reallocating to %zu bytes", bytes);
    return p;
}

char* ug_strdup(const char* s) {
    size_t n = strlen(s) + 1;
    char* p = ug_malloc(n);
    memcpy(p, s, n);
    return p;
}

double ug_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void ug_log(const char* fmt, ...) {
    if (ug_rank() != 0) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void ug_warn(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "ugradsl: warning: [rank %d] ", ug_rank());
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

char* ug_read_file(const char* path, size_t* size_out) {
    FILE* f = fopen(path, "rb");
    if (!f) ug_die("cannot open '%s': %s (check the path)", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char* buf = ug_malloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = ug_realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) ug_die("cannot read '%s': %s", path, strerror(errno));
    fclose(f);
    buf[n] = 0;
    if (size_out) *size_out = n;
    return buf;
}

int ug_file_exists(const char* path) {
    struct stat st;
    return stat(path, &st) == 0;
}

void ug_mkdir_p(const char* path) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char* p = tmp + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(tmp, 0775) != 0 && errno != EEXIST) ug_die("cannot create directory '%s': %s", tmp, strerror(errno));
        *p = '/';
    }
    if (mkdir(tmp, 0775) != 0 && errno != EEXIST) ug_die("cannot create directory '%s': %s", tmp, strerror(errno));
}
