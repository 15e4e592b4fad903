// model_small_cnn.c — the digits default (8x8x1): three 3x3 conv + BN + ReLU stages, one 2x2 max-pool,
// global average pool, linear head.  Channels width, 2·width, 4·width.
#include "nn/model_impl.h"

void build_small_cnn(Model* m) {
    const ModelConfig* c = &m->cfg;
    int w = c->width;
    int x = nb_input(m, c->in_h, c->in_w, c->in_c);
    x = nb_relu(m, nb_bn(m, "bn1", nb_conv(m, "conv1", x, w, 3, 1, 1, 0)));
    x = nb_relu(m, nb_bn(m, "bn2", nb_conv(m, "conv2", x, 2 * w, 3, 1, 1, 0)));
    x = nb_maxpool(m, x, 2, 2, 0);
    x = nb_relu(m, nb_bn(m, "bn3", nb_conv(m, "conv3", x, 4 * w, 3, 1, 1, 0)));
    int features = nb_gap(m, x);
    int logits = nb_linear(m, "fc", features, c->num_classes);
    nb_finish(m, logits, features);
}
