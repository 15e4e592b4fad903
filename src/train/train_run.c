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
        atomic_abort(&af);
        ug_die("cannot write '%s' (disk full?)", path);
    }
    atomic_commit(&af);
}

typedef struct {
    Trainer* t;
    const TrainRunConfig* c;
    char ckpt_path[4200], model_path[4200];
} Saver;

// All ranks call it (BN stats are taken from rank 0); rank 0 writes.
static void save_state(Saver* s, const char* path, int64_t epoch, int64_t step_in_epoch, double lr) {
    trainer_sync_buffers(s->t);
    model_state_to_host(s->t->model);   // a model on a GPU: its parameters and momentum come back first
    model_momentum_to_host(s->t->model, &s->t->sgd);
    if (g_dist.rank == 0) {
        TrainState st = {epoch, step_in_epoch, s->t->step, s->c->seed, g_dist.world, lr};
        checkpoint_save(path, s->t->model, &s->t->sgd, &st, s->c->config_text);
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

int train_run(const TrainRunConfig* c) {
    double t_begin = ug_now();
    UG_CHECK(c->data && *c->data, "train: --data is required (a dataset packed by `ugradsl pack`)");
    UG_CHECK(c->out_dir && *c->out_dir, "train: --output DIR is required");
    UG_CHECK(c->epochs >= 1, "train: --epochs must be >= 1 (got %d)", c->epochs);
    UG_CHECK(c->batch >= 1, "train: --batch must be >= 1 (got %d)", c->batch);
    UG_CHECK(c->lr > 0 && isfinite(c->lr), "train: --lr must be > 0");
    UG_CHECK(!c->on_retain || c->split, "train: --on retain needs --split S.h5");
    if (g_dist.rank == 0) ug_mkdir_p(c->out_dir);

    Dataset ds;
    dataset_open(&ds, c->data, g_dist.comm);
    UG_CHECK(ds.info.height > 0 && ds.info.width > 0,
             "train: dataset '%s' has images of varying size (JPEG mode); pack it with --resize S", c->data);
    Split sp;
    memset(&sp, 0, sizeof sp);
    int64_t* subset = NULL;
    int64_t subset_n = 0;
    int64_t* merged = NULL;
    if (c->split) {
        split_load(c->split, &ds, &sp);
        if (c->on_retain) {
            subset = sp.retain;
            subset_n = sp.n_retain;
        } else {
            merged = split_train_indices(&sp);
            subset = merged;
            subset_n = sp.n_forget + sp.n_retain;
        }
        UG_CHECK(subset_n > 0, "train: the training set of split '%s' is empty", c->split);
    }

    ModelConfig mc = c->model;
    mc.num_classes = ds.info.num_classes;
    mc.in_h = ds.info.height;
    mc.in_w = ds.info.width;
    mc.in_c = ds.info.channels;
    Model* m = model_create(&mc, c->backend);
    model_init(m, c->seed);
    char desc[200];
    model_config_describe(&mc, desc, sizeof desc);

    size_t image_bytes = (size_t)ds.info.height * ds.info.width * ds.info.channels;
    int cache = c->cache;
    if (cache < 0) cache = ds.info.mode == DS_DECODED && image_bytes * 2000000ull < (size_t)4 << 30 ? 1 : 0;
    LoaderConfig lc;
    memset(&lc, 0, sizeof lc);
    lc.split = "train";
    lc.subset = subset;
    lc.subset_n = subset_n;
    lc.global_batch = c->batch;
    lc.shuffle = 1;
    lc.drop_last = c->drop_last;
    lc.augment = augment_pick(c->augment, &ds.info);
    lc.pad = c->pad;
    lc.seed = c->seed;
    lc.cache = cache;
    Loader* train = loader_create(&ds, &lc, g_dist.rank, g_dist.world);
    int64_t steps_per_epoch = loader_steps_per_epoch(train);
    int64_t n_train = subset ? subset_n : 0;
    if (!subset) {
        DatasetSplit s;
        dataset_split_open(&ds, "train", &s);
        n_train = s.n;
        dataset_split_close(&s);
    }

    LoaderConfig ec;
    memset(&ec, 0, sizeof ec);
    ec.global_batch = c->eval_batch > 0 ? c->eval_batch : 256;
    ec.augment = AUG_NONE;
    ec.seed = c->seed;
    ec.cache = cache;
    Loader* test = NULL;
    Loader* val = NULL;
    if (dataset_has_split(&ds, "test")) {
        ec.split = "test";
        test = loader_create(&ds, &ec, g_dist.rank, g_dist.world);
    }
    if (c->split && (c->on_retain ? sp.n_val_keep : sp.n_val) > 0) {
        ec.split = "train";
        ec.subset = c->on_retain ? sp.val_keep : sp.val;
        ec.subset_n = c->on_retain ? sp.n_val_keep : sp.n_val;
        val = loader_create(&ds, &ec, g_dist.rank, g_dist.world);
    } else if (!c->split && dataset_has_split(&ds, "val")) {
        ec.split = "val";
        val = loader_create(&ds, &ec, g_dist.rank, g_dist.world);
    }

    Trainer t;
    SgdConfig sc = {c->momentum, c->weight_decay, c->nesterov};
    trainer_init(&t, m, &sc);
    t.clip_norm = c->clip_norm;
    t.stop_after_steps = c->stop_after_steps;
    Schedule sched;
    memset(&sched, 0, sizeof sched);
    UG_CHECK(sched_parse_kind(c->schedule ? c->schedule : "cosine", &sched.kind),
             "train: --lr-schedule '%s' unknown (constant, multistep, cosine)", c->schedule);
    sched.base_lr = c->lr;
    sched.gamma = c->gamma;
    sched_parse_milestones(&sched, c->milestones);
    sched.steps_per_epoch = steps_per_epoch;
    sched.total_steps = steps_per_epoch * c->epochs;
    sched.warmup_steps = (int64_t)llround(c->warmup_epochs * (double)steps_per_epoch);

    int64_t start_epoch = 0, start_step = 0;
    if (c->resume) {
        TrainState st;
        checkpoint_load(c->resume, m, &t.sgd, &st);
        UG_CHECK(st.seed == c->seed, "train: checkpoint '%s' was made with seed %llu, this run uses %llu",
                 c->resume, (unsigned long long)st.seed, (unsigned long long)c->seed);
        if (st.world_size != g_dist.world)
            ug_log("train: note: '%s' was written by %d ranks, this run has %d: it continues, but not bit-identically "
                   "(BatchNorm statistics are per rank)", c->resume, st.world_size, g_dist.world);
        start_epoch = st.epoch;
        start_step = st.step_in_epoch;
        t.step = st.global_step;
        ug_log("train: resuming from '%s' at epoch %lld step %lld (global step %lld)", c->resume,
               (long long)start_epoch, (long long)start_step, (long long)t.step);
    }
    device_attach(m, c->device);   // after a resume: the loaded state (momentum too) goes to the GPU
    model_momentum_to_device(m, &t.sgd);
    trainer_install_signal_handlers();

    Saver saver = {&t, c, "", ""};
    snprintf(saver.ckpt_path, sizeof saver.ckpt_path, "%s/checkpoint.h5", c->out_dir);
    snprintf(saver.model_path, sizeof saver.model_path, "%s/model.h5", c->out_dir);
    char metrics_path[4200];
    snprintf(metrics_path, sizeof metrics_path, "%s/metrics.jsonl", c->out_dir);
    TextBuf metrics = {0};
    text_append(&metrics, "", 0);
    if (c->resume && g_dist.rank == 0 && ug_file_exists(metrics_path)) {
        size_t n = 0;
        char* old = ug_read_file(metrics_path, &n);
        text_append(&metrics, old, n);
        free(old);
    }
    ug_log("train: %s, %lld parameters, %lld training images, %d ranks, global batch %d, %lld steps/epoch, %d epochs, "
           "device %s", desc, (long long)m->num_params, (long long)n_train, g_dist.world, c->batch,
           (long long)steps_per_epoch, c->epochs, device_describe(m));
    double t_setup = ug_now() - t_begin;
    double t_loop = ug_now();
    int64_t images_total = 0;
    Eval last_test = {NAN, NAN, 0}, last_val = {NAN, NAN, 0};
    double lr = sched_lr(&sched, t.step);
    int exit_code = 0;

    for (int64_t epoch = start_epoch; epoch < c->epochs && !exit_code; epoch++) {
        double t_epoch = ug_now();
        TrainTimers timers0 = t.timers;
        int64_t step_in_epoch = epoch == start_epoch ? start_step : 0;
        loader_seek(train, (int)epoch, step_in_epoch);
        char label[64];
        snprintf(label, sizeof label, "epoch %lld/%d", (long long)epoch + 1, c->epochs);
        Progress prog;
        progress_start(&prog, label, "img", n_train);
        prog.log_every_s = 1e30;   // not a TTY: one line per epoch (below), no periodic lines
        double loss_sum = 0, acc_sum = 0;
        int64_t seen = 0;
        for (;;) {
            double t0 = ug_now();
            Batch b;
            int more = loader_next(train, &b);
            trainer_add_data_wait(&t, ug_now() - t0);
            if (!more) break;
            lr = sched_lr(&sched, t.step);
            StepResult r = trainer_step(&t, &b, NULL, NULL, lr);
            step_in_epoch++;
            loss_sum += r.loss * (double)r.n;
            acc_sum += r.acc * (double)r.n;
            seen += r.n;
            images_total += r.n;
            if (prog.tty) {
                char extra[128];
                snprintf(extra, sizeof extra, " step %lld loss %.4f acc %.2f%% lr %.4g", (long long)t.step,
                         loss_sum / (double)seen, 100.0 * acc_sum / (double)seen, lr);
                progress_update(&prog, seen, extra);
            }
            int epoch_done = step_in_epoch >= steps_per_epoch;
            if (r.stop) {
                save_state(&saver, saver.ckpt_path, epoch_done ? epoch + 1 : epoch, epoch_done ? 0 : step_in_epoch, lr);
                ug_log("\ntrain: stop requested (%s) at global step %lld: checkpoint '%s' written; resume with "
                       "--resume %s (exit code %d)", trainer_signal_received() ? "signal" : "--stop-after-steps",
                       (long long)t.step, saver.ckpt_path, saver.ckpt_path, TRAIN_EXIT_REQUEUE);
                exit_code = TRAIN_EXIT_REQUEUE;
                break;
            }
            if (c->checkpoint_every_steps > 0 && t.step % c->checkpoint_every_steps == 0 && !epoch_done)
                save_state(&saver, saver.ckpt_path, epoch, step_in_epoch, lr);
        }
        if (exit_code) break;
        double epoch_s = ug_now() - t_epoch;
        int last = epoch + 1 == c->epochs;
        int do_eval = last || (c->eval_every > 0 && (epoch + 1) % c->eval_every == 0);
        if (do_eval) {
            last_test = run_eval(&t, test);
            last_val = run_eval(&t, val);
        }
        double train_loss = seen ? loss_sum / (double)seen : NAN, train_acc = seen ? acc_sum / (double)seen : NAN;
        char extra[256] = "";
        if (do_eval && last_test.done) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  test %.2f%%", 100 * last_test.acc);
        if (do_eval && last_val.done) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), "  val %.2f%%", 100 * last_val.acc);
        if (prog.tty && g_dist.rank == 0) fputs("\r\033[K", stderr);
        ug_log("epoch %lld/%d  step %lld  loss %.4f  acc %.2f%%  lr %.4g  %.0f img/s  %.1f s%s", (long long)epoch + 1,
               c->epochs, (long long)t.step, train_loss, 100 * train_acc, lr, seen / fmax(epoch_s, 1e-9), epoch_s, extra);
        if (g_dist.rank == 0) {
            char* line = NULL;
            size_t line_len = 0;
            FILE* mf = open_memstream(&line, &line_len);
            UG_CHECK(mf, "open_memstream failed");
            JsonWriter j;
            json_begin(&j, mf, 0);
            json_obj_open(&j, NULL);
            json_int(&j, "epoch", epoch + 1);
            json_int(&j, "step", t.step);
            json_num(&j, "lr", lr);
            json_num(&j, "train_loss", train_loss);
            json_num(&j, "train_acc", 100 * train_acc);
            if (do_eval && last_test.done) { json_num(&j, "test_acc", 100 * last_test.acc); json_num(&j, "test_loss", last_test.loss); }
            if (do_eval && last_val.done) { json_num(&j, "val_acc", 100 * last_val.acc); json_num(&j, "val_loss", last_val.loss); }
            json_num(&j, "epoch_s", epoch_s);
            json_num(&j, "img_per_s", seen / fmax(epoch_s, 1e-9));
            json_num(&j, "compute_s", t.timers.compute - timers0.compute);
            json_num(&j, "allreduce_s", t.timers.allreduce - timers0.allreduce);
            json_num(&j, "data_wait_s", t.timers.data_wait - timers0.data_wait);
            json_num(&j, "wall_s", ug_now() - t_begin);
            json_obj_close(&j);
            json_end(&j);
            fclose(mf);
            text_append(&metrics, line, line_len);
            free(line);
            write_text_atomic(metrics_path, metrics.text);
        }
        if (!last && c->checkpoint_every > 0 && (epoch + 1) % c->checkpoint_every == 0)
            save_state(&saver, saver.ckpt_path, epoch + 1, 0, lr);
    }
    double loop_s = ug_now() - t_loop;

    if (!exit_code) {
        save_state(&saver, saver.model_path, c->epochs, 0, lr);
        if (g_dist.rank == 0) {
            char path[4200];
            snprintf(path, sizeof path, "%s/train.json", c->out_dir);
            AtomicFile af;
            atomic_open(&af, path);
            JsonWriter j;
            json_begin(&j, af.f, 1);
            json_obj_open(&j, NULL);
            json_str(&j, "model", desc);
            json_str(&j, "arch", arch_name(mc.arch));
            json_int(&j, "width", mc.width);
            json_int(&j, "num_classes", mc.num_classes);
            json_int(&j, "num_params", (int64_t)m->num_params);
            json_str(&j, "data", c->data);
            json_str(&j, "split", c->split);
            json_str(&j, "on", c->on_retain ? "retain" : "all");
            json_int(&j, "train_images", n_train);
            json_int(&j, "epochs", c->epochs);
            json_int(&j, "batch", c->batch);
            json_int(&j, "ranks", g_dist.world);
            json_str(&j, "device", device_describe(m));
            json_int(&j, "seed", (int64_t)c->seed);
            json_int(&j, "steps", t.step);
            if (last_test.done) json_num(&j, "test_acc", 100 * last_test.acc);
            if (last_val.done) json_num(&j, "val_acc", 100 * last_val.acc);
            json_num(&j, "setup_s", t_setup);
            json_num(&j, "train_s", loop_s);
            json_num(&j, "wall_s", ug_now() - t_begin);
            json_num(&j, "img_per_s", images_total / fmax(loop_s, 1e-9));
            json_num(&j, "compute_s", t.timers.compute);
            json_num(&j, "allreduce_s", t.timers.allreduce);
            json_num(&j, "data_wait_s", t.timers.data_wait);
            json_str(&j, "model_file", saver.model_path);
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
        ug_log("train: done in %.1f s (setup %.1f s); %s%.2f%% test accuracy; model: %s", ug_now() - t_begin, t_setup,
               last_test.done ? "" : "(no test split) ", last_test.done ? 100 * last_test.acc : NAN, saver.model_path);
    }

    trainer_free(&t);
    model_destroy(m);
    loader_destroy(train);
    if (test) loader_destroy(test);
    if (val) loader_destroy(val);
    free(merged);
    free(metrics.text);
    if (c->split) split_free(&sp);
    dataset_close(&ds);
    return exit_code;
}
