#!/usr/bin/env python3
"""GPU full-model benchmark of issue 5: ResNet-18 training images/s, ours vs PyTorch on the same GPU, same run.

A training step is forward + cross-entropy + backward + SGD (momentum 0.9, weight decay 5e-4) on one batch that
stays on the GPU (no data loading in either).  Shapes: ImageNet (torchvision ResNet-18, 224x224, batch 256) and
CIFAR (CIFAR stem, 32x32, batch 512).  Precision modes: fp32 (TF32 tensor cores allowed, PyTorch's
allow_tf32 = True in both) and bf16 (PyTorch autocast bf16; ours --bf16: bf16 activations/weights in the
convolutions, fp32 master weights).  PyTorch runs channels_last with cudnn.benchmark.

Ours is tests/gpu/bench_gpu_model (--ours PATH), which prints `imgs_per_s <x>`.  Printed lines:
    bench: gpu_r18_<224|32>_<fp32|bf16>_imgs_per_s_pytorch <x> img/s
    bench: gpu_r18_<224|32>_<fp32|bf16>_imgs_per_s_ours <x> img/s
    bench: gpu_r18_<224|32>_<fp32|bf16>_ratio_vs_pytorch <x> x          (ours / PyTorch: > 1 = we are faster)
Without a GPU or PyTorch with CUDA: SKIP lines, exit 0.
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpu_bench_common import ours_env, torch_with_cuda  # noqa: E402

CONFIGS = [(224, 256, 1000, True), (32, 512, 10, False)]   # res, batch, classes, imagenet stem


def time_torch(torch, res, batch, classes, stem, bf16, steps, warmup):
    from torch_models import ResNet18
    model = ResNet18(num_classes=classes, width=64, imagenet_stem=stem).cuda().to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.randn(batch, 3, res, res, device="cuda").to(memory_format=torch.channels_last)
    y = torch.randint(0, classes, (batch,), device="cuda")
    lossf = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=bf16):
            loss = lossf(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(warmup):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    del model, opt, x, y
    torch.cuda.empty_cache()
    return batch * steps / dt


def run_ours(binary, res, batch, classes, stem, bf16, steps, warmup):
    cmd = [binary, "--res", str(res), "--batch", str(batch), "--classes", str(classes), "--stem",
           "imagenet" if stem else "cifar", "--steps", str(steps), "--warmup", str(warmup)]
    if bf16:
        cmd.append("--bf16")
    p = subprocess.run(cmd, capture_output=True, text=True, env=ours_env())
    sys.stdout.write("".join("  ours| " + l + "\n" for l in (p.stdout + p.stderr).splitlines()))
    if p.stdout.startswith("SKIP"):
        return p.stdout.strip()
    m = re.search(r"imgs_per_s ([\d.]+)", p.stdout)
    if p.returncode != 0 or not m:
        return None
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", help="path of tests/gpu/bench_gpu_model (omit: PyTorch only)")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--modes", default="fp32,bf16")
    a = ap.parse_args()
    torch = torch_with_cuda("bench-gpu-r18")
    if torch is None:
        return 0
    torch.backends.cudnn.benchmark = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cuda.matmul.allow_tf32 = True
    print("bench-gpu-r18: %s, PyTorch %s, cuDNN %s" % (torch.cuda.get_device_name(0), torch.__version__,
                                                      torch.backends.cudnn.version()))
    failed = 0
    for mode in a.modes.split(","):
        bf16 = mode == "bf16"
        for res, batch, classes, stem in CONFIGS:
            name = "gpu_r18_%d_%s" % (res, mode)
            theirs = time_torch(torch, res, batch, classes, stem, bf16, a.steps, a.warmup)
            print("bench: %s_imgs_per_s_pytorch %.1f img/s" % (name, theirs))
            if a.ours:
                ours = run_ours(a.ours, res, batch, classes, stem, bf16, a.steps, a.warmup)
                if isinstance(ours, str):
                    print(ours)
                elif ours is None:
                    print("FAIL %s: our benchmark failed (output above)" % name)
                    failed = 1
                else:
                    print("bench: %s_imgs_per_s_ours %.1f img/s" % (name, ours))
                    print("bench: %s_ratio_vs_pytorch %.3f x" % (name, ours / theirs))
            sys.stdout.flush()
    return failed


if __name__ == "__main__":
    sys.exit(main())
