// jpeg_region.h — decode only the part of a JPEG a crop needs (libjpeg-turbo's libjpeg API:
// jpeg_skip_scanlines above the region, jpeg_crop_scanline for its columns, stop after its last row), at the
// same reduced DCT scale image_decode would pick.  The loader's fast path for RandomResizedCrop and
// CenterCrop on ImageNet-sized JPEGs; image_decode (the whole image) is its reference: the pixels of the
// region are the ones a full decode gives (tests/unit/test_jpeg_region.c).
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "data/image_codec.h"

typedef struct {
    Image img;            // the decoded region, channels 1 or 3
    int x, y;             // its top-left corner in the scaled full image
    int full_w, full_h;   // the scaled full image's size
    double scale;         // scaled / original (num / denom)
} JpegRegion;

// box: [x0, x0+bw) x [y0, y0+bh) in original pixels; the region decoded covers it plus `margin` scaled pixels
// on each side (clamped to the image), so that a resampler reading around the box edges sees real pixels.
// min_side: as image_decode (0 = full scale).  Returns 0, or -1 with a reason in err.  *warned as image_decode.
int jpeg_decode_region(const uint8_t* bytes, size_t n, int channels, int min_side, double x0, double y0, double bw,
                       double bh, int margin, JpegRegion* out, int* warned, char* err, size_t errcap);
