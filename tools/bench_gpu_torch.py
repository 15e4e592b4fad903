#!/usr/bin/env python3
"""GPU micro-benchmark: our cuDNN conv + batch norm (forward + backward) on ResNet-18's convolution shapes
against PyTorch + cuDNN on the same GPU, in the same run.

Runs our binary (tests/gpu/bench_gpu_layers) for each configuration, then the same shapes in PyTorch
(channels_last, cudnn.benchmark, the same TF32 setting), and prints

    bench: gpu_r18_<res>_convbn_<fp32|tf32>_ms_ours <ms> ms
    bench: gpu_r18_<res>_convbn_<fp32|tf32>_ms_pytorch <ms> ms
    bench: gpu_r18_<res>_convbn_<fp32|tf32>_ratio_vs_pytorch <x> x     (PyTorch time / ours: > 1 = we are faster)

This is a layer benchmark, not the full-model training benchmark of issue 5 (that needs the model on the GPU).
Without a GPU, or without PyTorch with CUDA, it prints SKIP lines and exits 0.
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_bench_common import ours_env, torch_with_cuda  # noqa: E402

CONFIGS = [(224, 256), (32, 512)]   # (resolution, batch): the ImageNet and CIFAR shapes

def run_ours(binary, res, batch, tf32, iters):
    out = subprocess.run([binary, str(res), str(batch), str(int(tf32)), str(iters)], check=True,
                         capture_output=True, text=True, env=ours_env()).stdout
    if out.startswith("SKIP"):
        return None, out.strip()
    layers = []
    for line in out.splitlines():
        m = re.match(r"layer H=(\d+) C=(\d+) K=(\d+) R=(\d+) stride=(\d+) pad=(\d+) count=(\d+) first=(\d) ms=([\d.]+)", line)
        if m:
            v = [int(x) for x in m.groups()[:8]]
            layers.append(dict(H=v[0], C=v[1], K=v[2], R=v[3], stride=v[4], pad=v[5], count=v[6], first=v[7],
                               ms=float(m.group(9))))
    total = re.search(r"^total .* ms=([\d.]+)", out, re.M)
    return (layers, float(total.group(1))), out

def time_torch(torch, layer, batch, iters):
    nn = torch.nn
    cl = torch.channels_last
    x = torch.randn(batch, layer["C"], layer["H"], layer["H"], device="cuda").to(memory_format=cl)
    x.requires_grad_(not layer["first"])      # the stem needs no input gradient (as ours)
    conv = nn.Conv2d(layer["C"], layer["K"], layer["R"], layer["stride"], layer["pad"], bias=False).cuda()
    conv = conv.to(memory_format=cl)
    bn = nn.BatchNorm2d(layer["K"]).cuda()
    y = bn(conv(x))
    dy = torch.randn_like(y)
    def step():
        out = bn(conv(x))
        out.backward(dy)
    for _ in range(2):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) * 1000.0 / iters

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", required=True, help="path of bench_gpu_layers")
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="batch / 4 (a smoke run)")
    ap.add_argument("--modes", default="tf32,fp32", help="comma list of tf32, fp32")
    a = ap.parse_args()
    torch = torch_with_cuda("bench-gpu")
    if torch is None:
        return 0
    torch.backends.cudnn.benchmark = True
    print("bench-gpu: %s, PyTorch %s, cuDNN %s" % (torch.cuda.get_device_name(0), torch.__version__,
                                                  torch.backends.cudnn.version()))
    for mode in a.modes.split(","):
        tf32 = mode == "tf32"
        torch.backends.cudnn.allow_tf32 = tf32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        for res, batch in CONFIGS:
            if a.quick:
                batch //= 4
            ours, raw = run_ours(a.ours, res, batch, tf32, a.iters)
            if ours is None:
                print(raw)
                return 0
            layers, ours_total = ours
            theirs_total = 0.0
            for layer in layers:
                ms = time_torch(torch, layer, batch, a.iters)
                theirs_total += layer["count"] * ms
                print("  %s H=%d C=%d K=%d R=%d s=%d x%d: ours %.3f ms, pytorch %.3f ms" % (
                    mode, layer["H"], layer["C"], layer["K"], layer["R"], layer["stride"], layer["count"],
                    layer["ms"], ms))
                torch.cuda.empty_cache()
            name = "gpu_r18_%d_convbn_%s" % (res, mode)
            print("bench: %s_ms_ours %.3f ms" % (name, ours_total))
            print("bench: %s_ms_pytorch %.3f ms" % (name, theirs_total))
            print("bench: %s_ratio_vs_pytorch %.3f x" % (name, theirs_total / ours_total))
            sys.stdout.flush()
    return 0

if __name__ == "__main__":
    sys.exit(main())
