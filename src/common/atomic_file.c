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

static void fsync_path(const char* path, int is_dir) {
    int fd = open(path, is_dir ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0) ug_die("cannot open '%s' to fsync: %s", path, strerror(errno));
    if (fsync(fd) != 0 && !(is_dir && (errno == EINVAL || errno == EBADF)))
        ug_die("fsync of '%s' failed: %s (disk full?)", path, strerror(errno));
    close(fd);
}

void atomic_rename(const char* tmp, const char* path) {
    fsync_path(tmp, 0);
    if (rename(tmp, path) != 0) ug_die("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
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
    if (fflush(af->f) != 0 || ferror(af->f)) ug_die("writing '%s' failed: %s (disk full?)", af->tmp, strerror(errno));
    if (fclose(af->f) != 0) ug_die("closing '%s' failed: %s", af->tmp, strerror(errno));
    af->f = NULL;
    atomic_rename(af->tmp, af->path);
}

void atomic_abort(AtomicFile* af) {
    if (af->f) fclose(af->f);
    af->f = NULL;
    unlink(af->tmp);
}
