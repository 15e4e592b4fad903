// train_recipe.c — the `ugradsl train` option table and the run it describes (see train_recipe.h).
#include "cmd/train_recipe.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/run_dir.h"
#include "common/util.h"
#include "dist/dist.h"
#include "gpu/gpu_setup.h"
#include "train/divergence.h"

const char* const TRAIN_USAGE =
    "--config inputs/X.ini --data D.h5 [--split S.h5 --on retain|all] --output DIR";
const char* const TRAIN_DESCRIPTION =
    "Trains a model data-parallel over all MPI ranks (SGD, momentum, weight decay; docs/TRAINING.md).\n"
    "Exit code 75 after SIGTERM / SIGUSR1 (checkpoint written: resume with --resume DIR/checkpoint.h5).\n"
    "Exit code 3 when the run diverged (NaN/Inf, or accuracy collapsed to the most frequent class): model.h5 is the\n"
    "last finite state and train.json says \"diverged\": true (--allow-diverged: exit 0).";

void train_recipe_init(TrainRecipe* r) {
    memset(r, 0, sizeof *r);
    r->on = ug_strdup("all");
    r->arch = ug_strdup("resnet18");
    r->schedule = ug_strdup("cosine");
    r->augment = ug_strdup("auto");
    runtime_opts_init(&r->rt);
    r->epochs = 30;
    r->batch = 128;
    r->eval_every = 1;
    r->checkpoint_every = 1;
    r->cache = -1;
    r->eval_batch = 256;
    r->lr = 0.1;
    r->momentum = 0.9;
    r->wd = 5e-4;
    r->gamma = 0.1;
    const OptSpec rows[] = {
        opt_data(&r->data),
        opt_split(&r->split, "split file (`ugradsl split`): train on train \\ val (or D_r with --on retain), evaluate val"),
        {"on", OPT_STR, &r->on, "SET", "all (train \\ val) | retain (D_r: the Retrain baseline); needs --split for retain", 0},
        {"output", OPT_STR, &r->output, "DIR", "run directory: model.h5, checkpoint.h5, metrics.jsonl, train.json", 0},
        {"force", OPT_FLAG, &r->force, NULL, "replace another run's results in --output (default: refuse such a folder)", 0},
        {"arch", OPT_STR, &r->arch, "NAME", "resnet18 | vgg16_bn | small_cnn", 0},
        {"width", OPT_INT, &r->width, "W", "base width (0: 64 for resnet18 / vgg16_bn, 16 for small_cnn)", 0},
        {"imagenet-stem", OPT_FLAG, &r->imagenet_stem, NULL, "resnet18: 7x7 stride-2 stem + max-pool (default: CIFAR 3x3 stem)", 0},
        {"epochs", OPT_INT, &r->epochs, "N", "training epochs", 0},
        {"batch", OPT_INT, &r->batch, "N", "global batch size (summed over ranks)", 0},
        {"lr", OPT_DOUBLE, &r->lr, "LR", "base learning rate", 0},
        {"momentum", OPT_DOUBLE, &r->momentum, "M", "SGD momentum", 0},
        {"weight-decay", OPT_DOUBLE, &r->wd, "WD", "weight decay (added to the gradient, PyTorch SGD)", 0},
        {"nesterov", OPT_FLAG, &r->nesterov, NULL, "Nesterov momentum", 0},
        {"lr-schedule", OPT_STR, &r->schedule, "NAME", "constant | multistep | cosine", 0},
        {"milestones", OPT_STR, &r->milestones, "LIST", "multistep: epochs where lr is multiplied by --gamma, e.g. 80,120", 0},
        {"gamma", OPT_DOUBLE, &r->gamma, "G", "multistep factor", 0},
        {"warmup-epochs", OPT_DOUBLE, &r->warmup, "E", "linear warm-up over this many epochs (fractions allowed)", 0},
        {"clip-norm", OPT_DOUBLE, &r->clip, "N", "clip the global gradient norm to N (0: off)", 0},
        {"augment", OPT_STR, &r->augment, "NAME", "auto (crop-flip for RGB >= 32 px, else none) | none | crop-flip | rrc-flip", 0},
        {"pad", OPT_INT, &r->pad, "P", "crop-flip padding (0: default 4)", 0},
        {"drop-last", OPT_FLAG, &r->drop_last, NULL, "drop the short last batch of each epoch", 0},
        opt_seed(&r->seed, "seed of init, data order and augmentation"),
        {"eval-every", OPT_INT, &r->eval_every, "E", "evaluate test / val every E epochs (0: only at the end)", 0},
        {"eval-batch", OPT_INT, &r->eval_batch, "N", "evaluation batch (global)", 0},
        {"checkpoint-every", OPT_INT, &r->checkpoint_every, "E", "write checkpoint.h5 every E epochs (0: never; model.h5 is always written)", 0},
        {"checkpoint-every-steps", OPT_INT64, &r->ckpt_steps, "S", "also write checkpoint.h5 every S global steps (0: off)", 0},
        {"resume", OPT_STR, &r->resume, "CKPT", "continue from a checkpoint (same options; bit-identical on CPU with the same rank count)", 0},
        {"stop-after-steps", OPT_INT64, &r->stop_after, "S", "debug: checkpoint and exit 75 after S global steps (as on SIGTERM)", 0},
        {"allow-diverged", OPT_FLAG, &r->allow_diverged, NULL, "exit 0 even when the run diverged (it is still marked in train.json)", 0},
        DEVICE_OPT_ROWS(&r->rt),
        COMPUTE_OPT_ROWS(&r->rt),
        {"cache", OPT_INT, &r->cache, "0|1", "keep the training images in RAM (-1: auto)", 0},
        opt_json(&r->json, "also write the summary (train.json) to FILE"),
        OPT_END,
    };
    _Static_assert(sizeof rows / sizeof rows[0] <= TRAIN_RECIPE_MAX_OPTS, "TrainRecipe.specs is too small");
    memcpy(r->specs, rows, sizeof rows);
}

void train_recipe_load(TrainRecipe* r, const char* config_path) {
    train_recipe_init(r);
    char* argv[] = {"train", "--config", (char*)config_path, NULL};
    int npos = 0;
    char** pos = NULL;
    opts_parse("train", TRAIN_USAGE, TRAIN_DESCRIPTION, r->specs, 3, argv, &npos, &pos);
    free(pos);
}

void train_recipe_set(TrainRecipe* r, const char* name, const char* value) {
    opts_set("train", r->specs, name, value);
}

void train_recipe_retrain(TrainRecipe* r, const char* data, const char* split, const char* output, int64_t seed,
                          const char* device, const char* precision) {
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%lld", (long long)seed);
    train_recipe_set(r, "data", data);
    train_recipe_set(r, "split", split);
    train_recipe_set(r, "on", "retain");
    train_recipe_set(r, "output", output);
    train_recipe_set(r, "seed", seed_text);
    train_recipe_set(r, "device", device);
    train_recipe_set(r, "precision", precision);
}

// The effective options as INI text (stored in checkpoints so a run documents itself).
static char* options_text(const OptSpec* specs) {
    size_t cap = 8192, len = 0;
    char* s = ug_malloc(cap);
    len += (size_t)snprintf(s, cap, "[train]\n");
    for (const OptSpec* o = specs; o->name; o++) {
        char val[512] = "";
        switch (o->type) {
        case OPT_STR: snprintf(val, sizeof val, "%s", *(char**)o->dest ? *(char**)o->dest : ""); break;
        case OPT_INT: case OPT_FLAG: snprintf(val, sizeof val, "%d", *(int*)o->dest); break;
        case OPT_INT64: snprintf(val, sizeof val, "%lld", (long long)*(int64_t*)o->dest); break;
        case OPT_DOUBLE: snprintf(val, sizeof val, "%.17g", *(double*)o->dest); break;
        }
        if (o->type == OPT_STR && !*(char**)o->dest) continue;
        size_t need = strlen(o->name) + strlen(val) + 8;
        if (len + need >= cap) { cap = 2 * (len + need); s = ug_realloc(s, cap); }
        len += (size_t)snprintf(s + len, cap - len, "%s = %s\n", o->name, val);
    }
    return s;
}

// The options → a TrainRunConfig, with the command's checks (one line each).
static void to_run_config(const TrainRecipe* r, TrainRunConfig* c) {
    UG_CHECK(!strcmp(r->on, "all") || !strcmp(r->on, "retain"), "train: --on must be all or retain (got '%s')", r->on);
    memset(c, 0, sizeof *c);
    c->device = runtime_device(&r->rt, "train");
    UG_CHECK(arch_parse(r->arch, &c->model.arch), "train: --arch '%s' unknown (resnet18, vgg16_bn, small_cnn)", r->arch);
    c->backend = runtime_backend(&r->rt, "train");
    UG_CHECK(r->seed >= 0, "train: --seed must be >= 0");
    c->model.width = r->width > 0 ? r->width : (c->model.arch == ARCH_SMALL_CNN ? 16 : 64);
    c->model.imagenet_stem = r->imagenet_stem;
    c->data = r->data;
    c->split = r->split;
    c->on_retain = !strcmp(r->on, "retain");
    c->out_dir = r->output;
    c->json_path = r->json;
    c->epochs = r->epochs;
    c->batch = r->batch;
    c->lr = r->lr;
    c->momentum = r->momentum;
    c->weight_decay = r->wd;
    c->nesterov = r->nesterov;
    c->schedule = r->schedule;
    c->milestones = r->milestones;
    c->gamma = r->gamma;
    c->warmup_epochs = r->warmup;
    c->clip_norm = r->clip;
    c->augment = r->augment;
    c->pad = r->pad;
    c->seed = (uint64_t)r->seed;
    c->eval_every = r->eval_every;
    c->eval_batch = r->eval_batch;
    c->checkpoint_every = r->checkpoint_every;
    c->checkpoint_every_steps = r->ckpt_steps;
    c->resume = r->resume;
    c->stop_after_steps = r->stop_after;
    c->cache = r->cache;
    c->drop_last = r->drop_last;
    c->options = r->specs;
}

int train_recipe_run(TrainRecipe* r, CmdContext* cx) {
    TrainRunConfig c;
    to_run_config(r, &c);
    dist_set_threads(r->rt.threads);
    char* text = options_text(r->specs);
    c.config_text = text;
    train_run_check(&c);   // a bad option is reported before the data is opened
    RunDir rd;
    run_dir_init(&rd);
    if (!cx && g_dist.rank == 0) {
        RunDirPolicy policy = {.force = r->force, .resume = c.resume, .model = NULL};
        run_dir_claim(&rd, "train", c.out_dir, &policy);
    }
    CmdContext own;
    if (cx) {
        UG_CHECK(!c.split || cx->split_path, "train: the recipe trains on split '%s' but the command's context has "
                 "no split loaded", c.split);
    } else {
        cmd_context_open(&own, "train", c.data, c.split);
        cx = &own;
    }
    c.dataset = &cx->ds;
    c.split_set = c.split ? &cx->split : NULL;
    int rc = train_run(&c);
    if (rc == UG_EXIT_DIVERGED && r->allow_diverged) rc = 0;
    if (cx == &own) cmd_context_close(&own);
    run_dir_release(&rd);
    free(text);
    return rc;
}

void train_recipe_free(TrainRecipe* r) {
    free(r->data); free(r->split); free(r->on); free(r->output); free(r->arch); free(r->schedule);
    free(r->milestones); free(r->augment); free(r->resume); free(r->json);
    runtime_opts_free(&r->rt);
    memset(r, 0, sizeof *r);
}
