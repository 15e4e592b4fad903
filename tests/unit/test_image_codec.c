// test_image_codec.c — JPEG/PNG decode (exact for PNG, close for JPEG q100), scaled JPEG decode, grey and CMYK
// conversion, bad input, and the resampler (identity, area shrink, bilinear enlarge, centre crop).
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "data/image_codec.h"
#include "harness.h"

static ImageCodec* codec;

static void fill_pattern(uint8_t* px, int h, int w, int c) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) px[(y * w + x) * c + k] = (uint8_t)((y * 37 + x * 11 + k * 80) & 0xff);
}

static void smooth_pattern(uint8_t* px, int h, int w, int c) {   // JPEG-friendly: slow gradients
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) px[(y * w + x) * c + k] = (uint8_t)(40 + 2 * x + 3 * y + 30 * k);
}

static int max_abs_diff(const uint8_t* a, const uint8_t* b, size_t n) {
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs((int)a[i] - (int)b[i]);
        if (d > m) m = d;
    }
    return m;
}

static void test_png_exact(void) {
    const int h = 9, w = 13;
    for (int c = 1; c <= 3; c += 2) {
        uint8_t px[9 * 13 * 3];
        fill_pattern(px, h, w, c);
        uint8_t* png = NULL;
        size_t n = 0;
        char err[256];
        CHECK(image_encode_png(px, h, w, c, &png, &n, err, sizeof err) == 0, "encode: %s", err);
        CHECK_EQ_INT(image_sniff(png, n), IMG_PNG);
        Image img;
        int warned = 0;
        CHECK(image_decode(codec, png, n, c, 0, &img, &warned, err, sizeof err) == 0, "decode: %s", err);
        CHECK_EQ_INT(img.h, h);
        CHECK_EQ_INT(img.w, w);
        CHECK_EQ_INT(img.c, c);
        CHECK_EQ_INT(max_abs_diff(img.data, px, (size_t)h * w * c), 0);
        image_free(&img);
        if (c == 1) {   // grey PNG read as RGB: replicated
            CHECK(image_decode(codec, png, n, 3, 0, &img, &warned, err, sizeof err) == 0, "decode: %s", err);
            int bad = 0;
            for (int p = 0; p < h * w; p++)
                for (int k = 0; k < 3; k++) bad += img.data[3 * p + k] != px[p];
            CHECK(bad == 0, "%d grey->RGB values differ", bad);
            image_free(&img);
        }
        free(png);
    }
}

static void test_jpeg_close(void) {
    const int h = 24, w = 40, c = 3;
    uint8_t px[24 * 40 * 3];
    smooth_pattern(px, h, w, c);
    uint8_t* jpg = NULL;
    size_t n = 0;
    char err[256];
    CHECK(image_encode_jpeg(codec, px, h, w, c, 100, &jpg, &n, err, sizeof err) == 0, "encode: %s", err);
    CHECK_EQ_INT(image_sniff(jpg, n), IMG_JPEG);
    Image img;
    int warned = 1;
    CHECK(image_decode(codec, jpg, n, 3, 0, &img, &warned, err, sizeof err) == 0, "decode: %s", err);
    CHECK_EQ_INT(warned, 0);
    CHECK_EQ_INT(img.h, h);
    CHECK_EQ_INT(img.w, w);
    int d = max_abs_diff(img.data, px, sizeof px);
    CHECK(d <= 3, "JPEG q100 max error %d > 3", d);
    image_free(&img);
    // as grey: close to the luma of the pattern
    CHECK(image_decode(codec, jpg, n, 1, 0, &img, &warned, err, sizeof err) == 0, "decode grey: %s", err);
    CHECK_EQ_INT(img.c, 1);
    int worst = 0;
    for (int p = 0; p < h * w; p++) {
        int luma = (299 * px[3 * p] + 587 * px[3 * p + 1] + 114 * px[3 * p + 2] + 500) / 1000;
        int e = abs(luma - img.data[p]);
        if (e > worst) worst = e;
    }
    CHECK(worst <= 3, "grey decode error %d", worst);
    image_free(&img);
    free(jpg);
}

static void test_jpeg_scaled_decode(void) {
    const int h = 48, w = 64, c = 3;
    uint8_t* px = malloc((size_t)h * w * c);
    smooth_pattern(px, h, w, c);
    uint8_t* jpg = NULL;
    size_t n = 0;
    char err[256];
    CHECK(image_encode_jpeg(codec, px, h, w, c, 95, &jpg, &n, err, sizeof err) == 0, "encode: %s", err);
    // turbojpeg scales in eighths: 3/8 of 48 = 18 is the smallest >= 13
    struct { int min_side, eh, ew; } cases[] = {{0, 48, 64}, {48, 48, 64}, {24, 24, 32}, {13, 18, 24}, {12, 12, 16}, {1, 6, 8}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        Image img;
        int warned = 0;
        CHECK(image_decode(codec, jpg, n, 3, cases[k].min_side, &img, &warned, err, sizeof err) == 0, "decode: %s", err);
        CHECK(img.h == cases[k].eh && img.w == cases[k].ew, "min_side %d: got %dx%d, expected %dx%d", cases[k].min_side,
              img.h, img.w, cases[k].eh, cases[k].ew);
        image_free(&img);
    }
    free(jpg);
    free(px);
}

static void test_grey_jpeg_and_cmyk(void) {
    char err[256];
    uint8_t grey[16 * 16];
    for (int i = 0; i < 256; i++) grey[i] = 120;
    uint8_t* jpg = NULL;
    size_t n = 0;
    CHECK(image_encode_jpeg(codec, grey, 16, 16, 1, 100, &jpg, &n, err, sizeof err) == 0, "encode: %s", err);
    Image img;
    int warned = 0;
    CHECK(image_decode(codec, jpg, n, 3, 0, &img, &warned, err, sizeof err) == 0, "decode: %s", err);
    CHECK_EQ_INT(img.c, 3);
    CHECK(abs(img.data[0] - 120) <= 1 && abs(img.data[1] - 120) <= 1 && abs(img.data[2] - 120) <= 1, "grey->RGB %d %d %d",
          img.data[0], img.data[1], img.data[2]);
    image_free(&img);
    free(jpg);

    // A CMYK JPEG (as Photoshop writes them: inverted ink) decodes to RGB = C'K'/255 per channel.
    tjhandle enc = tjInitCompress();
    uint8_t cmyk[16 * 16 * 4];
    for (int p = 0; p < 256; p++) { cmyk[4 * p] = 200; cmyk[4 * p + 1] = 100; cmyk[4 * p + 2] = 50; cmyk[4 * p + 3] = 255; }
    unsigned char* buf = NULL;
    unsigned long size = 0;
    CHECK(tjCompress2(enc, cmyk, 16, 0, 16, TJPF_CMYK, &buf, &size, TJSAMP_444, 100, 0) == 0, "CMYK encode failed");
    CHECK(image_decode(codec, buf, size, 3, 0, &img, &warned, err, sizeof err) == 0, "CMYK decode: %s", err);
    if (img.data) {
        CHECK(abs(img.data[0] - 200) <= 2 && abs(img.data[1] - 100) <= 2 && abs(img.data[2] - 50) <= 2,
              "CMYK->RGB gave %d %d %d", img.data[0], img.data[1], img.data[2]);
        image_free(&img);
    }
    tjFree(buf);
    tjDestroy(enc);
}

static void test_bad_input(void) {
    char err[256];
    Image img;
    int warned = 0;
    const uint8_t text[] = "hello, this is not an image";
    CHECK(image_decode(codec, text, sizeof text, 3, 0, &img, &warned, err, sizeof err) == -1, "text decoded");
    CHECK(strstr(err, "not a JPEG or PNG") != NULL, "err = '%s'", err);
    CHECK(img.data == NULL, "no pixels on failure");
    const uint8_t fake_jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(image_decode(codec, fake_jpeg, sizeof fake_jpeg, 3, 0, &img, &warned, err, sizeof err) == -1, "fake JPEG decoded");
    const uint8_t fake_png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
    CHECK(image_decode(codec, fake_png, sizeof fake_png, 3, 0, &img, &warned, err, sizeof err) == -1, "fake PNG decoded");
    CHECK(strstr(err, "PNG") != NULL, "err = '%s'", err);
    CHECK(image_decode(codec, text, 0, 3, 0, &img, &warned, err, sizeof err) == -1, "empty decoded");
    uint8_t px[8 * 8 * 3];
    smooth_pattern(px, 8, 8, 3);
    uint8_t* jpg = NULL;
    size_t n = 0;
    image_encode_jpeg(codec, px, 8, 8, 3, 90, &jpg, &n, err, sizeof err);
    CHECK(image_decode(codec, jpg, n, 2, 0, &img, &warned, err, sizeof err) == -1, "2 channels accepted");
    // a truncated JPEG is either rejected or decoded with a warning, never silently accepted
    int rc = image_decode(codec, jpg, n / 2, 3, 0, &img, &warned, err, sizeof err);
    CHECK(rc == -1 || warned == 1, "truncated JPEG: rc %d warned %d", rc, warned);
    if (rc == 0) image_free(&img);
    free(jpg);
}

static void test_resample(void) {
    // identity
    const int h = 6, w = 10, c = 3;
    uint8_t px[6 * 10 * 3], out[12 * 20 * 3];
    fill_pattern(px, h, w, c);
    Image src = {h, w, c, px};
    image_resample(&src, 0, 0, w, h, out, h, w);
    CHECK_EQ_INT(max_abs_diff(out, px, sizeof px), 0);
    // area shrink by 2: exact 2x2 means (rounded half up)
    image_resample(&src, 0, 0, w, h, out, h / 2, w / 2);
    int bad = 0;
    for (int y = 0; y < h / 2; y++)
        for (int x = 0; x < w / 2; x++)
            for (int k = 0; k < c; k++) {
                int s = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) s += px[((2 * y + dy) * w + 2 * x + dx) * c + k];
                int expect = (s * 10 / 4 + 5) / 10;
                bad += abs(out[(y * (w / 2) + x) * c + k] - expect) > 0;
            }
    CHECK(bad == 0, "%d area-shrink values differ", bad);
    // bilinear enlarge of a 1x2 row [0, 100] to 1x4: half-pixel centres give 0, 25, 75, 100
    uint8_t row[2] = {0, 100};
    Image r = {1, 2, 1, row};
    image_resample(&r, 0, 0, 2, 1, out, 1, 4);
    CHECK(out[0] == 0 && out[1] == 25 && out[2] == 75 && out[3] == 100, "bilinear gave %d %d %d %d", out[0], out[1], out[2], out[3]);
    // a constant image stays constant at any scale
    uint8_t flat[5 * 7];
    memset(flat, 77, sizeof flat);
    Image f = {5, 7, 1, flat};
    image_resample(&f, 0, 0, 7, 5, out, 11, 3);
    bad = 0;
    for (int i = 0; i < 33; i++) bad += out[i] != 77;
    CHECK(bad == 0, "constant image changed in %d places", bad);
    // shrink by a fractional factor keeps the mean of a ramp
    uint8_t ramp[1 * 9];
    for (int i = 0; i < 9; i++) ramp[i] = (uint8_t)(i * 10);
    Image rp = {1, 9, 1, ramp};
    image_resample(&rp, 0, 0, 9, 1, out, 1, 6);
    int sum = 0;
    for (int i = 0; i < 6; i++) sum += out[i];
    CHECK(abs(sum * 9 - 360 * 6) <= 6 * 9, "fractional shrink mean %d/6 vs 40", sum);
    CHECK(out[0] < out[5], "ramp order kept");
}

static void test_center_crop(void) {
    // wide 4x8: size 4 -> columns 2..5 exactly; tall 8x4 -> rows 2..5
    uint8_t px[4 * 8], out[16];
    for (int i = 0; i < 32; i++) px[i] = (uint8_t)(i * 3);
    Image wide = {4, 8, 1, px};
    image_resize_center_crop(&wide, 4, out);
    int bad = 0;
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) bad += out[y * 4 + x] != px[y * 8 + x + 2];
    CHECK(bad == 0, "wide centre crop: %d differ", bad);
    Image tall = {8, 4, 1, px};
    image_resize_center_crop(&tall, 4, out);
    bad = 0;
    for (int y = 0; y < 4; y++)
        for (int x = 0; x < 4; x++) bad += out[y * 4 + x] != px[(y + 2) * 4 + x];
    CHECK(bad == 0, "tall centre crop: %d differ", bad);
    // 4x8 -> size 2: shorter side halved, centre 2x2 of the 2x4 result = 2x2 means of columns 2..5
    image_resize_center_crop(&wide, 2, out);
    int expect = (px[2] + px[3] + px[10] + px[11] + 2) / 4;
    CHECK(abs(out[0] - expect) <= 1, "shrink+crop %d vs %d", out[0], expect);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    codec = image_codec_create();
    TEST_CASE(test_png_exact);
    TEST_CASE(test_jpeg_close);
    TEST_CASE(test_jpeg_scaled_decode);
    TEST_CASE(test_grey_jpeg_and_cmyk);
    TEST_CASE(test_bad_input);
    TEST_CASE(test_resample);
    TEST_CASE(test_center_crop);
    image_codec_destroy(codec);
    return th_end();
}
