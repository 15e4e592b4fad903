// retrain.c — Retrain, the gold standard: not a step here; `ugradsl unlearn --method retrain` runs
// `ugradsl train --on retain` with the config's [train] recipe (cmd_unlearn.c) and evaluates it.
#include "unlearn/registry.h"

const MethodDef method_retrain = {
    .name = "retrain",
    .kind = METHOD_RETRAIN,
    .summary = "train from scratch on D_r with the original recipe (the gold standard)",
    .stream = STREAM_NONE,
    .loss = LOSS_NONE,
    .retain_sign = +1,
};
