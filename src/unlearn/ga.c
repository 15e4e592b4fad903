// ga.c — gradient ascent: -CE steps on D_f alone (METHOD.md §5).
#include "unlearn/registry.h"

const MethodDef method_ga = {
    .name = "ga",
    .kind = METHOD_GA,
    .summary = "gradient ascent: -CE on D_f",
    .stream = STREAM_FORGET,
    .loss = LOSS_CE,
    .forget_sign = -1,
};
