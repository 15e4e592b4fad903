// cmd_context.c — dataset, split and model of a command, with one set of checks (see cmd_context.h).
#include "cmd/cmd_context.h"

#include <string.h>

#include "common/util.h"
#include "dist/dist.h"
#include "gpu/gpu_setup.h"

void cmd_context_open(CmdContext* cx, const char* command, const char* data_path, const char* split_path) {
    memset(cx, 0, sizeof *cx);
    cx->command = command;
    UG_CHECK(data_path && *data_path, "%s: --data is required (a dataset packed by `ugradsl pack`)", command);
    cx->data_path = data_path;
    cx->split_path = split_path;
    dataset_open(&cx->ds, data_path, g_dist.comm);
    if (split_path) split_load(split_path, &cx->ds, &cx->split);
}

void cmd_context_require_eval_split(const CmdContext* cx) {
    if (cx->split.n_test_keep > 0) return;
    UG_CHECK(dataset_has_split(&cx->ds, "test"),
             "%s: dataset %s has no evaluation (test) split, so TA and the MIA's non-members cannot be measured; "
             "pack the validation images with it (a val/ or test/ folder: docs/DATA.md, docs/IMAGENET.md) and "
             "make the split again", cx->command, cx->data_path);
    ug_die("%s: the evaluation (test) split of dataset %s has no sample of a retained class (split %s), so TA cannot "
           "be measured; forget fewer classes or pack more validation images", cx->command, cx->data_path,
           cx->split_path ? cx->split_path : "-");
}

// The one set of model-vs-dataset checks: a model must predict the dataset's classes from its channels.
static void check_model_fits(const CmdContext* cx) {
    const DatasetInfo* info = &cx->ds.info;
    UG_CHECK(cx->mc.num_classes == info->num_classes,
             "%s: the model %s (%s) has %d classes but the dataset %s has %d; use a checkpoint trained on this dataset",
             cx->command, cx->model_path, cx->model_desc, cx->mc.num_classes, cx->data_path, info->num_classes);
    UG_CHECK(info->channels == 0 || info->channels == cx->mc.in_c,
             "%s: the model %s expects %d input channels but the dataset %s has %d", cx->command, cx->model_path,
             cx->mc.in_c, cx->data_path, info->channels);
    UG_CHECK(cx->mc.in_h > 0 && cx->mc.in_w > 0, "%s: the model %s has no input size (%dx%d): a damaged checkpoint",
             cx->command, cx->model_path, cx->mc.in_h, cx->mc.in_w);
}

Model* cmd_context_load_model(CmdContext* cx, const char* model_path, Backend backend, int device) {
    UG_CHECK(model_path && *model_path, "%s: --model is required (a model.h5 of `ugradsl train`)", cx->command);
    if (cx->model) model_destroy(cx->model);
    cx->model = NULL;
    cx->model_path = model_path;
    checkpoint_read_config(model_path, &cx->mc);
    model_config_describe(&cx->mc, cx->model_desc, sizeof cx->model_desc);
    check_model_fits(cx);
    cx->model = model_create(&cx->mc, backend);
    memset(&cx->state, 0, sizeof cx->state);
    checkpoint_load(model_path, cx->model, NULL, &cx->state);
    device_attach(cx->model, device);
    return cx->model;
}

void cmd_context_close(CmdContext* cx) {
    if (cx->model) model_destroy(cx->model);
    if (cx->split_path) split_free(&cx->split);
    dataset_close(&cx->ds);
    memset(cx, 0, sizeof *cx);
}
