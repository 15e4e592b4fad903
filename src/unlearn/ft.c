// ft.c — fine-tuning: CE steps on D_r alone (METHOD.md §5).
#include "unlearn/registry.h"

const MethodDef method_ft = {
    .name = "ft",
    .kind = METHOD_FT,
    .summary = "fine-tune: CE on D_r",
    .stream = STREAM_RETAIN,
    .loss = LOSS_CE,
    .retain_sign = +1,
};
