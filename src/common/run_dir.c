// run_dir.c — lock, overwrite guard and temp-file hygiene of a run's output folder (see run_dir.h).
#include "common/run_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/util.h"

static const char* const RESULT_FILES[] = {"model.h5", "checkpoint.h5", "metrics.json", "metrics.jsonl",
                                           "train.json", "salun_mask.h5"};
enum { N_RESULT_FILES = sizeof RESULT_FILES / sizeof RESULT_FILES[0] };

void run_dir_init(RunDir* rd) {
    rd->fd = -1;
    rd->dir[0] = 0;
}

// The pid of a "NAME.tmp.PID" file name, or 0 when the name is not one.
static long tmp_pid(const char* name) {
    const char* t = strstr(name, ".tmp.");
    if (!t) return 0;
    const char* digits = t + 5;
    while (strstr(digits, ".tmp.")) digits = strstr(digits, ".tmp.") + 5;   // the last ".tmp."
    if (!*digits || strspn(digits, "0123456789") != strlen(digits)) return 0;
    return strtol(digits, NULL, 10);
}

int run_dir_remove_stale_tmp(const char* dir, int own) {
    DIR* d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    struct dirent* e;
    while ((e = readdir(d))) {
        long pid = tmp_pid(e->d_name);
        if (pid <= 0) continue;
        int mine = pid == (long)getpid();
        int dead = !mine && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
        if (!(dead || (own && mine))) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (unlink(path) == 0) {
            removed++;
            if (!mine) ug_log("note: removed '%s' (a temp file of process %ld, which is gone)", path, pid);
        }
    }
    closedir(d);
    return removed;
}

static int file_in(const char* dir, const char* name, char* path, size_t cap) {
    snprintf(path, cap, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

// 1 when a and b name the same existing file.
static int same_file(const char* a, const char* b) {
    char ra[PATH_MAX], rb[PATH_MAX];
    return a && b && realpath(a, ra) && realpath(b, rb) && !strcmp(ra, rb);
}

// 1 when file lies directly in dir.
static int file_is_in_dir(const char* file, const char* dir) {
    char rf[PATH_MAX], rd[PATH_MAX];
    if (!file || !realpath(file, rf) || !realpath(dir, rd)) return 0;
    char* slash = strrchr(rf, '/');
    if (!slash) return 0;
    *slash = 0;
    return !strcmp(rf, rd);
}

static void take_lock(RunDir* rd, const char* command) {
    char lock[PATH_MAX + 16];
    snprintf(lock, sizeof lock, "%s/.lock", rd->dir);
    rd->fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0664);
    UG_CHECK(rd->fd >= 0, "%s: cannot create the lock file '%s': %s", command, lock, strerror(errno));
    if (flock(rd->fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(rd->fd);
        rd->fd = -1;
        if (err == EWOULDBLOCK)
            ug_die("%s: another run is writing into '%s' (it holds %s); wait for it to end or give another --output",
                   command, rd->dir, lock);
        ug_die("%s: cannot lock '%s': %s", command, lock, strerror(err));
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(rd->fd, 0) == 0 && write(rd->fd, pid, (size_t)n) != n) { /* the pid is information only */ }
}

void run_dir_claim(RunDir* rd, const char* command, const char* dir, const RunDirPolicy* p) {
    run_dir_init(rd);
    snprintf(rd->dir, sizeof rd->dir, "%s", dir);
    ug_mkdir_p(dir);
    take_lock(rd, command);
    run_dir_remove_stale_tmp(dir, 0);

    char path[PATH_MAX], found[1024] = "";
    int n_found = 0, model_is_evaluated = 0;
    for (int i = 0; i < N_RESULT_FILES; i++) {
        if (!file_in(dir, RESULT_FILES[i], path, sizeof path)) continue;
        if (i == 0 && p->model && same_file(path, p->model)) model_is_evaluated = 1;
        snprintf(found + strlen(found), sizeof found - strlen(found), "%s%s", n_found ? ", " : "", RESULT_FILES[i]);
        n_found++;
    }
    if (!n_found) return;
    if (p->force) {
        for (int i = 0; i < N_RESULT_FILES; i++) {
            if (!file_in(dir, RESULT_FILES[i], path, sizeof path)) continue;
            if (p->model && strcmp(RESULT_FILES[i], "metrics.json") != 0) continue;   // eval replaces only that
            if (p->resume && same_file(path, p->resume)) continue;
            UG_CHECK(unlink(path) == 0, "%s: --force: cannot remove '%s': %s", command, path, strerror(errno));
        }
        ug_log("%s: --force: replacing the earlier results in '%s' (%s)", command, dir, found);
        return;
    }
    if (p->resume && file_is_in_dir(p->resume, dir)) {   // continuing this folder's run
        if (file_in(dir, "metrics.json", path, sizeof path))
            UG_CHECK(unlink(path) == 0, "%s: cannot remove '%s': %s", command, path, strerror(errno));
        return;
    }
    // eval into the folder of the model it evaluates: the training files there are that model's own.
    if (model_is_evaluated && !file_in(dir, "metrics.json", path, sizeof path)) return;
    ug_die("%s: '%s' holds another run's results (%s); give a new --output, or --force to replace them%s", command,
           dir, found, p->resume ? " (--resume continues a run only in the folder of its checkpoint)" : "");
}

void run_dir_release(RunDir* rd) {
    if (rd->fd < 0) return;
    run_dir_remove_stale_tmp(rd->dir, 1);
    close(rd->fd);   // drops the flock; the .lock file stays (removing it would race with a run taking it)
    rd->fd = -1;
}
