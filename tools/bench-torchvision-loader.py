#!/usr/bin/env python3
"""torchvision + PIL peer of loader_imagenet_train / _eval (tools/bench-data.sh, docs/LOADER.md).

Reads the image folder bench_loader wrote (DIR/train/<class>/*.JPEG) with torchvision's ImageFolder and the
standard ImageNet transforms (train: RandomResizedCrop(224) + RandomHorizontalFlip; eval: Resize(256) +
CenterCrop(224); both ToTensor + Normalize) in a torch DataLoader with one worker process per core, batch 64.
Prints "bench: <name> <img/s per core> img/s": images per CPU-second of the main and worker processes (user +
system time from /proc, as bench_loader's per-core numbers; robust to other load), and <name>_wall_per_core
(wall rate of an epoch after the first batch / cores); or
"bench: <name> SKIP (<why>)" when torch or torchvision is missing.
"""
import os
import sys
import time


def cpu_seconds(pids):
    """CPU time (user + system) of this process and the given worker processes, from /proc."""
    total = time.process_time()
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick   # utime, stime
        except OSError:
            pass
    return total


def main():
    root = sys.argv[1]
    cores = os.cpu_count() or 1
    names = ["torchvision_imagenet_train", "torchvision_imagenet_eval"]
    try:
        import torch
        import torchvision
        from torchvision import datasets, transforms
    except Exception as e:  # the peer is optional: CI has no torch
        for n in names:
            print(f"bench: {n} SKIP (torch/torchvision not importable: {type(e).__name__}: {e})")
        return
    torch.set_num_threads(1)
    norm = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    tfs = {
        names[0]: transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                      transforms.ToTensor(), norm]),
        names[1]: transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor(), norm]),
    }
    print(f"# torch {torch.__version__}, torchvision {torchvision.__version__}, PIL backend, {cores} worker processes")
    for name, tf in tfs.items():
        ds = datasets.ImageFolder(os.path.join(root, "train"), transform=tf)
        dl = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=name.endswith("train"), num_workers=cores,
                                         persistent_workers=True, prefetch_factor=4)
        wall_rates, cpu_rates = [], []
        for epoch in range(3):   # epoch 0 warms the workers up; the best of the next two is reported
            it = iter(dl)
            first = next(it)
            pids = [w.pid for w in getattr(it, "_workers", [])]
            n, t0, c0 = 0, time.perf_counter(), cpu_seconds(pids)
            for x, y in it:
                n += x.shape[0]
            if epoch > 0:
                wall_rates.append(n / (time.perf_counter() - t0))
                cpu_rates.append(n / max(1e-9, cpu_seconds(pids) - c0))
            del first
        # per CPU-second of the main and worker processes (robust to other load), and wall rate / cores
        print(f"bench: {name} {max(cpu_rates):.0f} img/s")
        print(f"bench: {name}_wall_per_core {max(wall_rates) / cores:.0f} img/s")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
