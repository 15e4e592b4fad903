// schedule.h — learning-rate schedules as a pure function of the global step (so resume needs no state).
//   constant:  base
//   multistep: base · gamma^(number of milestones ≤ current epoch)   (milestones in epochs, as MultiStepLR)
//   cosine:    base · ½(1 + cos(π·t/T)) per step, t = step − warmup, T = total − warmup (CosineAnnealingLR, η_min 0)
//   warm-up:   for the first warmup_steps steps, lr = (schedule value) · (step+1) / warmup_steps (linear).
#pragma once
#include <stdint.h>

typedef enum { SCHED_CONSTANT = 0, SCHED_MULTISTEP = 1, SCHED_COSINE = 2 } SchedKind;

#define SCHED_MAX_MILESTONES 16
typedef struct {
    SchedKind kind;
    double base_lr;
    double gamma;                       // multistep factor (default 0.1)
    int milestones[SCHED_MAX_MILESTONES];
    int num_milestones;
    int64_t steps_per_epoch;
    int64_t total_steps;                // epochs · steps_per_epoch
    int64_t warmup_steps;
} Schedule;

// Parses "constant" | "multistep" | "cosine"; returns 0 on an unknown name.
int sched_parse_kind(const char* s, SchedKind* out);
// Parses "80,120" into milestones; dies with a clear message on bad input.
void sched_parse_milestones(Schedule* s, const char* list);
double sched_lr(const Schedule* s, int64_t step);
