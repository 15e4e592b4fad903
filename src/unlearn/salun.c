// salun.c — SalUn's weight saliency mask (Fan et al. 2023): |∇θ of -CE summed over D_f|, ranked globally over
// all parameters, the top fraction kept; saved to / loaded from a small HDF5 file.
#include <hdf5.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/h5attr.h"
#include "common/util.h"
#include "dist/dist.h"
#include "nn/executor.h"
#include "unlearn/baselines.h"
#include "unlearn/loop.h"

float* salun_saliency(const UnlearnConfig* c, Model* m, Dataset* ds, const Split* sp) {
    LoaderConfig lc = unlearn_loader_config(c, sp->forget, sp->n_forget, 1000003);
    lc.shuffle = 0;
    lc.augment = AUG_NONE;
    Loader* l = loader_create(ds, &lc, g_dist.rank, g_dist.world);
    float* acc = ug_aligned_alloc((m->num_params ? m->num_params : 1) * sizeof(float));
    memset(acc, 0, m->num_params * sizeof(float));
    float* minus_one = NULL;   // weight -1: the gradient of -CE
    size_t cap = 0;
    loader_start_epoch(l, 0);
    Batch b;
    while (loader_next(l, &b)) {
        if (b.n == 0) continue;
        if ((size_t)b.n > cap) {
            free(minus_one);
            cap = (size_t)b.n;
            minus_one = ug_malloc(cap * sizeof(float));
            for (size_t i = 0; i < cap; i++) minus_one[i] = -1.0f;
        }
        // eval mode, as the public code (model.eval()); the logits and their gradient stay where the model runs
        model_forward_resident(m, b.n, b.x, 0);
        model_loss_backward(m, b.y, NULL, minus_one, 1.0f, NULL, NULL, NULL);
        model_grads_to_host(m);
        for (size_t i = 0; i < m->num_params; i++) acc[i] += m->grads[i];
    }
    loader_destroy(l);
    free(minus_one);
    dist_allreduce_sum_f32(acc, m->num_params);
    for (size_t i = 0; i < m->num_params; i++) acc[i] = acc[i] < 0 ? -acc[i] : acc[i];
    return acc;
}

typedef struct { float s; size_t i; } Scored;

static int by_score_desc(const void* a, const void* b) {
    const Scored *x = a, *y = b;
    if (x->s != y->s) return x->s > y->s ? -1 : 1;
    return x->i < y->i ? -1 : (x->i > y->i);
}

uint8_t* salun_mask_from_scores(const float* score, size_t n, double fraction) {
    UG_CHECK(fraction >= 0 && fraction <= 1, "salun: --mask-fraction must be in [0, 1] (got %g)", fraction);
    size_t keep = (size_t)(fraction * (double)n);   // floor, as int(len·threshold) of the public code
    Scored* s = ug_malloc((n ? n : 1) * sizeof(Scored));
    for (size_t i = 0; i < n; i++) s[i] = (Scored){score[i] != score[i] ? 0.0f : score[i], i};   // NaN ranks last
    qsort(s, n, sizeof *s, by_score_desc);
    uint8_t* mask = ug_calloc(n ? n : 1, 1);
    for (size_t r = 0; r < keep; r++) mask[s[r].i] = 1;
    free(s);
    return mask;
}

// File: dataset "mask" uint8 [num_params] (parameters in the model's flat order), attributes "model" (its
// description) and "fraction".
void salun_mask_save(const char* path, const uint8_t* mask, const Model* m, double fraction) {
    char tmp[4096], desc[256];
    atomic_tmp_name(path, tmp, sizeof tmp);
    model_config_describe(&m->cfg, desc, sizeof desc);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    UG_CHECK(f >= 0, "salun: cannot create the mask file '%s' (is the directory writable?)", tmp);
    hsize_t dims[1] = {m->num_params};
    hid_t sp = H5Screate_simple(1, dims, NULL);
    H5_CHECK(sp);
    hid_t d = H5Dcreate2(f, "mask", H5T_NATIVE_UINT8, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(d);
    H5_CHECK(H5Dwrite(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, mask));
    h5attr_write_f64(f, "fraction", fraction);
    h5attr_write_str(f, "model", desc);
    H5_CHECK(H5Dclose(d));
    H5_CHECK(H5Sclose(sp));
    H5_CHECK(H5Fclose(f));
    atomic_rename(tmp, path);
}

uint8_t* salun_mask_load(const char* path, const Model* m) {
    // Every rank checks the same file: a bad file ends all ranks with the same message.
    H5E_auto2_t func;
    void* data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = f >= 0 ? H5Dopen2(f, "mask", H5P_DEFAULT) : -1;
    H5Eset_auto2(H5E_DEFAULT, func, data);
    UG_CHECK(f >= 0, "salun: --mask-file '%s' is not a readable HDF5 file", path);
    UG_CHECK(d >= 0, "salun: --mask-file '%s' has no 'mask' dataset (not a mask written by `unlearn --method salun`)",
             path);
    hid_t sp = H5Dget_space(d);
    H5_CHECK(sp);
    hsize_t dims[1] = {0};
    UG_CHECK(H5Sget_simple_extent_ndims(sp) == 1, "salun: the mask in '%s' is not one-dimensional", path);
    H5_CHECK(H5Sget_simple_extent_dims(sp, dims, NULL));
    char desc[256];
    model_config_describe(&m->cfg, desc, sizeof desc);
    UG_CHECK(dims[0] == m->num_params, "salun: the mask in '%s' has %llu entries but the model (%s) has %zu "
             "parameters (made for another model?)", path, (unsigned long long)dims[0], desc, m->num_params);
    UG_CHECK(h5_dataset_type_is(d, H5T_INTEGER, 1), "salun: the mask in '%s' is not stored as bytes (damaged file?)", path);
    uint8_t* mask = ug_malloc(m->num_params ? m->num_params : 1);
    H5_CHECK(H5Dread(d, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, mask));
    H5_CHECK(H5Sclose(sp));
    H5_CHECK(H5Dclose(d));
    H5_CHECK(H5Fclose(f));
    return mask;
}

size_t mask_count(const uint8_t* mask, size_t n) {
    size_t c = 0;
    for (size_t i = 0; i < n; i++) c += mask[i] != 0;
    return c;
}

// The mask of this run (loaded, or ranked on rank 0 and broadcast), installed as the trainer's update mask.
static void* salun_begin(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp) {
    Model* m = t->model;
    uint8_t* mask;
    if (c->mask_file) {
        mask = salun_mask_load(c->mask_file, m);
        ug_log("salun: mask from '%s' (%zu of %zu parameters)", c->mask_file, mask_count(mask, m->num_params),
               m->num_params);
    } else {
        float* score = salun_saliency(c, m, ds, sp);
        mask = ug_malloc(m->num_params ? m->num_params : 1);
        if (g_dist.rank == 0) {   // ranked on rank 0 only, then broadcast: every rank holds the same mask
            uint8_t* mk = salun_mask_from_scores(score, m->num_params, c->mask_fraction);
            memcpy(mask, mk, m->num_params);
            free(mk);
        }
        free(score);
        MPI_CHECK(MPI_Bcast(mask, (int)m->num_params, MPI_UNSIGNED_CHAR, 0, g_dist.comm));
        ug_log("salun: saliency mask keeps %zu of %zu parameters (fraction %g)", mask_count(mask, m->num_params),
               m->num_params, c->mask_fraction);
    }
    if (c->mask_out && g_dist.rank == 0) salun_mask_save(c->mask_out, mask, m, c->mask_fraction);
    t->update_mask = mask;
    return mask;
}

static void salun_end(void* state, Trainer* t) {
    if (t->update_mask == state) t->update_mask = NULL;
    free(state);
}

static void salun_validate(const UnlearnConfig* c) {
    UG_CHECK(c->mask_fraction > 0 && c->mask_fraction <= 1, "unlearn: --mask-fraction must be in (0, 1] (got %g)",
             c->mask_fraction);
}

static const MethodOption SALUN_ROWS[] = {
    {"mask-fraction", OPT_DOUBLE, offsetof(UnlearnConfig, mask_fraction), "F", 0.5, NULL,
     "fraction of all parameters the saliency mask keeps", NULL, NULL},
    {"mask-file", OPT_STR, offsetof(UnlearnConfig, mask_file), "FILE", 0, NULL,
     "reuse this mask (DIR/salun_mask.h5 of an earlier run)", NULL, NULL},
};
static const MethodOptionGroup SALUN_OPTIONS = {SALUN_ROWS, sizeof SALUN_ROWS / sizeof *SALUN_ROWS};

const MethodDef method_salun = {
    .name = "salun",
    .kind = METHOD_SALUN,
    .summary = "random labels on D_f with D_r, only the saliency-masked weights move",
    .stream = STREAM_UNION_RELABELLED,
    .loss = LOSS_CE,
    .retain_sign = +1,
    .forget_sign = +1,
    .hooks = {.begin = salun_begin, .end = salun_end},
    .validate = salun_validate,
    .options = &SALUN_OPTIONS,
};
