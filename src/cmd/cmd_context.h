// cmd_context.h — what `eval`, `train`, `unlearn` and its Retrain start with, written once: open the dataset,
// load the split (checked against the dataset), load a model from a checkpoint (its config checked against the
// dataset: classes, channels; created with the backend; weights loaded; attached to the device).  Every check
// dies with one line that starts with the command's name and names the files.  All calls are collective.
//
// eval:     cmd_context_open(&cx, "eval", data, split);  cmd_context_load_model(&cx, model, BACKEND_FAST, dev);
//           eval_run(cx.model, &cx.ds, &cx.split, ...);  cmd_context_close(&cx);
// train:    cmd_context_open(&cx, "train", data, split);  the recipe runs train_run on cx.ds / cx.split
//           (train_recipe_run, src/cmd/train_recipe.h); train creates its model itself (sized from the dataset).
//
// How `unlearn` uses it (src/cmd/cmd_unlearn.c; replaces its dataset_open / split_load / checkpoint_read_config /
// class and channel checks / model_create / checkpoint_load / device_attach, for the methods and for Retrain):
//     CmdContext cx;
//     cmd_context_open(&cx, "unlearn", data, split);
//     Model* m = cmd_context_load_model(&cx, model, backend, dev);    // m == cx.model; cx.model_desc for the log
//     ... unlearn_run(&uc, &t, &cx.ds, &cx.split, &res); evaluate(m, &cx.ds, &cx.split, ...) ...
//     cmd_context_close(&cx);                                          // destroys cx.model too
// Retrain (no --model: it trains from scratch on D_r with the config's [train] recipe, then evaluates):
//     CmdContext cx;
//     cmd_context_open(&cx, "unlearn", data, split);
//     TrainRecipe r;
//     train_recipe_load(&r, config);                                   // [train] + shared sections of --config
//     train_recipe_retrain(&r, data, split, output, seed, device, precision);
//     double t0 = ug_now();
//     int rc = train_recipe_run(&r, &cx);                              // train_run on cx.ds / cx.split
//     double rte = dist_max_f64(ug_now() - t0);
//     train_recipe_free(&r);
//     if (rc == 0) cmd_context_load_model(&cx, "<output>/model.h5", BACKEND_FAST, dev);   // then evaluate
//     cmd_context_close(&cx);
#pragma once
#include "data/dataset.h"
#include "data/split.h"
#include "nn/model.h"
#include "train/checkpoint.h"

typedef struct {
    const char* command;       // prefix of every error line ("eval", "train", "unlearn")
    const char* data_path;
    const char* split_path;    // NULL: no split loaded
    Dataset ds;
    Split split;               // zeroed when split_path is NULL
    // after cmd_context_load_model:
    const char* model_path;
    ModelConfig mc;
    char model_desc[256];      // "resnet18 w64 10 classes 32x32x3" (model_config_describe)
    Model* model;              // owned: cmd_context_close destroys it
    TrainState state;          // the checkpoint's (seed, steps, ...); zero when it has none
} CmdContext;

// Opens data_path and, when split_path is not NULL, loads the split (split_load checks it belongs to the dataset).
void cmd_context_open(CmdContext* cx, const char* command, const char* data_path, const char* split_path);

// Reads the checkpoint's model config, checks that its classes and input channels are the dataset's, creates the
// model with `backend`, loads its weights (and TrainState into cx->state), and attaches it to `device` (0: CPU;
// device_parse, src/gpu/gpu_setup.h).  A model of another input size than the stored images is allowed: the
// loaders resample to the model's size (as for JPEG-mode datasets).  Replaces a model loaded before.
Model* cmd_context_load_model(CmdContext* cx, const char* model_path, Backend backend, int device);

// Dies with one line naming the dataset when the split has no evaluation sample (no test split, or none of a
// retained class): TA and MIA would be null.  eval, and unlearn unless --no-eval, call it before any work.
void cmd_context_require_eval_split(const CmdContext* cx);
// Frees the model, the split and the dataset.
void cmd_context_close(CmdContext* cx);
