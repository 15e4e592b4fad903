// pack_folder.c — decoding an image-folder listing on all ranks and writing it collectively.
//
// The listing is processed in rounds of `batch` files per rank: round t covers listing items
// [t·B·W, (t+1)·B·W), rank r decodes its contiguous share, and the good rows are appended in rank order.
// So the rows follow the listing order (minus skipped files) for any rank count, and the file content
// does not depend on W.  Pixel statistics are exact integer sums, reduced at the end.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/progress.h"
#include "common/util.h"
#include "data/image_codec.h"
#include "data/pack_folder.h"
#include "data/pack_writer.h"

static const char* const SPLIT_NAMES[3] = {"train", "val", "test"};

typedef struct {
    const FolderPackOptions* o;
    MPI_Comm comm;
    int rank, world;
    ImageCodec* codec;
    int ref_h, ref_w;            // decoded mode: the one stored size (resize, or the first good image)
    char ref_path[4096];
    PixelStats stats;            // train split
    int64_t skipped, warned, reencoded;
    int64_t first_bad;           // global listing number of this rank's first skipped file (INT64_MAX: none)
    char first_bad_text[512];
} PackCtx;

typedef struct {
    int64_t n;                   // good rows this round on this rank
    Image* images;               // decoded mode: [batch] decoded (and resized) images
    uint8_t* pixels;             // decoded mode: contiguous rows for the write
    uint8_t* bytes;              // JPEG mode: encoded rows back to back
    int64_t nbytes, cap_bytes;
    int64_t* sizes;
    int32_t* labels;
    int32_t* groups;             // group ids of the good rows (when the listing has groups)
    int64_t* item;               // listing index of each good row (for error messages)
} Round;

static uint8_t* read_whole_file(const char* path, size_t* n, char* err, size_t errcap) {
    FILE* f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t* buf = ug_malloc(cap);
    for (;;) {
        if (len == cap) buf = ug_realloc(buf, cap *= 2);
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        snprintf(err, errcap, "read error: %s", strerror(errno));
        free(buf);
        return NULL;
    }
    *n = len;
    return buf;
}

// A bad file: fatal without --skip-bad, else counted (and the first one remembered for the report).
static void bad_file(PackCtx* x, int64_t global_no, const char* path, const char* why) {
    if (!x->o->skip_bad) ug_die("bad image '%s': %s (fix or remove it, or pass --skip-bad)", path, why);
    ug_warn("skipping '%s': %s", path, why);
    x->skipped++;
    if (global_no < x->first_bad) {
        x->first_bad = global_no;
        if (snprintf(x->first_bad_text, sizeof x->first_bad_text, "%s: %s", path, why) >= (int)sizeof x->first_bad_text)
            strcpy(x->first_bad_text + sizeof x->first_bad_text - 4, "...");   // long reasons are cut for the report
    }
}

static void append_bytes(Round* r, const uint8_t* b, int64_t n) {
    while (r->nbytes + n > r->cap_bytes) {
        r->cap_bytes = r->cap_bytes ? 2 * r->cap_bytes : 1 << 20;
        r->bytes = ug_realloc(r->bytes, (size_t)r->cap_bytes);
    }
    memcpy(r->bytes + r->nbytes, b, (size_t)n);
    r->nbytes += n;
}

// Decodes (and in JPEG mode keeps the bytes of) one file; returns 0 when it is good.
static int process_file(PackCtx* x, Round* r, const char* path, int32_t label, int64_t item, int is_train,
                        char* err, size_t errcap) {
    const FolderPackOptions* o = x->o;
    size_t n = 0;
    uint8_t* bytes = read_whole_file(path, &n, err, errcap);
    if (!bytes) return -1;
    Image img;
    int warned = 0;
    int min_side = o->mode == DS_DECODED ? o->resize : 0;
    if (image_decode(x->codec, bytes, n, o->channels, min_side, &img, &warned, err, errcap) != 0) {
        free(bytes);
        return -1;
    }
    x->warned += warned;
    if (o->mode == DS_DECODED) {
        if (o->resize > 0) {
            Image sq = {o->resize, o->resize, o->channels, ug_malloc((size_t)o->resize * o->resize * o->channels)};
            image_resize_center_crop(&img, o->resize, sq.data);
            image_free(&img);
            img = sq;
        }
        r->images[r->n] = img;   // size checked once the reference size is known
    } else {
        if (is_train) pixel_stats_add(&x->stats, img.data, (int64_t)img.h * img.w, img.c);
        if (image_sniff(bytes, n) == IMG_PNG) {   // the loader decodes JPEG only: re-encode
            uint8_t* jpg = NULL;
            size_t jn = 0;
            if (image_encode_jpeg(x->codec, img.data, img.h, img.w, img.c, o->jpeg_quality, &jpg, &jn, err, errcap) != 0) {
                image_free(&img);
                free(bytes);
                return -1;
            }
            free(bytes);
            bytes = jpg;
            n = jn;
            x->reencoded++;
        }
        append_bytes(r, bytes, (int64_t)n);
        r->sizes[r->n] = (int64_t)n;
        image_free(&img);
    }
    free(bytes);
    r->labels[r->n] = label;
    r->item[r->n] = item;
    r->n++;
    return 0;
}

// Decoded mode without --resize: the first good image in listing order (over all ranks) sets the size.
static void resolve_reference(PackCtx* x, const Round* r, const FileList* fl) {
    if (x->ref_h > 0) return;
    int64_t mine = r->n > 0 ? x->rank : INT64_MAX;
    int64_t owner = -par_max_i64(x->comm, -mine);
    if (owner == INT64_MAX) return;   // no good image anywhere yet
    int64_t dims[2] = {0, 0};
    if (x->rank == owner) {
        dims[0] = r->images[0].h;
        dims[1] = r->images[0].w;
        snprintf(x->ref_path, sizeof x->ref_path, "%s", fl->paths + fl->path_at[r->item[0]]);
    }
    par_bcast(x->comm, dims, sizeof dims, (int)owner);
    par_bcast(x->comm, x->ref_path, sizeof x->ref_path, (int)owner);
    x->ref_h = (int)dims[0];
    x->ref_w = (int)dims[1];
}

// Decoded mode: drops wrong-size images (error or skip), copies the rest into r->pixels, adds train stats.
static void gather_decoded(PackCtx* x, Round* r, const FileList* fl, int64_t split_base, int is_train) {
    size_t row = (size_t)x->ref_h * x->ref_w * x->o->channels;
    r->pixels = ug_realloc(r->pixels, (r->n > 0 ? (size_t)r->n : 1) * row);
    int64_t kept = 0;
    for (int64_t k = 0; k < r->n; k++) {
        Image* im = &r->images[k];
        if (im->h != x->ref_h || im->w != x->ref_w) {
            char why[4600];
            snprintf(why, sizeof why, "size %dx%d differs from %dx%d of '%s' (decoded mode stores one size: pass --resize S)",
                     im->w, im->h, x->ref_w, x->ref_h, x->ref_path);
            bad_file(x, split_base + r->item[k], fl->paths + fl->path_at[r->item[k]], why);
            image_free(im);
            continue;
        }
        memcpy(r->pixels + (size_t)kept * row, im->data, row);
        if (is_train) pixel_stats_add(&x->stats, im->data, (int64_t)im->h * im->w, im->c);
        r->labels[kept] = r->labels[k];
        r->item[kept] = r->item[k];
        image_free(im);
        kept++;
    }
    r->n = kept;
}

static void pack_split(PackCtx* x, ParWriter* w, const FileList* fl, int s, int64_t split_base, Progress* prog,
                       int64_t* done, int64_t* rows_out) {
    const FolderPackOptions* o = x->o;
    const int64_t per_round = (int64_t)o->batch * x->world;
    Round r;
    memset(&r, 0, sizeof r);
    r.images = ug_calloc((size_t)o->batch + 1, sizeof(Image));
    r.sizes = ug_malloc(((size_t)o->batch + 1) * sizeof(int64_t));
    r.labels = ug_malloc(((size_t)o->batch + 1) * sizeof(int32_t));
    r.groups = ug_malloc(((size_t)o->batch + 1) * sizeof(int32_t));
    r.item = ug_malloc(((size_t)o->batch + 1) * sizeof(int64_t));
    ParSplit ps;
    int created = 0;
    char err[1024];
    for (int64_t g0 = 0; g0 < fl->n; g0 += per_round) {
        int64_t m = fl->n - g0 < per_round ? fl->n - g0 : per_round;
        int64_t lo = g0 + m * x->rank / x->world, hi = g0 + m * (x->rank + 1) / x->world;
        r.n = 0;
        r.nbytes = 0;
        for (int64_t i = lo; i < hi; i++) {
            const char* path = fl->paths + fl->path_at[i];
            if (process_file(x, &r, path, fl->labels[i], i, s == 0, err, sizeof err) != 0) bad_file(x, split_base + i, path, err);
        }
        if (o->mode == DS_DECODED) {
            resolve_reference(x, &r, fl);
            if (x->ref_h > 0) gather_decoded(x, &r, fl, split_base, s == 0);
        }
        if (!created && (o->mode == DS_JPEG || x->ref_h > 0)) {
            int64_t row_bytes = (int64_t)x->ref_h * x->ref_w * o->channels;
            parw_split_create(w, &ps, SPLIT_NAMES[s], o->mode, x->ref_h, x->ref_w, o->channels,
                              dataset_chunk_rows(row_bytes, fl->n), fl->groups != NULL);
            created = 1;
        }
        if (created) {
            if (fl->groups)
                for (int64_t k = 0; k < r.n; k++) r.groups[k] = fl->groups[r.item[k]];
            if (o->mode == DS_DECODED) parw_append_decoded(w, &ps, r.n, r.pixels, r.labels, r.groups);
            else parw_append_jpeg(w, &ps, r.n, r.bytes, r.sizes, r.labels, r.groups);
        }
        *done += m;
        progress_update(prog, *done, SPLIT_NAMES[s]);
    }
    if (!created) ug_die("no readable image in '%s/%s' (all %lld files were bad)", o->input, SPLIT_NAMES[s], (long long)fl->n);
    *rows_out = ps.rows;
    parw_split_close(w, &ps);
    free(r.images);
    free(r.pixels);
    free(r.bytes);
    free(r.sizes);
    free(r.labels);
    free(r.groups);
    free(r.item);
}

// Brings the first skipped file (in listing order, over all ranks) to every rank for the report.
static void first_skipped(PackCtx* x, char* out, size_t cap) {
    int64_t first = -par_max_i64(x->comm, -x->first_bad);
    out[0] = 0;
    if (first == INT64_MAX) return;
    int64_t owner = par_max_i64(x->comm, x->first_bad == first ? x->rank : -1);
    char text[512];
    snprintf(text, sizeof text, "%s", x->first_bad_text);
    par_bcast(x->comm, text, sizeof text, (int)owner);
    snprintf(out, cap, "%s", text);
}

void pack_folder(const FolderPackOptions* o, MPI_Comm comm, PackReport* report) {
    double t0 = ug_now();
    PackCtx x;
    memset(&x, 0, sizeof x);
    x.o = o;
    x.comm = comm;
    x.world = 1;
    x.first_bad = INT64_MAX;
    if (comm != MPI_COMM_NULL) {
        MPI_CHECK(MPI_Comm_rank(comm, &x.rank));
        MPI_CHECK(MPI_Comm_size(comm, &x.world));
    }
    UG_CHECK(o->channels == 1 || o->channels == 3, "pack: channels must be 1 or 3");
    UG_CHECK(o->batch >= 1, "pack: batch must be >= 1");
    if (o->mode == DS_DECODED && o->resize > 0) x.ref_h = x.ref_w = o->resize;
    x.codec = image_codec_create();

    FolderListing l;
    folder_list(o, comm, &l);
    int64_t total = 0;
    for (int s = 0; s < 3; s++) total += l.has[s] ? l.split[s].n : 0;
    ParWriter w;
    parw_begin(&w, o->output, comm);
    Progress prog;
    progress_start(&prog, "pack", "img", total);
    int64_t done = 0, base = 0, rows[3] = {0, 0, 0};
    for (int s = 0; s < 3; s++) {
        if (!l.has[s]) continue;
        pack_split(&x, &w, &l.split[s], s, base, &prog, &done, &rows[s]);
        base += l.split[s].n;
    }
    pixel_stats_allreduce(&x.stats, comm);
    DatasetInfo info;
    memset(&info, 0, sizeof info);
    info.format_version = DATASET_FORMAT_VERSION;
    info.mode = o->mode;
    info.num_classes = l.num_classes;
    info.class_names = l.class_names;
    info.channels = o->channels;
    info.height = o->mode == DS_DECODED ? x.ref_h : 0;
    info.width = o->mode == DS_DECODED ? x.ref_w : 0;
    pixel_stats_finish(&x.stats, info.mean, info.std);
    snprintf(info.source, sizeof info.source, "image-folder:%s%s", o->input, l.val_is_test ? " (test split: val/)" : "");
    if (l.class_descriptions) parw_write_strings_attr(&w, "class_descriptions", l.class_descriptions, l.num_classes);
    parw_finish(&w, &info);
    if (x.rank == 0 && l.val_is_test) ug_log("pack: val/ is packed as the test split (the evaluation split TA and MIA read)");
    if (x.rank == 0 && l.class_descriptions) ug_log("pack: class descriptions from '%s'", l.descriptions_source);

    memset(report, 0, sizeof *report);
    report->n_train = rows[0];
    report->n_val = rows[1];
    report->n_test = rows[2];
    report->skipped = par_sum_i64(comm, x.skipped);
    report->warned = par_sum_i64(comm, x.warned);
    report->reencoded = par_sum_i64(comm, x.reencoded);
    first_skipped(&x, report->first_skipped, sizeof report->first_skipped);
    report->num_classes = l.num_classes;
    report->channels = o->channels;
    report->height = info.height;
    report->width = info.width;
    report->mode = o->mode;
    memcpy(report->mean, info.mean, sizeof info.mean);
    memcpy(report->std, info.std, sizeof info.std);
    report->ranks = x.world;
    report->seconds = ug_now() - t0;
    progress_finish(&prog, done, NULL);
    folder_listing_free(&l);
    image_codec_destroy(x.codec);
}
