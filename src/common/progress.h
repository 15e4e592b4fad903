// progress.h — one progress line on rank 0: "label  done/total  rate unit/s  ETA mm:ss  extra".
// On a TTY it rewrites one line (\r) at most every 0.2 s; otherwise it prints a line every `log_every_s`.
#pragma once
#include <stdint.h>

typedef struct {
    const char* label;
    const char* unit;
    int64_t total;
    double t_start, t_last;
    int tty;
    double log_every_s;
} Progress;

void progress_start(Progress* p, const char* label, const char* unit, int64_t total);
void progress_update(Progress* p, int64_t done, const char* extra);   // extra may be NULL
void progress_finish(Progress* p, int64_t done, const char* extra);
