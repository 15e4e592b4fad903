// jpeg_region.c — partial JPEG decode for crops (see jpeg_region.h).
#include "data/jpeg_region.h"

#include <stdio.h>   // before jpeglib.h, which uses FILE

#include <jpeglib.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} ErrorMgr;

static void on_error(j_common_ptr cinfo) {
    ErrorMgr* e = (ErrorMgr*)cinfo->err;
    (*cinfo->err->format_message)(cinfo, e->msg);
    longjmp(e->jump, 1);
}

static void on_message(j_common_ptr cinfo, int level) {
    if (level < 0) cinfo->err->num_warnings++;   // corrupt-data warnings: counted (image_decode's *warned), not printed
}

int jpeg_decode_region(const uint8_t* bytes, size_t n, int channels, int min_side, double x0, double y0, double bw,
                       double bh, int margin, JpegRegion* out, int* warned, char* err, size_t errcap) {
    memset(out, 0, sizeof *out);
    *warned = 0;
    if (channels != 1 && channels != 3) { snprintf(err, errcap, "%d channels requested; 1 or 3 are supported", channels); return -1; }
    struct jpeg_decompress_struct cinfo;
    ErrorMgr em;
    cinfo.err = jpeg_std_error(&em.pub);
    em.pub.error_exit = on_error;
    em.pub.emit_message = on_message;
    uint8_t* volatile buf = NULL;
    uint8_t* volatile row = NULL;
    if (setjmp(em.jump)) {
        snprintf(err, errcap, "JPEG decode failed: %s", em.msg);
        jpeg_destroy_decompress(&cinfo);
        free(buf);
        free(row);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, bytes, (unsigned long)n);
    jpeg_read_header(&cinfo, TRUE);
    int w = (int)cinfo.image_width, h = (int)cinfo.image_height;
    if (w <= 0 || h <= 0 || (int64_t)w * h > (int64_t)1 << 28) {
        snprintf(err, errcap, "JPEG has an unsupported size %dx%d", w, h);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    int num = 1, denom = 1;
    image_pick_scale(w, h, min_side, &num, &denom);
    cinfo.scale_num = (unsigned)num;
    cinfo.scale_denom = (unsigned)denom;
    cinfo.dct_method = JDCT_ISLOW;   // as image_decode (TJFLAG_ACCURATEDCT) and PIL
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    int sw = (int)cinfo.output_width, sh = (int)cinfo.output_height, comps = cinfo.output_components;
    double s = (double)num / denom;
    int rx0 = (int)floor(x0 * s) - margin, ry0 = (int)floor(y0 * s) - margin;
    int rx1 = (int)ceil((x0 + bw) * s) + margin, ry1 = (int)ceil((y0 + bh) * s) + margin;
    if (rx0 < 0) rx0 = 0;
    if (ry0 < 0) ry0 = 0;
    if (rx1 > sw) rx1 = sw;
    if (ry1 > sh) ry1 = sh;
    if (rx1 <= rx0) rx1 = rx0 + 1 <= sw ? rx0 + 1 : sw, rx0 = rx1 - 1;
    if (ry1 <= ry0) ry1 = ry0 + 1 <= sh ? ry0 + 1 : sh, ry0 = ry1 - 1;
    // The chroma upsampling of a cropped decode's first and last columns replicates the edge instead of
    // reading the neighbour, so they differ from a full decode: decode 16 more columns on each side (at least
    // one iMCU at any scale; jpeg_crop_scanline moves the left edge down to an iMCU boundary) and keep
    // exactly [rx0, rx1).
    int want_x0 = rx0 - 16 > 0 ? rx0 - 16 : 0, want_x1 = rx1 + 16 < sw ? rx1 + 16 : sw;
    JDIMENSION xoff = (JDIMENSION)want_x0, cw = (JDIMENSION)(want_x1 - want_x0);
    if (xoff > 0 || (int)cw < sw) jpeg_crop_scanline(&cinfo, &xoff, &cw);
    int skip = rx0 - (int)xoff, keep = rx1 - rx0;   // columns kept: [rx0, rx1) of the decoded [xoff, xoff+cw)
    if (ry0 > 0) jpeg_skip_scanlines(&cinfo, (JDIMENSION)ry0);
    int rh = ry1 - ry0;
    buf = ug_malloc((size_t)keep * rh * channels);
    row = ug_malloc((size_t)cw * comps);
    for (int r = 0; r < rh; r++) {
        JSAMPROW rows[1] = {row};
        if (jpeg_read_scanlines(&cinfo, rows, 1) != 1) {
            snprintf(err, errcap, "JPEG decode failed: no scanline %d", ry0 + r);
            jpeg_destroy_decompress(&cinfo);
            free(buf);
            free(row);
            return -1;
        }
        uint8_t* d = buf + (size_t)r * keep * channels;
        if (!cmyk) {
            memcpy(d, row + (size_t)skip * channels, (size_t)keep * channels);
        } else {   // Adobe CMYK stores inverted inks: R = C'K'/255 (as image_decode and PIL)
            for (int p = 0; p < keep; p++) {
                const uint8_t* q = row + 4 * (p + skip);
                int cr = (q[0] * q[3] + 127) / 255, cg = (q[1] * q[3] + 127) / 255, cb = (q[2] * q[3] + 127) / 255;
                if (channels == 1) d[p] = (uint8_t)((299 * cr + 587 * cg + 114 * cb + 500) / 1000);
                else { d[3 * p] = (uint8_t)cr; d[3 * p + 1] = (uint8_t)cg; d[3 * p + 2] = (uint8_t)cb; }
            }
        }
    }
    *warned = em.pub.num_warnings > 0;
    jpeg_abort_decompress(&cinfo);   // the rows below the region are not needed
    jpeg_destroy_decompress(&cinfo);
    free(row);
    out->img.h = rh;
    out->img.w = keep;
    out->img.c = channels;
    out->img.data = buf;
    out->x = rx0;
    out->y = ry0;
    out->full_w = sw;
    out->full_h = sh;
    out->scale = s;
    return 0;
}
