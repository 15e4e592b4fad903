// JPEG-mode loader at 1, 2 and 3 ranks: decode + eval resize/centre-crop and random-resized-crop + flip give the
// right colours, shape and flip direction; HDF5 streaming and the RAM cache give identical batches; prefetch
// and the number of worker threads change nothing; a corrupt JPEG is reported with its sample index.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/rng.h"
#include "common/util.h"
#include "data/augment.h"
#include "data/dataset.h"
#include "data/image_codec.h"
#include "data/loader.h"
#include "data/loader_source.h"
#include "harness.h"

#define N_IMG 23
#define OUT 16
static char dir[256], good_path[512], bad_path[512];
static int rank, world;
static char* NAMES[] = {"x", "y", "z"};
static const float MEAN = 0.5f, STD = 0.25f;

// Image i: even i flat colour (colour_of(i)), odd i a horizontal grey ramp 20 → 235.
static void colour_of(int i, uint8_t rgb[3]) { rgb[0] = (uint8_t)(30 + 9 * i); rgb[1] = (uint8_t)(200 - 7 * i); rgb[2] = (uint8_t)(90 + 3 * i); }
static int is_ramp(int64_t i) { return i % 2 == 1; }

static const int sizes[3][2] = {{30, 40}, {48, 36}, {64, 48}};   // h, w of image i: sizes[i % 3]

static void write_jpegs(const char* path, int corrupt) {
    ImageCodec* codec = image_codec_create();
    uint8_t* all = NULL;
    size_t total = 0;
    int64_t offsets[N_IMG + 1] = {0};
    int32_t labels[N_IMG];
    for (int i = 0; i < N_IMG; i++) {
        int h = sizes[i % 3][0], w = sizes[i % 3][1];
        uint8_t* px = malloc((size_t)h * w * 3);
        uint8_t rgb[3];
        colour_of(i, rgb);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++)
                    px[(y * w + x) * 3 + c] = is_ramp(i) ? (uint8_t)(20 + 215 * x / (w - 1)) : rgb[c];
        uint8_t* jpg;
        size_t len;
        char err[256];
        if (image_encode_jpeg(codec, px, h, w, 3, 95, &jpg, &len, err, sizeof err) != 0) { fprintf(stderr, "%s\n", err); MPI_Abort(MPI_COMM_WORLD, 1); }
        if (corrupt && i == 3) memset(jpg, 0x42, len);   // no longer a JPEG
        all = realloc(all, total + len);
        memcpy(all + total, jpg, len);
        total += len;
        offsets[i + 1] = (int64_t)total;
        labels[i] = i % 3;
        free(jpg);
        free(px);
    }
    DatasetInfo info;
    memset(&info, 0, sizeof info);
    info.mode = DS_JPEG;
    info.num_classes = 3;
    info.class_names = NAMES;
    info.channels = 3;
    for (int c = 0; c < 3; c++) { info.mean[c] = MEAN; info.std[c] = STD; }
    snprintf(info.source, sizeof info.source, "test:jpeg");
    DatasetWriter w;
    dataset_write_begin(&w, path, &info);
    dataset_write_split_jpeg(&w, "train", N_IMG, all, offsets, labels, NULL, NULL);
    dataset_write_finish(&w);
    free(all);
    image_codec_destroy(codec);
}

static LoaderConfig config(Augment aug) {
    LoaderConfig c;
    memset(&c, 0, sizeof c);
    c.split = "train";
    c.global_batch = 5;
    c.shuffle = 1;
    c.augment = aug;
    c.out_h = c.out_w = OUT;
    c.seed = 77;
    return c;
}

static float pixel_value(float x) { return x * STD + MEAN; }   // back to [0,1]

// Checks colours (flat images) and ramp direction (ramps); returns the number of flipped ramps.
static int check_batch(const Batch* b, Augment aug, int epoch) {
    int flipped = 0;
    for (int k = 0; k < b->n; k++) {
        int64_t i = b->index[k];
        const float* x = b->x + (int64_t)k * OUT * OUT * 3;
        CHECK(b->y[k] == i % 3, "label");
        if (!is_ramp(i)) {
            uint8_t rgb[3];
            colour_of((int)i, rgb);
            int bad = 0;
            for (int p = 0; p < OUT * OUT; p++)
                for (int c = 0; c < 3; c++) bad += fabsf(pixel_value(x[p * 3 + c]) - rgb[c] / 255.0f) > 4.0f / 255;
            CHECK(bad == 0, "sample %lld: %d pixel values off its colour", (long long)i, bad);
        } else {
            // left-to-right ramp, or right-to-left when flipped
            float left = pixel_value(x[(OUT / 2 * OUT + 0) * 3]), right = pixel_value(x[(OUT / 2 * OUT + OUT - 1) * 3]);
            int flip = left > right;
            if (aug == AUG_RRC_FLIP) {   // the flip the loader must have drawn: after the box, from the sample's key
                Rng rng;
                rng_init(&rng, 77, RNG_AUGMENT, (uint64_t)epoch, (uint64_t)i);
                aug_draw_rrc_box(&rng, sizes[i % 3][0], sizes[i % 3][1], 0.08f, 1.0f, 3.0f / 4, 4.0f / 3);
                int want = (int)rng_below(&rng, 2);
                CHECK(flip == want, "sample %lld epoch %d: flipped %d, its key says %d", (long long)i, epoch, flip, want);
            }
            flipped += flip;
            CHECK(fabsf(left - right) > 0.02f, "sample %lld: ramp lost (left %g right %g)", (long long)i, left, right);
            if (aug == AUG_NONE) CHECK(!flip, "sample %lld: eval batch flipped", (long long)i);
        }
    }
    return flipped;
}

static void test_eval_and_train(void) {
    Dataset ds;
    dataset_open(&ds, good_path, MPI_COMM_WORLD);
    Augment augs[2] = {AUG_NONE, AUG_RRC_FLIP};
    for (int a = 0; a < 2; a++) {
        LoaderConfig stream = config(augs[a]), cached = stream, sync = stream, many = stream, whole = stream;
        whole.full_decode = 1;   // the reference of the region decode
        cached.cache = 1;
        sync.no_prefetch = 1;
        many.workers = 3;   // 5-sample batches: shares of 0..2 samples, some workers idle
        if (a == 1) stream.workers = 2;
        Loader* ls = loader_create(&ds, &stream, rank, world);
        Loader* lc = loader_create(&ds, &cached, rank, world);
        Loader* ly = loader_create(&ds, &sync, rank, world);
        Loader* lm = loader_create(&ds, &many, rank, world);
        Loader* lw = loader_create(&ds, &whole, rank, world);
        int flipped = 0, ramps = 0;
        for (int epoch = 0; epoch < 3; epoch++) {
            loader_start_epoch(ls, epoch);
            loader_start_epoch(lc, epoch);
            loader_start_epoch(ly, epoch);
            loader_start_epoch(lm, epoch);
            loader_start_epoch(lw, epoch);
            Batch bs, bc, by, bm, bw;
            int seen[N_IMG] = {0};
            while (loader_next(ls, &bs)) {
                CHECK(loader_next(lc, &bc) && loader_next(ly, &by) && loader_next(lm, &bm) && loader_next(lw, &bw),
                      "step counts differ");
                CHECK(bs.n == bc.n && bs.n == by.n && bs.n == bm.n, "sizes differ");
                CHECK(bs.h == OUT && bs.w == OUT && bs.c == 3, "shape %dx%dx%d", bs.h, bs.w, bs.c);
                size_t bytes = (size_t)bs.n * OUT * OUT * 3 * sizeof(float);
                CHECK(!memcmp(bs.x, bc.x, bytes), "RAM cache and HDF5 streaming differ");
                CHECK(!memcmp(bs.x, by.x, bytes), "prefetch changes the batch");
                CHECK(!memcmp(bm.x, by.x, bytes) && !memcmp(bm.y, by.y, (size_t)bs.n * sizeof *bm.y),
                      "3 worker threads change the batch");
                // region decode vs whole-image decode: the same decoded pixels; the resampling coordinates are
                // shifted by the region's origin, which may move a rounding by one level (1/255/std)
                float worst = 0;
                for (size_t v = 0; v < bytes / sizeof(float); v++) worst = fmaxf(worst, fabsf(bs.x[v] - bw.x[v]));
                CHECK(worst <= 1.001f / 255 / STD, "region decode differs from the whole-image decode by %g", worst);
                flipped += check_batch(&bs, augs[a], epoch);
                for (int k = 0; k < bs.n; k++) { seen[bs.index[k]]++; ramps += is_ramp(bs.index[k]); }
            }
            MPI_Allreduce(MPI_IN_PLACE, seen, N_IMG, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
            for (int i = 0; i < N_IMG; i++) CHECK(seen[i] == 1, "epoch %d: sample %d seen %d times", epoch, i, seen[i]);
        }
        MPI_Allreduce(MPI_IN_PLACE, &flipped, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &ramps, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        if (augs[a] == AUG_RRC_FLIP) CHECK(flipped > 0 && flipped < ramps, "RRC flipped %d of %d ramps", flipped, ramps);
        loader_destroy(ls);
        loader_destroy(lc);
        loader_destroy(ly);
        loader_destroy(lm);
        loader_destroy(lw);
    }
    dataset_close(&ds);
}

// The transform of a corrupt sample reports it (the loader then dies with this message on every rank that has it).
static void test_corrupt_sample(void) {
    Dataset ds;
    dataset_open(&ds, bad_path, MPI_COMM_WORLD);
    LoaderConfig cfg = config(AUG_NONE);
    Source src;
    source_init(&src, &ds, &cfg, 0);
    Job job;
    job_init(&job, &src, 4);
    Scratch sc;
    scratch_init(&sc);
    job.n = 2;
    job.items[0] = (Item){2, 2, 0};
    job.items[1] = (Item){3, 3, 0};
    job_fetch(&job);
    job_transform(&job, &sc);
    CHECK(strstr(job.err, "sample 3") != NULL, "error '%s' does not name sample 3", job.err);
    job.n = 1;
    job.items[0] = (Item){4, 4, 0};
    job_fetch(&job);
    job_transform(&job, &sc);
    CHECK(job.err[0] == 0, "a good sample reports '%s'", job.err);
    scratch_free(&sc);
    job_free(&job);
    source_free(&src);
    dataset_close(&ds);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 1);
    rank = th_rank;
    world = th_world;
    if (rank == 0) {
        snprintf(dir, sizeof dir, "/tmp/test_loader_jpeg.XXXXXX");
        if (!mkdtemp(dir)) { perror("mkdtemp"); MPI_Abort(MPI_COMM_WORLD, 1); }
        snprintf(good_path, sizeof good_path, "%s/good.h5", dir);
        snprintf(bad_path, sizeof bad_path, "%s/bad.h5", dir);
        write_jpegs(good_path, 0);
        write_jpegs(bad_path, 1);
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(good_path, sizeof good_path, MPI_CHAR, 0, MPI_COMM_WORLD);
    MPI_Bcast(bad_path, sizeof bad_path, MPI_CHAR, 0, MPI_COMM_WORLD);
    TEST_CASE(test_eval_and_train);
    TEST_CASE(test_corrupt_sample);
    MPI_Barrier(MPI_COMM_WORLD);
    if (rank == 0) { unlink(good_path); unlink(bad_path); rmdir(dir); }
    return th_end();
}
