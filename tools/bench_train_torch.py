#!/usr/bin/python3
"""PyTorch twin of tests/bench/bench_train.c: training images/s of CIFAR ResNet-18 (3x3 stem, torchvision
module structure from tools/torch_models.py), random 32x32x3 data, SGD momentum 0.9 + weight decay 5e-4,
cross-entropy, train mode.  Same batch and thread count as the C side.
Usage: /usr/bin/python3 tools/bench_train_torch.py --width 64 --batch 128 --steps 5 --threads 2
Prints `bench: torch_train_r18w<W>_img_per_s <v> img/s`.
"""
import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import ResNet18  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--width", type=int, default=64)
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--steps", type=int, default=5)
ap.add_argument("--warmup", type=int, default=1)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--channels-last", action="store_true", help="NHWC memory format (the C engine's layout)")
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(1)
model = ResNet18(num_classes=10, width=a.width)
x = torch.randn(a.batch, 3, 32, 32)
y = torch.randint(0, 10, (a.batch,))
if a.channels_last:
    model = model.to(memory_format=torch.channels_last)
    x = x.to(memory_format=torch.channels_last)
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
loss_fn = torch.nn.CrossEntropyLoss()
model.train()


def step():
    opt.zero_grad(set_to_none=True)
    loss = loss_fn(model(x), y)
    loss.backward()
    opt.step()


for _ in range(a.warmup):
    step()
t0 = time.perf_counter()
for _ in range(a.steps):
    step()
el = time.perf_counter() - t0
print("bench: torch_train_r18w%d_img_per_s %.1f img/s (batch %d, %d threads, %d steps, %.3f s/step%s)"
      % (a.width, a.batch * a.steps / el, a.batch, a.threads, a.steps, el / a.steps,
         ", channels_last" if a.channels_last else ""))
