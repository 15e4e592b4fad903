// fuzz_image — the JPEG and PNG decoders (data/image_codec.c) as pack and the loader call them: grey and RGB,
// full size and with a reduced JPEG scale, then the resize the loader applies.
#include "data/image_codec.h"
#include "fuzz_common.h"

static ImageCodec* codec;

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (!codec) codec = image_codec_create();
    if (size < 1) return 0;
    int channels = (data[0] & 1) ? 3 : 1;        // the first byte picks the call's options
    int min_side = (data[0] & 2) ? 16 : 0;
    Image img;
    int warned = 0;
    char err[256];
    FUZZ_RUN_OR_REJECT({
        (void)image_sniff(data + 1, size - 1);
        if (image_decode(codec, data + 1, size - 1, channels, min_side, &img, &warned, err, sizeof err) == 0) {
            uint8_t out[8 * 8 * 3];
            if (img.h > 0 && img.w > 0) image_resize_center_crop(&img, 8, out);
            image_free(&img);
        }
    });
    return 0;
}
