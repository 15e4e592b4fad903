#!/usr/bin/python3
"""Load a ugradsl checkpoint (HDF5) into the PyTorch twin of its network (tools/torch_models.py: torchvision
module names and layouts) with strict=True, and optionally save the state_dict with torch.save.

    /usr/bin/python3 tools/ckpt_to_torch.py RUN/model.h5 [--save model.pt] [--check-batch N]

--check-batch N runs N random images through the model in eval mode and prints the logits' shape (a smoke test).
Parameters and BN buffers (running_mean, running_var, num_batches_tracked) are all loaded; a torchvision
resnet18 / vgg16_bn built with the same width and classes accepts the same state_dict (VGG: our CIFAR head is
one linear layer 'classifier', so use torch_models.VGG16BN or replace torchvision's classifier by one Linear).
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402


def load(path):
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise SystemExit("ckpt_to_torch: '%s' is not a readable HDF5 file (%s)" % (path, e))
    with f:
        fmt = f.attrs.get("format")
        if isinstance(fmt, bytes):
            fmt = fmt.decode()
        if fmt != "ugradsl-checkpoint":
            raise SystemExit("ckpt_to_torch: '%s' is not a ugradsl checkpoint" % path)
        g = f["model"]
        arch = g.attrs["arch"]
        arch = arch.decode() if isinstance(arch, bytes) else str(arch)
        cfg = {k: int(g.attrs[k]) for k in ("width", "num_classes", "in_h", "in_w", "in_c", "imagenet_stem")}
        sd = {}
        for k in g:
            v = np.asarray(g[k][()])
            sd[k] = torch.tensor(v, dtype=torch.int64) if v.dtype == np.int64 else torch.from_numpy(v.astype(np.float32))
    model = torch_models.build(arch, cfg["num_classes"], cfg["width"], cfg["in_c"], bool(cfg["imagenet_stem"]))
    model.load_state_dict(sd, strict=True)
    return model, arch, cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint")
    ap.add_argument("--save", help="write the state_dict here (torch.save)")
    ap.add_argument("--check-batch", type=int, default=0)
    a = ap.parse_args()
    model, arch, cfg = load(a.checkpoint)
    n = sum(p.numel() for p in model.parameters())
    print("loaded %s (width %d, %d classes, %d parameters) with strict=True" % (arch, cfg["width"], cfg["num_classes"], n))
    if a.check_batch:
        model.eval()
        with torch.no_grad():
            out = model(torch.randn(a.check_batch, cfg["in_c"], cfg["in_h"], cfg["in_w"]))
        print("logits shape", tuple(out.shape))
    if a.save:
        torch.save(model.state_dict(), a.save)
        print("saved", a.save)


if __name__ == "__main__":
    main()
