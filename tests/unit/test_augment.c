// Augmentation on known images: crop with padding and flip move pixels where they must, resampling is exact
// for the identity box and linear on a gradient, RandomResizedCrop boxes stay inside the image and within the
// scale/ratio ranges, and random draws are deterministic.
#include <math.h>
#include <stdint.h>

#include "common/util.h"
#include "data/augment.h"
#include "harness.h"

#define H 8
#define W 6
#define C 3
static uint8_t img[H * W * C];
static float lut[C * 256];

// pixel(y, x, ch) = 40·y + 5·x + ch: distinct and easy to invert
static void setup(void) {
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int ch = 0; ch < C; ch++) img[(y * W + x) * C + ch] = (uint8_t)(30 * y + 5 * x + ch);
    float mean[3] = {0.5f, 0.25f, 0.1f}, std[3] = {0.5f, 0.2f, 0.3f};
    aug_make_lut(mean, std, C, lut);
}

static float norm(int v, int ch) {
    float mean[3] = {0.5f, 0.25f, 0.1f}, std[3] = {0.5f, 0.2f, 0.3f};
    return ((float)v / 255.0f - mean[ch]) / std[ch];
}

static void test_lut(void) {
    setup();
    for (int ch = 0; ch < C; ch++)
        for (int v = 0; v < 256; v += 17) CHECK_CLOSE(lut[ch * 256 + v], norm(v, ch), 1e-5);
    float out[H * W * C];
    aug_normalize(img, H * W, C, lut, out);
    for (int k = 0; k < H * W * C; k++) CHECK_CLOSE(out[k], norm(img[k], k % C), 1e-5);
}

static void test_crop_flip(void) {
    setup();
    int pad = 4;
    float out[H * W * C];
    for (int dy = 0; dy <= 2 * pad; dy++)
        for (int dx = 0; dx <= 2 * pad; dx++)
            for (int flip = 0; flip < 2; flip++) {
                aug_crop_flip(img, H, W, C, pad, dy, dx, flip, lut, out);
                int bad = 0;
                for (int y = 0; y < H; y++)
                    for (int x = 0; x < W; x++)
                        for (int ch = 0; ch < C; ch++) {
                            int sy = y + dy - pad, sx = (flip ? W - 1 - x : x) + dx - pad;
                            int v = (sy >= 0 && sy < H && sx >= 0 && sx < W) ? 30 * sy + 5 * sx + ch : 0;
                            if (fabsf(out[(y * W + x) * C + ch] - norm(v, ch)) > 1e-5f) bad++;
                        }
                CHECK(bad == 0, "dy %d dx %d flip %d: %d wrong values", dy, dx, flip, bad);
            }
    // identity and pure flip, spelled out
    aug_crop_flip(img, H, W, C, pad, pad, pad, 0, lut, out);
    CHECK_CLOSE(out[(2 * W + 1) * C + 1], norm(30 * 2 + 5 * 1 + 1, 1), 1e-6);
    aug_crop_flip(img, H, W, C, pad, pad, pad, 1, lut, out);
    CHECK_CLOSE(out[(2 * W + 0) * C + 0], norm(30 * 2 + 5 * (W - 1), 0), 1e-6);
    // one channel
    uint8_t gray[H * W];
    for (int k = 0; k < H * W; k++) gray[k] = (uint8_t)k;
    float out1[H * W];
    aug_crop_flip(gray, H, W, 1, 2, 0, 3, 1, lut, out1);   // shift up 2 rows of padding, right 1, flipped
    CHECK_CLOSE(out1[0], norm(0, 0), 1e-6);                // row 0 is padding
    CHECK_CLOSE(out1[2 * W + 0], norm(0, 0), 1e-6);   // source column W: padding
    CHECK_CLOSE(out1[2 * W + 1], norm(0 * W + (W - 1), 0), 1e-6);
}

static void test_draws_deterministic(void) {
    Rng a, b;
    rng_init(&a, 5, RNG_AUGMENT, 1, 99);
    rng_init(&b, 5, RNG_AUGMENT, 1, 99);
    int hist[9] = {0}, flips = 0;
    for (int k = 0; k < 2000; k++) {
        int dy, dx, flip, dy2, dx2, flip2;
        aug_draw_crop_flip(&a, 4, &dy, &dx, &flip);
        aug_draw_crop_flip(&b, 4, &dy2, &dx2, &flip2);
        CHECK(dy == dy2 && dx == dx2 && flip == flip2, "draws differ");
        CHECK(dy >= 0 && dy <= 8 && dx >= 0 && dx <= 8, "offset out of range");
        hist[dy]++;
        flips += flip;
    }
    for (int k = 0; k < 9; k++) CHECK(hist[k] > 150, "offset %d drawn %d times of 2000", k, hist[k]);
    CHECK(flips > 900 && flips < 1100, "%d flips of 2000", flips);
}

static void test_resample(void) {
    setup();
    float out[H * W * C];
    CropBox whole = {0, 0, W, H};
    aug_resample(img, H, W, C, whole, H, W, 0, lut, out);
    for (int k = 0; k < H * W * C; k++) CHECK_CLOSE(out[k], norm(img[k], k % C), 1e-5);
    aug_resample(img, H, W, C, whole, H, W, 1, lut, out);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) CHECK_CLOSE(out[(y * W + x) * C], norm(img[(y * W + W - 1 - x) * C], 0), 1e-5);
    // a 2x upsample of the box x in [1,5), y in [2,6): interior samples are means of neighbours (linear image)
    CropBox box = {1, 2, 4, 4};
    float big[8 * 8 * C];
    aug_resample(img, H, W, C, box, 8, 8, 0, lut, big);
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) {
            double sy = 2 + (y + 0.5) * 0.5 - 0.5, sx = 1 + (x + 0.5) * 0.5 - 0.5;
            double v = 30 * sy + 5 * sx;   // channel 0 of the linear image
            CHECK_CLOSE(big[(y * 8 + x) * C], norm(0, 0) + v / (255.0 * 0.5), 1e-4);
        }
    // constant image stays constant under any box and size
    uint8_t flat[H * W * C];
    memset(flat, 77, sizeof flat);
    float small[3 * 5 * C];
    CropBox odd = {2, 1, 3, 7};
    aug_resample(flat, H, W, C, odd, 3, 5, 1, lut, small);
    for (int k = 0; k < 3 * 5 * C; k++) CHECK_CLOSE(small[k], norm(77, k % C), 1e-5);
}

static void test_boxes(void) {
    Rng rng;
    rng_init(&rng, 1, RNG_AUGMENT, 0, 0);
    int fallback_like = 0;
    for (int k = 0; k < 3000; k++) {
        int h = 100 + (int)rng_below(&rng, 400), w = 100 + (int)rng_below(&rng, 400);
        CropBox b = aug_draw_rrc_box(&rng, h, w, 0.08f, 1.0f, 3.0f / 4, 4.0f / 3);
        CHECK(b.x >= 0 && b.y >= 0 && b.w > 0 && b.h > 0 && b.x + b.w <= w && b.y + b.h <= h,
              "box %d,%d %dx%d outside %dx%d", b.x, b.y, b.w, b.h, w, h);
        double area = (double)b.w * b.h / ((double)w * h), ratio = (double)b.w / b.h;
        if (b.w == w || b.h == h) { fallback_like++; continue; }
        CHECK(area > 0.07 && area < 1.01, "area fraction %g", area);
        CHECK(ratio > 0.74 && ratio < 1.36, "ratio %g", ratio);
    }
    CHECK(fallback_like < 600, "%d of 3000 boxes span a whole side", fallback_like);
    // a very wide image makes every try fail: the fallback is centred with ratio 4/3
    CropBox f = aug_draw_rrc_box(&rng, 10, 1000, 0.9f, 1.0f, 3.0f / 4, 4.0f / 3);
    CHECK(f.h == 10 && f.w == 13 && f.x == (1000 - 13) / 2, "fallback box %d,%d %dx%d", f.x, f.y, f.w, f.h);
    // eval: 500x375 → shorter side 256, centre 224: box of 375·224/256 = 328 px
    CropBox c = aug_center_box(375, 500, 224, 224, 256.0f / 224);
    CHECK(c.w == 328 && c.h == 328 && c.x == 86 && c.y == 23, "centre box %d,%d %dx%d", c.x, c.y, c.w, c.h);
    CropBox same = aug_center_box(32, 32, 32, 32, 1.0f);
    CHECK(same.x == 0 && same.y == 0 && same.w == 32 && same.h == 32, "identity centre box");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_lut);
    TEST_CASE(test_crop_flip);
    TEST_CASE(test_draws_deterministic);
    TEST_CASE(test_resample);
    TEST_CASE(test_boxes);
    return th_end();
}
