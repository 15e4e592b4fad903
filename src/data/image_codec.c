// image_codec.c — JPEG/PNG decode and encode, and the resampler (see image_codec.h).
#include "data/image_codec.h"

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

#include "common/util.h"

struct ImageCodec {
    tjhandle dec, enc;
};

ImageCodec* image_codec_create(void) {
    ImageCodec* c = ug_calloc(1, sizeof *c);
    c->dec = tjInitDecompress();
    if (!c->dec) ug_die("cannot initialise the turbojpeg decoder: %s", tjGetErrorStr2(NULL));
    return c;
}

void image_codec_destroy(ImageCodec* c) {
    if (!c) return;
    if (c->dec) tjDestroy(c->dec);
    if (c->enc) tjDestroy(c->enc);
    free(c);
}

ImageFormat image_sniff(const uint8_t* b, size_t n) {
    if (n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return IMG_JPEG;
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    if (n >= 8 && memcmp(b, png_magic, 8) == 0) return IMG_PNG;
    return IMG_UNKNOWN;
}

void image_free(Image* img) {
    free(img->data);
    img->data = NULL;
}

// Picks the smallest turbojpeg scale whose shorter side stays >= min_side (1/1 when none is smaller).
static tjscalingfactor pick_scale(int w, int h, int min_side) {
    tjscalingfactor best = {1, 1};
    if (min_side <= 0) return best;
    int nsf = 0;
    tjscalingfactor* sf = tjGetScalingFactors(&nsf);
    for (int k = 0; sf && k < nsf; k++) {
        if (sf[k].num > sf[k].denom) continue;
        int sw = TJSCALED(w, sf[k]), sh = TJSCALED(h, sf[k]);
        int shorter = sw < sh ? sw : sh;
        if (shorter >= min_side && (double)sf[k].num / sf[k].denom < (double)best.num / best.denom) best = sf[k];
    }
    return best;
}

void image_pick_scale(int w, int h, int min_side, int* num, int* denom) {
    tjscalingfactor sf = pick_scale(w, h, min_side);
    *num = sf.num;
    *denom = sf.denom;
}

static int decode_jpeg(ImageCodec* codec, const uint8_t* bytes, size_t n, int channels, int min_side, Image* out,
                       int* warned, char* err, size_t errcap) {
    int w = 0, h = 0, subsamp = 0, colorspace = 0;
    if (tjDecompressHeader3(codec->dec, bytes, (unsigned long)n, &w, &h, &subsamp, &colorspace) != 0) {
        snprintf(err, errcap, "not a readable JPEG: %s", tjGetErrorStr2(codec->dec));
        return -1;
    }
    if (w <= 0 || h <= 0 || (int64_t)w * h > (int64_t)1 << 28) {
        snprintf(err, errcap, "JPEG has an unsupported size %dx%d", w, h);
        return -1;
    }
    tjscalingfactor sf = pick_scale(w, h, min_side);
    int sw = TJSCALED(w, sf), sh = TJSCALED(h, sf);
    int cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
    int pf = cmyk ? TJPF_CMYK : channels == 1 ? TJPF_GRAY : TJPF_RGB;
    int decoded_c = cmyk ? 4 : channels;
    uint8_t* buf = ug_malloc((size_t)sw * sh * decoded_c);
    if (tjDecompress2(codec->dec, bytes, (unsigned long)n, buf, sw, 0, sh, pf, TJFLAG_ACCURATEDCT) != 0) {
        if (tjGetErrorCode(codec->dec) == TJERR_WARNING) {
            *warned = 1;
        } else {
            snprintf(err, errcap, "JPEG decode failed: %s", tjGetErrorStr2(codec->dec));
            free(buf);
            return -1;
        }
    }
    if (cmyk) {
        // Adobe CMYK JPEGs store inverted ink values: R = C'K'/255 (as PIL does for "CMYK;I").
        uint8_t* rgb = ug_malloc((size_t)sw * sh * channels);
        for (size_t p = 0; p < (size_t)sw * sh; p++) {
            const uint8_t* q = buf + 4 * p;
            int r = (q[0] * q[3] + 127) / 255, g = (q[1] * q[3] + 127) / 255, b = (q[2] * q[3] + 127) / 255;
            if (channels == 1) rgb[p] = (uint8_t)((299 * r + 587 * g + 114 * b + 500) / 1000);
            else { rgb[3 * p] = (uint8_t)r; rgb[3 * p + 1] = (uint8_t)g; rgb[3 * p + 2] = (uint8_t)b; }
        }
        free(buf);
        buf = rgb;
    }
    out->h = sh;
    out->w = sw;
    out->c = channels;
    out->data = buf;
    return 0;
}

static int decode_png(const uint8_t* bytes, size_t n, int channels, Image* out, char* err, size_t errcap) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, bytes, n)) {
        snprintf(err, errcap, "not a readable PNG: %s", img.message);
        png_image_free(&img);
        return -1;
    }
    if ((int64_t)img.width * img.height > (int64_t)1 << 28 || img.width == 0 || img.height == 0) {
        snprintf(err, errcap, "PNG has an unsupported size %ux%u", img.width, img.height);
        png_image_free(&img);
        return -1;
    }
    img.format = channels == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
    uint8_t* buf = ug_malloc(PNG_IMAGE_SIZE(img));
    png_color black = {0, 0, 0};   // alpha, if any, is composited onto black
    if (!png_image_finish_read(&img, &black, buf, 0, NULL)) {
        snprintf(err, errcap, "PNG decode failed: %s", img.message);
        png_image_free(&img);
        free(buf);
        return -1;
    }
    out->h = (int)img.height;
    out->w = (int)img.width;
    out->c = channels;
    out->data = buf;
    png_image_free(&img);
    return 0;
}

int image_decode(ImageCodec* codec, const uint8_t* bytes, size_t n, int channels, int min_side, Image* out,
                 int* warned, char* err, size_t errcap) {
    memset(out, 0, sizeof *out);
    *warned = 0;
    if (channels != 1 && channels != 3) {
        snprintf(err, errcap, "%d channels requested; 1 or 3 are supported", channels);
        return -1;
    }
    switch (image_sniff(bytes, n)) {
    case IMG_JPEG: return decode_jpeg(codec, bytes, n, channels, min_side, out, warned, err, errcap);
    case IMG_PNG: return decode_png(bytes, n, channels, out, err, errcap);
    default:
        snprintf(err, errcap, "not a JPEG or PNG image (%zu bytes, unknown signature)", n);
        return -1;
    }
}

// ---------------------------------------------------------------- resampling

// Weights of one axis: output i reads src[first[i] .. first[i]+count[i]) with weight[i*maxtaps + t].
typedef struct {
    int n, maxtaps;
    int* first;
    int* count;
    float* weight;
} AxisWeights;

static void axis_weights(AxisWeights* a, int src_len, double start, double len, int out_len) {
    double scale = len / out_len;
    a->n = out_len;
    a->maxtaps = scale > 1 ? (int)ceil(scale) + 2 : 2;
    a->first = ug_malloc((size_t)out_len * sizeof(int));
    a->count = ug_malloc((size_t)out_len * sizeof(int));
    a->weight = ug_calloc((size_t)out_len * a->maxtaps, sizeof(float));
    for (int i = 0; i < out_len; i++) {
        float* w = a->weight + (size_t)i * a->maxtaps;
        if (scale > 1) {   // area: the fraction of each source pixel that the output pixel covers
            double lo = start + i * scale, hi = lo + scale;
            if (lo < 0) lo = 0;
            if (hi > src_len) hi = src_len;
            int j0 = (int)floor(lo), j1 = (int)ceil(hi);
            if (j0 > src_len - 1) j0 = src_len - 1;
            if (j1 <= j0) j1 = j0 + 1;
            if (j1 - j0 > a->maxtaps) j1 = j0 + a->maxtaps;
            double total = 0;
            for (int j = j0; j < j1; j++) {
                double cover = fmin(hi, j + 1.0) - fmax(lo, (double)j);
                if (cover < 0) cover = 0;
                w[j - j0] = (float)cover;
                total += cover;
            }
            if (total <= 0) { w[0] = 1; total = 1; }
            for (int j = j0; j < j1; j++) w[j - j0] = (float)(w[j - j0] / total);
            a->first[i] = j0;
            a->count[i] = j1 - j0;
        } else {           // bilinear with half-pixel centres, clamped at the edges
            double u = start + (i + 0.5) * scale - 0.5;
            if (u < 0) u = 0;
            if (u > src_len - 1) u = src_len - 1;
            int j0 = (int)floor(u);
            double f = u - j0;
            if (j0 >= src_len - 1) { j0 = src_len - 1; f = 0; }
            a->first[i] = j0;
            a->count[i] = f > 0 ? 2 : 1;
            w[0] = (float)(1 - f);
            w[1] = (float)f;
        }
    }
}

static void axis_free(AxisWeights* a) {
    free(a->first);
    free(a->count);
    free(a->weight);
}

void image_resample(const Image* src, double x0, double y0, double rw, double rh, uint8_t* dst, int dh, int dw) {
    UG_CHECK(src->h > 0 && src->w > 0 && dh > 0 && dw > 0 && rw > 0 && rh > 0, "image_resample: bad sizes");
    const int c = src->c;
    AxisWeights ax, ay;
    axis_weights(&ax, src->w, x0, rw, dw);
    axis_weights(&ay, src->h, y0, rh, dh);
    // the source columns that any output column reads
    int cmin = src->w, cmax = 0;
    for (int i = 0; i < dw; i++) {
        if (ax.first[i] < cmin) cmin = ax.first[i];
        if (ax.first[i] + ax.count[i] > cmax) cmax = ax.first[i] + ax.count[i];
    }
    int ncols = cmax - cmin;
    float* col = ug_malloc((size_t)ncols * c * sizeof(float));
    for (int y = 0; y < dh; y++) {
        // vertical pass into one row of floats, then the horizontal pass
        for (int k = 0; k < ncols * c; k++) col[k] = 0;
        const float* wy = ay.weight + (size_t)y * ay.maxtaps;
        for (int t = 0; t < ay.count[y]; t++) {
            const uint8_t* row = src->data + ((size_t)(ay.first[y] + t) * src->w + cmin) * c;
            float wt = wy[t];
            for (int k = 0; k < ncols * c; k++) col[k] += wt * row[k];
        }
        uint8_t* out = dst + (size_t)y * dw * c;
        for (int x = 0; x < dw; x++) {
            const float* wx = ax.weight + (size_t)x * ax.maxtaps;
            const float* base = col + (size_t)(ax.first[x] - cmin) * c;
            if (c == 3) {   // the common case, three sums in one pass over the taps
                float v0 = 0, v1 = 0, v2 = 0;
                for (int t = 0; t < ax.count[x]; t++) {
                    v0 += wx[t] * base[3 * t];
                    v1 += wx[t] * base[3 * t + 1];
                    v2 += wx[t] * base[3 * t + 2];
                }
                int q0 = (int)(v0 + 0.5f), q1 = (int)(v1 + 0.5f), q2 = (int)(v2 + 0.5f);
                out[3 * x] = (uint8_t)(q0 < 0 ? 0 : q0 > 255 ? 255 : q0);
                out[3 * x + 1] = (uint8_t)(q1 < 0 ? 0 : q1 > 255 ? 255 : q1);
                out[3 * x + 2] = (uint8_t)(q2 < 0 ? 0 : q2 > 255 ? 255 : q2);
                continue;
            }
            for (int ch = 0; ch < c; ch++) {
                float v = 0;
                for (int t = 0; t < ax.count[x]; t++) v += wx[t] * base[t * c + ch];
                int q = (int)(v + 0.5f);
                out[x * c + ch] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
            }
        }
    }
    free(col);
    axis_free(&ax);
    axis_free(&ay);
}

void image_resize_center_crop(const Image* src, int size, uint8_t* dst) {
    double side = src->h < src->w ? src->h : src->w;
    image_resample(src, (src->w - side) / 2.0, (src->h - side) / 2.0, side, side, dst, size, size);
}

// ---------------------------------------------------------------- encoders

int image_encode_jpeg(ImageCodec* codec, const uint8_t* pixels, int h, int w, int c, int quality, uint8_t** out,
                      size_t* n, char* err, size_t errcap) {
    if (c != 1 && c != 3) {
        snprintf(err, errcap, "JPEG encode: %d channels (1 or 3 supported)", c);
        return -1;
    }
    if (!codec->enc) {
        codec->enc = tjInitCompress();
        if (!codec->enc) ug_die("cannot initialise the turbojpeg encoder: %s", tjGetErrorStr2(NULL));
    }
    unsigned char* jpeg = NULL;
    unsigned long size = 0;
    int subsamp = c == 1 ? TJSAMP_GRAY : quality >= 95 ? TJSAMP_444 : TJSAMP_420;
    if (tjCompress2(codec->enc, pixels, w, 0, h, c == 1 ? TJPF_GRAY : TJPF_RGB, &jpeg, &size, subsamp, quality,
                    TJFLAG_ACCURATEDCT) != 0) {
        snprintf(err, errcap, "JPEG encode failed: %s", tjGetErrorStr2(codec->enc));
        if (jpeg) tjFree(jpeg);
        return -1;
    }
    *out = ug_malloc(size);
    memcpy(*out, jpeg, size);
    tjFree(jpeg);
    *n = size;
    return 0;
}

int image_encode_png(const uint8_t* pixels, int h, int w, int c, uint8_t** out, size_t* n, char* err, size_t errcap) {
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = c == 1 ? PNG_FORMAT_GRAY : c == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_RGBA;
    png_alloc_size_t size = 0;
    if (!png_image_write_to_memory(&img, NULL, &size, 0, pixels, 0, NULL)) {
        snprintf(err, errcap, "PNG encode failed: %s", img.message);
        return -1;
    }
    *out = ug_malloc(size);
    if (!png_image_write_to_memory(&img, *out, &size, 0, pixels, 0, NULL)) {
        snprintf(err, errcap, "PNG encode failed: %s", img.message);
        free(*out);
        *out = NULL;
        return -1;
    }
    *n = size;
    return 0;
}
