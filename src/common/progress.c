#include "common/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "common/util.h"

void progress_start(Progress* p, const char* label, const char* unit, int64_t total) {
    p->label = label;
    p->unit = unit;
    p->total = total;
    p->t_start = p->t_last = ug_now();
    p->tty = isatty(2);
    p->log_every_s = 10.0;
}

static void print_line(Progress* p, int64_t done, const char* extra, int final) {
    double el = ug_now() - p->t_start;
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 && p->total > done ? (double)(p->total - done) / rate : 0;
    fprintf(stderr, "%s%s %lld/%lld  %.1f %s/s  %s %02d:%02d  %s%s", p->tty ? "\r" : "", p->label,
            (long long)done, (long long)p->total, rate, p->unit, final ? "took" : "ETA",
            (int)((final ? el : eta) / 60), (int)(final ? el : eta) % 60, extra ? extra : "",
            p->tty && !final ? "\033[K" : "\n");
    if (final && p->tty) fputs("", stderr);
    fflush(stderr);
}

void progress_update(Progress* p, int64_t done, const char* extra) {
    if (ug_rank() != 0) return;
    double now = ug_now();
    if (now - p->t_last < (p->tty ? 0.2 : p->log_every_s)) return;
    p->t_last = now;
    print_line(p, done, extra, 0);
}

void progress_finish(Progress* p, int64_t done, const char* extra) {
    if (ug_rank() != 0) return;
    if (p->tty) fputs("\r\033[K", stderr);
    print_line(p, done, extra, 1);
}
