// cmd_unlearn.c — `ugradsl unlearn`: run one unlearning method from the original model, then evaluate.
// Writes DIR/model.h5 (the unlearned model) and DIR/metrics.json (UA, MIA, RA, TA, ..., RTE, timings).
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_context.h"
#include "cmd/cmd_options.h"
#include "cmd/commands.h"
#include "cmd/train_recipe.h"
#include "common/opts.h"
#include "common/run_dir.h"
#include "common/util.h"
#include "dist/dist.h"
#include "gpu/gpu_setup.h"
#include "metrics/eval.h"
#include "train/checkpoint.h"
#include "train/provenance.h"
#include "train/trainer.h"
#include "unlearn/method.h"

typedef struct {
    const char* output_dir;
    const char* json_path;      // extra copy of metrics.json (may be NULL)
    const char* config_text;
    const OptSpec* options;     // the command's options, effective values (metrics.json "options")
    int eval_batch, skip, cache;
    int mia_bootstrap;          // MIA stability resamples (20 SVC fits: most of an evaluation's time; 0 = off)
    int mia_extras, add_mia;    // 0: skip the extra attacks / Add. MIA (a sweep's trial runs do not read them)
    uint64_t seed;
    int has_smoothing;
    double alpha, p;
} EvalOptions;

// Evaluates m on D_r, D_f, test (and val) and writes DIR/metrics.json (+ the --json copy).  Collective.
static void evaluate(Model* m, Dataset* ds, const Split* sp, const char* data, const char* split,
                     const char* model_path, RunInfo* run, const EvalOptions* eo) {
    if (eo->skip) return;
    EvalConfig ec;
    eval_config_default(&ec);
    ec.batch = eo->eval_batch > 0 ? (eo->eval_batch + g_dist.world - 1) / g_dist.world : ec.batch;
    ec.cache = eo->cache;
    MetricsOptions mo;
    metrics_options_default(&mo);
    mo.num_classes = m->cfg.num_classes;
    mo.seed = eo->seed;
    mo.mia_bootstrap = eo->mia_bootstrap;
    mo.mia_extras = eo->mia_extras;
    mo.add_mia = eo->add_mia;
    mo.has_smoothing = eo->has_smoothing && !isnan(eo->alpha);
    mo.alpha = eo->alpha;
    mo.p = eo->p;
    run->world_size = g_dist.world;
    run->config_text = eo->config_text;
    run->options = eo->options;
    run->split_path = split;
    run->model_path = model_path;
    run->dataset_path = data;
    char path[4096];
    snprintf(path, sizeof path, "%s/metrics.json", eo->output_dir);
    Metrics met;
    eval_run(m, ds, sp, &ec, &mo, run, path, &met);
    if (g_dist.rank == 0 && eo->json_path) metrics_write_json(eo->json_path, &met, &mo, run);
}

// Retrain: `ugradsl train --on retain` with the config's [train] recipe (the same option table and checks as
// `ugradsl train`), run directly on the open dataset and split, then evaluated like every other method.
static int run_retrain(CmdContext* cx, const char* config, const char* output, int64_t seed, const RuntimeOpts* rt,
                       int dev, int allow_diverged, const EvalOptions* eo, double t_cmd) {
    UG_CHECK(config, "unlearn: --method retrain needs --config (the original model's [train] recipe)");
    TrainRecipe r;
    train_recipe_load(&r, config);
    train_recipe_retrain(&r, cx->data_path, cx->split_path, output, seed, rt->device, rt->precision);
    if (allow_diverged) r.allow_diverged = 1;   // unlearn's --allow-diverged covers its Retrain's training too
    double t0 = ug_now();
    int rc = train_recipe_run(&r, cx);
    double rte = dist_max_f64(ug_now() - t0);
    train_recipe_free(&r);
    if (rc != 0) return rc;
    char model_path[4096];
    snprintf(model_path, sizeof model_path, "%s/model.h5", output);
    Model* m = cmd_context_load_model(cx, model_path, BACKEND_FAST, dev);
    RunInfo run;
    run_info_init(&run);
    run.method = "retrain";
    char model_hash[MODEL_HASH_CHARS];
    checkpoint_model_hash(m, model_hash);   // host arrays: what was loaded
    run.model_hash = model_hash;
    run.seed = seed;
    run.rte_s = rte;   // the whole training run on D_r (its own set-up and evaluations included)
    run.startup_s = t0 - t_cmd;
    evaluate(m, &cx->ds, &cx->split, cx->data_path, cx->split_path, model_path, &run, eo);
    return 0;
}

int cmd_unlearn(int argc, char** argv) {
    double t_cmd = ug_now();
    char *data = NULL, *split = NULL, *model = NULL, *method = NULL, *output = NULL;
    char *augment = ug_strdup("auto"), *json = NULL, *label = NULL;
    RuntimeOpts rt;
    runtime_opts_init(&rt);
    MiaOpts mia;
    mia_opts_init(&mia);
    int epochs = 5, batch = 256, nesterov = 0, pad = 0, cache = -1, eval_batch = 512, no_eval = 0, force = 0;
    double lr = 0.01, momentum = 0.9, wd = 5e-4, clip = 0;
    double stop_forget_acc = -1;
    int64_t seed = 1;
    int allow_diverged = 0;
    // The method options (p, alpha, k, scrub-t, ...) are the rows of the method registry (src/unlearn/*.c): they
    // are parsed straight into uc, after the common options below.
    UnlearnConfig uc;
    memset(&uc, 0, sizeof uc);
    method_options_defaults(&uc);
    enum { MAX_METHOD_OPTS = 64 };
    char* choice_text[MAX_METHOD_OPTS] = {0};
    OptSpec specs[64 + MAX_METHOD_OPTS + 1] = {   // up to 64 common rows, the method rows, the NULL row
        opt_data(&data),
        opt_split(&split, NULL),
        opt_model(&model, "the original model (model.h5 or checkpoint.h5 of `ugradsl train`)"),
        {"method", OPT_STR, &method, "NAME", method_choices(), 0},
        {"output", OPT_STR, &output, "DIR", "run directory: model.h5, metrics.json", 0},
        {"force", OPT_FLAG, &force, NULL, "replace another run's results in --output (default: refuse such a folder)", 0},
        {"label", OPT_STR, &label, "NAME", "row name in metrics.json and the report (default: the method), e.g. "
         "ugradsl@adaptive-neg for a variant", 0},
        {"epochs", OPT_INT, &epochs, "N", "unlearning epochs (ugradsl: passes over D_f; ugradsl+, ft, rl: over D_r)", 0},
        {"batch", OPT_INT, &batch, "N", "global batch (paired methods: |B_r| = |B_f| = N)", 0},
        {"lr", OPT_DOUBLE, &lr, "LR", "constant learning rate", 0},
        {"momentum", OPT_DOUBLE, &momentum, "M", "SGD momentum", 0},
        {"weight-decay", OPT_DOUBLE, &wd, "WD", "weight decay (added to the gradient, PyTorch SGD)", 0},
        {"nesterov", OPT_FLAG, &nesterov, NULL, "Nesterov momentum", 0},
        {"clip-norm", OPT_DOUBLE, &clip, "N", "clip the global gradient norm to N (0: off)", 0},
        {"stop-forget-acc", OPT_DOUBLE, &stop_forget_acc, "PCT", "stop after an epoch whose D_f batch accuracy is <= PCT (-1: off)", 0},
        {"augment", OPT_STR, &augment, "NAME", "auto | none | crop-flip | rrc-flip (as training)", 0},
        {"pad", OPT_INT, &pad, "P", "crop-flip padding (0: default 4)", 0},
        opt_seed(&seed, "seed of data order, augmentation, RL labels, MIA bootstrap"),
        {"eval-batch", OPT_INT, &eval_batch, "N", "evaluation batch (global)", 0},
        {"no-eval", OPT_FLAG, &no_eval, NULL, "skip the evaluation (no metrics.json)", 0},
        {"allow-diverged", OPT_FLAG, &allow_diverged, NULL, "exit 0 even when the run diverged (exit 3 otherwise; it "
         "is still marked in metrics.json)", 0},
        MIA_OPT_ROWS(&mia, "resamples of the MIA stability interval (0 = off: much faster, e.g. for sweeps)"),
        opt_json(&json, "also write the metrics to FILE"),
        DEVICE_OPT_ROWS(&rt),
        COMPUTE_OPT_ROWS(&rt),
        {"cache", OPT_INT, &cache, "0|1", "keep the images of D_r and D_f in RAM (-1: auto)", 0},
    };
    int n_common = 0;
    while (specs[n_common].name) n_common++;
    UG_CHECK(n_common <= 64, "unlearn: %d common options, room for 64", n_common);
    method_options_specs(&uc, specs + n_common, choice_text, MAX_METHOD_OPTS);
    const char* usage = "--config inputs/X.ini --model M.h5 --data D.h5 --split S.h5 --method NAME --output DIR";
    const char* about =
        "Runs one unlearning method data-parallel over all MPI ranks, starting from the original model, then\n"
        "evaluates UA / RA / TA / MIA (docs/UNLEARNING.md, docs/METRICS.md).  Options also come from the\n"
        "config's [unlearn] and [unlearn.METHOD] sections.  RTE = wall time of the unlearning loop alone.\n"
        "Exit code 3 when the run diverged (NaN/Inf, or retain accuracy collapsed to the most frequent class): the "
        "model is the last\nfinite state and metrics.json says \"diverged\": true (--allow-diverged: exit 0); 75 after "
        "SIGTERM / SIGUSR1 (nothing written).";
    for (int i = 1; i < argc; i++) {   // --help here, not in opts_parse: the method options come in blocks
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            method_print_help(stdout, usage, about, specs, n_common);
            exit(0);
        }
        if (!strcmp(argv[i], "--help-markdown")) {
            method_print_markdown(stdout);
            exit(0);
        }
    }
    int npos = 0;
    char** pos = NULL;
    opts_parse("unlearn", usage, about, specs, argc, argv, &npos, &pos);
    UG_CHECK(npos == 0, "unlearn: unexpected argument '%s' (options are long, e.g. --method ugradsl)", pos[0]);
    UG_CHECK(method, "unlearn: --method is required (%s)", method_names());
    UG_CHECK(data && split && output, "unlearn: --data, --split and --output are required");
    int dev = runtime_device(&rt, "unlearn");
    const MethodDef* mi = method_find(method);
    UG_CHECK(mi, "unlearn: unknown --method '%s' (%s)", method, method_names());
    Backend backend = runtime_backend(&rt, "unlearn");
    if (label) {
        size_t n = strlen(label);
        UG_CHECK(n > 0 && n < 64 && strspn(label, "abcdefghijklmnopqrstuvwxyz0123456789+-_.@") == n,
                 "unlearn: --label '%s' must be 1..63 characters of a-z 0-9 + - _ . @ (e.g. ugradsl@adaptive-neg)", label);
        UG_CHECK(mi->kind != METHOD_RETRAIN || !strcmp(label, "retrain"),
                 "unlearn: --label cannot rename Retrain (the report's reference row)");
    }
    UG_CHECK(mia.mia_bootstrap >= 0 && mia.mia_bootstrap <= 10000,
             "unlearn: --mia-bootstrap must be in 0..10000 (got %d)", mia.mia_bootstrap);
    dist_set_threads(rt.threads);
    RunDir rd;   // the lock on --output and its overwrite guard (common/run_dir.h), held to the end
    run_dir_init(&rd);
    if (g_dist.rank == 0) run_dir_claim(&rd, "unlearn", output, &(RunDirPolicy){.force = force});
    dist_barrier();

    EvalOptions eo;
    memset(&eo, 0, sizeof eo);
    eo.cache = cache > 0;
    eo.output_dir = output;
    eo.json_path = json;
    eo.eval_batch = eval_batch;
    eo.seed = (uint64_t)seed;
    eo.skip = no_eval;
    eo.mia_bootstrap = mia.mia_bootstrap;
    eo.mia_extras = !mia.no_mia_extras;
    eo.add_mia = !mia.no_add_mia;

    // The config file: its text goes into metrics.json (what exactly produced these numbers); Retrain reads its
    // [train] recipe.
    const char* config_path = NULL;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--config") && i + 1 < argc) config_path = argv[i + 1];
        else if (!strncmp(argv[i], "--config=", 9)) config_path = argv[i] + 9;
    char* config_text = config_path ? ug_read_file(config_path, NULL) : NULL;
    eo.config_text = config_text;
    eo.options = specs;

    CmdContext cx;
    if (mi->kind == METHOD_RETRAIN) {
        cmd_context_open(&cx, "unlearn", data, split);
        if (!no_eval) cmd_context_require_eval_split(&cx);
        int rc = run_retrain(&cx, config_path, output, seed, &rt, dev, allow_diverged, &eo, t_cmd);
        cmd_context_close(&cx);
        run_dir_release(&rd);
        free(config_text);
        runtime_opts_free(&rt);
        return rc;
    }
    UG_CHECK(model, "unlearn: --model is required (the original model from `ugradsl train`)");
    cmd_context_open(&cx, "unlearn", data, split);
    if (!no_eval) cmd_context_require_eval_split(&cx);
    Model* m = cmd_context_load_model(&cx, model, backend, dev);
    char parent_hash[MODEL_HASH_CHARS];   // the model hash of --model: the unlearned model's parent
    checkpoint_model_hash(m, parent_hash);   // the host arrays hold what was loaded (a GPU copy is separate)
    const Dataset* ds = &cx.ds;
    const Split* sp = &cx.split;

    uc.method = mi->kind;
    uc.epochs = epochs;
    uc.lr = lr;
    uc.batch = batch;
    uc.sgd = (SgdConfig){.momentum = momentum, .weight_decay = wd, .nesterov = nesterov};
    uc.clip_norm = clip;
    method_options_finish(&uc, choice_text);
    uc.stop_forget_acc = stop_forget_acc;
    uc.seed = (uint64_t)seed;
    uc.augment = augment_pick(augment, &ds->info);
    uc.pad = pad;
    uc.out_h = cx.mc.in_h;
    uc.out_w = cx.mc.in_w;
    char mask_out[4096];
    snprintf(mask_out, sizeof mask_out, "%s/salun_mask.h5", output);
    uc.mask_out = mi->kind == METHOD_SALUN && !uc.mask_file ? mask_out : NULL;
    int64_t n_images = sp->n_retain + sp->n_forget;
    uc.cache = cache >= 0 ? cache : (ds->info.mode == DS_DECODED &&
               (double)n_images * ds->info.height * ds->info.width * ds->info.channels < 2e9);
    uc.loader_workers = loader_auto_workers(&ds->info, g_dist.local_world);
    unlearn_config_validate(&uc, cx.mc.num_classes);

    Trainer t;
    trainer_init(&t, m, &uc.sgd);
    t.clip_norm = clip;
    trainer_install_signal_handlers();
    double startup = dist_max_f64(ug_now() - t_cmd);
    ug_log("unlearn: %s on %s  |D_f| %lld  |D_r| %lld  ranks %d  device %s  (%s)", mi->name, cx.model_desc,
           (long long)sp->n_forget, (long long)sp->n_retain, g_dist.world, device_describe(m), mi->summary);
    UnlearnResult res;
    unlearn_run(&uc, &t, &cx.ds, sp, &res);
    ug_log("unlearn: %s done in %.2f s (RTE; compute %.2f s, all-reduce %.2f s, data wait %.2f s)%s%s", mi->name,
           res.rte_s, res.timers.compute, res.timers.allreduce, res.timers.data_wait, res.diverged ? "  DIVERGED: " : "",
           res.diverged ? res.reason : "");
    int rc = 0;
    if (res.signalled) {
        // An interrupted unlearning run is not a result: write nothing and ask to be run again (Slurm requeue).
        ug_log("unlearn: %s; nothing written (exit %d: run again)", res.reason, TRAIN_EXIT_REQUEUE);
        rc = TRAIN_EXIT_REQUEUE;
    } else {
        // Every rank must hold the same model before saving and evaluating (BN running stats are per rank).
        trainer_sync_buffers(&t);
        char model_out[4096];
        snprintf(model_out, sizeof model_out, "%s/model.h5", output);
        model_state_to_host(m);
        char model_hash[MODEL_HASH_CHARS], split_hash[PROVENANCE_HASH_CHARS], dataset_id[512];
        checkpoint_model_hash(m, model_hash);
        if (g_dist.rank == 0) {
            provenance_split_hash(sp, split_hash);
            provenance_dataset_id(&cx.ds, sp, dataset_id, sizeof dataset_id);
            char* run_config = provenance_options_text("unlearn", specs);
            Provenance prov = {.method = label ? label : mi->name, .parent_hash = parent_hash,
                               .split_hash = split_hash, .split_path = split, .dataset_id = dataset_id,
                               .dataset_path = data, .config_text = run_config};
            checkpoint_save_with(model_out, m, NULL, NULL, &prov);
            free(run_config);
        }

        RunInfo run;
        run_info_init(&run);
        run.method = label ? label : mi->name;
        run.model_hash = model_hash;
        run.seed = seed;
        run.rte_s = res.rte_s;
        run.startup_s = startup + res.setup_s;
        run.compute_s = res.timers.compute;
        run.allreduce_s = res.timers.allreduce;
        run.data_wait_s = res.timers.data_wait;
        run.diverged = res.diverged;
        run.diverged_reason = res.diverged ? res.reason : NULL;
        run.epochs = res.epochs_done;
        run.steps = res.steps;
        eo.has_smoothing = mi->loss == LOSS_EQ8;
        eo.alpha = isnan(uc.alpha) ? res.mean_alpha : uc.alpha;
        eo.p = uc.p;
        evaluate(m, &cx.ds, sp, data, split, model_out, &run, &eo);
        if (res.diverged && !allow_diverged) {
            ug_log("unlearn: diverged (%s): exit %d (--allow-diverged: 0)", res.reason, UG_EXIT_DIVERGED);
            rc = UG_EXIT_DIVERGED;
        }
    }
    trainer_free(&t);
    cmd_context_close(&cx);
    run_dir_release(&rd);
    free(config_text);
    runtime_opts_free(&rt);
    return rc;
}
