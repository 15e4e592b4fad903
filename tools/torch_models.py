"""PyTorch twins of ugradsl's networks, with torchvision's module names (so state_dicts map 1:1).

torchvision itself is not needed: ResNet-18 (BasicBlock) and VGG-16-BN are written out here with the same
attribute names and layouts as torchvision.models.resnet18 / vgg16_bn.  Shared by tools/golden_torch.py,
tools/ckpt_to_torch.py, tools/torch_to_ckpt.py and tools/bench_train_torch.py.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class ResNet18(nn.Module):
    def __init__(self, num_classes=10, width=64, in_channels=3, imagenet_stem=False):
        super().__init__()
        if imagenet_stem:
            self.conv1 = nn.Conv2d(in_channels, width, 7, 2, 3, bias=False)
            self.maxpool = nn.MaxPool2d(3, 2, 1)
        else:
            self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        chans, inplanes = [width, 2 * width, 4 * width, 8 * width], width
        for i, c in enumerate(chans):
            stride = 1 if i == 0 else 2
            setattr(self, "layer%d" % (i + 1), nn.Sequential(BasicBlock(inplanes, c, stride), BasicBlock(c, c, 1)))
            inplanes = c
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(8 * width, num_classes)
        for m in self.modules():   # torchvision's init
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def features(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.flatten(self.avgpool(x), 1)

    def forward(self, x):
        return self.fc(self.features(x))


class VGG16BN(nn.Module):
    """torchvision vgg16_bn features; CIFAR head: global average pool + ONE linear layer 'classifier'."""
    CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]

    def __init__(self, num_classes=10, width=64, in_channels=3):
        super().__init__()
        layers, c_in = [], in_channels
        for v in self.CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                c = v * width // 64
                layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU(inplace=True)]
                c_in = c
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Linear(c_in, num_classes)

    def forward(self, x):
        return self.classifier(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


class SmallCNN(nn.Module):
    def __init__(self, num_classes=10, width=16, in_channels=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, width, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, 2 * width, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(2 * width)
        self.conv3 = nn.Conv2d(2 * width, 4 * width, 3, 1, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(4 * width)
        self.fc = nn.Linear(4 * width, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.bn3(self.conv3(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def build(arch, num_classes, width, in_channels=3, imagenet_stem=False):
    if arch == "resnet18":
        return ResNet18(num_classes, width, in_channels, imagenet_stem)
    if arch == "vgg16_bn":
        return VGG16BN(num_classes, width, in_channels)
    if arch == "small_cnn":
        return SmallCNN(num_classes, width, in_channels)
    raise SystemExit("unknown architecture '%s' (resnet18, vgg16_bn, small_cnn)" % arch)


def gls_loss(logits, labels, alpha, weight):
    """(1/N)·Σ_i w_i·[(1-α_i)·CE(z_i, y_i) + α_i·mean_k CE(z_i, k)]: ugradsl's gls_xent with scale 1/N."""
    logp = F.log_softmax(logits, dim=1)
    K = logits.shape[1]
    target = (1 - alpha)[:, None] * F.one_hot(labels, K).to(logits.dtype) + alpha[:, None] / K
    per_sample = -(target * logp).sum(1)
    return (weight * per_sample).sum() / logits.shape[0], per_sample
