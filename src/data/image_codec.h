// image_codec.h — decode JPEG (libjpeg-turbo, with scaled decode) and PNG (libpng) from memory into uint8
// HWC pixels; resample a source rectangle to an output size (area averaging when shrinking, bilinear when
// enlarging); encode JPEG/PNG (for pack's PNG re-encoding and for tests).
//
// Used by pack and by the loader (JPEG-mode datasets).  Errors are returned, not fatal: the caller decides
// between dying with the file name and skipping (--skip-bad).  An ImageCodec holds the turbojpeg handles;
// use one per thread.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum { IMG_UNKNOWN = 0, IMG_JPEG = 1, IMG_PNG = 2 } ImageFormat;

typedef struct {
    int h, w, c;
    uint8_t* data;    // [h][w][c], malloc'd (free with image_free)
} Image;

typedef struct ImageCodec ImageCodec;
ImageCodec* image_codec_create(void);   // dies only when turbojpeg cannot be initialised
void image_codec_destroy(ImageCodec* codec);

ImageFormat image_sniff(const uint8_t* bytes, size_t n);   // by magic bytes, not by file name

// Decodes a JPEG or PNG held in memory.  channels: 1 (grey) or 3 (RGB; grey images are replicated,
// CMYK JPEGs converted, PNG alpha dropped).  min_side > 0 allows a JPEG to be decoded at a reduced scale
// (1/2, 1/4, 1/8, ...): the smallest whose shorter side is still >= min_side, so a later shrink loses
// nothing.  Returns 0 and fills *out, or -1 with a one-line reason in err.
// *warned is set to 1 when libjpeg reported a recoverable problem (e.g. extraneous bytes) but the image
// decoded; the image is still returned (such files are common in ImageNet; PIL accepts them too).
int image_decode(ImageCodec* codec, const uint8_t* bytes, size_t n, int channels, int min_side, Image* out,
                 int* warned, char* err, size_t errcap);
void image_free(Image* img);
// The scale num/denom image_decode uses for a w x h JPEG and min_side (1/1 when min_side <= 0).
void image_pick_scale(int w, int h, int min_side, int* num, int* denom);

// Resamples the source rectangle [x0, x0+rw) x [y0, y0+rh) (pixel units, may be fractional) of src to
// dst [dh][dw][c].  Per axis: area averaging when shrinking, bilinear (half-pixel centres, edge clamp)
// when enlarging.  Deterministic, no SIMD-dependent rounding.
void image_resample(const Image* src, double x0, double y0, double rw, double rh, uint8_t* dst, int dh, int dw);
// Resize so the shorter side is `size`, then centre-crop size x size (the eval transform), into dst.
// Implemented as one resample of the centred square of side min(h, w).
void image_resize_center_crop(const Image* src, int size, uint8_t* dst);

// Encoders.  Return 0 and a malloc'd buffer (*out, *n), or -1 with a reason in err.
int image_encode_jpeg(ImageCodec* codec, const uint8_t* pixels, int h, int w, int c, int quality, uint8_t** out,
                      size_t* n, char* err, size_t errcap);
int image_encode_png(const uint8_t* pixels, int h, int w, int c, uint8_t** out, size_t* n, char* err, size_t errcap);
