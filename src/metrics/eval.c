// eval.c — model outputs → per-sample records → rank-0 metrics (see eval.h).
#include "metrics/eval.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "data/loader.h"
#include "dist/dist.h"
#include "nn/model.h"

void eval_config_default(EvalConfig* c) {
    memset(c, 0, sizeof *c);
    c->batch = 256;
    c->include_val = 1;
}

static void buf_reserve(RecordBuf* b, int64_t extra) {
    if (b->n + extra <= b->cap) return;
    int64_t cap = b->cap ? b->cap : 1024;
    while (cap < b->n + extra) cap *= 2;
    b->recs = ug_realloc(b->recs, sizeof(SampleRecord) * (size_t)cap);
    b->cap = cap;
}

void eval_set_records(Model* m, Dataset* ds, const char* split, const int64_t* subset, int64_t n, SampleSet set,
                      const EvalConfig* ec, RecordBuf* out) {
    if (n <= 0) return;
    UG_CHECK(ec->batch > 0, "eval: batch must be positive (got %d)", ec->batch);
    LoaderConfig lc;
    memset(&lc, 0, sizeof lc);
    lc.split = split;
    lc.subset = subset;
    lc.subset_n = n;
    lc.global_batch = ec->batch * g_dist.world;
    lc.shuffle = 0;
    lc.drop_last = 0;
    lc.augment = AUG_NONE;
    lc.out_h = m->cfg.in_h;
    lc.out_w = m->cfg.in_w;
    lc.cache = ec->cache;
    lc.workers = loader_auto_workers(&ds->info, g_dist.local_world);
    Loader* l = loader_create(ds, &lc, g_dist.rank, g_dist.world);
    loader_start_epoch(l, 0);
    Batch b;
    int K = m->cfg.num_classes;
    while (loader_next(l, &b)) {
        if (b.n == 0) continue;
        UG_CHECK(b.c == m->cfg.in_c, "eval: the dataset has %d channels but the model expects %d", b.c, m->cfg.in_c);
        const float* logits = model_forward(m, b.n, b.x, 0);
        buf_reserve(out, b.n);
        records_from_logits(out->recs + out->n, logits, b.n, K, b.y, b.index, set);
        out->n += b.n;
    }
    loader_destroy(l);
}

void eval_collect(Model* m, Dataset* ds, const Split* s, const EvalConfig* ec, RecordSet* all) {
    model_sync_buffers(m);   // BN running stats may differ across ranks after training: use rank 0's
    RecordBuf buf = {0};
    eval_set_records(m, ds, "train", s->retain, s->n_retain, SET_RETAIN, ec, &buf);
    eval_set_records(m, ds, "train", s->forget, s->n_forget, SET_FORGET, ec, &buf);
    eval_set_records(m, ds, "test", s->test_keep, s->n_test_keep, SET_TEST, ec, &buf);
    if (ec->include_val) eval_set_records(m, ds, "train", s->val_keep, s->n_val_keep, SET_VAL, ec, &buf);
    records_gather(buf.recs, buf.n, 0, g_dist.comm, all);
    free(buf.recs);
}

void eval_run(Model* m, Dataset* ds, const Split* s, const EvalConfig* ec, const MetricsOptions* mo,
              const RunInfo* run, const char* json_path, Metrics* out) {
    double t0 = ug_now();
    RecordSet all;
    eval_collect(m, ds, s, ec, &all);
    double t_forward = ug_now() - t0;
    if (g_dist.rank == 0) {
        MetricsOptions o = *mo;
        if (o.num_classes <= 0) o.num_classes = m->cfg.num_classes;
        Metrics local;
        Metrics* met = out ? out : &local;
        // The other ranks of this node sleep in dist_barrier_sleeping below: their cores run the attack fits
        // (independent, each a pure function of its inputs: the numbers do not depend on the thread count).
        int threads = omp_get_max_threads();
        omp_set_num_threads(threads * (g_dist.local_world > 0 ? g_dist.local_world : 1));
        metrics_compute(&all, &o, met);
        omp_set_num_threads(threads);
        RunInfo r = *run;
        r.eval_s = ug_now() - t0;
        ug_log("eval: %lld records, forward %.1f s, metrics %.1f s", (long long)all.n, t_forward, r.eval_s - t_forward);
        metrics_log(met, run->method);
        if (json_path) metrics_write_json(json_path, met, &o, &r);
    }
    dist_barrier_sleeping();
    free(all.recs);
}
