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
void atomic_tmp_name(const char* path, char* tmp, size_t cap);
void atomic_rename(const char* tmp, const char* path); // fsync file + rename + fsync directory
