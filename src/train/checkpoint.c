// checkpoint.c — HDF5 checkpoints (see checkpoint.h).
#include "train/checkpoint.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/atomic_file.h"
#include "common/h5attr.h"
#include "common/util.h"

#define FORMAT_NAME "ugradsl-checkpoint"

static uint64_t hash_bytes(uint64_t h, const void* data, size_t n) {
    const unsigned char* p = data;
    for (size_t i = 0; i < n; i++) { h ^= p[i]; h *= 1099511628211ULL; }
    return h;
}

#define FNV_OFFSET 1469598103934665603ULL

static uint64_t model_values_hash(const Model* m) {
    uint64_t h = FNV_OFFSET;
    h = hash_bytes(h, m->params, m->num_params * sizeof(float));
    return hash_bytes(h, m->buffers, m->num_buffers * sizeof(float));
}

static uint64_t state_checksum(const Model* m, const float* momentum) {
    uint64_t h = model_values_hash(m);
    if (momentum) h = hash_bytes(h, momentum, m->num_params * sizeof(float));
    return h;
}

void checkpoint_model_hash(const Model* m, char out[MODEL_HASH_CHARS]) {
    snprintf(out, MODEL_HASH_CHARS, "%016llx", (unsigned long long)model_values_hash(m));
}

// The /provenance attributes in checksum order, and the run config after them (version 2).
static const char* const PROV_KEYS[] = {"method", "parent_model_hash", "split_hash", "split", "dataset_id", "dataset"};
enum { N_PROV_KEYS = sizeof PROV_KEYS / sizeof PROV_KEYS[0] };

// Folds one text attribute into the checksum: name, presence, value (absent and "" differ).
static uint64_t hash_text(uint64_t h, const char* name, const char* value) {
    h = hash_bytes(h, name, strlen(name) + 1);
    unsigned char present = value != NULL;
    h = hash_bytes(h, &present, 1);
    return value ? hash_bytes(h, value, strlen(value) + 1) : h;
}

static uint64_t meta_checksum(uint64_t h, const char* const prov[N_PROV_KEYS], const char* config_text) {
    for (int i = 0; i < N_PROV_KEYS; i++) h = hash_text(h, PROV_KEYS[i], prov[i]);
    return hash_text(h, "run_config", config_text);
}

static void prov_values(const Provenance* p, const char* v[N_PROV_KEYS]) {
    const Provenance none = {0};
    if (!p) p = &none;
    const char* vals[N_PROV_KEYS] = {p->method, p->parent_hash, p->split_hash, p->split_path, p->dataset_id,
                                     p->dataset_path};
    memcpy(v, vals, sizeof vals);
}

static void write_f32(hid_t grp, const char* name, int ndim, const int* shape, const float* data) {
    hsize_t dims[4];
    for (int i = 0; i < ndim; i++) dims[i] = (hsize_t)shape[i];
    hid_t sp = ndim ? H5Screate_simple(ndim, dims, NULL) : H5Screate(H5S_SCALAR);
    H5_CHECK(sp);
    hid_t d = H5Dcreate2(grp, name, H5T_IEEE_F32LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(d);
    H5_CHECK(H5Dwrite(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
    H5_CHECK(H5Dclose(d));
    H5_CHECK(H5Sclose(sp));
}

void checkpoint_save(const char* path, const Model* m, const Sgd* opt, const TrainState* st, const char* config_text) {
    Provenance p = {.config_text = config_text};
    checkpoint_save_with(path, m, opt, st, &p);
}

void checkpoint_save_with(const char* path, const Model* m, const Sgd* opt, const TrainState* st,
                          const Provenance* prov) {
    const char* pv[N_PROV_KEYS];
    prov_values(prov, pv);
    const char* config_text = prov ? prov->config_text : NULL;
    char tmp[4096];
    atomic_tmp_name(path, tmp, sizeof tmp);
    hid_t f = H5Fcreate(tmp, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    UG_CHECK(f >= 0, "checkpoint: cannot create '%s' (is the directory writable?)", tmp);
    h5attr_write_str(f, "format", FORMAT_NAME);
    h5attr_write_i64(f, "format_version", CHECKPOINT_FORMAT_VERSION);
    uint64_t sum = meta_checksum(state_checksum(m, opt ? opt->momentum_buf : NULL), pv, config_text);
    h5attr_write_i64(f, "checksum", (int64_t)sum);
    char model_hash[MODEL_HASH_CHARS];
    checkpoint_model_hash(m, model_hash);
    h5attr_write_str(f, "model_hash", model_hash);

    hid_t g = H5Gcreate2(f, "model", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(g);
    h5attr_write_str(g, "arch", arch_name(m->cfg.arch));
    h5attr_write_i64(g, "width", m->cfg.width);
    h5attr_write_i64(g, "num_classes", m->cfg.num_classes);
    h5attr_write_i64(g, "in_h", m->cfg.in_h);
    h5attr_write_i64(g, "in_w", m->cfg.in_w);
    h5attr_write_i64(g, "in_c", m->cfg.in_c);
    h5attr_write_i64(g, "imagenet_stem", m->cfg.imagenet_stem);
    if (m->cfg.no_bn) h5attr_write_i64(g, "no_bn", 1);
    for (int i = 0; i < m->num_tensors; i++) {
        const TensorInfo* t = &m->tensors[i];
        const float* src = (t->is_buffer ? m->buffers : m->params) + t->offset;
        if (t->ndim == 0) {   // num_batches_tracked: int64 scalar as PyTorch
            int64_t v = (int64_t)src[0];
            hid_t sp = H5Screate(H5S_SCALAR);
            H5_CHECK(sp);
            hid_t d = H5Dcreate2(g, t->name, H5T_STD_I64LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
            H5_CHECK(d);
            H5_CHECK(H5Dwrite(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v));
            H5_CHECK(H5Dclose(d));
            H5_CHECK(H5Sclose(sp));
        } else {
            write_f32(g, t->name, t->ndim, t->shape, src);
        }
    }
    H5_CHECK(H5Gclose(g));

    if (opt) {
        g = H5Gcreate2(f, "optimizer", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5_CHECK(g);
        int n = (int)m->num_params;
        write_f32(g, "momentum_buffer", 1, &n, opt->momentum_buf);
        h5attr_write_f64(g, "momentum", opt->cfg.momentum);
        h5attr_write_f64(g, "weight_decay", opt->cfg.weight_decay);
        h5attr_write_i64(g, "nesterov", opt->cfg.nesterov);
        if (st) h5attr_write_f64(g, "lr", st->lr);
        H5_CHECK(H5Gclose(g));
    }
    if (st) {
        g = H5Gcreate2(f, "state", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5_CHECK(g);
        h5attr_write_i64(g, "epoch", st->epoch);
        h5attr_write_i64(g, "step_in_epoch", st->step_in_epoch);
        h5attr_write_i64(g, "global_step", st->global_step);
        h5attr_write_i64(g, "seed", (int64_t)st->seed);
        h5attr_write_i64(g, "world_size", st->world_size);
        H5_CHECK(H5Gclose(g));
    }
    if (config_text) {
        g = H5Gcreate2(f, "config", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        H5_CHECK(g);
        h5attr_write_str(g, "run_config", config_text);
        H5_CHECK(H5Gclose(g));
    }
    g = H5Gcreate2(f, "provenance", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5_CHECK(g);
    for (int i = 0; i < N_PROV_KEYS; i++)
        if (pv[i]) h5attr_write_str(g, PROV_KEYS[i], pv[i]);
    H5_CHECK(H5Gclose(g));
    H5_CHECK(H5Fclose(f));
    atomic_rename(tmp, path);
}

// Opens a checkpoint read-only with HDF5's error printing off; dies with a clear line when it is not one.
static hid_t open_checkpoint_v(const char* path, int64_t* version) {
    UG_CHECK(ug_file_exists(path), "checkpoint '%s' does not exist", path);
    H5E_auto2_t func;
    void* data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, func, data);
    UG_CHECK(f >= 0, "checkpoint '%s' is not a readable HDF5 file (truncated or corrupt?)", path);
    char* fmt = h5attr_read_str(f, "format");
    int ok = fmt && strcmp(fmt, FORMAT_NAME) == 0;
    free(fmt);
    if (!ok) {
        H5Fclose(f);
        ug_die("'%s' is not a ugradsl checkpoint (no format=\"" FORMAT_NAME "\" attribute)", path);
    }
    int64_t ver = 0;
    UG_CHECK(h5attr_read_i64(f, "format_version", &ver), "checkpoint '%s' has no format_version", path);
    UG_CHECK(ver >= 1 && ver <= CHECKPOINT_FORMAT_VERSION,
             "checkpoint '%s' has format version %lld; this build reads up to %d (upgrade ugradsl)", path,
             (long long)ver, CHECKPOINT_FORMAT_VERSION);
    if (version) *version = ver;
    return f;
}

static hid_t open_checkpoint(const char* path) { return open_checkpoint_v(path, NULL); }

// A string attribute of group `group` (NULL when the group or the attribute is absent).  Errors silenced.
static char* read_group_str(hid_t f, const char* group, const char* name) {
    if (H5Lexists(f, group, H5P_DEFAULT) <= 0) return NULL;
    hid_t g = H5Gopen2(f, group, H5P_DEFAULT);
    if (g < 0) return NULL;
    char* v = h5attr_exists(g, name) ? h5attr_read_str(g, name) : NULL;
    H5Gclose(g);
    return v;
}

// Version 2: the checksum of the provenance and the run config as stored.
static uint64_t stored_meta_checksum(hid_t f, uint64_t h) {
    char* pv[N_PROV_KEYS];
    for (int i = 0; i < N_PROV_KEYS; i++) pv[i] = read_group_str(f, "provenance", PROV_KEYS[i]);
    char* config = read_group_str(f, "config", "run_config");
    h = meta_checksum(h, (const char* const*)pv, config);
    for (int i = 0; i < N_PROV_KEYS; i++) free(pv[i]);
    free(config);
    return h;
}

int checkpoint_is_valid(const char* path) {
    if (!ug_file_exists(path)) return 0;
    H5E_auto2_t func;
    void* data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    int ok = 0;
    if (f >= 0) {
        char* fmt = h5attr_read_str(f, "format");
        ok = fmt && strcmp(fmt, FORMAT_NAME) == 0;
        free(fmt);
        H5Fclose(f);
    }
    H5Eset_auto2(H5E_DEFAULT, func, data);
    return ok;
}

static void read_config_from(hid_t f, const char* path, ModelConfig* cfg) {
    H5E_auto2_t func;
    void* data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t g = H5Gopen2(f, "model", H5P_DEFAULT);
    H5Eset_auto2(H5E_DEFAULT, func, data);
    UG_CHECK(g >= 0, "checkpoint '%s' has no /model group (corrupt?)", path);
    char* arch = h5attr_read_str(g, "arch");
    UG_CHECK(arch && arch_parse(arch, &cfg->arch), "checkpoint '%s': unknown architecture '%s'", path,
             arch ? arch : "(none)");
    free(arch);
    int64_t v[6];
    const char* names[6] = {"width", "num_classes", "in_h", "in_w", "in_c", "imagenet_stem"};
    for (int i = 0; i < 6; i++)
        UG_CHECK(h5attr_read_i64(g, names[i], &v[i]), "checkpoint '%s': /model lacks attribute %s", path, names[i]);
    cfg->width = (int)v[0];
    cfg->num_classes = (int)v[1];
    cfg->in_h = (int)v[2];
    cfg->in_w = (int)v[3];
    cfg->in_c = (int)v[4];
    cfg->imagenet_stem = (int)v[5];
    int64_t no_bn = 0;
    cfg->no_bn = h5attr_read_i64(g, "no_bn", &no_bn) && no_bn;
    H5Gclose(g);
}

void checkpoint_read_config(const char* path, ModelConfig* cfg) {
    hid_t f = open_checkpoint(path);
    read_config_from(f, path, cfg);
    H5Fclose(f);
}

// Reads one float array whose shape must match; dies naming the tensor otherwise.
static void read_tensor(hid_t g, const char* path, const char* name, int ndim, const int* shape, float* out,
                        int is_int64_scalar) {
    UG_CHECK(H5Lexists(g, name, H5P_DEFAULT) > 0, "checkpoint '%s' lacks tensor '%s' (a different model?)", path, name);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    UG_CHECK(d >= 0, "checkpoint '%s': cannot open tensor '%s' (corrupt?)", path, name);
    hid_t sp = H5Dget_space(d);
    H5_CHECK(sp);
    int fnd = H5Sget_simple_extent_ndims(sp);
    hsize_t dims[8] = {0};
    UG_CHECK(fnd >= 0 && fnd <= 8, "checkpoint '%s': bad rank for '%s'", path, name);
    H5Sget_simple_extent_dims(sp, dims, NULL);
    int same = fnd == ndim;
    for (int i = 0; same && i < ndim; i++) same = dims[i] == (hsize_t)shape[i];
    if (!same) {
        char want[64] = "", got[64] = "";
        for (int i = 0; i < ndim; i++) snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", i ? "x" : "", shape[i]);
        for (int i = 0; i < fnd; i++) snprintf(got + strlen(got), sizeof got - strlen(got), "%s%llu", i ? "x" : "", (unsigned long long)dims[i]);
        ug_die("checkpoint '%s': tensor '%s' has shape [%s], the model expects [%s] (a different model?)", path, name,
               got, want);
    }
    // written as float32 (int64 for the BN step counters); a damaged type could make H5Dread allocate GiBs
    if (!h5_dataset_type_is(d, is_int64_scalar ? H5T_INTEGER : H5T_FLOAT, is_int64_scalar ? sizeof(int64_t) : sizeof(float)))
        ug_die("checkpoint '%s': tensor '%s' is not stored as %s (corrupt file; re-create it or use an older one)", path,
               name, is_int64_scalar ? "a 64-bit integer" : "32-bit floats");
    herr_t rc;
    if (is_int64_scalar) {
        int64_t v = 0;
        rc = H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, &v);
        out[0] = (float)v;
    } else {
        rc = H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
    }
    UG_CHECK(rc >= 0, "checkpoint '%s': cannot read tensor '%s' (truncated or corrupt)", path, name);
    H5Sclose(sp);
    H5Dclose(d);
}

void checkpoint_load(const char* path, Model* m, Sgd* opt, TrainState* st) {
    int64_t version = 1;
    hid_t f = open_checkpoint_v(path, &version);
    ModelConfig fc;
    read_config_from(f, path, &fc);
    if (!model_config_equal(&fc, &m->cfg)) {
        char a[160], b[160];
        model_config_describe(&fc, a, sizeof a);
        model_config_describe(&m->cfg, b, sizeof b);
        H5Fclose(f);
        ug_die("checkpoint '%s' holds a %s; this run expects a %s", path, a, b);
    }
    // HDF5 prints its own stack on read errors of a damaged file; ours is clearer.
    H5E_auto2_t func;
    void* data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t g = H5Gopen2(f, "model", H5P_DEFAULT);
    UG_CHECK(g >= 0, "checkpoint '%s': no /model group", path);
    for (int i = 0; i < m->num_tensors; i++) {
        const TensorInfo* t = &m->tensors[i];
        float* dst = (t->is_buffer ? m->buffers : m->params) + t->offset;
        read_tensor(g, path, t->name, t->ndim, t->shape, dst, t->ndim == 0);
    }
    H5Gclose(g);
    int has_opt = H5Lexists(f, "optimizer", H5P_DEFAULT) > 0;
    float* momentum = NULL;
    if (opt) {
        UG_CHECK(has_opt, "checkpoint '%s' holds no optimizer state (a final model, not a resumable checkpoint)", path);
        g = H5Gopen2(f, "optimizer", H5P_DEFAULT);
        UG_CHECK(g >= 0, "checkpoint '%s': cannot open /optimizer", path);
        int n = (int)m->num_params;
        UG_CHECK(opt->n == m->num_params, "checkpoint_load: optimizer size differs from the model");
        read_tensor(g, path, "momentum_buffer", 1, &n, opt->momentum_buf, 0);
        momentum = opt->momentum_buf;
        H5Gclose(g);
    } else if (has_opt) {
        // verify the checksum over the momentum too, even when the caller does not want it
        g = H5Gopen2(f, "optimizer", H5P_DEFAULT);
        UG_CHECK(g >= 0, "checkpoint '%s': cannot open /optimizer", path);
        int n = (int)m->num_params;
        momentum = ug_aligned_alloc((m->num_params + 16) * sizeof(float));
        read_tensor(g, path, "momentum_buffer", 1, &n, momentum, 0);
        H5Gclose(g);
    }
    int64_t want = 0;
    UG_CHECK(h5attr_read_i64(f, "checksum", &want), "checkpoint '%s' has no checksum attribute", path);
    uint64_t got = state_checksum(m, momentum);
    if (version >= 2) got = stored_meta_checksum(f, got);   // the provenance and run config are covered too
    if (momentum && !opt) free(momentum);
    UG_CHECK((uint64_t)want == got, "checkpoint '%s' is corrupt: checksum mismatch (re-create it or use an older one)",
             path);
    if (st) {
        memset(st, 0, sizeof *st);
        if (H5Lexists(f, "state", H5P_DEFAULT) > 0) {
            g = H5Gopen2(f, "state", H5P_DEFAULT);
            int64_t seed = 0, world = 0;
            h5attr_read_i64(g, "epoch", &st->epoch);
            h5attr_read_i64(g, "step_in_epoch", &st->step_in_epoch);
            h5attr_read_i64(g, "global_step", &st->global_step);
            h5attr_read_i64(g, "seed", &seed);
            h5attr_read_i64(g, "world_size", &world);
            st->seed = (uint64_t)seed;
            st->world_size = (int)world;
            H5Gclose(g);
        }
        if (has_opt) {
            g = H5Gopen2(f, "optimizer", H5P_DEFAULT);
            h5attr_read_f64(g, "lr", &st->lr);
            H5Gclose(g);
        }
    }
    H5Eset_auto2(H5E_DEFAULT, func, data);
    H5Fclose(f);
}

char* checkpoint_read_config_text(const char* path) {
    hid_t f = open_checkpoint(path);
    char* text = NULL;
    if (H5Lexists(f, "config", H5P_DEFAULT) > 0) {
        hid_t g = H5Gopen2(f, "config", H5P_DEFAULT);
        if (g >= 0) {
            text = h5attr_read_str(g, "run_config");
            H5Gclose(g);
        }
    }
    H5Fclose(f);
    return text ? text : ug_strdup("");
}

static void copy_attr(hid_t f, const char* group, const char* name, char* out, size_t cap) {
    char* v = group ? read_group_str(f, group, name) : (h5attr_exists(f, name) ? h5attr_read_str(f, name) : NULL);
    snprintf(out, cap, "%s", v ? v : "");
    free(v);
}

void checkpoint_read_provenance(const char* path, CheckpointProvenance* out) {
    memset(out, 0, sizeof *out);
    int64_t version = 1;
    hid_t f = open_checkpoint_v(path, &version);
    out->format_version = (int)version;
    H5E_auto2_t func;
    void* data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    copy_attr(f, NULL, "model_hash", out->model_hash, sizeof out->model_hash);
    copy_attr(f, "provenance", "method", out->method, sizeof out->method);
    copy_attr(f, "provenance", "parent_model_hash", out->parent_hash, sizeof out->parent_hash);
    copy_attr(f, "provenance", "split_hash", out->split_hash, sizeof out->split_hash);
    copy_attr(f, "provenance", "split", out->split_path, sizeof out->split_path);
    copy_attr(f, "provenance", "dataset_id", out->dataset_id, sizeof out->dataset_id);
    copy_attr(f, "provenance", "dataset", out->dataset_path, sizeof out->dataset_path);
    H5Eset_auto2(H5E_DEFAULT, func, data);
    H5Fclose(f);
}

int checkpoint_read_model_hash(const char* path, char out[MODEL_HASH_CHARS]) {
    out[0] = 0;
    if (!checkpoint_is_valid(path)) return 0;
    H5E_auto2_t func;
    void* data;
    H5Eget_auto2(H5E_DEFAULT, &func, &data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f >= 0) {
        copy_attr(f, NULL, "model_hash", out, MODEL_HASH_CHARS);
        H5Fclose(f);
    }
    H5Eset_auto2(H5E_DEFAULT, func, data);
    return out[0] != 0;
}
