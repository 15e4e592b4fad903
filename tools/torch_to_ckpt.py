#!/usr/bin/python3
"""Import a PyTorch ResNet-18 (or VGG-16-BN / small CNN) state_dict with torchvision names into a ugradsl
model file, so models trained elsewhere can be unlearned / evaluated by ugradsl.

    /usr/bin/python3 tools/torch_to_ckpt.py model.pt out.h5 --arch resnet18 --width 64 --classes 10 \
        [--in-size 32 --in-channels 3] [--imagenet-stem]

The state_dict may be a plain dict or a checkpoint dict holding it under 'state_dict' / 'model'; a 'module.'
prefix (DataParallel) is stripped.  Every tensor the network needs must be present with the right shape
(checked by loading into tools/torch_models.py with strict=True).  The file written has no optimizer state:
`ugradsl unlearn/eval --model out.h5` accept it; `train --resume` does not.
Layout of the file: src/train/checkpoint.h (checksum = FNV-1a over params, then buffers, in the model's order).
"""
import argparse
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_models  # noqa: E402

FNV_OFFSET, FNV_PRIME, MASK = 1469598103934665603, 1099511628211, (1 << 64) - 1


def fnv1a(h, data):
    # vectorised FNV-1a would be wrong (it is sequential); chunked pure Python is fine for <= 100 MB
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("state_dict")
    ap.add_argument("output")
    ap.add_argument("--arch", default="resnet18", choices=["resnet18", "vgg16_bn", "small_cnn"])
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--classes", type=int, required=True)
    ap.add_argument("--in-size", type=int, default=32)
    ap.add_argument("--in-channels", type=int, default=3)
    ap.add_argument("--imagenet-stem", action="store_true")
    a = ap.parse_args()
    sd = torch.load(a.state_dict, map_location="cpu")
    for key in ("state_dict", "model"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
    sd = {k[7:] if k.startswith("module.") else k: v for k, v in sd.items()}
    model = torch_models.build(a.arch, a.classes, a.width, a.in_channels, a.imagenet_stem)
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        raise SystemExit("torch_to_ckpt: the state_dict does not fit %s width %d with %d classes:\n%s"
                         % (a.arch, a.width, a.classes, e))
    full = model.state_dict()
    params = [n for n, _ in model.named_parameters()]
    buffers = [n for n in full if n not in set(params)]
    # the checksum covers params then buffers as float32 bytes, in the engine's tensor order
    # (= this module order: parameters in state_dict order, then buffers in state_dict order)
    h = FNV_OFFSET
    for n in params:
        h = fnv1a(h, full[n].detach().float().contiguous().numpy().tobytes())
    for n in buffers:
        h = fnv1a(h, full[n].detach().float().contiguous().numpy().astype(np.float32).tobytes())
    tmp = a.output + ".tmp"
    with h5py.File(tmp, "w") as f:
        f.attrs["format"] = np.bytes_("ugradsl-checkpoint")
        f.attrs["format_version"] = np.int64(1)
        f.attrs["checksum"] = np.array(h, dtype=np.uint64).view(np.int64)
        g = f.create_group("model")
        g.attrs["arch"] = np.bytes_(a.arch)
        for k, v in (("width", a.width), ("num_classes", a.classes), ("in_h", a.in_size), ("in_w", a.in_size),
                     ("in_c", a.in_channels), ("imagenet_stem", int(a.imagenet_stem))):
            g.attrs[k] = np.int64(v)
        for n, v in full.items():
            arr = v.detach().cpu().numpy()
            g[n] = arr.astype(np.int64) if arr.dtype == np.int64 else arr.astype(np.float32)
    os.replace(tmp, a.output)
    print("wrote %s (%s width %d, %d classes)" % (a.output, a.arch, a.width, a.classes))


if __name__ == "__main__":
    main()
