// schedule.c — learning-rate schedules (see schedule.h).
#include "train/schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int sched_parse_kind(const char* s, SchedKind* out) {
    if (!strcmp(s, "constant")) *out = SCHED_CONSTANT;
    else if (!strcmp(s, "multistep") || !strcmp(s, "step")) *out = SCHED_MULTISTEP;
    else if (!strcmp(s, "cosine")) *out = SCHED_COSINE;
    else return 0;
    return 1;
}

void sched_parse_milestones(Schedule* s, const char* list) {
    s->num_milestones = 0;
    if (!list || !*list) return;
    const char* p = list;
    while (*p) {
        char* end;
        long v = strtol(p, &end, 10);
        UG_CHECK(end != p && v >= 0 && v < 1000000, "lr milestones: expected a comma-separated list of epochs, got '%s'", list);
        UG_CHECK(s->num_milestones < SCHED_MAX_MILESTONES, "lr milestones: at most %d", SCHED_MAX_MILESTONES);
        UG_CHECK(s->num_milestones == 0 || v > s->milestones[s->num_milestones - 1],
                 "lr milestones must increase: '%s'", list);
        s->milestones[s->num_milestones++] = (int)v;
        p = end;
        if (*p == ',') p++;
        else UG_CHECK(*p == 0, "lr milestones: unexpected '%c' in '%s'", *p, list);
    }
}

double sched_lr(const Schedule* s, int64_t step) {
    double lr = s->base_lr;
    if (s->kind == SCHED_MULTISTEP) {
        int64_t epoch = s->steps_per_epoch > 0 ? step / s->steps_per_epoch : 0;
        for (int i = 0; i < s->num_milestones; i++)
            if (epoch >= s->milestones[i]) lr *= s->gamma;
    } else if (s->kind == SCHED_COSINE) {
        int64_t T = s->total_steps - s->warmup_steps;
        int64_t t = step - s->warmup_steps;
        if (t < 0) t = 0;
        if (T > 0) lr = 0.5 * s->base_lr * (1.0 + cos(M_PI * (double)(t < T ? t : T) / (double)T));
    }
    if (step < s->warmup_steps) lr *= (double)(step + 1) / (double)s->warmup_steps;
    return lr;
}
