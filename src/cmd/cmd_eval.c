// cmd_eval.c — `ugradsl eval --model M.h5 --data D.h5 --split S.h5 (--output DIR | --json FILE)`:
// UA / RA / TA / MIA-efficacy (+ stability) / Add. MIA / ε of a checkpoint on a split, into metrics.json
// (docs/METRICS.md).  Every rank evaluates its shard; rank 0 reduces and writes.
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_context.h"
#include "cmd/cmd_options.h"
#include "cmd/commands.h"
#include "common/opts.h"
#include "common/run_dir.h"
#include "common/util.h"
#include "dist/dist.h"
#include "metrics/eval.h"
#include "train/checkpoint.h"
#include "train/provenance.h"

// The method label of a checkpoint: its recorded provenance (format 2), else the `method` key of its run config
// (older files), else "original" with a note that the file does not say.  malloc'd.
static char* checkpoint_method(const char* model_path, const CheckpointProvenance* prov, const char* config_text) {
    if (prov->method[0]) return ug_strdup(prov->method);
    char* from_config = provenance_ini_value(config_text, "method");
    if (from_config && *from_config) return from_config;
    free(from_config);
    if (g_dist.rank == 0)
        ug_log("eval: note: '%s' records no method (%s); labelled \"original\" (give --method to name it)",
               model_path, prov->format_version < 2 ? "a format-1 checkpoint, written before provenance" :
                                                      "no /provenance method attribute");
    return ug_strdup("original");
}

int cmd_eval(int argc, char** argv) {
    double t_start = ug_now();
    char *model_path = NULL, *data_path = NULL, *split_path = NULL, *output = NULL, *json_path = NULL;
    char *method = NULL, *split_name = NULL;
    RuntimeOpts rt;
    runtime_opts_init(&rt);
    MiaOpts mia;
    mia_opts_init(&mia);
    int64_t seed = -1;
    int batch = 256, no_val = 0, cache = 0, force = 0;
    double alpha = NAN, p = NAN;
    OptSpec specs[] = {
        opt_model(&model_path, "checkpoint to evaluate (HDF5)"),
        {"data", OPT_STR, &data_path, "FILE", "dataset (HDF5, from `ugradsl pack`)", 0},
        opt_split(&split_path, "split file (from `ugradsl split`)"),
        {"output", OPT_STR, &output, "DIR", "write DIR/metrics.json", 0},
        {"force", OPT_FLAG, &force, NULL, "replace a metrics.json in --output (default: refuse a folder holding "
                                          "another run's results)", 0},
        opt_json(&json_path, "write the metrics to FILE instead"),
        {"method", OPT_STR, &method, "NAME", "method label in metrics.json (default: the method the checkpoint "
                                             "records, else \"original\")", 0},
        {"split-name", OPT_STR, &split_name, "NAME", "split label for the report (default: the split file name)", 0},
        opt_seed(&seed, "seed of the MIA bootstrap / Add. MIA sampling (default: the checkpoint's)"),
        {"batch", OPT_INT, &batch, "N", "samples per rank per forward pass", 0},
        {"cache", OPT_FLAG, &cache, NULL, "read each set into RAM first (small datasets)", 0},
        MIA_OPT_ROWS(&mia, NULL),
        {"no-val", OPT_FLAG, &no_val, NULL, "skip the validation hold-out", 0},
        {"alpha", OPT_DOUBLE, &alpha, "X", "smooth rate of an NLS run (< 0) for the label-LDP epsilon", 0},
        {"p", OPT_DOUBLE, &p, "X", "retain weight p of Eq. 8 for the epsilon (gamma1 = p, gamma2 = 1 - p)", 0},
        DEVICE_OPT_ROWS(&rt),
        OPT_END,
    };
    int npos = 0;
    char** pos = NULL;
    opts_parse("eval", "--model M.h5 --data D.h5 --split S.h5 (--output DIR | --json FILE)",
               "Evaluates a checkpoint on the retain / forget / test sets of a split (augmentation off, BN eval) and "
               "writes UA, RA, TA, MIA-efficacy with its stability, Add. MIA and the label-LDP epsilon to metrics.json.",
               specs, argc, argv, &npos, &pos);
    UG_CHECK(npos == 0, "eval: unexpected argument '%s' (see --help)", pos[0]);
    UG_CHECK(model_path && data_path && split_path, "eval: --model, --data and --split are required (see --help)");
    UG_CHECK(output || json_path, "eval: give --output DIR (writes DIR/metrics.json) or --json FILE");
    int dev = runtime_device(&rt, "eval");
    UG_CHECK(batch > 0, "eval: --batch must be positive (got %d)", batch);
    UG_CHECK(mia.mia_bootstrap >= 0, "eval: --mia-bootstrap must be >= 0 (got %d)", mia.mia_bootstrap);
    UG_CHECK(isnan(p) || (p >= 0 && p <= 1), "eval: --p must be in [0, 1] (got %g)", p);
    UG_CHECK(isnan(alpha) || alpha <= 1, "eval: --alpha must be <= 1 (got %g)", alpha);

    RunDir rd;   // --output: the lock and the overwrite guard (common/run_dir.h), held to the end
    run_dir_init(&rd);
    if (output && !json_path && g_dist.rank == 0)
        run_dir_claim(&rd, "eval", output, &(RunDirPolicy){.force = force, .model = model_path});
    CmdContext cx;
    cmd_context_open(&cx, "eval", data_path, split_path);
    cmd_context_require_eval_split(&cx);
    Model* m = cmd_context_load_model(&cx, model_path, BACKEND_FAST, dev);
    char* config_text = checkpoint_read_config_text(model_path);
    CheckpointProvenance prov;
    checkpoint_read_provenance(model_path, &prov);
    char* ckpt_method = checkpoint_method(model_path, &prov, config_text);
    double startup_s = ug_now() - t_start;

    if (cx.split.n_forget == 0) ug_log("eval: warning: the split's forget set is empty: UA, MIA and Add. MIA are null");
    EvalConfig ec;
    eval_config_default(&ec);
    ec.batch = batch;
    ec.cache = cache;
    ec.include_val = !no_val;
    MetricsOptions mo;
    metrics_options_default(&mo);
    mo.num_classes = cx.mc.num_classes;
    mo.seed = seed >= 0 ? (uint64_t)seed : cx.state.seed;
    mia_opts_apply(&mia, &mo);
    mo.has_smoothing = !isnan(alpha);
    mo.alpha = alpha;
    mo.p = p;
    if (mo.has_smoothing && alpha < 0 && isnan(p))
        ug_log("eval: warning: --alpha given without --p: epsilon is not computed");
    RunInfo run;
    run_info_init(&run);
    run.method = method ? method : ckpt_method;
    char model_hash[MODEL_HASH_CHARS];
    checkpoint_model_hash(m, model_hash);   // the host arrays hold what was loaded (a GPU copy is separate)
    run.model_hash = model_hash;
    run.model_method = prov.method;
    run.seed = seed >= 0 ? seed : (int64_t)cx.state.seed;
    run.world_size = g_dist.world;
    run.startup_s = startup_s;
    run.config_text = config_text;
    run.options = specs;
    run.split_path = split_path;
    run.split_name = split_name;
    run.model_path = model_path;
    run.dataset_path = data_path;
    char out_path[PATH_MAX + 32];
    if (json_path) snprintf(out_path, sizeof out_path, "%s", json_path);
    else {
        snprintf(out_path, sizeof out_path, "%s/metrics.json", output);
    }
    eval_run(m, &cx.ds, &cx.split, &ec, &mo, &run, out_path, NULL);
    if (g_dist.rank == 0) ug_log("eval: wrote %s", out_path);

    cmd_context_close(&cx);
    run_dir_release(&rd);
    free(config_text);
    free(ckpt_method);
    free(pos);
    free(model_path);
    free(data_path);
    free(split_path);
    free(output);
    free(json_path);
    free(method);
    free(split_name);
    runtime_opts_free(&rt);
    return 0;
}
