// loader.c — batch streams (single and paired retain/forget) with a prefetch thread (docs/LOADER.md).
//
// Two slots alternate.  While the caller computes on the batch of one slot, the worker threads transform
// (decode, augment, normalise) the next step in the other slot, each a contiguous share of its samples.  The HDF5 read of a step is done on the
// caller's thread inside loader_next, overlapping the thread's transform of the step before: parallel HDF5
// here is not thread-safe and MPI is initialised FUNNELED, so the thread never calls HDF5 or MPI.
#include "data/loader.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "data/loader_source.h"
#include "data/sampler.h"

typedef struct {
    Job job[2];               // one per stream (paired: retain, forget)
    int64_t epoch, step;
    int submitted;            // prepared (or being prepared) for (epoch, step)
} Slot;

// Fills the jobs of a slot with the items of (epoch, step) of this rank.
typedef void (*PlanFn)(void* owner, int64_t epoch, int64_t step, Slot* slot);

typedef struct Pipeline Pipeline;

typedef struct {
    Pipeline* p;
    int id;
    uint64_t seen;            // generation of the last slot this worker did
    pthread_t thread;
    Scratch scratch;
    char err[512];
} Worker;

struct Pipeline {
    int njobs;
    Slot slot[2];
    int cur;                  // slot holding the next step to deliver
    int threaded;
    int nworkers;
    Worker* workers;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    Slot* work;               // handed to the workers
    uint64_t gen;             // bumped at every hand-over
    int pending;              // workers still busy with `work`
    int quit;
    Scratch caller_scratch;
};

// Worker w of n transforms its contiguous share of every job of the slot; a bad sample is kept per job,
// the lowest item wins (so the message does not depend on the worker count).
static void transform_share(Pipeline* p, Slot* s, Worker* w) {
    for (int k = 0; k < p->njobs; k++) {
        Job* j = &s->job[k];
        int lo = (int)((int64_t)j->n * w->id / p->nworkers), hi = (int)((int64_t)j->n * (w->id + 1) / p->nworkers);
        int bad = job_transform_range(j, &w->scratch, lo, hi, w->err, sizeof w->err);
        if (bad >= 0) {
            pthread_mutex_lock(&p->mu);
            if (bad < j->err_at) {
                j->err_at = bad;
                snprintf(j->err, sizeof j->err, "%s", w->err);
            }
            pthread_mutex_unlock(&p->mu);
        }
    }
}

static void* worker_main(void* arg) {
    Worker* w = arg;
    Pipeline* p = w->p;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (w->seen == p->gen && !p->quit) pthread_cond_wait(&p->cv, &p->mu);
        if (p->quit) break;
        w->seen = p->gen;
        Slot* s = p->work;
        pthread_mutex_unlock(&p->mu);
        transform_share(p, s, w);
        pthread_mutex_lock(&p->mu);
        if (--p->pending == 0) pthread_cond_broadcast(&p->cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void wait_idle(Pipeline* p) {
    if (!p->threaded) return;
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0) pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

static void submit(Pipeline* p, Slot* s) {
    for (int k = 0; k < p->njobs; k++) job_transform_begin(&s->job[k]);
    pthread_mutex_lock(&p->mu);
    p->work = s;
    p->pending = p->nworkers;
    p->gen++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void transform_inline(Pipeline* p, Slot* s) {
    for (int k = 0; k < p->njobs; k++) {
        job_transform(&s->job[k], &p->caller_scratch);
        if (s->job[k].err[0]) return;
    }
}

static void pipeline_init(Pipeline* p, Source** sources, int njobs, int cap, int threaded, int workers) {
    memset(p, 0, sizeof *p);
    p->njobs = njobs;
    p->threaded = threaded;
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < njobs; k++) job_init(&p->slot[s].job[k], sources[k], cap);
    if (!threaded) { scratch_init(&p->caller_scratch); return; }
    UG_CHECK(workers >= 0 && workers <= 1024, "loader: workers must be 0..1024, got %d", workers);
    p->nworkers = workers > 0 ? workers : 1;
    if (pthread_mutex_init(&p->mu, NULL) != 0 || pthread_cond_init(&p->cv, NULL) != 0)
        ug_die("loader: cannot create the prefetch threads' mutex (out of resources?)");
    p->workers = ug_calloc((size_t)p->nworkers, sizeof *p->workers);
    for (int t = 0; t < p->nworkers; t++) {
        Worker* w = &p->workers[t];
        w->p = p;
        w->id = t;
        scratch_init(&w->scratch);
        int rc = pthread_create(&w->thread, NULL, worker_main, w);
        if (rc != 0) ug_die("loader: cannot start prefetch thread %d: %s (use fewer workers, or no_prefetch)", t, strerror(rc));
    }
}

static void pipeline_free(Pipeline* p) {
    if (p->threaded) {
        pthread_mutex_lock(&p->mu);
        p->quit = 1;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
        for (int t = 0; t < p->nworkers; t++) {
            pthread_join(p->workers[t].thread, NULL);
            scratch_free(&p->workers[t].scratch);
        }
        free(p->workers);
        pthread_mutex_destroy(&p->mu);
        pthread_cond_destroy(&p->cv);
    } else {
        scratch_free(&p->caller_scratch);
    }
    for (int s = 0; s < 2; s++)
        for (int k = 0; k < p->njobs; k++) job_free(&p->slot[s].job[k]);
}

static void prepare(Pipeline* p, Slot* s, PlanFn plan, void* owner, int64_t epoch, int64_t step) {
    plan(owner, epoch, step, s);
    for (int k = 0; k < p->njobs; k++) job_fetch(&s->job[k]);
    s->epoch = epoch;
    s->step = step;
}

static void check_slot(const Pipeline* p, const Slot* s) {
    for (int k = 0; k < p->njobs; k++) {
        const Job* j = &s->job[k];
        if (j->err[0])
            ug_die("loader: split '%s' of '%s': %s (re-pack the dataset, or pack with --skip-bad)", j->src->split.name,
                   j->src->ds->path, j->err);
    }
}

// Delivers step `step` of `epoch` (of `steps`); returns the slot holding it.  Prefetches step+1.
static Slot* pipeline_next(Pipeline* p, PlanFn plan, void* owner, int64_t epoch, int64_t step, int64_t steps) {
    Slot* cur = &p->slot[p->cur];
    if (!p->threaded) {
        prepare(p, cur, plan, owner, epoch, step);
        transform_inline(p, cur);
        check_slot(p, cur);
        return cur;
    }
    if (!(cur->submitted && cur->epoch == epoch && cur->step == step)) {   // first call, or after a seek
        wait_idle(p);
        prepare(p, cur, plan, owner, epoch, step);
        submit(p, cur);
    }
    Slot* next = &p->slot[1 - p->cur];
    int more = step + 1 < steps;
    if (more) prepare(p, next, plan, owner, epoch, step + 1);   // HDF5 read overlaps the thread's transform of cur
    wait_idle(p);
    cur->submitted = 0;
    next->submitted = more;
    if (more) submit(p, next);
    check_slot(p, cur);
    p->cur = 1 - p->cur;
    return cur;
}

// Items of global positions [start + lo, start + hi) of a source's stream.
static void plan_job(Job* j, int64_t start, int64_t lo, int64_t hi) {
    Source* s = j->src;
    j->n = (int)(hi - lo);
    for (int k = 0; k < j->n; k++) {
        Item* it = &j->items[k];
        it->pos = stream_at(&s->stream, start + lo + k, &it->pass);
        it->index = s->subset ? s->subset[it->pos] : it->pos;
    }
}

static int slice_cap(int global_batch, int world) { return (global_batch + world - 1) / world; }

// ---- single stream ----

struct Loader {
    Source src;
    int rank, world;
    int64_t steps, epoch, step;
    Pipeline pipe;
};

static void plan_single(void* owner, int64_t epoch, int64_t step, Slot* slot) {
    Loader* l = owner;
    int64_t start = 0, unused = 0, lo = 0, hi = 0;
    int64_t size = sampler_step_span(l->src.n, l->src.cfg.global_batch, l->src.cfg.drop_last, epoch, step, &start, &unused);
    shard_slice(size, l->rank, l->world, &lo, &hi);
    plan_job(&slot->job[0], start, lo, hi);
}

Loader* loader_create(Dataset* ds, const LoaderConfig* cfg, int rank, int world) {
    UG_CHECK(world >= 1 && rank >= 0 && rank < world, "loader: rank %d of world %d", rank, world);
    Loader* l = ug_calloc(1, sizeof *l);
    source_init(&l->src, ds, cfg, 0);
    l->rank = rank;
    l->world = world;
    l->steps = sampler_steps(l->src.n, cfg->global_batch, cfg->drop_last);
    Source* sources[1] = {&l->src};
    pipeline_init(&l->pipe, sources, 1, slice_cap(cfg->global_batch, world), !cfg->no_prefetch, cfg->workers);
    return l;
}

void loader_destroy(Loader* l) {
    if (!l) return;
    pipeline_free(&l->pipe);
    source_free(&l->src);
    free(l);
}

int64_t loader_steps_per_epoch(const Loader* l) { return l->steps; }

void loader_start_epoch(Loader* l, int epoch) { loader_seek(l, epoch, 0); }

void loader_seek(Loader* l, int epoch, int64_t step) {
    UG_CHECK(epoch >= 0 && step >= 0, "loader: cannot seek to epoch %d step %lld", epoch, (long long)step);
    l->epoch = epoch;
    l->step = step;
}

int loader_next(Loader* l, Batch* b) {
    if (l->step >= l->steps) return 0;
    Slot* s = pipeline_next(&l->pipe, plan_single, l, l->epoch, l->step, l->steps);
    *b = s->job[0].batch;
    l->step++;
    return 1;
}

// ---- paired retain/forget stream ----

struct PairedLoader {
    Source retain, forget;
    EpochBy by;
    int rank, world;
    int64_t steps, epoch, step;
    Pipeline pipe;
};

static void plan_paired(void* owner, int64_t epoch, int64_t step, Slot* slot) {
    PairedLoader* p = owner;
    Source* def = p->by == EPOCH_BY_RETAIN ? &p->retain : &p->forget;
    int64_t def_start = 0, cyc_start = 0, lo = 0, hi = 0;
    int64_t size = sampler_step_span(def->n, def->cfg.global_batch, def->cfg.drop_last, epoch, step, &def_start, &cyc_start);
    shard_slice(size, p->rank, p->world, &lo, &hi);
    // job[0] is retain, job[1] forget, whichever defines the epoch
    plan_job(&slot->job[0], p->by == EPOCH_BY_RETAIN ? def_start : cyc_start, lo, hi);
    plan_job(&slot->job[1], p->by == EPOCH_BY_FORGET ? def_start : cyc_start, lo, hi);
}

PairedLoader* paired_create(Dataset* ds, const LoaderConfig* retain_cfg, const LoaderConfig* forget_cfg, EpochBy by,
                            int rank, int world) {
    UG_CHECK(world >= 1 && rank >= 0 && rank < world, "paired loader: rank %d of world %d", rank, world);
    if (retain_cfg->global_batch != forget_cfg->global_batch)
        ug_die("paired loader: retain and forget batches must be equal (|B_r| = |B_f|), got %d and %d",
               retain_cfg->global_batch, forget_cfg->global_batch);
    UG_CHECK(by == EPOCH_BY_RETAIN || by == EPOCH_BY_FORGET, "paired loader: unknown epoch definition %d", (int)by);
    PairedLoader* p = ug_calloc(1, sizeof *p);
    source_init(&p->retain, ds, retain_cfg, 0);
    source_init(&p->forget, ds, forget_cfg, 1);
    if (p->retain.c != p->forget.c || p->retain.out_h != p->forget.out_h || p->retain.out_w != p->forget.out_w)
        ug_die("paired loader: retain and forget batches must have the same image size");
    p->by = by;
    p->rank = rank;
    p->world = world;
    const Source* def = by == EPOCH_BY_RETAIN ? &p->retain : &p->forget;
    p->steps = sampler_steps(def->n, def->cfg.global_batch, def->cfg.drop_last);
    Source* sources[2] = {&p->retain, &p->forget};
    int threaded = !(retain_cfg->no_prefetch || forget_cfg->no_prefetch);
    pipeline_init(&p->pipe, sources, 2, slice_cap(retain_cfg->global_batch, world), threaded, retain_cfg->workers);
    return p;
}

void paired_destroy(PairedLoader* p) {
    if (!p) return;
    pipeline_free(&p->pipe);
    source_free(&p->retain);
    source_free(&p->forget);
    free(p);
}

int64_t paired_steps_per_epoch(const PairedLoader* p) { return p->steps; }

void paired_start_epoch(PairedLoader* p, int epoch) { paired_seek(p, epoch, 0); }

void paired_seek(PairedLoader* p, int epoch, int64_t step) {
    UG_CHECK(epoch >= 0 && step >= 0, "paired loader: cannot seek to epoch %d step %lld", epoch, (long long)step);
    p->epoch = epoch;
    p->step = step;
}

int paired_next(PairedLoader* p, Batch* retain, Batch* forget) {
    if (p->step >= p->steps) return 0;
    Slot* s = pipeline_next(&p->pipe, plan_paired, p, p->epoch, p->step, p->steps);
    *retain = s->job[0].batch;
    *forget = s->job[1].batch;
    p->step++;
    return 1;
}

Augment augment_pick(const char* name, const DatasetInfo* info) {
    if (!name || !strcmp(name, "auto")) {
        if (info->mode == DS_JPEG) return AUG_RRC_FLIP;   // ImageNet-sized photos: torchvision's ImageNet recipe
        return (info->height >= 32 && info->channels == 3) ? AUG_CROP_FLIP : AUG_NONE;
    }
    if (!strcmp(name, "none")) return AUG_NONE;
    if (!strcmp(name, "crop-flip")) return AUG_CROP_FLIP;
    if (!strcmp(name, "rrc-flip")) return AUG_RRC_FLIP;
    ug_die("--augment: unknown '%s' (auto, none, crop-flip, rrc-flip)", name);
}

void loader_input_size(const DatasetInfo* info, int* h, int* w) {
    int jpeg = info->mode == DS_JPEG || info->height <= 0 || info->width <= 0;
    *h = jpeg ? LOADER_JPEG_CROP : info->height;
    *w = jpeg ? LOADER_JPEG_CROP : info->width;
}

int loader_auto_workers(const DatasetInfo* info, int ranks_on_node) {
    const char* env = getenv("UG_LOADER_WORKERS");
    if (env && *env) {
        char* end = NULL;
        long v = strtol(env, &end, 10);
        if (*end || v < 1 || v > 1024) ug_die("environment: UG_LOADER_WORKERS must be 1..1024 (got '%s')", env);
        return (int)v;
    }
    if (info->mode != DS_JPEG) return 1;   // decoded rows: one thread keeps up (docs/LOADER.md)
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int per_rank = (int)(cores > 0 ? cores : 1) / (ranks_on_node > 0 ? ranks_on_node : 1);
    return per_rank > 1 ? per_rank : 1;
}
