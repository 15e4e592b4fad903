#!/usr/bin/python3
"""PyTorch side of tests/bench/bench_ops.c: forward + backward (input and weight gradients) of every
convolution of CIFAR ResNet-18 at the given widths, batch 128, 32x32, default (NCHW) memory format.
Prints `bench: name value unit` lines with the same names plus `_torch`.
Run with Debian's torch:  /usr/bin/python3 tools/bench_ops_torch.py [--threads 2] [--batch 128]"""
import argparse
import time

import torch
import torch.nn.functional as F


def r18_shapes(w):
    # name, H, C, K, R, stride, count, need_din — same list as bench_ops.c
    return [("stem", 32, 3, w, 3, 1, 1, False), ("l1", 32, w, w, 3, 1, 4, True),
            ("l2.down3x3", 32, w, 2 * w, 3, 2, 1, True), ("l2.ds1x1", 32, w, 2 * w, 1, 2, 1, True),
            ("l2", 16, 2 * w, 2 * w, 3, 1, 3, True), ("l3.down3x3", 16, 2 * w, 4 * w, 3, 2, 1, True),
            ("l3.ds1x1", 16, 2 * w, 4 * w, 1, 2, 1, True), ("l3", 8, 4 * w, 4 * w, 3, 1, 3, True),
            ("l4.down3x3", 8, 4 * w, 8 * w, 3, 2, 1, True), ("l4.ds1x1", 8, 4 * w, 8 * w, 1, 2, 1, True),
            ("l4", 4, 8 * w, 8 * w, 3, 1, 3, True)]


def time_conv(H, C, K, R, stride, need_din, N, reps, channels_last):
    x = torch.randn(N, C, H, H, requires_grad=need_din)
    w = torch.randn(K, C, R, R, requires_grad=True)
    if channels_last:
        x = x.detach().to(memory_format=torch.channels_last).requires_grad_(need_din)
    best = 1e30
    for t in range(reps + 1):
        t0 = time.perf_counter()
        y = F.conv2d(x, w, None, stride, R // 2)
        g = torch.ones_like(y)
        y.backward(g)
        dt = time.perf_counter() - t0
        if t > 0:
            best = min(best, dt)
        w.grad = None
        x.grad = None
    P = (H + 2 * (R // 2) - R) // stride + 1
    flops = 2.0 * N * P * P * K * C * R * R * (3 if need_din else 2)
    return best, flops


def time_bn_relu(side, C, N, reps, channels_last):
    x = torch.randn(N, C, side, side)
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    x.requires_grad_(True)
    gamma = torch.rand(C, requires_grad=True)
    beta = torch.rand(C, requires_grad=True)
    rm, rv = torch.zeros(C), torch.ones(C)
    best = 1e30
    for t in range(reps + 1):
        t0 = time.perf_counter()
        y = F.relu(F.batch_norm(x, rm, rv, gamma, beta, True, 0.1, 1e-5), inplace=True)
        y.backward(torch.ones_like(y))
        dt = time.perf_counter() - t0
        if t > 0:
            best = min(best, dt)
        x.grad = gamma.grad = beta.grad = None
    return best


class Block(torch.nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        nn = torch.nn
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))


def resnet18_cifar(w, classes=10):
    """torchvision's ResNet-18 layout with the CIFAR stem (3x3 s1, no max-pool) and base width w."""
    nn = torch.nn
    layers = [nn.Conv2d(3, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True)]
    cin = w
    for i, cout in enumerate([w, 2 * w, 4 * w, 8 * w]):
        layers += [Block(cin, cout, 1 if i == 0 else 2), Block(cout, cout, 1)]
        cin = cout
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def time_train_step(w, N, reps, channels_last):
    model = resnet18_cifar(w)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(N, 3, 32, 32)
    y = torch.randint(0, 10, (N,))
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    best = 1e30
    for t in range(reps + 1):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y, label_smoothing=0.1)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        if t > 0:
            best = min(best, dt)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--width", default="16,64")
    ap.add_argument("--shapes", action="store_true")
    ap.add_argument("--channels-last", action="store_true", help="NHWC tensors (default: NCHW)")
    ap.add_argument("--train-step", action="store_true", help="also time a whole ResNet-18 SGD step")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    print(f"bench: torch {torch.__version__} threads {torch.get_num_threads()} batch {a.batch}"
          f" {'channels_last' if a.channels_last else 'nchw'}")
    with torch.no_grad():
        n = 2048
        A, B = torch.randn(n, n), torch.randn(n, n)
        best = min((lambda t0: (torch.mm(A, B), time.perf_counter() - t0)[1])(time.perf_counter()) for _ in range(4))
        print(f"bench: sgemm_peak_gflops_torch {2.0 * n ** 3 / best / 1e9:.1f} GFLOP/s")
    for w in [int(v) for v in a.width.split(",")]:
        total = total_flops = 0.0
        for name, H, C, K, R, stride, count, need_din in r18_shapes(w):
            t, flops = time_conv(H, C, K, R, stride, need_din, a.batch, a.reps, a.channels_last)
            total += t * count
            total_flops += flops * count
            if a.shapes:
                print(f"bench: conv_r18w{w}_{name}_ms_torch {t * 1e3:.3f} ms ({flops / t / 1e9:.1f} GFLOP/s, x{count})")
        print(f"bench: conv_r18w{w}_fwdbwd_ms_torch {total * 1e3:.1f} ms per step (all convs, "
              f"{total_flops / total / 1e9:.1f} GFLOP/s)")
        bn_total = 0.0
        for stage in range(4):
            side, C = 32 >> stage, w << stage
            t = time_bn_relu(side, C, a.batch, a.reps, a.channels_last)
            bn_total += 5 * t
            if a.shapes:
                print(f"bench: bnrelu_r18w{w}_{side}x{side}x{C}_ms_torch {t * 1e3:.3f} ms (x5)")
        print(f"bench: bnrelu_r18w{w}_fwdbwd_ms_torch {bn_total * 1e3:.1f} ms per step "
              f"(20 x BN train fwd + ReLU + bwd)")
        if a.train_step:
            t = time_train_step(w, a.batch, a.reps, a.channels_last)
            print(f"bench: train_r18w{w}_step_ms_torch {t * 1e3:.1f} ms ({a.batch / t:.1f} images/s)")


if __name__ == "__main__":
    main()
