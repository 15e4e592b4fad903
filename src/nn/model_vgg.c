// model_vgg.c — VGG-16 with BatchNorm, CIFAR variant: torchvision's "features" (configuration D, conv with
// bias + BN + ReLU, max-pool 2x2) with channels scaled by width/64, then a global average pool and a single
// linear layer named "classifier" (torchvision's ImageNet head of three linear layers is not used: on 32x32
// input the features are 1x1x512 and the CIFAR recipes use one linear layer).
#include <stdio.h>

#include "common/util.h"
#include "nn/model_impl.h"

void build_vgg16_bn(Model* m) {
    static const int CFG[] = {64, 64, -1, 128, 128, -1, 256, 256, 256, -1, 512, 512, 512, -1, 512, 512, 512, -1};
    const ModelConfig* c = &m->cfg;
    int x = nb_input(m, c->in_h, c->in_w, c->in_c);
    int index = 0;   // position in torchvision's nn.Sequential: conv, bn, relu (3 entries) or pool (1)
    for (size_t i = 0; i < sizeof CFG / sizeof CFG[0]; i++) {
        if (CFG[i] < 0) {
            x = nb_maxpool(m, x, 2, 2, 0);
            index += 1;
            continue;
        }
        int ch = CFG[i] * c->width / 64;
        UG_CHECK(ch >= 1, "vgg16_bn: width %d too small", c->width);
        char name[32];
        snprintf(name, sizeof name, "features.%d", index);
        x = nb_conv(m, name, x, ch, 3, 1, 1, 1);
        snprintf(name, sizeof name, "features.%d", index + 1);
        x = nb_relu(m, nb_bn(m, name, x));
        index += 3;
    }
    int features = nb_gap(m, x);
    int logits = nb_linear(m, "classifier", features, c->num_classes);
    nb_finish(m, logits, features);
}
