// cmd_train.c — `ugradsl train`: the command line → a TrainRecipe (src/cmd/train_recipe.c) → train_run.
#include <stdlib.h>

#include "cmd/commands.h"
#include "cmd/train_recipe.h"
#include "common/opts.h"
#include "common/util.h"

int cmd_train(int argc, char** argv) {
    TrainRecipe r;
    train_recipe_init(&r);
    int npos = 0;
    char** pos = NULL;
    opts_parse("train", TRAIN_USAGE, TRAIN_DESCRIPTION, r.specs, argc, argv, &npos, &pos);
    UG_CHECK(npos == 0, "train: unexpected argument '%s' (options are long, e.g. --data FILE)", pos[0]);
    int rc = train_recipe_run(&r, NULL);
    train_recipe_free(&r);
    free(pos);
    return rc;
}
