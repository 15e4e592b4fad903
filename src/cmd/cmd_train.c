// cmd_train.c — `ugradsl train`: options → TrainRunConfig → train_run (src/train/train_run.c).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/commands.h"
#include "gpu/gpu_setup.h"
#include "common/opts.h"
#include "common/util.h"
#include "dist/dist.h"
#include "train/train_run.h"

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

int cmd_train(int argc, char** argv) {
    char *data = NULL, *split = NULL, *on = NULL, *output = NULL, *arch = NULL, *schedule = NULL, *milestones = NULL, *json = NULL;
    char *augment = NULL, *resume = NULL, *device = NULL, *backend = NULL, *precision = NULL;
    int width = 0, imagenet_stem = 0, epochs = 30, batch = 128, nesterov = 0, eval_every = 1, checkpoint_every = 1;
    int threads = 0, cache = -1, eval_batch = 256, pad = 0, drop_last = 0;
    int64_t seed = 0, stop_after = 0, ckpt_steps = 0;
    double lr = 0.1, momentum = 0.9, wd = 5e-4, gamma = 0.1, warmup = 0, clip = 0;
    on = ug_strdup("all");
    arch = ug_strdup("resnet18");
    schedule = ug_strdup("cosine");
    augment = ug_strdup("auto");
    device = ug_strdup("cpu");
    precision = ug_strdup("fp32");
    backend = ug_strdup("fast");
    OptSpec specs[] = {
        {"data", OPT_STR, &data, "FILE", "the packed dataset (HDF5, from `ugradsl pack`)", 0},
        {"split", OPT_STR, &split, "FILE", "split file (`ugradsl split`): train on train \\ val (or D_r with --on retain), evaluate val", 0},
        {"on", OPT_STR, &on, "SET", "all (train \\ val) | retain (D_r: the Retrain baseline); needs --split for retain", 0},
        {"output", OPT_STR, &output, "DIR", "run directory: model.h5, checkpoint.h5, metrics.jsonl, train.json", 0},
        {"arch", OPT_STR, &arch, "NAME", "resnet18 | vgg16_bn | small_cnn", 0},
        {"width", OPT_INT, &width, "W", "base width (0: 64 for resnet18 / vgg16_bn, 16 for small_cnn)", 0},
        {"imagenet-stem", OPT_FLAG, &imagenet_stem, NULL, "resnet18: 7x7 stride-2 stem + max-pool (default: CIFAR 3x3 stem)", 0},
        {"epochs", OPT_INT, &epochs, "N", "training epochs", 0},
        {"batch", OPT_INT, &batch, "N", "global batch size (summed over ranks)", 0},
        {"lr", OPT_DOUBLE, &lr, "LR", "base learning rate", 0},
        {"momentum", OPT_DOUBLE, &momentum, "M", "SGD momentum", 0},
        {"weight-decay", OPT_DOUBLE, &wd, "WD", "weight decay (added to the gradient, PyTorch SGD)", 0},
        {"nesterov", OPT_FLAG, &nesterov, NULL, "Nesterov momentum", 0},
        {"lr-schedule", OPT_STR, &schedule, "NAME", "constant | multistep | cosine", 0},
        {"milestones", OPT_STR, &milestones, "LIST", "multistep: epochs where lr is multiplied by --gamma, e.g. 80,120", 0},
        {"gamma", OPT_DOUBLE, &gamma, "G", "multistep factor", 0},
        {"warmup-epochs", OPT_DOUBLE, &warmup, "E", "linear warm-up over this many epochs (fractions allowed)", 0},
        {"clip-norm", OPT_DOUBLE, &clip, "N", "clip the global gradient norm to N (0: off)", 0},
        {"augment", OPT_STR, &augment, "NAME", "auto (crop-flip for RGB >= 32 px, else none) | none | crop-flip | rrc-flip", 0},
        {"pad", OPT_INT, &pad, "P", "crop-flip padding (0: default 4)", 0},
        {"drop-last", OPT_FLAG, &drop_last, NULL, "drop the short last batch of each epoch", 0},
        {"seed", OPT_INT64, &seed, "N", "seed of init, data order and augmentation", 0},
        {"eval-every", OPT_INT, &eval_every, "E", "evaluate test / val every E epochs (0: only at the end)", 0},
        {"eval-batch", OPT_INT, &eval_batch, "N", "evaluation batch (global)", 0},
        {"checkpoint-every", OPT_INT, &checkpoint_every, "E", "write checkpoint.h5 every E epochs (0: never; model.h5 is always written)", 0},
        {"checkpoint-every-steps", OPT_INT64, &ckpt_steps, "S", "also write checkpoint.h5 every S global steps (0: off)", 0},
        {"resume", OPT_STR, &resume, "CKPT", "continue from a checkpoint (same options; bit-identical on CPU with the same rank count)", 0},
        {"stop-after-steps", OPT_INT64, &stop_after, "S", "debug: checkpoint and exit 75 after S global steps (as on SIGTERM)", 0},
        {"device", OPT_STR, &device, "DEV", "cpu | cuda (one rank per GPU; docs/GPU.md)", 0},
        {"precision", OPT_STR, &precision, "P", "fp32 | bf16 (--device cuda: bf16 activations and convolutions, fp32 master weights; docs/GPU.md)", 0},
        {"backend", OPT_STR, &backend, "NAME", "fast (oneDNN / OpenBLAS) | ref (plain C reference, slow)", 0},
        {"threads", OPT_INT, &threads, "N", "threads per rank (0: cores / ranks on this node)", 0},
        {"cache", OPT_INT, &cache, "0|1", "keep the training images in RAM (-1: auto)", 0},
        {"json", OPT_STR, &json, "FILE", "also write the summary (train.json) to FILE", 0},
        {NULL, 0, NULL, NULL, NULL, 0},
    };
    int npos = 0;
    char** pos = NULL;
    opts_parse("train", "ugradsl train --config inputs/X.ini --data D.h5 [--split S.h5 --on retain|all] --output DIR",
               "Trains a model data-parallel over all MPI ranks (SGD, momentum, weight decay; docs/TRAINING.md).\n"
               "Exit code 75 after SIGTERM / SIGUSR1 (checkpoint written: resume with --resume DIR/checkpoint.h5).",
               specs, argc, argv, &npos, &pos);
    UG_CHECK(npos == 0, "train: unexpected argument '%s' (options are long, e.g. --data FILE)", pos[0]);
    UG_CHECK(!strcmp(on, "all") || !strcmp(on, "retain"), "train: --on must be all or retain (got '%s')", on);
    TrainRunConfig c;
    memset(&c, 0, sizeof c);
    c.device = device_parse(device, precision, "train");
    UG_CHECK(arch_parse(arch, &c.model.arch), "train: --arch '%s' unknown (resnet18, vgg16_bn, small_cnn)", arch);
    UG_CHECK(!strcmp(backend, "fast") || !strcmp(backend, "ref"), "train: --backend must be fast or ref");
    UG_CHECK(seed >= 0, "train: --seed must be >= 0");
    c.model.width = width > 0 ? width : (c.model.arch == ARCH_SMALL_CNN ? 16 : 64);
    c.model.imagenet_stem = imagenet_stem;
    c.backend = !strcmp(backend, "ref") ? BACKEND_REF : BACKEND_FAST;
    c.data = data;
    c.split = split;
    c.on_retain = !strcmp(on, "retain");
    c.out_dir = output;
    c.json_path = json;
    c.epochs = epochs;
    c.batch = batch;
    c.lr = lr;
    c.momentum = momentum;
    c.weight_decay = wd;
    c.nesterov = nesterov;
    c.schedule = schedule;
    c.milestones = milestones;
    c.gamma = gamma;
    c.warmup_epochs = warmup;
    c.clip_norm = clip;
    c.augment = augment;
    c.pad = pad;
    c.seed = (uint64_t)seed;
    c.eval_every = eval_every;
    c.eval_batch = eval_batch;
    c.checkpoint_every = checkpoint_every;
    c.checkpoint_every_steps = ckpt_steps;
    c.resume = resume;
    c.stop_after_steps = stop_after;
    c.cache = cache;
    c.drop_last = drop_last;
    dist_set_threads(threads);
    char* text = options_text(specs);
    c.config_text = text;
    c.options = specs;
    int rc = train_run(&c);
    free(text);
    free(data); free(split); free(on); free(output); free(arch); free(schedule); free(milestones); free(augment);
    free(resume); free(device); free(precision); free(backend); free(json);
    return rc;
}
