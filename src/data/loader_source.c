// loader_source.c — fetching rows (HDF5 or RAM cache) and transforming them into batches (see loader_source.h).
#include "data/loader_source.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "common/util.h"
#include "data/augment.h"
#include "data/jpeg_region.h"

#define CACHE_CHUNK 4096   // rows fetched per HDF5 read while filling the cache

static int cmp_i64(const void* a, const void* b) {
    int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
    return (x > y) - (x < y);
}

// Sorted distinct split indices of the job's items into j->uniq; returns their count.
static int unique_indices(Job* j) {
    for (int k = 0; k < j->n; k++) j->uniq[k] = j->items[k].index;
    qsort(j->uniq, (size_t)j->n, sizeof *j->uniq, cmp_i64);
    int u = 0;
    for (int k = 0; k < j->n; k++) if (u == 0 || j->uniq[k] != j->uniq[u - 1]) j->uniq[u++] = j->uniq[k];
    return u;
}

static int64_t uniq_rank(const Job* j, int nu, int64_t index) {
    const int64_t* hit = bsearch(&index, j->uniq, (size_t)nu, sizeof index, cmp_i64);
    return hit - j->uniq;
}

static void ensure_raw(Job* j, size_t bytes) {
    if (bytes <= j->raw_cap) return;
    free(j->raw);
    j->raw = ug_malloc(bytes);
    j->raw_cap = bytes;
}

// Reads the rows uniq[0..nu) (sorted, distinct) into dst, in that order: one independent HDF5 read per run of
// consecutive rows.  Decoded mode: rows of the images dataset; JPEG mode: their byte ranges.
// (One read of the union of the runs would be one call, but HDF5 1.10 maps an irregular selection to chunks
// element by element, which is far slower than a regular hyperslab per run.)
static void read_runs(const Source* s, const int64_t* uniq, int nu, uint8_t* dst) {
    if (nu == 0) return;
    hid_t fspace = H5Dget_space(s->split.images);
    H5_CHECK(fspace);
    hsize_t one[1] = {1};
    hid_t mspace = H5Screate_simple(1, one, NULL);
    H5_CHECK(mspace);
    int jpeg = s->ds->info.mode == DS_JPEG;
    int64_t at = 0;
    for (int a = 0; a < nu;) {
        int b = a + 1;
        while (b < nu && uniq[b] == uniq[b - 1] + 1) b++;
        int64_t bytes;
        if (jpeg) {
            hsize_t start[1] = {(hsize_t)s->split.offsets[uniq[a]]};
            hsize_t count[1] = {(hsize_t)(s->split.offsets[uniq[b - 1] + 1] - s->split.offsets[uniq[a]])};
            bytes = (int64_t)count[0];
            if (bytes > 0) H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL));
        } else {
            hsize_t start[4] = {(hsize_t)uniq[a], 0, 0, 0};
            hsize_t count[4] = {(hsize_t)(b - a), (hsize_t)s->in_h, (hsize_t)s->in_w, (hsize_t)s->c};
            bytes = (int64_t)(b - a) * s->row_bytes;
            H5_CHECK(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL));
        }
        if (bytes > 0) {
            // the memory space has the file selection's shape: otherwise HDF5 maps it element by element
            hsize_t mdims[4] = {(hsize_t)bytes, 0, 0, 0};
            if (!jpeg) { mdims[0] = (hsize_t)(b - a); mdims[1] = (hsize_t)s->in_h; mdims[2] = (hsize_t)s->in_w; mdims[3] = (hsize_t)s->c; }
            H5_CHECK(H5Sset_extent_simple(mspace, jpeg ? 1 : 4, mdims, NULL));
            if (H5Dread(s->split.images, H5T_NATIVE_UINT8, mspace, fspace, H5P_DEFAULT, dst + at) < 0)
                dataset_read_failed(s->ds->path, s->split.name, jpeg ? "jpeg" : "images");   // checksum or I/O
        }
        at += bytes;
        a = b;
    }
    H5_CHECK(H5Sclose(mspace));
    H5_CHECK(H5Sclose(fspace));
}

void job_fetch(Job* j) {
    const Source* s = j->src;
    int jpeg = s->ds->info.mode == DS_JPEG;
    if (s->cache) {
        for (int k = 0; k < j->n; k++) {
            int64_t p = j->items[k].pos;
            if (jpeg) { j->ptr[k] = s->cache + s->cache_off[p]; j->len[k] = s->cache_off[p + 1] - s->cache_off[p]; }
            else { j->ptr[k] = s->cache + p * s->row_bytes; j->len[k] = s->row_bytes; }
        }
        return;
    }
    int nu = unique_indices(j);
    // byte position of each distinct row inside the staging buffer
    int64_t total = 0;
    int64_t* at = ug_malloc((size_t)(nu > 0 ? nu : 1) * sizeof *at);
    for (int u = 0; u < nu; u++) {
        at[u] = total;
        total += jpeg ? s->split.offsets[j->uniq[u] + 1] - s->split.offsets[j->uniq[u]] : s->row_bytes;
    }
    ensure_raw(j, (size_t)(total > 0 ? total : 1));
    read_runs(s, j->uniq, nu, j->raw);
    for (int k = 0; k < j->n; k++) {
        int64_t u = uniq_rank(j, nu, j->items[k].index);
        j->ptr[k] = j->raw + at[u];
        j->len[k] = jpeg ? s->split.offsets[j->uniq[u] + 1] - s->split.offsets[j->uniq[u]] : s->row_bytes;
    }
    free(at);
}

// ---- transforms ----

static uint8_t* scratch_pixels(Scratch* sc, size_t bytes) {
    if (bytes > sc->pixels_cap) {
        free(sc->pixels);
        sc->pixels = ug_malloc(bytes);
        sc->pixels_cap = bytes;
    }
    return sc->pixels;
}

// Transforms one sample; returns 0 and fills err on a bad JPEG.
static int transform_one(const Source* s, const Item* it, const uint8_t* bytes, int64_t len, Scratch* sc, float* out,
                         char* err, size_t cap) {
    const LoaderConfig* cfg = &s->cfg;
    int oh = s->out_h, ow = s->out_w, c = s->c;
    Rng rng;
    rng_init(&rng, cfg->seed, RNG_AUGMENT, (uint64_t)it->pass, (uint64_t)it->index);
    int jpeg = s->ds->info.mode == DS_JPEG;
    int H = s->in_h, W = s->in_w;
    if (jpeg) {
        int subsamp = 0, colorspace = 0;
        if (tjDecompressHeader3(sc->tj, bytes, (unsigned long)len, &W, &H, &subsamp, &colorspace) != 0) {
            snprintf(err, cap, "sample %lld: not a readable JPEG (%s)", (long long)it->index, tjGetErrorStr2(sc->tj));
            return 0;
        }
    }
    // what to cut out of the source, and the random choices (always drawn in the same order)
    int dy = 0, dx = 0, flip = 0, pad = cfg->pad > 0 ? cfg->pad : (cfg->pad == 0 ? 4 : 0);
    int same_size = H == oh && W == ow;
    CropBox box = {0, 0, W, H};
    if (cfg->augment == AUG_CROP_FLIP) {
        aug_draw_crop_flip(&rng, pad, &dy, &dx, &flip);
        if (!same_size) box = aug_center_box(H, W, oh, ow, 1.0f);
    } else if (cfg->augment == AUG_RRC_FLIP) {
        box = aug_draw_rrc_box(&rng, H, W, 0.08f, 1.0f, 3.0f / 4, 4.0f / 3);
        flip = (int)rng_below(&rng, 2);
        same_size = 0;
    } else if (!same_size) {
        box = aug_center_box(H, W, oh, ow, s->resize_ratio);
    }
    // source pixels: stored rows, or the JPEG decoded at the smallest scale that keeps the box ≥ the output
    Image img = {H, W, c, (uint8_t*)bytes};
    Image decoded = {0};
    if (jpeg && !same_size && !cfg->full_decode) {
        double need = fmax((double)ow / box.w, (double)oh / box.h);
        int short_side = H < W ? H : W;
        int min_side = need >= 1 ? short_side : (int)ceil(short_side * need);
        JpegRegion r;
        int warned = 0;
        char why[256];
        if (jpeg_decode_region(bytes, (size_t)len, c, min_side, box.x, box.y, box.w, box.h, 2, &r, &warned, why,
                               sizeof why) != 0) {
            snprintf(err, cap, "sample %lld: JPEG decode failed: %s", (long long)it->index, why);
            return 0;
        }
        double sx = (double)r.full_w / W, sy = (double)r.full_h / H;
        uint8_t* tmp = scratch_pixels(sc, (size_t)oh * ow * c);
        image_resample(&r.img, box.x * sx - r.x, box.y * sy - r.y, box.w * sx, box.h * sy, tmp, oh, ow);
        if (cfg->augment == AUG_CROP_FLIP) aug_crop_flip(tmp, oh, ow, c, pad, dy, dx, flip, s->lut, out);
        else if (flip) aug_crop_flip(tmp, oh, ow, c, 0, 0, 0, 1, s->lut, out);
        else aug_normalize(tmp, (int64_t)oh * ow, c, s->lut, out);
        image_free(&r.img);
        return 1;
    }
    if (jpeg) {
        int min_side = 0;
        if (!same_size) {
            double need = fmax((double)ow / box.w, (double)oh / box.h);
            int short_side = H < W ? H : W;
            min_side = need >= 1 ? short_side : (int)ceil(short_side * need);
        }
        int warned = 0;
        char why[256];
        if (image_decode(sc->codec, bytes, (size_t)len, c, min_side, &decoded, &warned, why, sizeof why) != 0) {
            snprintf(err, cap, "sample %lld: JPEG decode failed: %s", (long long)it->index, why);
            return 0;
        }
        img = decoded;
    }
    if (same_size) {
        if (cfg->augment == AUG_CROP_FLIP) aug_crop_flip(img.data, H, W, c, pad, dy, dx, flip, s->lut, out);
        else aug_normalize(img.data, (int64_t)H * W, c, s->lut, out);
    } else {
        double sx = (double)img.w / W, sy = (double)img.h / H;
        uint8_t* tmp = scratch_pixels(sc, (size_t)oh * ow * c);
        image_resample(&img, box.x * sx, box.y * sy, box.w * sx, box.h * sy, tmp, oh, ow);
        if (cfg->augment == AUG_CROP_FLIP) aug_crop_flip(tmp, oh, ow, c, pad, dy, dx, flip, s->lut, out);
        else if (flip) aug_crop_flip(tmp, oh, ow, c, 0, 0, 0, 1, s->lut, out);
        else aug_normalize(tmp, (int64_t)oh * ow, c, s->lut, out);
    }
    if (jpeg) image_free(&decoded);
    return 1;
}

void job_transform_begin(Job* j) {
    const Source* s = j->src;
    j->err[0] = 0;
    j->err_at = INT_MAX;
    j->batch.n = j->n;
    j->batch.h = s->out_h;
    j->batch.w = s->out_w;
    j->batch.c = s->c;
    for (int k = 0; k < j->n; k++) {
        j->batch.y[k] = s->split.labels[j->items[k].index];
        j->batch.index[k] = j->items[k].index;
    }
}

int job_transform_range(Job* j, Scratch* sc, int k0, int k1, char* err, size_t cap) {
    const Source* s = j->src;
    int64_t sample_floats = (int64_t)s->out_h * s->out_w * s->c;
    for (int k = k0; k < k1; k++)
        if (!transform_one(s, &j->items[k], j->ptr[k], j->len[k], sc, j->batch.x + k * sample_floats, err, cap)) return k;
    return -1;
}

void job_transform(Job* j, Scratch* sc) {
    job_transform_begin(j);
    int bad = job_transform_range(j, sc, 0, j->n, j->err, sizeof j->err);
    if (bad >= 0) j->err_at = bad;
}

// ---- setup ----

void scratch_init(Scratch* sc) {
    memset(sc, 0, sizeof *sc);
    sc->codec = image_codec_create();
    sc->tj = tjInitDecompress();
    if (!sc->tj) ug_die("cannot initialise libturbojpeg: %s", tjGetErrorStr2(NULL));
}

void scratch_free(Scratch* sc) {
    if (sc->codec) image_codec_destroy(sc->codec);
    if (sc->tj) tjDestroy(sc->tj);
    free(sc->pixels);
    memset(sc, 0, sizeof *sc);
}

void job_init(Job* j, Source* s, int cap) {
    memset(j, 0, sizeof *j);
    j->src = s;
    j->cap = cap;
    int n = cap > 0 ? cap : 1;
    j->items = ug_malloc((size_t)n * sizeof *j->items);
    j->ptr = ug_malloc((size_t)n * sizeof *j->ptr);
    j->len = ug_malloc((size_t)n * sizeof *j->len);
    j->uniq = ug_malloc((size_t)n * sizeof *j->uniq);
    j->batch.x = ug_aligned_alloc((size_t)n * s->out_h * s->out_w * s->c * sizeof(float));
    j->batch.y = ug_malloc((size_t)n * sizeof *j->batch.y);
    j->batch.index = ug_malloc((size_t)n * sizeof *j->batch.index);
    j->batch.h = s->out_h;
    j->batch.w = s->out_w;
    j->batch.c = s->c;
}

void job_free(Job* j) {
    free(j->items); free(j->ptr); free(j->len); free(j->uniq); free(j->raw);
    free(j->batch.x); free(j->batch.y); free(j->batch.index);
    memset(j, 0, sizeof *j);
}

// Reads the whole subset into RAM, in subset order (chunks of CACHE_CHUNK rows, one HDF5 read each).
static void fill_cache(Source* s) {
    int jpeg = s->ds->info.mode == DS_JPEG;
    if (jpeg) {
        s->cache_off = ug_malloc((size_t)(s->n + 1) * sizeof *s->cache_off);
        s->cache_off[0] = 0;
        for (int64_t p = 0; p < s->n; p++) {
            int64_t i = s->subset ? s->subset[p] : p;
            s->cache_off[p + 1] = s->cache_off[p] + s->split.offsets[i + 1] - s->split.offsets[i];
        }
    }
    size_t bytes = jpeg ? (size_t)s->cache_off[s->n] : (size_t)s->n * (size_t)s->row_bytes;
    double ram = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (ram > 0 && (double)bytes > 0.5 * ram)
        ug_die("loader: caching split '%s' of '%s' needs %.1f GiB, more than half of this machine's %.1f GiB: "
               "stream it instead (cache off)", s->split.name, s->ds->path, bytes / 1073741824.0, ram / 1073741824.0);
    uint8_t* cache = ug_malloc(bytes > 0 ? bytes : 1);
    Job j;
    job_init(&j, s, CACHE_CHUNK);
    for (int64_t p0 = 0; p0 < s->n; p0 += CACHE_CHUNK) {
        j.n = (int)(s->n - p0 < CACHE_CHUNK ? s->n - p0 : CACHE_CHUNK);
        for (int k = 0; k < j.n; k++) {
            j.items[k].pos = p0 + k;
            j.items[k].index = s->subset ? s->subset[p0 + k] : p0 + k;
            j.items[k].pass = 0;
        }
        job_fetch(&j);
        for (int k = 0; k < j.n; k++) {
            uint8_t* dst = jpeg ? cache + s->cache_off[p0 + k] : cache + (p0 + k) * s->row_bytes;
            memcpy(dst, j.ptr[k], (size_t)j.len[k]);
        }
    }
    job_free(&j);
    s->cache = cache;
}

// Random rows of uncompressed chunked data are read fastest with HDF5's chunk cache off: it then reads only
// the selected bytes instead of whole chunks (~0.5-1 MiB) per sample.
static void reopen_without_chunk_cache(Source* s) {
    const char* name = s->ds->info.mode == DS_JPEG ? "jpeg" : "images";
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5_CHECK(dapl);
    H5_CHECK(H5Pset_chunk_cache(dapl, 0, 0, 1.0));
    hid_t d = H5Dopen2(s->split.group, name, dapl);
    if (d < 0) ug_die("'%s': cannot open /%s/%s", s->ds->path, s->split.name, name);
    H5_CHECK(H5Pclose(dapl));
    H5_CHECK(H5Dclose(s->split.images));
    s->split.images = d;
}

void source_init(Source* s, Dataset* ds, const LoaderConfig* cfg, uint64_t stream_id) {
    memset(s, 0, sizeof *s);
    s->ds = ds;
    s->cfg = *cfg;
    const DatasetInfo* info = &ds->info;
    UG_CHECK(cfg->split && cfg->split[0], "loader: no split named (train, val or test)");
    UG_CHECK(cfg->global_batch > 0, "loader: global batch must be positive, got %d", cfg->global_batch);
    if (!dataset_has_split(ds, cfg->split))
        ug_die("dataset '%s' has no '%s' split (see `ugradsl inspect %s`)", ds->path, cfg->split, ds->path);
    dataset_split_open(ds, cfg->split, &s->split);
    reopen_without_chunk_cache(s);
    s->n = cfg->subset ? cfg->subset_n : s->split.n;
    if (s->n <= 0) ug_die("loader: the %s of split '%s' of '%s' is empty: nothing to load", cfg->subset ? "subset" : "whole",
                          cfg->split, ds->path);
    if (cfg->subset) {
        s->subset = ug_malloc((size_t)s->n * sizeof *s->subset);
        for (int64_t p = 0; p < s->n; p++) {
            if (cfg->subset[p] < 0 || cfg->subset[p] >= s->split.n)
                ug_die("loader: subset index %lld is outside split '%s' (0..%lld): is the split file made for this dataset?",
                       (long long)cfg->subset[p], cfg->split, (long long)s->split.n - 1);
            s->subset[p] = cfg->subset[p];
        }
    }
    s->cfg.subset = s->subset;
    s->c = info->channels > 0 ? info->channels : 3;
    if (info->mode == DS_JPEG && s->c != 1 && s->c != 3)
        ug_die("loader: '%s' is a JPEG dataset with %d channels; JPEG decoding gives 1 or 3", ds->path, s->c);
    s->in_h = info->height;
    s->in_w = info->width;
    s->row_bytes = (int64_t)s->in_h * s->in_w * s->c;
    s->out_h = cfg->out_h > 0 ? cfg->out_h : s->in_h;
    s->out_w = cfg->out_w > 0 ? cfg->out_w : s->in_w;
    if (s->out_h <= 0 || s->out_w <= 0)
        ug_die("loader: '%s' is a JPEG dataset with images of varying size: give an output size (e.g. 224x224)", ds->path);
    s->resize_ratio = cfg->resize_ratio > 0 ? cfg->resize_ratio : 256.0f / 224.0f;
    for (int ch = 0; ch < s->c; ch++)
        if (!(info->std[ch] > 0)) ug_die("dataset '%s': channel %d has std %g; re-pack it", ds->path, ch, info->std[ch]);
    aug_make_lut(info->mean, info->std, s->c, s->lut);
    stream_init(&s->stream, s->n, cfg->shuffle, cfg->seed, stream_id);
    if (cfg->cache) fill_cache(s);
}

void source_free(Source* s) {
    dataset_split_close(&s->split);
    stream_free(&s->stream);
    free(s->subset); free(s->cache); free(s->cache_off);
    memset(s, 0, sizeof *s);
}
