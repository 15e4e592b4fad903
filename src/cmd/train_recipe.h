// train_recipe.h — the options of `ugradsl train` (one table: names, defaults, help, checks) and a run built from
// them.  `ugradsl train` parses its command line into a recipe; Retrain (`unlearn --method retrain`) loads the
// [train] recipe of its config file with the same table, sets what differs (D_r, seed, output, device), and runs
// it directly (see cmd_context.h for the exact calls).
#pragma once
#include <stdint.h>

#include "cmd/cmd_context.h"
#include "cmd/cmd_options.h"
#include "common/opts.h"
#include "train/train_run.h"

enum { TRAIN_RECIPE_MAX_OPTS = 48 };

typedef struct {
    // the option variables (strings malloc'd); the values stored by train_recipe_init are the defaults
    char *data, *split, *on, *output, *arch, *schedule, *milestones, *json, *augment, *resume;
    RuntimeOpts rt;
    int width, imagenet_stem, epochs, batch, nesterov, eval_every, checkpoint_every, cache, eval_batch, pad, drop_last;
    int force;                              // --force: replace another run's results in --output (common/run_dir.h)
    int allow_diverged;
    int64_t seed, stop_after, ckpt_steps;
    double lr, momentum, wd, gamma, warmup, clip;
    OptSpec specs[TRAIN_RECIPE_MAX_OPTS];   // the table, NULL-terminated (train.json "options", --help)
} TrainRecipe;

// The defaults of `ugradsl train` and its option table.
void train_recipe_init(TrainRecipe* r);

// The usage line and description of `ugradsl train --help`.
extern const char* const TRAIN_USAGE;
extern const char* const TRAIN_DESCRIPTION;

// train_recipe_init, then the file's [train] and shared sections (as `ugradsl train --config FILE`: an unknown
// key of [train] is an error).
void train_recipe_load(TrainRecipe* r, const char* config_path);

// Sets option `name` from text as `--name value` would (checked the same way; dies on a bad value).
void train_recipe_set(TrainRecipe* r, const char* name, const char* value);

// What Retrain changes in the recipe: train on D_r of split, with this seed, into output, on this device.
void train_recipe_retrain(TrainRecipe* r, const char* data, const char* split, const char* output, int64_t seed,
                          const char* device, const char* precision);

// Checks the options (one line each), sets the threads, and runs train_run.  cx: the command's open dataset and
// split (NULL: this opens them, and claims --output as `ugradsl train`: lock and overwrite guard, run_dir.h; with
// a cx the caller has claimed the folder).  Returns train_run's exit code (0, TRAIN_EXIT_REQUEUE or, without
// --allow-diverged, UG_EXIT_DIVERGED).  Collective.
int train_recipe_run(TrainRecipe* r, CmdContext* cx);

void train_recipe_free(TrainRecipe* r);
