// model_resnet.c — torchvision ResNet-18 (BasicBlock, [2,2,2,2]) with a CIFAR or ImageNet stem.
#include <stdio.h>

#include "nn/model_impl.h"

// BasicBlock: conv1 3x3 (stride) bn1 relu conv2 3x3 bn2, + shortcut (identity, or downsample = 1x1 conv + bn).
static int basic_block(Model* m, const char* name, int x, int in_ch, int out_ch, int stride) {
    char buf[96];
    snprintf(buf, sizeof buf, "%s.conv1", name);
    int h = nb_conv(m, buf, x, out_ch, 3, stride, 1, 0);
    snprintf(buf, sizeof buf, "%s.bn1", name);
    h = nb_relu(m, nb_bn(m, buf, h));
    snprintf(buf, sizeof buf, "%s.conv2", name);
    h = nb_conv(m, buf, h, out_ch, 3, 1, 1, 0);
    snprintf(buf, sizeof buf, "%s.bn2", name);
    h = nb_bn(m, buf, h);
    int shortcut = x;
    if (stride != 1 || in_ch != out_ch) {
        snprintf(buf, sizeof buf, "%s.downsample.0", name);
        shortcut = nb_conv(m, buf, x, out_ch, 1, stride, 0, 0);
        snprintf(buf, sizeof buf, "%s.downsample.1", name);
        shortcut = nb_bn(m, buf, shortcut);
    }
    return nb_relu(m, nb_add(m, h, shortcut));
}

void build_resnet18(Model* m) {
    const ModelConfig* c = &m->cfg;
    int w = c->width;
    int x = nb_input(m, c->in_h, c->in_w, c->in_c);
    if (c->imagenet_stem) {
        x = nb_conv(m, "conv1", x, w, 7, 2, 3, 0);
        x = nb_relu(m, nb_bn(m, "bn1", x));
        x = nb_maxpool(m, x, 3, 2, 1);
    } else {
        x = nb_conv(m, "conv1", x, w, 3, 1, 1, 0);
        x = nb_relu(m, nb_bn(m, "bn1", x));
    }
    int in_ch = w;
    for (int stage = 0; stage < 4; stage++) {
        int out_ch = w << stage;
        for (int b = 0; b < 2; b++) {
            char name[32];
            snprintf(name, sizeof name, "layer%d.%d", stage + 1, b);
            x = basic_block(m, name, x, in_ch, out_ch, (stage > 0 && b == 0) ? 2 : 1);
            in_ch = out_ch;
        }
    }
    int features = nb_gap(m, x);
    int logits = nb_linear(m, "fc", features, c->num_classes);
    nb_finish(m, logits, features);
}
