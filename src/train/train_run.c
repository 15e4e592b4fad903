// train_run.c — the training run (see train_run.h).
#include "train/train_run.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/json.h"
#include "common/progress.h"
#include "common/util.h"
#include "data/dataset.h"
#include "nn/executor.h"
#include "gpu/gpu_setup.h"
#include "data/loader.h"
#include "data/split.h"
#include "dist/dist.h"
#include "train/checkpoint.h"
#include "train/provenance.h"
#include "train/rank_timing.h"
#include "train/divergence.h"
#include "train/schedule.h"
#include "train/trainer.h"

typedef struct {
    char* text;
    size_t len, cap;
} TextBuf;

static void text_append(TextBuf* b, const char* s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->text = ug_realloc(b->text, b->cap);
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = 0;
}

static void write_text_atomic(const char* path, const char* text) {
    AtomicFile af;
    atomic_open(&af, path);
    if (fputs(text, af.f) == EOF) {
        int err = errno;
        atomic_abort(&af);
        errno = err;
        ug_die_errno("cannot write '%s'", path);
    }
    atomic_commit(&af);
}

typedef struct {
    Trainer* t;
    const TrainRunConfig* c;
    char ckpt_path[4200], model_path[4200];
    Provenance prov;                            // what every checkpoint of this run records
    char split_hash[PROVENANCE_HASH_CHARS], dataset_id[512];
} Saver;

// All ranks call it (BN stats are taken from rank 0); rank 0 writes.
static void save_state(Saver* s, const char* path, int64_t epoch, int64_t step_in_epoch, double lr) {
    trainer_sync_buffers(s->t);
    model_state_to_host(s->t->model);   // a model on a GPU: its parameters and momentum come back first
    model_momentum_to_host(s->t->model, &s->t->sgd);
    if (g_dist.rank == 0) {
        TrainState st = {epoch, step_in_epoch, s->t->step, s->c->seed, g_dist.world, lr};
        checkpoint_save_with(path, s->t->model, &s->t->sgd, &st, &s->prov);
    }
    dist_barrier();
}

typedef struct {
    double acc, loss;
    int done;
} Eval;

static Eval run_eval(Trainer* t, Loader* l) {
    Eval e = {NAN, NAN, 0};
    if (!l) return e;
    e.acc = trainer_evaluate(t, l, &e.loss);
    e.done = 1;
    return e;
}

// Everything one run holds between its stages.
typedef struct {
    const TrainRunConfig* c;
    double t_begin, t_setup;
    Dataset own_ds;
    Dataset* ds;
    Split own_sp;
    const Split* sp;              // NULL without --split
    int64_t* merged;              // train \ val of the split (owned)
    const int64_t* subset;
    int64_t subset_n;
    ModelConfig mc;
    Model* m;
    char desc[200];
    Loader *train, *test, *val;
    int64_t steps_per_epoch, n_train;
    Trainer t;
    Schedule sched;
    int64_t start_epoch, start_step;
    Saver saver;
    char metrics_path[4200];
    TextBuf metrics;
    int64_t images_total;
    Eval last_test, last_val;
    double lr;
    DivergenceGuard guard;        // the divergence guard (train/divergence.h)
    int64_t* label_counts;        // [K] labels of this epoch's batches on this rank (the collapse rule)
    double best_train_acc;        // best epoch training accuracy so far (%)
} TrainRun;

void train_run_check(const TrainRunConfig* c) {
    UG_CHECK(c->data && *c->data, "train: --data is required (a dataset packed by `ugradsl pack`)");
    UG_CHECK(c->out_dir && *c->out_dir, "train: --output DIR is required");
    UG_CHECK(c->epochs >= 1, "train: --epochs must be >= 1 (got %d)", c->epochs);
    UG_CHECK(c->batch >= 1, "train: --batch must be >= 1 (got %d)", c->batch);
    UG_CHECK(c->lr > 0 && isfinite(c->lr), "train: --lr must be > 0");
    UG_CHECK(!c->on_retain || c->split, "train: --on retain needs --split S.h5");
}

// The dataset and split (opened here unless the caller passed them) and the training subset.
static void setup_data(TrainRun* r) {
    const TrainRunConfig* c = r->c;
    if (c->dataset) {
        r->ds = c->dataset;
    } else {
        dataset_open(&r->own_ds, c->data, g_dist.comm);
        r->ds = &r->own_ds;
    }
    if (!c->split) return;
    if (c->split_set) {
        r->sp = c->split_set;
    } else {
        split_load(c->split, r->ds, &r->own_sp);
        r->sp = &r->own_sp;
    }
    if (c->on_retain) {
        r->subset = r->sp->retain;
        r->subset_n = r->sp->n_retain;
    } else {
        r->merged = split_train_indices(r->sp);
        r->subset = r->merged;
        r->subset_n = r->sp->n_forget + r->sp->n_retain;
    }
    UG_CHECK(r->subset_n > 0, "train: the training set of split '%s' is empty", c->split);
}

// A fresh model whose classes and input size are the dataset's, initialised from the seed.
static void setup_model(TrainRun* r) {
    const DatasetInfo* info = &r->ds->info;
    r->mc = r->c->model;
    r->mc.num_classes = info->num_classes;
    loader_input_size(info, &r->mc.in_h, &r->mc.in_w);   // decoded: the stored size; JPEG mode: 224 crops
    r->mc.in_c = info->channels;
    r->m = model_create(&r->mc, r->c->backend);
    model_init(r->m, r->c->seed);
    model_config_describe(&r->mc, r->desc, sizeof r->desc);
}

// The shuffled training loader and the test / val evaluation loaders.
static void setup_loaders(TrainRun* r) {
    const TrainRunConfig* c = r->c;
    Dataset* ds = r->ds;
    size_t image_bytes = (size_t)ds->info.height * ds->info.width * ds->info.channels;
    int cache = c->cache;
    if (cache < 0) cache = ds->info.mode == DS_DECODED && image_bytes * 2000000ull < (size_t)4 << 30 ? 1 : 0;
    LoaderConfig lc;
    memset(&lc, 0, sizeof lc);
    lc.split = "train";
    lc.subset = r->subset;
    lc.subset_n = r->subset_n;
    lc.global_batch = c->batch;
    lc.shuffle = 1;
    lc.drop_last = c->drop_last;
    lc.augment = augment_pick(c->augment, &ds->info);
    lc.pad = c->pad;
    lc.seed = c->seed;
    lc.cache = cache;
    lc.out_h = r->mc.in_h;
    lc.out_w = r->mc.in_w;
    lc.workers = loader_auto_workers(&ds->info, g_dist.local_world);   // JPEG decoding overlaps compute
    r->train = loader_create(ds, &lc, g_dist.rank, g_dist.world);
    r->steps_per_epoch = loader_steps_per_epoch(r->train);
    r->n_train = r->subset ? r->subset_n : 0;
    if (!r->subset) {
        DatasetSplit s;
        dataset_split_open(ds, "train", &s);
        r->n_train = s.n;
        dataset_split_close(&s);
    }

    LoaderConfig ec;
    memset(&ec, 0, sizeof ec);
    ec.global_batch = c->eval_batch > 0 ? c->eval_batch : 256;
    ec.augment = AUG_NONE;
    ec.seed = c->seed;
    ec.cache = cache;
    ec.out_h = r->mc.in_h;
    ec.out_w = r->mc.in_w;
    ec.workers = lc.workers;
    if (dataset_has_split(ds, "test")) {
        ec.split = "test";
        r->test = loader_create(ds, &ec, g_dist.rank, g_dist.world);
    }
    const Split* sp = r->sp;
    if (sp && (c->on_retain ? sp->n_val_keep : sp->n_val) > 0) {
        ec.split = "train";
        ec.subset = c->on_retain ? sp->val_keep : sp->val;
        ec.subset_n = c->on_retain ? sp->n_val_keep : sp->n_val;
        r->val = loader_create(ds, &ec, g_dist.rank, g_dist.world);
    } else if (!sp && dataset_has_split(ds, "val")) {
        ec.split = "val";
        r->val = loader_create(ds, &ec, g_dist.rank, g_dist.world);
    }
}

// SGD and the learning-rate schedule.
static void setup_optimizer(TrainRun* r) {
    const TrainRunConfig* c = r->c;
    SgdConfig sc = {c->momentum, c->weight_decay, c->nesterov};
    trainer_init(&r->t, r->m, &sc);
    r->t.clip_norm = c->clip_norm;
    r->t.stop_after_steps = c->stop_after_steps;
    Schedule* sched = &r->sched;
    memset(sched, 0, sizeof *sched);
    UG_CHECK(sched_parse_kind(c->schedule ? c->schedule : "cosine", &sched->kind),
             "train: --lr-schedule '%s' unknown (constant, multistep, cosine)", c->schedule);
    sched->base_lr = c->lr;
    sched->gamma = c->gamma;
    sched_parse_milestones(sched, c->milestones);
    sched->steps_per_epoch = r->steps_per_epoch;
    sched->total_steps = r->steps_per_epoch * c->epochs;
    sched->warmup_steps = (int64_t)llround(c->warmup_epochs * (double)r->steps_per_epoch);
}

// The options that change what a run computes: a resume must use the checkpoint's values of all of them.
static const char* const RESUME_KEYS[] = {
    "data", "split", "on", "arch", "width", "imagenet-stem", "epochs", "batch", "lr", "momentum", "weight-decay",
    "nesterov", "lr-schedule", "milestones", "gamma", "warmup-epochs", "clip-norm", "augment", "pad", "drop-last",
    "seed", "precision", NULL};
static const char* const RESUME_PATH_KEYS[] = {"data", "split", NULL};

// Dies with one line listing every result-changing option (and the split / dataset identity) that differs from
// the checkpoint's run.
static void check_resume_matches(const TrainRun* r, const char* ckpt) {
    const TrainRunConfig* c = r->c;
    char* before = checkpoint_read_config_text(ckpt);
    char diff[4096] = "";
    int n = 0;
    if (*before && c->config_text) {
        n = provenance_config_diff(before, c->config_text, RESUME_KEYS, RESUME_PATH_KEYS, diff, sizeof diff);
    } else {
        ug_log("train: note: '%s' records no run config: only its seed and model are checked", ckpt);
    }
    CheckpointProvenance p;
    checkpoint_read_provenance(ckpt, &p);
    if (p.format_version < 2)
        ug_log("train: note: '%s' is a format-1 checkpoint (no provenance): its split and dataset are compared by "
               "path only", ckpt);
    const Saver* s = &r->saver;
    if (p.split_hash[0] && strcmp(p.split_hash, r->sp ? s->split_hash : "") != 0) {
        size_t len = strlen(diff);
        snprintf(diff + len, sizeof diff - len, "%ssplit contents (checkpoint: %s, now: %s)", n++ ? ", " : "",
                 p.split_hash, r->sp ? s->split_hash : "no split");
    }
    if (p.dataset_id[0] && strcmp(p.dataset_id, s->dataset_id) != 0) {
        size_t len = strlen(diff);
        snprintf(diff + len, sizeof diff - len, "%sdataset (checkpoint: %s, now: %s)", n++ ? ", " : "", p.dataset_id,
                 s->dataset_id);
    }
    free(before);
    UG_CHECK(n == 0, "train: --resume %s: this run differs from the checkpoint's in %d option%s: %s; resume with the "
             "checkpoint's options or start a new run", ckpt, n, n == 1 ? "" : "s", diff);
}

// What every checkpoint of the run records (before a resume check compares against it).
static void setup_provenance(TrainRun* r) {
    Saver* s = &r->saver;
    const TrainRunConfig* c = r->c;
    s->split_hash[0] = 0;
    if (r->sp) provenance_split_hash(r->sp, s->split_hash);
    provenance_dataset_id(r->ds, r->sp, s->dataset_id, sizeof s->dataset_id);
    s->prov = (Provenance){.method = c->on_retain ? "retrain" : "original",
                           .parent_hash = NULL,
                           .split_hash = r->sp ? s->split_hash : NULL,
                           .split_path = c->split,
                           .dataset_id = s->dataset_id,
                           .dataset_path = c->data,
                           .config_text = c->config_text};
}

// --resume: model, momentum and position from the checkpoint.
static void setup_resume(TrainRun* r) {
    const TrainRunConfig* c = r->c;
    if (!c->resume) return;
    if (g_dist.rank == 0) check_resume_matches(r, c->resume);
    TrainState st;
    checkpoint_load(c->resume, r->m, &r->t.sgd, &st);
    UG_CHECK(st.seed == c->seed, "train: checkpoint '%s' was made with seed %llu, this run uses %llu",
             c->resume, (unsigned long long)st.seed, (unsigned long long)c->seed);
    if (st.world_size != g_dist.world)
        ug_log("train: note: '%s' was written by %d ranks, this run has %d: it continues, but not bit-identically "
               "(BatchNorm statistics are per rank)", c->resume, st.world_size, g_dist.world);
    r->start_epoch = st.epoch;
    r->start_step = st.step_in_epoch;
    r->t.step = st.global_step;
    ug_log("train: resuming from '%s' at epoch %lld step %lld (global step %lld)", c->resume,
           (long long)r->start_epoch, (long long)r->start_step, (long long)r->t.step);
}

// Output paths and the metrics log (a resumed run continues its metrics.jsonl).
static void setup_outputs(TrainRun* r) {
    const TrainRunConfig* c = r->c;
    r->saver.t = &r->t;
    r->saver.c = c;
    snprintf(r->saver.ckpt_path, sizeof r->saver.ckpt_path, "%s/checkpoint.h5", c->out_dir);
    snprintf(r->saver.model_path, sizeof r->saver.model_path, "%s/model.h5", c->out_dir);
    snprintf(r->metrics_path, sizeof r->metrics_path, "%s/metrics.jsonl", c->out_dir);
    text_append(&r->metrics, "", 0);
    if (c->resume && g_dist.rank == 0 && ug_file_exists(r->metrics_path)) {
        size_t n = 0;
        char* old = ug_read_file(r->metrics_path, &n);
        text_append(&r->metrics, old, n);
        free(old);
    }
}

static void run_setup(TrainRun* r, const TrainRunConfig* c) {
    memset(r, 0, sizeof *r);
    r->c = c;
    r->t_begin = ug_now();
    train_run_check(c);
    if (g_dist.rank == 0) ug_mkdir_p(c->out_dir);
    setup_data(r);
    setup_model(r);
    setup_loaders(r);
    setup_optimizer(r);
    setup_provenance(r);
    setup_resume(r);
    device_attach(r->m, c->device);   // after a resume: the loaded state (momentum too) goes to the GPU
    model_momentum_to_device(r->m, &r->t.sgd);
    trainer_install_signal_handlers();
    setup_outputs(r);
    ug_log("train: %s, %lld parameters, %lld training images, %d ranks, global batch %d, %lld steps/epoch, %d epochs, "
           "device %s", r->desc, (long long)r->m->num_params, (long long)r->n_train, g_dist.world, c->batch,
           (long long)r->steps_per_epoch, c->epochs, device_describe(r->m));
    r->t_setup = ug_now() - r->t_begin;
    r->last_test = r->last_val = (Eval){NAN, NAN, 0};
    r->lr = sched_lr(&r->sched, r->t.step);
}

// One line of metrics.jsonl (rank 0), rewritten atomically with all earlier lines.
static void append_epoch_metrics(TrainRun* r, int64_t epoch, int do_eval, double train_loss, double train_acc,
                                 int64_t seen, double epoch_s, const TrainTimers* timers0) {
    char* line = NULL;
    size_t line_len = 0;
    FILE* mf = open_memstream(&line, &line_len);
    UG_CHECK(mf, "open_memstream failed");
    JsonWriter j;
    json_begin(&j, mf, 0);
    json_obj_open(&j, NULL);
    json_int(&j, "epoch", epoch + 1);
    json_int(&j, "step", r->t.step);
    json_num(&j, "lr", r->lr);
    json_num(&j, "train_loss", train_loss);
    json_num(&j, "train_acc", 100 * train_acc);
    if (do_eval && r->last_test.done) { json_num(&j, "test_acc", 100 * r->last_test.acc); json_num(&j, "test_loss", r->last_test.loss); }
    if (do_eval && r->last_val.done) { json_num(&j, "val_acc", 100 * r->last_val.acc); json_num(&j, "val_loss", r->last_val.loss); }
    json_num(&j, "epoch_s", epoch_s);
    json_num(&j, "img_per_s", seen / fmax(epoch_s, 1e-9));
    json_num(&j, "compute_s", r->t.timers.compute - timers0->compute);
    json_num(&j, "allreduce_s", r->t.timers.allreduce - timers0->allreduce);
    json_num(&j, "data_wait_s", r->t.timers.data_wait - timers0->data_wait);
    json_num(&j, "wall_s", ug_now() - r->t_begin);
    json_obj_close(&j);
    json_end(&j);
    fclose(mf);
    text_append(&r->metrics, line, line_len);
    free(line);
    write_text_atomic(r->metrics_path, r->metrics.text);
}

// The epoch's straggler on the progress line (collective): the rank with the most compute + data wait.
static void append_slowest_rank(const Trainer* t, const TrainTimers* timers0, char* extra, size_t cap) {
    TrainTimers epoch = {t->timers.compute - timers0->compute, t->timers.allreduce - timers0->allreduce,
                         t->timers.data_wait - timers0->data_wait};
    RankTimingTable rt;
    rank_timing_gather(&epoch, NULL, g_dist.comm, &rt);
    size_t len = strlen(extra);
    if (len + 2 < cap) {
        snprintf(extra + len, cap - len, "  ");
        rank_timing_describe(&rt, extra + len + 2, cap - len - 2);
    }
    rank_timing_free(&rt);
}

// The guard after an epoch: non-finite parameters or BN statistics (the epoch's copy is put back), then the
// collapse rule on the epoch's training accuracy against its most frequent label.  Training starts at chance, so
// the rule applies to the last epoch (a run that never learned) and to any epoch after one that was clearly
// better (20 points above the most frequent class: it learned, then fell back).  Returns 1 when diverged.
static int epoch_collapsed(TrainRun* r, int64_t epoch, int last, double train_acc_pct) {
    char where[64];
    snprintf(where, sizeof where, "epoch %lld", (long long)epoch + 1);
    if (divergence_check_state(&r->guard, where)) return 1;
    const int K = r->m->cfg.num_classes;
    dist_allreduce_sum_i64(r->label_counts, (size_t)K);
    int64_t n = 0, majority = 0;
    for (int k = 0; k < K; k++) {
        n += r->label_counts[k];
        if (r->label_counts[k] > majority) majority = r->label_counts[k];
    }
    if (n <= 0 || !isfinite(train_acc_pct)) return 0;
    double majority_pct = 100.0 * (double)majority / (double)n;
    int learned = r->best_train_acc >= majority_pct + 20.0;
    if (train_acc_pct > r->best_train_acc) r->best_train_acc = train_acc_pct;
    if (!last && !learned) return 0;
    int64_t correct = (int64_t)llround(train_acc_pct / 100.0 * (double)n);
    return divergence_check_collapse(&r->guard, correct, majority, n, "training accuracy", where);
}

// One epoch (from the resume position for the first): steps, periodic checkpoints, evaluation, the epoch's log
// line and metrics.  Returns 0, or TRAIN_EXIT_REQUEUE after a stop request (checkpoint written).
static int run_epoch(TrainRun* r, int64_t epoch) {
    const TrainRunConfig* c = r->c;
    Trainer* t = &r->t;
    double t_epoch = ug_now();
    TrainTimers timers0 = t->timers;
    int64_t step_in_epoch = epoch == r->start_epoch ? r->start_step : 0;
    loader_seek(r->train, (int)epoch, step_in_epoch);
    char label[64];
    snprintf(label, sizeof label, "epoch %lld/%d", (long long)epoch + 1, c->epochs);
    Progress prog;
    progress_start(&prog, label, "img", r->n_train);
    prog.log_every_s = 1e30;   // not a TTY: one line per epoch (below), no periodic lines
    const int K = r->m->cfg.num_classes;
    t->die_on_nonfinite = 0;   // the guard stops the run instead (keeps the last finite state, exit 3)
    divergence_epoch_begin(&r->guard);
    memset(r->label_counts, 0, (size_t)K * sizeof(int64_t));
    double loss_sum = 0, acc_sum = 0;
    int64_t seen = 0;
    for (;;) {
        double t0 = ug_now();
        Batch b;
        int more = loader_next(r->train, &b);
        trainer_add_data_wait(t, ug_now() - t0);
        if (!more) break;
        r->lr = sched_lr(&r->sched, t->step);
        StepResult res = trainer_step(t, &b, NULL, NULL, r->lr);
        if (!res.finite) {
            char where[64];
            snprintf(where, sizeof where, "epoch %lld step %lld", (long long)epoch + 1, (long long)step_in_epoch);
            divergence_nonfinite_step(&r->guard, where);
            if (prog.tty && g_dist.rank == 0) fputs("\n", stderr);
            return UG_EXIT_DIVERGED;
        }
        for (int i = 0; i < b.n; i++)
            if (b.y[i] >= 0 && b.y[i] < K) r->label_counts[b.y[i]]++;
        step_in_epoch++;
        loss_sum += res.loss * (double)res.n;
        acc_sum += res.acc * (double)res.n;
        seen += res.n;
        r->images_total += res.n;
        if (prog.tty) {
            char extra[128];
            snprintf(extra, sizeof extra, " step %lld loss %.4f acc %.2f%% lr %.4g", (long long)t->step,
                     loss_sum / (double)seen, 100.0 * acc_sum / (double)seen, r->lr);
            progress_update(&prog, seen, extra);
        }
        int epoch_done = step_in_epoch >= r->steps_per_epoch;
        if (res.stop) {
            save_state(&r->saver, r->saver.ckpt_path, epoch_done ? epoch + 1 : epoch, epoch_done ? 0 : step_in_epoch, r->lr);
            ug_log("\ntrain: stop requested (%s) at global step %lld: checkpoint '%s' written; resume with "
                   "--resume %s (exit code %d)", trainer_signal_received() ? "signal" : "--stop-after-steps",
                   (long long)t->step, r->saver.ckpt_path, r->saver.ckpt_path, TRAIN_EXIT_REQUEUE);
            return TRAIN_EXIT_REQUEUE;
        }
        if (c->checkpoint_every_steps > 0 && t->step % c->checkpoint_every_steps == 0 && !epoch_done)
            save_state(&r->saver, r->saver.ckpt_path, epoch, step_in_epoch, r->lr);
    }
    double epoch_s = ug_now() - t_epoch;
    int last = epoch + 1 == c->epochs;
    int do_eval = last || (c->eval_every > 0 && (epoch + 1) % c->eval_every == 0);
    if (do_eval) {
        r->last_test = run_eval(t, r->test);
        r->last_val = run_eval(t, r->val);
    }
    double train_loss = seen ? loss_sum / (double)seen : NAN, train_acc = seen ? acc_sum / (double)seen : NAN;
    char extra[256] = "";
    if (do_eval && r->last_test.done) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  test %.2f%%", 100 * r->last_test.acc);
    if (do_eval && r->last_val.done) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  val %.2f%%", 100 * r->last_val.acc);
    if (g_dist.world > 1) append_slowest_rank(t, &timers0, extra, sizeof extra);   // collective
    if (prog.tty && g_dist.rank == 0) fputs("\r\033[K", stderr);
    ug_log("epoch %lld/%d  step %lld  loss %.4f  acc %.2f%%  lr %.4g  %.0f img/s  %.1f s%s", (long long)epoch + 1,
           c->epochs, (long long)t->step, train_loss, 100 * train_acc, r->lr, seen / fmax(epoch_s, 1e-9), epoch_s, extra);
    if (g_dist.rank == 0) append_epoch_metrics(r, epoch, do_eval, train_loss, train_acc, seen, epoch_s, &timers0);
    if (epoch_collapsed(r, epoch, last, 100 * train_acc)) return UG_EXIT_DIVERGED;
    if (!last && c->checkpoint_every > 0 && (epoch + 1) % c->checkpoint_every == 0)
        save_state(&r->saver, r->saver.ckpt_path, epoch + 1, 0, r->lr);
    return 0;
}

// Each rank's whole-run timings ("ranks" is already the rank count) and the straggler.
static void write_rank_timing_json(JsonWriter* j, const RankTimingTable* rt) {
    json_arr_open(j, "rank_timing");
    for (int i = 0; i < rt->n; i++) {
        json_obj_open(j, NULL);
        json_int(j, "rank", rt->ranks[i].rank);
        json_str(j, "host", rt->ranks[i].host);
        json_num(j, "compute_s", rt->ranks[i].timers.compute);
        json_num(j, "allreduce_s", rt->ranks[i].timers.allreduce);
        json_num(j, "data_wait_s", rt->ranks[i].timers.data_wait);
        json_obj_close(j);
    }
    json_arr_close(j);
    json_int(j, "slowest_rank", rt->slowest.rank);
    json_str(j, "slowest_host", rt->slowest.host);
}

// train.json (rank 0) and its --json copy.
static void write_summary_json(const TrainRun* r, double loop_s, const RankTimingTable* rt) {
    const TrainRunConfig* c = r->c;
    char path[4200];
    snprintf(path, sizeof path, "%s/train.json", c->out_dir);
    AtomicFile af;
    atomic_open(&af, path);
    JsonWriter j;
    json_begin(&j, af.f, 1);
    json_obj_open(&j, NULL);
    json_str(&j, "model", r->desc);
    json_str(&j, "arch", arch_name(r->mc.arch));
    json_int(&j, "width", r->mc.width);
    json_int(&j, "num_classes", r->mc.num_classes);
    json_int(&j, "num_params", (int64_t)r->m->num_params);
    json_str(&j, "data", c->data);
    json_str(&j, "split", c->split);
    json_str(&j, "on", c->on_retain ? "retain" : "all");
    json_int(&j, "train_images", r->n_train);
    json_int(&j, "epochs", c->epochs);
    json_int(&j, "batch", c->batch);
    json_int(&j, "ranks", g_dist.world);
    json_str(&j, "device", device_describe(r->m));
    json_int(&j, "seed", (int64_t)c->seed);
    json_int(&j, "steps", r->t.step);
    json_bool(&j, "diverged", r->guard.diverged);
    json_str(&j, "diverged_reason", r->guard.diverged ? r->guard.reason : NULL);
    if (r->last_test.done) json_num(&j, "test_acc", 100 * r->last_test.acc);
    if (r->last_val.done) json_num(&j, "val_acc", 100 * r->last_val.acc);
    json_num(&j, "setup_s", r->t_setup);
    json_num(&j, "train_s", loop_s);
    json_num(&j, "wall_s", ug_now() - r->t_begin);
    json_num(&j, "img_per_s", r->images_total / fmax(loop_s, 1e-9));
    json_num(&j, "compute_s", r->t.timers.compute);
    json_num(&j, "allreduce_s", r->t.timers.allreduce);
    json_num(&j, "data_wait_s", r->t.timers.data_wait);
    write_rank_timing_json(&j, rt);
    json_str(&j, "model_file", r->saver.model_path);
    if (c->options) opts_write_json(&j, "options", c->options);
    json_obj_close(&j);
    json_end(&j);
    atomic_commit(&af);
    if (c->json_path) {
        char* text = ug_read_file(path, NULL);
        write_text_atomic(c->json_path, text);
        free(text);
    }
}

// The end of a finished (or diverged) run: model.h5, train.json, the closing log line.  A diverged run's model.h5
// is the state the guard kept (finite), saved as of the start of the epoch after it.
static void run_summary(TrainRun* r, double loop_s, int64_t epochs_done) {
    save_state(&r->saver, r->saver.model_path, epochs_done, 0, r->lr);
    RankTimingTable rt;
    rank_timing_gather(&r->t.timers, NULL, g_dist.comm, &rt);   // collective
    if (g_dist.rank == 0) write_summary_json(r, loop_s, &rt);
    rank_timing_free(&rt);
    ug_log("train: done in %.1f s (setup %.1f s); %s%.2f%% test accuracy; model: %s", ug_now() - r->t_begin, r->t_setup,
           r->last_test.done ? "" : "(no test split) ", r->last_test.done ? 100 * r->last_test.acc : NAN,
           r->saver.model_path);
}

static void run_teardown(TrainRun* r) {
    divergence_free(&r->guard);
    free(r->label_counts);
    trainer_free(&r->t);
    model_destroy(r->m);
    loader_destroy(r->train);
    if (r->test) loader_destroy(r->test);
    if (r->val) loader_destroy(r->val);
    free(r->merged);
    free(r->metrics.text);
    if (r->sp == &r->own_sp) split_free(&r->own_sp);
    if (r->ds == &r->own_ds) dataset_close(&r->own_ds);
}

int train_run(const TrainRunConfig* c) {
    TrainRun r;
    run_setup(&r, c);
    double t_loop = ug_now();
    int exit_code = 0;
    divergence_init(&r.guard, r.m);
    r.label_counts = ug_calloc((size_t)r.m->cfg.num_classes, sizeof(int64_t));
    int64_t epoch = r.start_epoch;
    for (; epoch < c->epochs && !exit_code; epoch++) exit_code = run_epoch(&r, epoch);
    if (exit_code == UG_EXIT_DIVERGED)
        ug_log("train: DIVERGED: %s; exit %d", r.guard.reason, UG_EXIT_DIVERGED);
    if (!exit_code || exit_code == UG_EXIT_DIVERGED) run_summary(&r, ug_now() - t_loop, epoch);
    run_teardown(&r);
    return exit_code;
}
