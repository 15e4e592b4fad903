// method.c — the unlearning step and loop (see method.h).
#include "unlearn/method.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "common/rng.h"
#include "common/util.h"
#include "dist/dist.h"
#include "nn/ops.h"
#include "unlearn/baselines.h"

static const MethodInfo METHODS[] = {
    {"retrain", METHOD_RETRAIN, "train from scratch on D_r with the original recipe (the gold standard)"},
    {"ft", METHOD_FT, "fine-tune: CE on D_r"},
    {"ga", METHOD_GA, "gradient ascent: -CE on D_f"},
    {"rl", METHOD_RL, "random labels on D_f, trained together with D_r"},
    {"ugradsl", METHOD_UGRADSL, "Eq. 8, an epoch is a pass over D_f"},
    {"ugradsl+", METHOD_UGRADSL_PLUS, "Eq. 8, an epoch is a pass over D_r"},
    {"l1-sparse", METHOD_L1_SPARSE, "CE on D_r + α_t·‖θ‖₁, α_t decaying linearly to 0"},
    {"eu-k", METHOD_EU_K, "re-initialise the last k layers, freeze the rest, fine-tune on D_r"},
    {"cf-k", METHOD_CF_K, "freeze all but the last k layers, fine-tune on D_r"},
    {"scrub", METHOD_SCRUB, "teacher = original; max-KL passes on D_f, CE + KL passes on D_r"},
    {"salun", METHOD_SALUN, "random labels on D_f with D_r, only the saliency-masked weights move"},
    {"be", METHOD_BE, "boundary expanding: D_f trained towards a temporary (K+1)-th class"},
    {"bs", METHOD_BS, "boundary shrink: D_f trained towards its FGSM nearest wrong label"},
    {"iu", METHOD_IU, "influence unlearning: one WoodFisher inverse-Fisher step"},
};

const MethodInfo* method_find(const char* name) {
    for (size_t i = 0; i < sizeof METHODS / sizeof *METHODS; i++)
        if (!strcmp(METHODS[i].name, name)) return &METHODS[i];
    return NULL;
}

const char* method_names(void) {
    return "retrain, ft, ga, rl, ugradsl, ugradsl+, l1-sparse, eu-k, cf-k, scrub, salun, be, bs, iu";
}

void unlearn_config_validate(const UnlearnConfig* c, int num_classes) {
    UG_CHECK(c->epochs >= 1, "unlearn: --epochs must be >= 1 (got %d)", c->epochs);
    UG_CHECK(c->lr > 0 && isfinite(c->lr), "unlearn: --lr must be a positive number (got %g)", c->lr);
    UG_CHECK(c->batch >= 1, "unlearn: --batch must be >= 1 (got %d)", c->batch);
    UG_CHECK(c->p >= 0 && c->p <= 1, "unlearn: --p must be in [0, 1] (got %g): it weighs descent on D_r against "
             "ascent on D_f", c->p);
    UG_CHECK(isnan(c->alpha) || c->alpha <= 1, "unlearn: --alpha must be <= 1 (got %g); negative values are "
             "negative label smoothing", c->alpha);
    UG_CHECK(c->beta >= 0 && c->beta <= 1, "unlearn: --beta (distance threshold) must be in [0, 1] (got %g)", c->beta);
    UG_CHECK(c->alpha_scale > 0, "unlearn: --alpha-scale must be > 0 (got %g)", c->alpha_scale);
    UG_CHECK(num_classes >= 2, "unlearn: the model has %d classes; need at least 2", num_classes);
    MethodKind k = c->method;
    if (k == METHOD_EU_K || k == METHOD_CF_K) UG_CHECK(c->k >= 1, "unlearn: --k must be >= 1 (got %d)", c->k);
    if (k == METHOD_L1_SPARSE)
        UG_CHECK(c->l1_alpha >= 0 && isfinite(c->l1_alpha), "unlearn: --l1-alpha must be >= 0 (got %g)", c->l1_alpha);
    if (k == METHOD_SALUN)
        UG_CHECK(c->mask_fraction > 0 && c->mask_fraction <= 1, "unlearn: --mask-fraction must be in (0, 1] (got %g)",
                 c->mask_fraction);
    if (k == METHOD_SCRUB) {
        UG_CHECK(c->scrub_t > 0, "unlearn: --scrub-t (temperature) must be > 0 (got %g)", c->scrub_t);
        UG_CHECK(c->scrub_gamma >= 0 && c->scrub_alpha >= 0, "unlearn: --scrub-gamma and --scrub-alpha must be >= 0");
        UG_CHECK(c->scrub_max_epochs >= 0, "unlearn: --scrub-max-epochs must be >= 0 (got %d)", c->scrub_max_epochs);
    }
    if (k == METHOD_IU) {
        UG_CHECK(c->iu_samples >= 1, "unlearn: --iu-samples must be >= 1 (got %d)", c->iu_samples);
        UG_CHECK(c->iu_damping > 0, "unlearn: --iu-damping must be > 0 (got %g)", c->iu_damping);
        UG_CHECK(isfinite(c->iu_scale), "unlearn: --iu-scale must be a number (got %g)", c->iu_scale);
    }
    if (k == METHOD_BS) UG_CHECK(c->bs_step > 0, "unlearn: --bs-step must be > 0 (got %g)", c->bs_step);
}

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
    return lc;
}

void unlearn_run(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out) {
    switch (c->method) {
    case METHOD_SCRUB: scrub_run(c, t, ds, sp, out); return;
    case METHOD_IU: iu_run(c, t, ds, sp, out); return;
    case METHOD_BE: be_run(c, t, ds, sp, out); return;
    default: unlearn_loop(c, t, ds, sp, out);
    }
}

void unlearn_loop(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out) {
    memset(out, 0, sizeof *out);
    out->mean_alpha = NAN;
    const int K = t->model->cfg.num_classes;
    UG_CHECK(c->method != METHOD_RETRAIN, "unlearn: retrain is run by `ugradsl train --on retain`");
    UG_CHECK(sp->n_forget > 0, "unlearn: the forget set of the split is empty (make a split with a non-empty D_f)");
    UG_CHECK(sp->n_retain > 0 || method_forget_only(c->method), "unlearn: the retain set of the split is empty");
    t->die_on_nonfinite = 0;   // GA-type methods can diverge: report it instead of dying
    double t_setup = ug_now();

    Loader* single = NULL;
    PairedLoader* paired = NULL;
    int64_t* uni = NULL;
    LoaderConfig rc = unlearn_loader_config(c, sp->retain, sp->n_retain, 0);
    LoaderConfig fc = unlearn_loader_config(c, sp->forget, sp->n_forget, 1000003);
    switch (c->method) {
    case METHOD_FT:
    case METHOD_L1_SPARSE:
    case METHOD_EU_K:
    case METHOD_CF_K: single = loader_create(ds, &rc, g_dist.rank, g_dist.world); break;
    case METHOD_GA:
    case METHOD_BE:
    case METHOD_BS: single = loader_create(ds, &fc, g_dist.rank, g_dist.world); break;
    case METHOD_RL:
    case METHOD_SALUN:
        uni = split_train_indices(sp);
        rc = unlearn_loader_config(c, uni, sp->n_retain + sp->n_forget, 0);
        single = loader_create(ds, &rc, g_dist.rank, g_dist.world);
        break;
    default:
        paired = paired_create(ds, &rc, &fc, c->method == METHOD_UGRADSL ? EPOCH_BY_FORGET : EPOCH_BY_RETAIN,
                               g_dist.rank, g_dist.world);
    }
    int64_t steps = paired ? paired_steps_per_epoch(paired) : loader_steps_per_epoch(single);
    double t_start = ug_now();
    out->setup_s = dist_max_f64(t_start - t_setup);
    BaselineCtx* bctx = baseline_begin(c, t, ds, sp);   // inside RTE: masks, re-init, frozen copies
    double alpha_sum = 0;
    int64_t alpha_n = 0;
    for (int epoch = 0; epoch < c->epochs && !out->diverged; epoch++) {
        if (paired) paired_start_epoch(paired, epoch);
        else loader_start_epoch(single, epoch);
        baseline_epoch(bctx, epoch);
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
            if (method_forget_only(c->method)) {
                bf = &r, br = NULL;
                baseline_targets(bctx, &r);   // BE / BS relabel the forget batch
            }
            if (c->method == METHOD_RL || c->method == METHOD_SALUN)
                for (int i = 0; i < r.n; i++)
                    if (contains(sp->forget, sp->n_forget, r.index[i])) r.y[i] = rl_random_label(c->seed, r.index[i], K);
            UnlearnStep st;
            int ok = unlearn_step(c, t, br, bf, &st);
            out->steps++;
            if (!ok) {
                out->diverged = 1;
                snprintf(out->reason, sizeof out->reason, "non-finite loss or gradient at epoch %d step %lld; the "
                         "model is the last finite one (lower --lr)", epoch + 1, (long long)s);
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
        if (out->early_stopped) break;
        // A collapsed model: the retain batches are no better than chance.
        if (nr > 0 && out->retain_acc <= 100.0 / K + 1.0) {
            out->diverged = 1;
            snprintf(out->reason, sizeof out->reason, "collapsed: retain accuracy %.2f%% (chance %.2f%%) after epoch %d",
                     out->retain_acc, 100.0 / K, epoch + 1);
        }
        if (c->stop_forget_acc >= 0 && nf > 0 && out->forget_acc <= c->stop_forget_acc) {
            out->early_stopped = 1;
            ug_log("unlearn: forget accuracy %.2f%% <= --stop-forget-acc %.2f after epoch %d: stopping",
                   out->forget_acc, c->stop_forget_acc, epoch + 1);
            break;
        }
    }
    baseline_end(bctx, t);
    out->rte_s = dist_max_f64(ug_now() - t_start);
    if (alpha_n > 0) out->mean_alpha = alpha_sum / (double)alpha_n;
    out->timers = t->timers;
    if (paired) paired_destroy(paired);
    if (single) loader_destroy(single);
    free(uni);
}
