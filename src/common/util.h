// util.h — fatal errors, checked calls, allocation, timing, logging.
// Every fatal path goes through ug_die(): it prints "ugradsl: [rank R] file:line: message (hint)"
// and ends all ranks with MPI_Abort when MPI is up, so no rank hangs in a collective.
#pragma once
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

// Fatal error with printf-style message.  Never returns.
#define ug_die(...) ug_die_at(__FILE__, __LINE__, __VA_ARGS__)
void ug_die_at(const char* file, int line, const char* fmt, ...)
    __attribute__((noreturn, format(printf, 3, 4)));
#ifdef UG_FUZZ_BUILD
// Fuzz builds only (tests/fuzz): when set, ug_die longjmps here instead of exiting, so a harness can count a
// clean refusal of a bad input as "rejected" and go on (memory and HDF5 ids of the abandoned call leak).
#include <setjmp.h>
extern jmp_buf* ug_die_jump;
extern char ug_die_last_message[2048];   // the message of the last die that jumped
#endif

// Cleanup that ug_die runs (on the dying rank only, before MPI_Abort / exit): e.g. removing this rank's
// half-written temp files.  At most 8 hooks, run last-registered first; a hook that
// dies ends the run without the remaining hooks.
void ug_at_die(void (*hook)(void));

// Checks an expression; on failure dies with the expression text and a hint.
#define UG_CHECK(cond, ...) do { if (!(cond)) ug_die(__VA_ARGS__); } while (0)
// HDF5 calls return negative on error.  The message is one line: the call, the innermost HDF5 error and the
// system's cause when there is one (errno, e.g. "No space left on device").  HDF5's own 40-line stack is printed
// only with UG_DEBUG_HDF5=1 (ug_hdf5_errors_init turns HDF5's automatic printing off otherwise).
#define H5_CHECK(call) do { errno = 0; if ((long long)(call) < 0) ug_h5_die(__FILE__, __LINE__, #call); } while (0)
void ug_h5_die(const char* file, int line, const char* expr) __attribute__((noreturn));
// At program start: HDF5's automatic error printing off unless UG_DEBUG_HDF5=1 (then H5_CHECK prints the stack).
void ug_hdf5_errors_init(void);
// ug_die with ": <strerror(errno)>" appended (errno as it was on entry): for failed system calls and stdio.
#define ug_die_errno(...) ug_die_errno_at(__FILE__, __LINE__, __VA_ARGS__)
void ug_die_errno_at(const char* file, int line, const char* fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
// MPI calls return MPI_SUCCESS (0); communicators use MPI_ERRORS_RETURN so this can fire.
#define MPI_CHECK(call) do { int mpi_rc_ = (call); if (mpi_rc_ != 0) ug_mpi_die(__FILE__, __LINE__, #call, mpi_rc_); } while (0)
void ug_mpi_die(const char* file, int line, const char* expr, int rc) __attribute__((noreturn));

void* ug_malloc(size_t bytes);            // dies on failure (names the size)
void* ug_calloc(size_t count, size_t size);
void* ug_aligned_alloc(size_t bytes);     // 64-byte aligned, free with free()
void* ug_realloc(void* p, size_t bytes);
char* ug_strdup(const char* s);

double ug_now(void);                      // monotonic seconds
int ug_rank(void);                        // MPI rank or 0 when MPI is not initialised
void ug_log(const char* fmt, ...) __attribute__((format(printf, 1, 2)));   // rank 0 only, to stderr
void ug_warn(const char* fmt, ...) __attribute__((format(printf, 1, 2)));  // any rank, to stderr

// Read a whole file into memory (NUL-terminated); dies if unreadable.
char* ug_read_file(const char* path, size_t* size_out);
int ug_file_exists(const char* path);
void ug_mkdir_p(const char* path);        // dies on failure

// Index of the largest of z[0..K-1]; the first one on ties (as torch.argmax on the CPU).  Predictions everywhere.
static inline int ug_argmax(const float* z, int K) {
    int best = 0;
    for (int k = 1; k < K; k++)
        if (z[k] > z[best]) best = k;
    return best;
}
