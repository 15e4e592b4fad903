// atomic_file.h — never leave a half-written output: write to "<path>.tmp.<pid>", fsync, rename.
#pragma once
#include <stdio.h>

typedef struct {
    FILE* f;
    char path[4096];
    char tmp[4096];
} AtomicFile;

void atomic_open(AtomicFile* af, const char* path);   // dies if the directory is not writable
void atomic_commit(AtomicFile* af);                   // fflush + fsync + rename; dies on failure
void atomic_abort(AtomicFile* af);                    // close and remove the temp file
// For files written by a library (HDF5): the temp name to create, then commit by name.
void atomic_tmp_name(const char* path, char* tmp, size_t cap);   // also tracks the name (below)
void atomic_rename(const char* tmp, const char* path); // fsync file + rename + fsync directory; untracks tmp

// Every temp name handed out is tracked until it is renamed (or aborted): when the run dies (ug_die, e.g. an
// HDF5 write failing on a full disk) the dying rank removes its tracked temp files first, so a failed write
// leaves no *.tmp.* behind.  Ranks that write a file collectively whose name rank 0 made track it too.
void atomic_tmp_track(const char* tmp);
void atomic_tmp_untrack(const char* tmp);   // e.g. after removing the temp file yourself
int atomic_tmp_tracked_count(void);          // for tests
