// test_loader_config.c — what the commands ask the loader for a JPEG-mode (ImageNet) dataset: augmentation
// auto = RandomResizedCrop + flip, input size 224, worker threads per rank; decoded mode unchanged.
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/dataset.h"
#include "data/loader.h"
#include "harness.h"

static void test_jpeg_defaults(void) {
    DatasetInfo jpeg, cifar, digits;
    memset(&jpeg, 0, sizeof jpeg);
    jpeg.mode = DS_JPEG;
    jpeg.channels = 3;
    cifar = jpeg;
    cifar.mode = DS_DECODED;
    cifar.height = cifar.width = 32;
    digits = cifar;
    digits.height = digits.width = 8;
    digits.channels = 1;
    CHECK_EQ_INT(augment_pick("auto", &jpeg), AUG_RRC_FLIP);
    CHECK_EQ_INT(augment_pick(NULL, &cifar), AUG_CROP_FLIP);
    CHECK_EQ_INT(augment_pick("auto", &digits), AUG_NONE);
    CHECK_EQ_INT(augment_pick("crop-flip", &jpeg), AUG_CROP_FLIP);
    int h = 0, w = 0;
    loader_input_size(&jpeg, &h, &w);
    CHECK(h == 224 && w == 224, "JPEG input %dx%d", h, w);
    loader_input_size(&cifar, &h, &w);
    CHECK(h == 32 && w == 32, "decoded input %dx%d", h, w);
    unsetenv("UG_LOADER_WORKERS");
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK_EQ_INT(loader_auto_workers(&cifar, 1), 1);
    CHECK_EQ_INT(loader_auto_workers(&jpeg, 1), cores > 1 ? cores : 1);
    CHECK_EQ_INT(loader_auto_workers(&jpeg, 1000), 1);
    setenv("UG_LOADER_WORKERS", "5", 1);
    CHECK_EQ_INT(loader_auto_workers(&cifar, 1), 5);
    unsetenv("UG_LOADER_WORKERS");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_jpeg_defaults);
    return th_end();
}
