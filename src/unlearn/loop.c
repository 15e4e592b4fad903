// loop.c — the generic unlearning loop: it reads a method's registry row (stream, hooks, runner) and repeats
// unlearn_step (step.c).  It knows no method by name.
#include "unlearn/loop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "common/rng.h"
#include "common/util.h"
#include "dist/dist.h"
#include "nn/ops.h"
#include "unlearn/registry.h"

// Sorted-array membership (split arrays are sorted).
static int contains(const int64_t* sorted, int64_t n, int64_t v) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] < v) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && sorted[lo] == v;
}

LoaderConfig unlearn_loader_config(const UnlearnConfig* c, const int64_t* subset, int64_t n, uint64_t seed_offset) {
    LoaderConfig lc;
    memset(&lc, 0, sizeof lc);
    lc.split = "train";
    lc.subset = subset;
    lc.subset_n = n;
    lc.global_batch = c->batch;
    lc.shuffle = 1;
    lc.augment = c->augment;
    lc.pad = c->pad;
    lc.out_h = c->out_h;
    lc.out_w = c->out_w;
    lc.seed = c->seed + seed_offset;
    lc.cache = c->cache;
    lc.workers = c->loader_workers;
    return lc;
}

void retain_probe_open(RetainProbe* p, const UnlearnConfig* c, Dataset* ds, const Split* sp) {
    memset(p, 0, sizeof *p);
    if (sp->n_retain <= 0) return;
    int64_t n = sp->n_retain < UNLEARN_PROBE_SAMPLES ? sp->n_retain : UNLEARN_PROBE_SAMPLES;
    p->indices = ug_malloc((size_t)n * sizeof(int64_t));
    for (int64_t i = 0; i < n; i++) p->indices[i] = sp->retain[i * sp->n_retain / n];   // sorted, spread over D_r
    LoaderConfig lc;
    memset(&lc, 0, sizeof lc);
    lc.split = "train";
    lc.subset = p->indices;
    lc.subset_n = n;
    lc.global_batch = 128;
    lc.shuffle = 0;
    lc.augment = AUG_NONE;
    lc.out_h = c->out_h;
    lc.out_w = c->out_w;
    lc.seed = c->seed;
    lc.workers = c->loader_workers;
    p->loader = loader_create(ds, &lc, g_dist.rank, g_dist.world);
}

void retain_probe_close(RetainProbe* p) {
    if (p->loader) loader_destroy(p->loader);
    free(p->indices);
    memset(p, 0, sizeof *p);
}

// Global counts over the probe: [0] correct, [1] samples, [2 + k] samples of label k.
static void probe_counts(RetainProbe* p, Model* m, int64_t* counts) {
    const int K = m->cfg.num_classes;
    memset(counts, 0, (size_t)(K + 2) * sizeof(int64_t));
    loader_start_epoch(p->loader, 0);
    Batch b;
    while (loader_next(p->loader, &b)) {
        if (b.n == 0) continue;
        const float* logits = model_forward(m, b.n, b.x, 0);
        for (int i = 0; i < b.n; i++) {
            counts[0] += ug_argmax(logits + (size_t)i * K, K) == b.y[i];
            if (b.y[i] >= 0 && b.y[i] < K) counts[2 + b.y[i]]++;
        }
        counts[1] += b.n;
    }
    dist_allreduce_sum_i64(counts, (size_t)K + 2);
}

int unlearn_guard_epoch_end(DivergenceGuard* g, RetainProbe* p, Trainer* t, int epoch, UnlearnResult* out) {
    double t0 = ug_now();
    char where[64];
    snprintf(where, sizeof where, "epoch %d", epoch + 1);
    if (!divergence_check_state(g, where) && p->loader) {
        const int K = t->model->cfg.num_classes;
        int64_t* counts = ug_malloc((size_t)(K + 2) * sizeof(int64_t));
        probe_counts(p, t->model, counts);
        int64_t majority = 0;
        for (int k = 0; k < K; k++)
            if (counts[2 + k] > majority) majority = counts[2 + k];
        char what[96];
        snprintf(what, sizeof what, "retain accuracy (eval mode, %lld samples of D_r)", (long long)counts[1]);
        divergence_check_collapse(g, counts[0], majority, counts[1], what, where);
        free(counts);
    }
    if (g->diverged) {
        out->diverged = 1;
        snprintf(out->reason, sizeof out->reason, "%s", g->reason);
    }
    p->seconds += ug_now() - t0;
    return g->diverged;
}

void unlearn_guard_nonfinite(DivergenceGuard* g, int epoch, int64_t step, UnlearnResult* out) {
    char where[64];
    snprintf(where, sizeof where, "epoch %d step %lld", epoch + 1, (long long)step);
    divergence_nonfinite_step(g, where);
    out->diverged = 1;
    snprintf(out->reason, sizeof out->reason, "%s", g->reason);
}

void unlearn_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out) {
    const MethodDef* d = method_def_of(c);
    if (d->run) d->run(c, t, ds, sp, out);
    else unlearn_loop(c, t, ds, sp, out);
}

void unlearn_loop(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out) {
    memset(out, 0, sizeof *out);
    out->mean_alpha = NAN;
    const int K = t->model->cfg.num_classes;
    const MethodDef* d = method_def_of(c);
    UG_CHECK(d->stream != STREAM_NONE, "unlearn: %s is not run by the generic loop (retrain: `ugradsl train --on "
             "retain`)", d->name);
    UG_CHECK(sp->n_forget > 0, "unlearn: the forget set of the split is empty (make a split with a non-empty D_f)");
    UG_CHECK(sp->n_retain > 0 || d->stream == STREAM_FORGET, "unlearn: the retain set of the split is empty");
    t->die_on_nonfinite = 0;   // GA-type methods can diverge: report it instead of dying
    double t_setup = ug_now();

    Loader* single = NULL;
    PairedLoader* paired = NULL;
    int64_t* uni = NULL;
    LoaderConfig rc = unlearn_loader_config(c, sp->retain, sp->n_retain, 0);
    LoaderConfig fc = unlearn_loader_config(c, sp->forget, sp->n_forget, 1000003);
    switch (d->stream) {
    case STREAM_RETAIN: single = loader_create(ds, &rc, g_dist.rank, g_dist.world); break;
    case STREAM_FORGET: single = loader_create(ds, &fc, g_dist.rank, g_dist.world); break;
    case STREAM_UNION_RELABELLED:
        uni = split_train_indices(sp);
        rc = unlearn_loader_config(c, uni, sp->n_retain + sp->n_forget, 0);
        single = loader_create(ds, &rc, g_dist.rank, g_dist.world);
        break;
    case STREAM_PAIRED_BY_FORGET:
    case STREAM_PAIRED_BY_RETAIN:
        paired = paired_create(ds, &rc, &fc, d->stream == STREAM_PAIRED_BY_FORGET ? EPOCH_BY_FORGET : EPOCH_BY_RETAIN,
                               g_dist.rank, g_dist.world);
        break;
    case STREAM_NONE: ug_die("unlearn: method %s has no stream for the generic loop", d->name);
    }
    int64_t steps = paired ? paired_steps_per_epoch(paired) : loader_steps_per_epoch(single);
    double t_start = ug_now();
    out->setup_s = dist_max_f64(t_start - t_setup);
    void* state = d->hooks.begin ? d->hooks.begin(c, t, ds, sp) : NULL;   // inside RTE: masks, re-init, copies
    DivergenceGuard guard;
    RetainProbe probe;
    double tg = ug_now();
    divergence_init(&guard, t->model);
    retain_probe_open(&probe, c, ds, sp);
    probe.seconds += ug_now() - tg;
    double alpha_sum = 0;
    int64_t alpha_n = 0;
    for (int epoch = 0; epoch < c->epochs && !out->diverged; epoch++) {
        if (paired) paired_start_epoch(paired, epoch);
        else loader_start_epoch(single, epoch);
        if (d->hooks.epoch) d->hooks.epoch(state, c, epoch);
        tg = ug_now();
        divergence_epoch_begin(&guard);
        probe.seconds += ug_now() - tg;
        Progress prog;
        char label[64];
        snprintf(label, sizeof label, "unlearn epoch %d/%d", epoch + 1, c->epochs);
        progress_start(&prog, label, "step", steps);
        int64_t cr = 0, cf = 0, nr = 0, nf = 0;
        double loss_sum = 0;
        for (int64_t s = 0;; s++) {
            Batch r = {0}, f = {0};
            double tw = ug_now();
            int more = paired ? paired_next(paired, &r, &f) : loader_next(single, &r);
            t->timers.data_wait += ug_now() - tw;
            if (!more) break;
            const Batch* br = &r;
            const Batch* bf = paired ? &f : NULL;
            if (d->stream == STREAM_FORGET) {
                bf = &r, br = NULL;
                if (d->hooks.targets && r.n > 0) d->hooks.targets(state, c, &r);   // BE / BS relabel the batch
            }
            if (d->stream == STREAM_UNION_RELABELLED)
                for (int i = 0; i < r.n; i++)
                    if (contains(sp->forget, sp->n_forget, r.index[i])) r.y[i] = rl_random_label(c->seed, r.index[i], K);
            UnlearnStep st;
            int ok = unlearn_step(c, t, br, bf, &st);
            out->steps++;
            if (!ok) {
                unlearn_guard_nonfinite(&guard, epoch, s, out);
                break;
            }
            cr += st.correct_r; cf += st.correct_f; nr += st.G_r; nf += st.G_f;
            loss_sum += st.loss;
            alpha_sum += st.alpha_sum;
            alpha_n += st.G_f;
            char extra[128];
            snprintf(extra, sizeof extra, "loss %.4f", st.loss);
            progress_update(&prog, s + 1, extra);
            if (st.stop) {
                out->diverged = 0;
                snprintf(out->reason, sizeof out->reason, "stopped by a signal at epoch %d step %lld", epoch + 1,
                         (long long)s);
                out->early_stopped = 1;
                out->signalled = 1;
                break;
            }
        }
        out->retain_acc = nr ? 100.0 * (double)cr / (double)nr : NAN;
        out->forget_acc = nf ? 100.0 * (double)cf / (double)nf : NAN;
        char extra[160];
        int len = snprintf(extra, sizeof extra, "loss %.4f", loss_sum / (double)(steps ? steps : 1));
        if (nr) len += snprintf(extra + len, sizeof extra - (size_t)len, "  acc(batches of D_r) %.2f%%", out->retain_acc);
        if (nf) snprintf(extra + len, sizeof extra - (size_t)len, "  acc(batches of D_f) %.2f%%", out->forget_acc);
        progress_finish(&prog, steps, extra);
        out->epochs_done = epoch + 1;
        if (out->early_stopped || out->diverged) break;
        if (unlearn_guard_epoch_end(&guard, &probe, t, epoch, out)) break;
        if (c->stop_forget_acc >= 0 && nf > 0 && out->forget_acc <= c->stop_forget_acc) {
            out->early_stopped = 1;
            ug_log("unlearn: forget accuracy %.2f%% <= --stop-forget-acc %.2f after epoch %d: stopping",
                   out->forget_acc, c->stop_forget_acc, epoch + 1);
            break;
        }
    }
    if (d->hooks.end) d->hooks.end(state, t);
    out->rte_s = dist_max_f64(ug_now() - t_start - probe.seconds);
    divergence_free(&guard);
    retain_probe_close(&probe);
    if (alpha_n > 0) out->mean_alpha = alpha_sum / (double)alpha_n;
    out->timers = t->timers;
    if (paired) paired_destroy(paired);
    if (single) loader_destroy(single);
    free(uni);
}
