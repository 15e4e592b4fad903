// run_dir.h — one run's hold on its output folder (train, unlearn, eval --output):
//   * a lock: flock on DIR/.lock, held until run_dir_release (or the process ends); a second run into the same
//     folder dies at once with one line;
//   * no mixing of runs: a folder that holds another run's results (model.h5, checkpoint.h5, metrics.json,
//     metrics.jsonl, train.json, salun_mask.h5) is refused unless --force (which removes them first, so no stale
//     file stays beside the new model; eval removes only metrics.json) or --resume of a checkpoint in this folder
//     (which keeps them but drops metrics.json: it described an earlier model).  eval may write metrics.json into
//     the folder of the model it evaluates when no metrics.json is there yet;
//   * no stale temp files: "<name>.tmp.<pid>" (atomic_file.h) of a process that no longer runs are removed when
//     the folder is claimed, and this process's own are removed on release.
// Rank 0 claims and releases; the other ranks write nothing into the folder.
#pragma once

typedef struct {
    int force;              // --force: replace another run's results
    const char* resume;     // train --resume CKPT (NULL: none): continuing the run of CKPT's folder is allowed
    const char* model;      // eval: the model evaluated; its own training files in DIR are not "another run's"
} RunDirPolicy;

typedef struct {
    int fd;                 // the open DIR/.lock (-1: none)
    char dir[4096];
} RunDir;

// Creates dir, takes the lock, removes stale temp files, applies the policy.  Dies with one line (naming the
// command, the folder and what to do) when the folder is locked or holds another run's results.
void run_dir_claim(RunDir* rd, const char* command, const char* dir, const RunDirPolicy* p);
// Removes this process's leftover temp files and drops the lock.  Safe on a RunDir that was never claimed
// (fd = -1) only if it was zeroed with run_dir_init.
void run_dir_release(RunDir* rd);
void run_dir_init(RunDir* rd);

// Removes "*.tmp.<pid>" files in dir whose process is gone (and, with own != 0, this process's too).
// Returns how many were removed.
int run_dir_remove_stale_tmp(const char* dir, int own);
