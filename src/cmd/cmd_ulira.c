// cmd_ulira.c — `ugradsl ulira plan|score`: U-LiRA (Hayes et al. 2024) for an unlearning method, in two steps
// around the shadow runs that jobs/ulira.sh submits as a Slurm array (docs/METRICS.md §6):
//   plan:  draw a target pool from the split's D_f and, for every pool sample, the K/2 of K shadows that train on
//          it; write one shadow split per shadow (forget = its IN half, with D_f outside the pool by default;
//          the OUT half moved to val so that it is never trained on) and DIR/plan.txt.
//   score: load each shadow's unlearned model, take the logit-scaled confidence of every pool sample, run the
//          leave-one-shadow-out likelihood-ratio test (src/metrics/attack_ulira.h), write JSON + one table row.
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd_context.h"
#include "cmd/cmd_options.h"
#include "cmd/commands.h"
#include "common/atomic_file.h"
#include "common/json.h"
#include "common/opts.h"
#include "common/rng.h"
#include "common/util.h"
#include "data/split.h"
#include "dist/dist.h"
#include "metrics/attack_threshold.h"
#include "metrics/attack_ulira.h"
#include "metrics/eval.h"

#define ULIRA_STREAM 0x554c5241   // "ULRA"
#define ULIRA_MAX_K 256

typedef struct {
    int K;
    int64_t n;
    uint64_t seed;
    int64_t* pool;   // [n] sorted train indices
    uint8_t* in;     // [K][n]
    int forget_df;   // 1: a shadow forgets its IN half and D_f outside the pool; 0: its IN half only
} Plan;

static void plan_free(Plan* p) {
    free(p->pool);
    free(p->in);
    memset(p, 0, sizeof *p);
}

static int cmp_i64(const void* a, const void* b) {
    int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
    return (x > y) - (x < y);
}

// Pool: n of D_f by a seeded shuffle; membership: each sample IN in exactly K/2 shadows (LiRA's balanced design).
static void plan_draw(const Split* s, int K, int64_t n, uint64_t seed, Plan* p) {
    p->K = K;
    p->n = n;
    p->seed = seed;
    int64_t* f = ug_malloc(sizeof(int64_t) * (size_t)s->n_forget);
    memcpy(f, s->forget, sizeof(int64_t) * (size_t)s->n_forget);
    Rng r;
    rng_init(&r, seed, RNG_MISC, ULIRA_STREAM, 0);
    rng_shuffle_i64(&r, f, s->n_forget);
    p->pool = ug_malloc(sizeof(int64_t) * (size_t)n);
    memcpy(p->pool, f, sizeof(int64_t) * (size_t)n);
    qsort(p->pool, (size_t)n, sizeof(int64_t), cmp_i64);
    free(f);
    p->in = ug_calloc((size_t)K * (size_t)n, 1);
    int64_t order[ULIRA_MAX_K];
    for (int64_t i = 0; i < n; i++) {
        rng_init(&r, seed, RNG_MISC, ULIRA_STREAM, 1 + (uint64_t)p->pool[i]);   // per sample: order-free
        for (int k = 0; k < K; k++) order[k] = k;
        rng_shuffle_i64(&r, order, K);
        for (int k = 0; k < K / 2; k++) p->in[order[k] * n + i] = 1;
    }
}

// Sorted union of two sorted disjoint arrays (malloc'd).
static int64_t* merge_sorted(const int64_t* a, int64_t na, const int64_t* b, int64_t nb) {
    int64_t* out = ug_malloc(sizeof(int64_t) * (size_t)(na + nb + 1));
    int64_t i = 0, j = 0, k = 0;
    while (i < na || j < nb) out[k++] = (j >= nb || (i < na && a[i] < b[j])) ? a[i++] : b[j++];
    return out;
}

// Shadow k's split: val = val ∪ (pool ∩ OUT_k) (never trained on); forget = pool ∩ IN_k, with D_f \ pool when
// p->forget_df (else D_f \ pool joins retain).  Either way retain ∪ forget is the same set, so a shadow's training
// does not depend on forget_df.  forget_df gives the shadows the experiment's forget-set size: methods paced by
// D_r (ugradsl+) cycle a small D_f and would ascend on each sample far more than in the experiment.  val_keep,
// test_keep and the dataset facts stay the experiment's.
static void shadow_split(const Split* s, const Plan* p, int k, Split* out) {
    *out = *s;
    uint8_t* in_pool = ug_calloc((size_t)s->n_train, 1);   // 1 IN, 2 OUT
    int64_t n_in = 0;
    for (int64_t i = 0; i < p->n; i++) {
        in_pool[p->pool[i]] = p->in[k * p->n + i] ? 1 : 2;
        n_in += p->in[k * p->n + i];
    }
    int64_t* forget = ug_malloc(sizeof(int64_t) * (size_t)(n_in + 1));
    int64_t* out_half = ug_malloc(sizeof(int64_t) * (size_t)(p->n - n_in + 1));
    int64_t nf = 0, no = 0;
    for (int64_t i = 0; i < p->n; i++) {
        if (p->in[k * p->n + i]) forget[nf++] = p->pool[i];
        else out_half[no++] = p->pool[i];
    }
    int64_t* rest_forget = ug_malloc(sizeof(int64_t) * (size_t)(s->n_forget + 1));   // D_f outside the pool
    int64_t nr = 0;
    for (int64_t i = 0; i < s->n_forget; i++)
        if (!in_pool[s->forget[i]]) rest_forget[nr++] = s->forget[i];
    out->val = merge_sorted(s->val, s->n_val, out_half, no);
    out->n_val = s->n_val + no;
    if (p->forget_df) {
        out->forget = merge_sorted(forget, nf, rest_forget, nr);
        out->n_forget = nf + nr;
        out->retain = merge_sorted(s->retain, s->n_retain, NULL, 0);
        out->n_retain = s->n_retain;
        free(forget);
    } else {
        out->forget = forget;
        out->n_forget = nf;
        out->retain = merge_sorted(s->retain, s->n_retain, rest_forget, nr);
        out->n_retain = s->n_retain + nr;
    }
    free(out_half);
    free(rest_forget);
    free(in_pool);
}

static void plan_write(const char* path, const Plan* p, const char* split_path) {
    AtomicFile af;
    atomic_open(&af, path);
    fprintf(af.f, "ulira-plan 2\nK %d\npool %lld\nseed %llu\nsplit %s\nforget %s\n", p->K, (long long)p->n,
            (unsigned long long)p->seed, split_path, p->forget_df ? "df" : "in");
    for (int64_t i = 0; i < p->n; i++) {
        fprintf(af.f, "%lld ", (long long)p->pool[i]);
        for (int k = 0; k < p->K; k++) fputc(p->in[k * p->n + i] ? '1' : '0', af.f);
        fputc('\n', af.f);
    }
    UG_CHECK(!ferror(af.f), "ulira: writing %s failed (disk full?)", path);
    atomic_commit(&af);
}

static void plan_read(const char* path, Plan* p) {
    memset(p, 0, sizeof *p);
    FILE* f = fopen(path, "r");
    UG_CHECK(f, "ulira: cannot read plan %s (run `ugradsl ulira plan` first)", path);
    long long n = 0;
    unsigned long long seed = 0;
    char split[PATH_MAX];
    int version = 0;
    int ok = fscanf(f, "ulira-plan %d K %d pool %lld seed %llu split %4095s", &version, &p->K, &n, &seed, split) == 5;
    ok = ok && (version == 1 || version == 2);
    if (ok && version == 2) {   // version 1 (before the forget line) planned IN-half forget sets
        char mode[8];
        ok = fscanf(f, " forget %7s", mode) == 1 && (!strcmp(mode, "df") || !strcmp(mode, "in"));
        p->forget_df = ok && !strcmp(mode, "df");
    }
    UG_CHECK(ok && p->K >= 3 && p->K <= ULIRA_MAX_K && n > 0, "ulira: %s is not a U-LiRA plan (bad header)", path);
    p->n = n;
    p->seed = seed;
    p->pool = ug_malloc(sizeof(int64_t) * (size_t)n);
    p->in = ug_calloc((size_t)p->K * (size_t)n, 1);
    char bits[ULIRA_MAX_K + 2];
    for (int64_t i = 0; i < n; i++) {
        long long idx;
        ok = fscanf(f, "%lld %257s", &idx, bits) == 2 && (int)strlen(bits) == p->K;
        UG_CHECK(ok, "ulira: %s: line %lld of the pool is damaged", path, (long long)i + 1);
        p->pool[i] = idx;
        for (int k = 0; k < p->K; k++) p->in[k * n + i] = bits[k] == '1';
    }
    fclose(f);
}

static int ulira_plan(int argc, char** argv) {
    char *split_path = NULL, *output = NULL;
    int K = 8;
    int64_t pool = 500, seed = 1;
    char* forget = NULL;
    OptSpec specs[] = {
        opt_split(&split_path, "the experiment's split file: the pool is drawn from its forget set"),
        {"output", OPT_STR, &output, "DIR", "writes DIR/plan.txt and DIR/shadow-K/split.h5", 0},
        {"shadows", OPT_INT, &K, "K", "shadow models (even, 4..256; each trains on half of the pool)", 0},
        {"pool", OPT_INT64, &pool, "N", "target pool size (at most |D_f|)", 0},
        opt_seed(&seed, "seed of the pool and membership draws"),
        {"forget", OPT_STR, &forget, "df|in",
         "what a shadow unlearns: df = its IN half and D_f outside the pool (the experiment's forget-set size, "
         "default); in = its IN half only", 0},
        OPT_END,
    };
    int npos = 0;
    char** pos = NULL;
    opts_parse("ulira plan", "--split S.h5 --output DIR [--shadows K] [--pool N] [--seed N] [--forget df|in]",
               "Draws U-LiRA's target pool and shadow memberships and writes one split file per shadow.", specs, argc,
               argv, &npos, &pos);
    UG_CHECK(npos == 0, "ulira plan: unexpected argument '%s'", pos[0]);
    UG_CHECK(split_path && output, "ulira plan: --split and --output are required (see --help)");
    UG_CHECK(K >= 4 && K <= ULIRA_MAX_K && K % 2 == 0, "ulira plan: --shadows must be even, 4..%d (got %d)", ULIRA_MAX_K, K);
    UG_CHECK(!forget || !strcmp(forget, "df") || !strcmp(forget, "in"),
             "ulira plan: --forget must be df or in (got '%s')", forget);
    int forget_df = !forget || !strcmp(forget, "df");
    if (g_dist.rank == 0) {
        Split s;
        split_read(split_path, &s);
        UG_CHECK(pool >= 2 && pool <= s.n_forget, "ulira plan: --pool must be 2..|D_f| = %lld (got %lld)",
                 (long long)s.n_forget, (long long)pool);
        Plan p;
        plan_draw(&s, K, pool, (uint64_t)seed, &p);
        p.forget_df = forget_df;
        ug_mkdir_p(output);
        char abs_split[PATH_MAX], path[PATH_MAX + 64];
        if (!realpath(split_path, abs_split)) snprintf(abs_split, sizeof abs_split, "%s", split_path);
        for (int k = 0; k < K; k++) {
            Split sk;
            shadow_split(&s, &p, k, &sk);
            snprintf(path, sizeof path, "%s/shadow-%d", output, k);
            ug_mkdir_p(path);
            snprintf(path, sizeof path, "%s/shadow-%d/split.h5", output, k);
            split_write(path, &sk);
            free(sk.forget);
            free(sk.val);
            free(sk.retain);
        }
        snprintf(path, sizeof path, "%s/plan.txt", output);
        plan_write(path, &p, abs_split);
        ug_log("ulira plan: %d shadows, pool %lld of |D_f| %lld, a shadow forgets %s -> %s", K, (long long)pool,
               (long long)s.n_forget, forget_df ? "its IN half and D_f outside the pool" : "its IN half", path);
        plan_free(&p);
        split_free(&s);
    }
    free(pos);
    free(split_path);
    free(output);
    free(forget);
    return 0;
}

static void write_result(const char* path, const char* method, const UliraResult* r, const Plan* p) {
    AtomicFile af;
    atomic_open(&af, path);
    JsonWriter j;
    json_begin(&j, af.f, 1);
    json_obj_open(&j, NULL);
    json_str(&j, "format", "ugradsl-ulira");
    json_str(&j, "method", method);
    json_int(&j, "K", r->K);
    json_int(&j, "pool", r->pool);
    json_int(&j, "seed", (int64_t)p->seed);
    json_str(&j, "forget", p->forget_df ? "df" : "in");   // what each shadow unlearned (ulira plan --forget)
    json_int(&j, "pairs", r->pairs);
    json_str(&j, "score", "logit_confidence");
    json_num(&j, "accuracy", r->accuracy);
    json_num(&j, "auc", r->roc.auc);
    json_num(&j, "tpr_at_fpr_1e-2", r->roc.tpr_at_1pct);
    json_num(&j, "tpr_at_fpr_1e-3", r->roc.tpr_at_01pct);
    json_num(&j, "sigma_in", r->sigma_in);
    json_num(&j, "sigma_out", r->sigma_out);
    json_obj_open(&j, "roc");
    json_arr_open(&j, "fpr");
    for (int g = 0; g < ROC_GRID; g++) json_num(&j, NULL, r->roc.fpr[g]);
    json_arr_close(&j);
    json_arr_open(&j, "tpr");
    for (int g = 0; g < ROC_GRID; g++) json_num(&j, NULL, r->roc.tpr[g]);
    json_arr_close(&j);
    json_obj_close(&j);
    json_obj_close(&j);
    json_end(&j);
    UG_CHECK(!ferror(af.f), "ulira: writing %s failed (disk full?)", path);
    atomic_commit(&af);
}

static int ulira_score(int argc, char** argv) {
    char *data_path = NULL, *plan_dir = NULL, *method = NULL, *models = NULL, *json_path = NULL;
    int batch = 256;
    RuntimeOpts rt;
    runtime_opts_init(&rt);
    OptSpec specs[] = {
        {"data", OPT_STR, &data_path, "FILE", "dataset (HDF5)", 0},
        {"plan", OPT_STR, &plan_dir, "DIR", "the directory `ulira plan` wrote", 0},
        {"method", OPT_STR, &method, "NAME", "the unlearning method the shadows ran (label; default model dir)", 0},
        {"models", OPT_STR, &models, "PATTERN", "shadow k's unlearned model, %d = k (default DIR/shadow-%d/METHOD/model.h5)", 0},
        opt_json(&json_path, "result file (default DIR/ulira-METHOD.json)"),
        {"batch", OPT_INT, &batch, "N", "samples per rank per forward pass", 0},
        DEVICE_OPT_ROWS(&rt),
        OPT_END,
    };
    int npos = 0;
    char** pos = NULL;
    opts_parse("ulira score", "--data D.h5 --plan DIR --method M [--models PATTERN] [--json FILE]",
               "Runs U-LiRA's likelihood-ratio test on the unlearned shadow models of a plan.", specs, argc, argv,
               &npos, &pos);
    UG_CHECK(npos == 0, "ulira score: unexpected argument '%s'", pos[0]);
    UG_CHECK(data_path && plan_dir && method, "ulira score: --data, --plan and --method are required (see --help)");
    UG_CHECK(batch > 0, "ulira score: --batch must be positive (got %d)", batch);
    int dev = runtime_device(&rt, "ulira score");
    char path[PATH_MAX + 64], pattern[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/plan.txt", plan_dir);
    Plan p;
    plan_read(path, &p);   // every rank: small
    if (models) snprintf(pattern, sizeof pattern, "%s", models);
    else snprintf(pattern, sizeof pattern, "%s/shadow-%%d/%s/model.h5", plan_dir, method);
    double* phi = ug_malloc(sizeof(double) * (size_t)p.K * (size_t)p.n);
    EvalConfig ec;
    eval_config_default(&ec);
    ec.batch = batch;
    for (int k = 0; k < p.K; k++) {
        char model_path[PATH_MAX + 64], split_path[PATH_MAX + 64];
        snprintf(model_path, sizeof model_path, pattern, k);
        snprintf(split_path, sizeof split_path, "%s/shadow-%d/split.h5", plan_dir, k);
        UG_CHECK(ug_file_exists(model_path), "ulira score: shadow %d's model %s is missing (did its job finish?)", k,
                 model_path);
        CmdContext cx;
        cmd_context_open(&cx, "ulira score", data_path, split_path);
        Model* m = cmd_context_load_model(&cx, model_path, BACKEND_FAST, dev);
        model_sync_buffers(m);
        RecordBuf buf = {0};
        eval_set_records(m, &cx.ds, "train", p.pool, p.n, SET_FORGET, &ec, &buf);
        RecordSet all;
        records_gather(buf.recs, buf.n, 0, g_dist.comm, &all);
        free(buf.recs);
        if (g_dist.rank == 0) {
            UG_CHECK(all.n == p.n, "ulira score: %lld records for a pool of %lld", (long long)all.n, (long long)p.n);
            for (int64_t i = 0; i < p.n; i++) {   // records and pool both sorted by index
                UG_CHECK(all.recs[i].index == p.pool[i], "ulira score: record %lld is sample %lld, not %lld",
                         (long long)i, (long long)all.recs[i].index, (long long)p.pool[i]);
                phi[(int64_t)k * p.n + i] = logit_confidence(&all.recs[i]);
            }
        }
        free(all.recs);
        cmd_context_close(&cx);
    }
    if (g_dist.rank == 0) {
        UliraResult r;
        ulira_lrt(phi, p.in, p.K, p.n, &r);
        char out[PATH_MAX + 64];
        if (json_path) snprintf(out, sizeof out, "%s", json_path);
        else snprintf(out, sizeof out, "%s/ulira-%s.json", plan_dir, method);
        write_result(out, method, &r, &p);
        printf("| %s | %d | %lld | %.2f | %.3f | %.3f | %.3f |\n", method, r.K, (long long)r.pairs, 100 * r.accuracy,
               r.roc.auc, r.roc.tpr_at_1pct, r.roc.tpr_at_01pct);
        fflush(stdout);
        ug_log("ulira score: %s: accuracy %.2f%%, AUC %.3f, TPR %.3f at 1%% FPR, %.3f at 0.1%% FPR (K %d, %lld pairs) -> %s",
               method, 100 * r.accuracy, r.roc.auc, r.roc.tpr_at_1pct, r.roc.tpr_at_01pct, r.K, (long long)r.pairs, out);
    }
    plan_free(&p);
    free(phi);
    free(pos);
    free(data_path);
    free(plan_dir);
    free(method);
    free(models);
    free(json_path);
    runtime_opts_free(&rt);
    return 0;
}

int cmd_ulira(int argc, char** argv) {
    const char* sub = argc >= 2 ? argv[1] : "";
    if (!strcmp(sub, "plan")) return ulira_plan(argc - 1, argv + 1);
    if (!strcmp(sub, "score")) return ulira_score(argc - 1, argv + 1);
    if (g_dist.rank == 0)
        fprintf(stderr, "usage: ugradsl ulira plan --split S.h5 --output DIR [--shadows K] [--pool N] [--seed N] [--forget df|in]\n"
                        "       ugradsl ulira score --data D.h5 --plan DIR --method M [--models PATTERN] [--json FILE]\n"
                        "(jobs/ulira.sh runs the shadows in between; docs/METRICS.md §6)\n");
    return !strcmp(sub, "--help") || !strcmp(sub, "-h") ? 0 : 2;
}
