// rl.c — random labels: CE on one shuffled stream over D_r ∪ D_f where every forget sample carries a fixed
// uniformly random label (rl_random_label; it may equal the true one), as the public code.
#include "unlearn/registry.h"

const MethodDef method_rl = {
    .name = "rl",
    .kind = METHOD_RL,
    .summary = "random labels on D_f, trained together with D_r",
    .stream = STREAM_UNION_RELABELLED,
    .loss = LOSS_CE,
    .retain_sign = +1,
    .forget_sign = +1,
};
