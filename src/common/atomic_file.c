#include "common/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"

void atomic_tmp_name(const char* path, char* tmp, size_t cap) {
    snprintf(tmp, cap, "%s.tmp.%d", path, (int)getpid());
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
}
