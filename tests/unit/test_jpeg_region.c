// test_jpeg_region.c — the loader's partial JPEG decode against its reference, the full decode
// (image_decode): for RGB 4:2:0 and 4:4:4, greyscale and CMYK JPEGs, odd sizes, boxes anywhere (edges,
// corners, tiny, whole) and every reduced scale, the region's pixels equal the full decode's.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "common/rng.h"
#include "data/image_codec.h"
#include "data/jpeg_region.h"
#include "harness.h"

static uint8_t* encode(ImageCodec* codec, int h, int w, int kind, int quality, size_t* n) {
    int c = kind == 1 ? 1 : kind == 2 ? 4 : 3;
    uint8_t* px = malloc((size_t)h * w * c);
    Rng rng;
    rng_init(&rng, 9, RNG_MISC, (uint64_t)kind, (uint64_t)h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int ch = 0; ch < c; ch++)
                px[((size_t)y * w + x) * c + ch] = (uint8_t)((x * (ch + 1) * 3 + y * 5 + (int)rng_below(&rng, 60)) & 255);
    uint8_t* out = NULL;
    if (kind == 2) {
        tjhandle tj = tjInitCompress();
        unsigned long size = 0;
        unsigned char* jpg = NULL;
        CHECK(tj && tjCompress2(tj, px, w, 0, h, TJPF_CMYK, &jpg, &size, TJSAMP_420, quality, 0) == 0, "CMYK encode");
        out = malloc(size);
        memcpy(out, jpg, size);
        *n = size;
        tjFree(jpg);
        tjDestroy(tj);
    } else {
        char err[256];
        CHECK(image_encode_jpeg(codec, px, h, w, c, quality, &out, n, err, sizeof err) == 0, "encode: %s", err);
    }
    free(px);
    return out;
}

static void test_region_equals_full_decode(void) {
    ImageCodec* codec = image_codec_create();
    const int sizes[4][2] = {{375, 500}, {333, 211}, {64, 64}, {17, 250}};
    Rng rng;
    rng_init(&rng, 4, RNG_MISC, 0, 0);
    int compared = 0, worst = 0;
    for (int kind = 0; kind < 4; kind++)   // 0 RGB 4:2:0, 1 grey, 2 CMYK, 3 RGB 4:4:4
        for (int si = 0; si < 4; si++) {
            int H = sizes[si][0], W = sizes[si][1];
            size_t n = 0;
            uint8_t* jpg = encode(codec, H, W, kind, kind == 3 ? 96 : 88, &n);
            for (int channels = 1; channels <= 3; channels += 2)
                for (int trial = 0; trial < 12; trial++) {
                    int bw = 1 + (int)rng_below(&rng, (uint32_t)W), bh = 1 + (int)rng_below(&rng, (uint32_t)H);
                    if (trial == 0) { bw = W; bh = H; }
                    int bx = trial == 1 ? W - bw : (int)rng_below(&rng, (uint32_t)(W - bw + 1));
                    int by = trial == 1 ? H - bh : (int)rng_below(&rng, (uint32_t)(H - bh + 1));
                    int min_side = trial % 3 == 0 ? 0 : 1 + (int)rng_below(&rng, (uint32_t)(H < W ? H : W));
                    Image full;
                    JpegRegion r;
                    int warned = 0;
                    char err[256];
                    CHECK(image_decode(codec, jpg, n, channels, min_side, &full, &warned, err, sizeof err) == 0, "full: %s", err);
                    CHECK(jpeg_decode_region(jpg, n, channels, min_side, bx, by, bw, bh, 2, &r, &warned, err, sizeof err) == 0,
                          "region: %s", err);
                    CHECK(r.full_w == full.w && r.full_h == full.h, "scaled size %dx%d vs %dx%d", r.full_w, r.full_h, full.w, full.h);
                    // the region covers the box (plus the margin where the image has room)
                    double s = r.scale;
                    CHECK(r.x <= (int)(bx * s) && r.y <= (int)(by * s) && r.x + r.img.w >= (int)((bx + bw) * s) &&
                          r.y + r.img.h >= (int)((by + bh) * s), "region misses the box");
                    // compared: every pixel of the region (the box, the margin and the iMCU alignment)
                    int ya = r.y, yb = r.y + r.img.h, xa = r.x, xb = r.x + r.img.w;
                    int diff = 0;
                    for (int y = ya; y < yb; y++)
                        for (int x = xa * channels; x < xb * channels; x++) {
                            int a = r.img.data[((size_t)(y - r.y) * r.img.w - r.x) * channels + x];
                            int b = full.data[(size_t)y * full.w * channels + x];
                            if (abs(a - b) > diff) diff = abs(a - b);
                        }
                    if (diff > worst) worst = diff;
                    CHECK(diff == 0, "kind %d %dx%d ch %d box %d,%d %dx%d min_side %d: region differs by %d", kind, W, H,
                          channels, bx, by, bw, bh, min_side, diff);
                    compared++;
                    image_free(&full);
                    image_free(&r.img);
                }
            free(jpg);
        }
    printf("  %d regions compared with the full decode, largest difference %d\n", compared, worst);
    image_codec_destroy(codec);
}

static void test_bad_input(void) {
    JpegRegion r;
    int warned = 0;
    char err[256];
    const uint8_t junk[64] = {0xFF, 0xD8, 0xFF, 0x42};
    CHECK(jpeg_decode_region(junk, sizeof junk, 3, 0, 0, 0, 4, 4, 2, &r, &warned, err, sizeof err) == -1, "junk decoded");
    CHECK(strstr(err, "JPEG decode failed") != NULL, "message '%s'", err);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_region_equals_full_decode);
    TEST_CASE(test_bad_input);
    return th_end();
}
