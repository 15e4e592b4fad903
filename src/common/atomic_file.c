#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

// ---------------------------------------------------------------- temp files still being written (rank-local)

static char** g_pending;   // malloc'd names; removed by remove_pending_tmps when the run dies
static int g_n_pending, g_cap_pending;
static pthread_mutex_t g_pending_lock = PTHREAD_MUTEX_INITIALIZER;

// ug_die hook: the run is ending, so nothing tracked will be renamed.  trylock: a die while the lock is held
// (cannot happen in the code below, but a hook must never block) still removes what it can see.
static void remove_pending_tmps(void) {
    int locked = pthread_mutex_trylock(&g_pending_lock) == 0;
    for (int k = 0; k < g_n_pending; k++) unlink(g_pending[k]);
    if (locked) pthread_mutex_unlock(&g_pending_lock);
}

void atomic_tmp_track(const char* tmp) {
    ug_at_die(remove_pending_tmps);
    char* copy = ug_strdup(tmp);
    pthread_mutex_lock(&g_pending_lock);
    for (int k = 0; k < g_n_pending; k++)
        if (!strcmp(g_pending[k], tmp)) { pthread_mutex_unlock(&g_pending_lock); free(copy); return; }
    if (g_n_pending == g_cap_pending) {
        char** grown = realloc(g_pending, (size_t)(g_cap_pending ? 2 * g_cap_pending : 8) * sizeof *grown);
        if (!grown) { pthread_mutex_unlock(&g_pending_lock); ug_die("out of memory tracking the temp file '%s'", tmp); }
        g_pending = grown;
        g_cap_pending = g_cap_pending ? 2 * g_cap_pending : 8;
    }
    g_pending[g_n_pending++] = copy;
    pthread_mutex_unlock(&g_pending_lock);
}

void atomic_tmp_untrack(const char* tmp) {
    pthread_mutex_lock(&g_pending_lock);
    for (int k = 0; k < g_n_pending; k++)
        if (!strcmp(g_pending[k], tmp)) {
            free(g_pending[k]);
            g_pending[k] = g_pending[--g_n_pending];
            break;
        }
    pthread_mutex_unlock(&g_pending_lock);
}

int atomic_tmp_tracked_count(void) {
    pthread_mutex_lock(&g_pending_lock);
    int n = g_n_pending;
    pthread_mutex_unlock(&g_pending_lock);
    return n;
}

// ---------------------------------------------------------------- atomic writes

void atomic_tmp_name(const char* path, char* tmp, size_t cap) {
    snprintf(tmp, cap, "%s.tmp.%d", path, (int)getpid());
    atomic_tmp_track(tmp);
}

// A failed write never leaves its temp file behind: it is removed before the error ends the run.
static void die_removing(const char* tmp, const char* fmt, const char* path, int err) {
    if (tmp) unlink(tmp);
    ug_die(fmt, path, strerror(err));
}

static void fsync_path(const char* path, int is_dir) {
    int fd = open(path, is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) die_removing(is_dir ? NULL : path, "cannot open '%s' to fsync: %s", path, errno);
    if (fsync(fd) != 0 && !(is_dir && (errno == EINVAL || errno == EBADF))) {
        int err = errno;
        close(fd);
        die_removing(is_dir ? NULL : path, "fsync of '%s' failed: %s (disk full?)", path, err);
    }
    close(fd);
}

void atomic_rename(const char* tmp, const char* path) {
    fsync_path(tmp, 0);
    if (rename(tmp, path) != 0) {
        int err = errno;
        unlink(tmp);
        ug_die("cannot rename '%s' to '%s': %s", tmp, path, strerror(err));
    }
    atomic_tmp_untrack(tmp);   // renamed: nothing left for a later die to remove
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    fsync_path(dirname(dir), 1);
}

void atomic_open(AtomicFile* af, const char* path) {
    snprintf(af->path, sizeof af->path, "%s", path);
    atomic_tmp_name(path, af->tmp, sizeof af->tmp);
    af->f = fopen(af->tmp, "wb");
    if (!af->f) ug_die("cannot write '%s': %s (is the directory there and writable?)", af->tmp, strerror(errno));
}

void atomic_commit(AtomicFile* af) {
    if (fflush(af->f) != 0 || ferror(af->f)) {
        int err = errno;
        fclose(af->f);
        af->f = NULL;
        die_removing(af->tmp, "writing '%s' failed: %s (disk full?)", af->tmp, err);
    }
    int closed = fclose(af->f);
    af->f = NULL;
    if (closed != 0) die_removing(af->tmp, "closing '%s' failed: %s", af->tmp, errno);
    atomic_rename(af->tmp, af->path);
}

void atomic_abort(AtomicFile* af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    unlink(af->tmp);
    atomic_tmp_untrack(af->tmp);
}
