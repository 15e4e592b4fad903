// augment.h — image transforms on uint8 HWC pixels, fused with normalisation into float HWC output.
// Random choices are drawn by the caller from Rng(seed, RNG_AUGMENT, pass, sample) and passed in, so the
// transforms themselves are deterministic and testable on known images.
#pragma once
#include <stdint.h>

#include "common/rng.h"

// Normalisation table: lut[ch·256 + v] = (v/255 - mean[ch]) / std[ch].
void aug_make_lut(const float* mean, const float* std, int channels, float* lut /* [channels·256] */);

// 32px-style crop with zero padding + horizontal flip (torchvision RandomCrop(padding) then RandomHorizontalFlip):
//   out(y, x) = padded(y + dy, x' + dx), x' = flip ? w-1-x : x, padded = the image with `pad` zero pixels around,
//   dy, dx in [0, 2·pad].  Output has the input's size.  dy = dx = pad, flip = 0 is the identity.
void aug_crop_flip(const uint8_t* src, int h, int w, int c, int pad, int dy, int dx, int flip, const float* lut,
                   float* dst);
void aug_draw_crop_flip(Rng* rng, int pad, int* dy, int* dx, int* flip);

// A source rectangle in pixels (integer corners, as torchvision's crops).
typedef struct { int x, y, w, h; } CropBox;

// RandomResizedCrop's box (scale (0.08, 1), ratio (3/4, 4/3), 10 tries then a centre-crop fallback).
CropBox aug_draw_rrc_box(Rng* rng, int h, int w, float scale_lo, float scale_hi, float ratio_lo, float ratio_hi);
// Eval: resize the shorter side to out·resize_ratio (ImageNet: 256/224), centre-crop out_h × out_w; as a box in
// source pixels.  resize_ratio = 1 crops the largest centred region with the output's aspect ratio.
CropBox aug_center_box(int h, int w, int out_h, int out_w, float resize_ratio);

// Bilinear resampling of `box` of src (h × w × c) to out_h × out_w (pixel centres aligned, edges clamped),
// optionally flipped horizontally, normalised through lut.  A box equal to the image with out = in is exact.
void aug_resample(const uint8_t* src, int h, int w, int c, CropBox box, int out_h, int out_w, int flip,
                  const float* lut, float* dst);

// Only normalisation (uint8 HWC → float HWC).
void aug_normalize(const uint8_t* src, int64_t pixels, int c, const float* lut, float* dst);
