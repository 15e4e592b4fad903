// augment.c — crop/flip/resample fused with normalisation (see augment.h).
#include "data/augment.h"

#include <math.h>
#include <stdlib.h>

#include "common/util.h"

void aug_make_lut(const float* mean, const float* std, int channels, float* lut) {
    for (int ch = 0; ch < channels; ch++) {
        float scale = 1.0f / (255.0f * std[ch]), shift = -mean[ch] / std[ch];
        for (int v = 0; v < 256; v++) lut[ch * 256 + v] = (float)v * scale + shift;
    }
}

void aug_normalize(const uint8_t* src, int64_t pixels, int c, const float* lut, float* dst) {
    if (c == 3) {
        for (int64_t p = 0; p < pixels; p++) {
            dst[3 * p + 0] = lut[src[3 * p + 0]];
            dst[3 * p + 1] = lut[256 + src[3 * p + 1]];
            dst[3 * p + 2] = lut[512 + src[3 * p + 2]];
        }
        return;
    }
    for (int64_t p = 0; p < pixels; p++)
        for (int ch = 0; ch < c; ch++) dst[p * c + ch] = lut[ch * 256 + src[p * c + ch]];
}

void aug_draw_crop_flip(Rng* rng, int pad, int* dy, int* dx, int* flip) {
    *dy = (int)rng_below(rng, (uint32_t)(2 * pad + 1));
    *dx = (int)rng_below(rng, (uint32_t)(2 * pad + 1));
    *flip = (int)rng_below(rng, 2);
}

void aug_crop_flip(const uint8_t* src, int h, int w, int c, int pad, int dy, int dx, int flip, const float* lut,
                   float* dst) {
    float zero[4];
    for (int ch = 0; ch < c && ch < 4; ch++) zero[ch] = lut[ch * 256];
    // source column of output x: sx = x + dx - pad (no flip) or w-1-x + dx - pad (flip); valid when 0 <= sx < w
    int shift = dx - pad;
    int x_lo, x_hi;   // output columns whose source column is inside the image: [x_lo, x_hi)
    if (!flip) { x_lo = shift < 0 ? -shift : 0; x_hi = shift > 0 ? w - shift : w; }
    else       { x_lo = shift > 0 ? shift : 0;  x_hi = shift < 0 ? w + shift : w; }
    for (int y = 0; y < h; y++) {
        int sy = y + dy - pad;
        float* out = dst + (int64_t)y * w * c;
        if (sy < 0 || sy >= h) {
            for (int x = 0; x < w; x++) for (int ch = 0; ch < c; ch++) out[x * c + ch] = zero[ch];
            continue;
        }
        const uint8_t* row = src + (int64_t)sy * w * c;
        for (int x = 0; x < x_lo; x++) for (int ch = 0; ch < c; ch++) out[x * c + ch] = zero[ch];
        for (int x = x_hi; x < w; x++) for (int ch = 0; ch < c; ch++) out[x * c + ch] = zero[ch];
        if (c == 3) {
            if (!flip) {
                const uint8_t* s = row + (int64_t)(x_lo + shift) * 3;
                for (int x = x_lo; x < x_hi; x++, s += 3) {
                    out[3 * x + 0] = lut[s[0]];
                    out[3 * x + 1] = lut[256 + s[1]];
                    out[3 * x + 2] = lut[512 + s[2]];
                }
            } else {
                const uint8_t* s = row + (int64_t)(w - 1 - x_lo + shift) * 3;
                for (int x = x_lo; x < x_hi; x++, s -= 3) {
                    out[3 * x + 0] = lut[s[0]];
                    out[3 * x + 1] = lut[256 + s[1]];
                    out[3 * x + 2] = lut[512 + s[2]];
                }
            }
        } else {
            for (int x = x_lo; x < x_hi; x++) {
                int sx = (flip ? w - 1 - x : x) + shift;
                for (int ch = 0; ch < c; ch++) out[x * c + ch] = lut[ch * 256 + row[(int64_t)sx * c + ch]];
            }
        }
    }
}

CropBox aug_draw_rrc_box(Rng* rng, int h, int w, float scale_lo, float scale_hi, float ratio_lo, float ratio_hi) {
    double area = (double)h * w, log_lo = log(ratio_lo), log_hi = log(ratio_hi);
    for (int attempt = 0; attempt < 10; attempt++) {
        double target = area * (scale_lo + (scale_hi - scale_lo) * rng_uniform_d(rng));
        double aspect = exp(log_lo + (log_hi - log_lo) * rng_uniform_d(rng));
        int cw = (int)lround(sqrt(target * aspect)), ch = (int)lround(sqrt(target / aspect));
        if (cw > 0 && cw <= w && ch > 0 && ch <= h) {
            CropBox b = {(int)rng_below(rng, (uint32_t)(w - cw + 1)), (int)rng_below(rng, (uint32_t)(h - ch + 1)), cw, ch};
            return b;
        }
    }
    // fallback: the whole image, trimmed to the allowed aspect range, centred
    double in_ratio = (double)w / h;
    int cw = w, ch = h;
    if (in_ratio < ratio_lo) ch = (int)lround(cw / ratio_lo);
    else if (in_ratio > ratio_hi) cw = (int)lround(ch * ratio_hi);
    if (cw < 1) cw = 1;
    if (ch < 1) ch = 1;
    CropBox b = {(w - cw) / 2, (h - ch) / 2, cw, ch};
    return b;
}

CropBox aug_center_box(int h, int w, int out_h, int out_w, float resize_ratio) {
    int short_side = h < w ? h : w, out_short = out_h < out_w ? out_h : out_w;
    double scale = (double)out_short * resize_ratio / short_side;   // source → resized
    int cw = (int)lround(out_w / scale), ch = (int)lround(out_h / scale);
    if (cw > w) cw = w;
    if (ch > h) ch = h;
    if (cw < 1) cw = 1;
    if (ch < 1) ch = 1;
    CropBox b = {(w - cw) / 2, (h - ch) / 2, cw, ch};
    return b;
}

// Bilinear weights for one axis: out coordinate i → source i0, i1 = i0+1 (clamped), weight of i1.
static void axis_weights(int box_start, int box_len, int src_len, int out_len, int* i0, int* i1, float* frac) {
    double step = (double)box_len / out_len;
    for (int i = 0; i < out_len; i++) {
        double s = box_start + (i + 0.5) * step - 0.5;
        if (s < 0) s = 0;
        if (s > src_len - 1) s = src_len - 1;
        int lo = (int)s;
        i0[i] = lo;
        i1[i] = lo + 1 < src_len ? lo + 1 : lo;
        frac[i] = (float)(s - lo);
    }
}

void aug_resample(const uint8_t* src, int h, int w, int c, CropBox box, int out_h, int out_w, int flip,
                  const float* lut, float* dst) {
    int* x0 = ug_malloc((size_t)out_w * sizeof *x0);
    int* x1 = ug_malloc((size_t)out_w * sizeof *x1);
    float* fx = ug_malloc((size_t)out_w * sizeof *fx);
    int* y0 = ug_malloc((size_t)out_h * sizeof *y0);
    int* y1 = ug_malloc((size_t)out_h * sizeof *y1);
    float* fy = ug_malloc((size_t)out_h * sizeof *fy);
    axis_weights(box.x, box.w, w, out_w, x0, x1, fx);
    axis_weights(box.y, box.h, h, out_h, y0, y1, fy);
    // Normalisation is affine, so interpolating normalised values equals normalising interpolated ones.
    for (int y = 0; y < out_h; y++) {
        const uint8_t* r0 = src + (int64_t)y0[y] * w * c;
        const uint8_t* r1 = src + (int64_t)y1[y] * w * c;
        float wy = fy[y];
        float* out = dst + (int64_t)y * out_w * c;
        for (int x = 0; x < out_w; x++) {
            int k = flip ? out_w - 1 - x : x;
            int a = x0[k] * c, b = x1[k] * c;
            float wx = fx[k];
            for (int ch = 0; ch < c; ch++) {
                const float* l = lut + ch * 256;
                float top = l[r0[a + ch]] + wx * (l[r0[b + ch]] - l[r0[a + ch]]);
                float bottom = l[r1[a + ch]] + wx * (l[r1[b + ch]] - l[r1[a + ch]]);
                out[x * c + ch] = top + wy * (bottom - top);
            }
        }
    }
    free(x0); free(x1); free(fx); free(y0); free(y1); free(fy);
}
