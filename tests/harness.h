// harness.h — the test harness: named cases, checks that count failures, visible SKIP.
// Each case prints one line: "PASS <binary>/<case>", "FAIL ...", or "SKIP ...: reason".
// Under MPI every rank runs every case; failures are summed over ranks (so a failure on any rank fails the
// case) and rank 0 prints.  tests/run_tests.sh counts the lines; a binary that dies counts as a failure.
#pragma once
#include <math.h>
#include <mpi.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int th_fail_count, th_total_fail, th_skipped, th_rank, th_world = 1, th_mpi;
static const char* th_binary = "test";
static char th_skip_reason[512];
static jmp_buf th_jump;

#define CHECK(cond, ...) do { if (!(cond)) { th_fail_count++; \
    fprintf(stderr, "  [rank %d] %s:%d: check failed: %s: ", th_rank, __FILE__, __LINE__, #cond); \
    fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } } while (0)
#define CHECK_TRUE(cond) CHECK(cond, "expected true")
#define CHECK_EQ_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
    CHECK(a_ == b_, "%s = %lld, %s = %lld", #a, a_, #b, b_); } while (0)
#define CHECK_CLOSE(a, b, tol) do { double a_ = (double)(a), b_ = (double)(b); \
    CHECK(fabs(a_ - b_) <= (tol), "%s = %.9g, %s = %.9g, |diff| %.3g > tol %.3g", #a, a_, #b, b_, fabs(a_ - b_), (double)(tol)); } while (0)
// Skip the current case (e.g. no GPU, no ../shared data).  Never counts as passed.
#define SKIP(...) do { snprintf(th_skip_reason, sizeof th_skip_reason, __VA_ARGS__); th_skipped = 1; longjmp(th_jump, 1); } while (0)

static void th_begin(int* argc, char*** argv, int use_mpi) {
    const char* slash = strrchr((*argv)[0], '/');
    th_binary = slash ? slash + 1 : (*argv)[0];
    th_mpi = use_mpi;
    if (use_mpi) {
        int init = 0;
        MPI_Initialized(&init);
        if (!init) MPI_Init(argc, argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &th_rank);
        MPI_Comm_size(MPI_COMM_WORLD, &th_world);
    }
}

static void th_run(const char* name, void (*fn)(void)) {
    th_fail_count = 0;
    th_skipped = 0;
    th_skip_reason[0] = 0;
    if (setjmp(th_jump) == 0) fn();
    int fails = th_fail_count, skipped = th_skipped;
    if (th_mpi && th_world > 1) {
        MPI_Allreduce(MPI_IN_PLACE, &fails, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &skipped, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    }
    if (th_rank == 0) {
        char suffix[32] = "";
        if (th_mpi) snprintf(suffix, sizeof suffix, "@np%d", th_world);
        if (fails) printf("FAIL %s/%s%s (%d failed checks)\n", th_binary, name, suffix, fails);
        else if (skipped) printf("SKIP %s/%s%s: %s\n", th_binary, name, suffix, th_skip_reason);
        else printf("PASS %s/%s%s\n", th_binary, name, suffix);
        fflush(stdout);
    }
    if (fails) th_total_fail++;
}

static int th_end(void) {
    if (th_mpi) MPI_Finalize();
    return th_total_fail ? 1 : 0;
}

#define TEST_CASE(fn) th_run(#fn, fn)

// Runs fn(arg) in a child process (for paths that must end the program: ug_die exits).  The child's stderr is
// captured into msg (NUL-terminated, at most cap-1 bytes).  Returns the child's exit status, or -1 when it was
// killed by a signal.
__attribute__((unused)) static int th_run_child(void (*fn)(void*), void* arg, char* msg, size_t cap) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn(arg);
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t got;
    char sink[256];
    while ((got = read(fds[0], len + 1 < cap ? msg + len : sink, len + 1 < cap ? cap - 1 - len : sizeof sink)) > 0)
        if (len + 1 < cap) len += (size_t)got;
    msg[len] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// 1 when fn(arg) ends the process with a non-zero exit and its stderr contains `needle` (else prints why).
__attribute__((unused)) static int th_dies_with(void (*fn)(void*), void* arg, const char* needle) {
    char msg[8192];
    int rc = th_run_child(fn, arg, msg, sizeof msg);
    int ok = rc > 0 && strstr(msg, needle) != NULL;
    if (!ok) fprintf(stderr, "  expected a non-zero exit mentioning '%s'; got exit %d, stderr:\n%s\n", needle, rc, msg);
    return ok;
}
