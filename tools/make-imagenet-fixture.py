#!/usr/bin/env python3
"""CI-sized ImageNet and Tiny-ImageNet fixtures in the layouts the datasets are distributed in (docs/IMAGENET.md).

  make-imagenet-fixture.py imagenet ROOT [--classes 10] [--min 20] [--max 40] [--val 5] [--labels devkit|loc|folders]
  make-imagenet-fixture.py tiny ROOT [--classes 10] [--train 20] [--val 5]

imagenet: ROOT/train/<wnid>/<wnid>_<i>.JPEG (20-40 per class, sizes 200-500 px), a flat ROOT/val/ of
ILSVRC2012_val_%08d.JPEG labelled the devkit's way (ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt:
one ILSVRC2012_ID per line, IDs deliberately NOT in sorted-wnid order, + data/meta.mat with the `synsets` struct
array, written here as a MAT v5 file), or with --labels loc the Kaggle form (LOC_val_solutions.csv +
LOC_synset_mapping.txt), or --labels folders (val/<wnid>/).  ImageNet's odd files are included: a CMYK JPEG,
greyscale JPEGs and a PNG named .JPEG in train/, a greyscale JPEG in val/.
tiny: Tiny-ImageNet: ROOT/train/<wnid>/images/<wnid>_<i>.JPEG (64x64) + <wnid>_boxes.txt, ROOT/val/images/ +
val/val_annotations.txt, an unlabelled ROOT/test/images/, wnids.txt, words.txt.
Images are smooth random colour fields with a class-dependent tint (learnable), deterministic (seed 0).
Needs numpy and PIL (Debian: python3-numpy, python3-pil).
"""
import argparse
import os
import struct

import numpy as np
from PIL import Image

WNIDS = ["n01440764", "n01443537", "n01484850", "n01491361", "n01494475", "n01496331", "n01498041", "n01514668",
         "n01514859", "n01518878", "n01530575", "n01531178", "n01532829", "n01534433", "n01537544", "n01558993"]
WORDS = ["tench, Tinca tinca", "goldfish, Carassius auratus", "great white shark, white shark",
         "tiger shark, Galeocerdo cuvieri", "hammerhead, hammerhead shark", "electric ray, crampfish",
         "stingray", "cock", "hen", "ostrich, Struthio camelus", "brambling, Fringilla montifringilla",
         "goldfinch, Carduelis carduelis", "house finch, linnet", "junco, snowbird", "indigo bunting",
         "robin, American robin"]


def picture(rng, cls, h, w):
    """A smooth random field tinted by the class, with mild noise (JPEG sizes in a realistic range)."""
    small = rng.integers(0, 256, (max(2, h // 40), max(2, w // 40), 3)).astype(np.float32)
    img = np.asarray(Image.fromarray(small.astype(np.uint8)).resize((w, h), Image.BICUBIC)).astype(np.float32)
    tint = np.array([(cls * 53) % 256, (cls * 97 + 80) % 256, (cls * 31 + 160) % 256], np.float32)
    img = 0.55 * img + 0.45 * tint + rng.normal(0, 6, (h, w, 3))
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


# ---- MAT v5 (the devkit's meta.mat is a MAT v5 file; no scipy needed) ----
MI_INT8, MI_INT32, MI_UINT32, MI_DOUBLE, MI_MATRIX, MI_UINT16 = 1, 5, 6, 9, 14, 4
MX_STRUCT, MX_CHAR, MX_DOUBLE = 2, 4, 6


def element(mtype, payload):
    pad = (-len(payload)) % 8
    return struct.pack("<II", mtype, len(payload)) + payload + b"\0" * pad


def matrix(cls, dims, name, body):
    flags = element(MI_UINT32, struct.pack("<II", cls, 0))
    d = element(MI_INT32, struct.pack("<%di" % len(dims), *dims))
    return element(MI_MATRIX, flags + d + element(MI_INT8, name.encode()) + body)


def mat_char(s):
    return matrix(MX_CHAR, [1, len(s)], "", element(MI_UINT16, struct.pack("<%dH" % len(s), *map(ord, s))))


def mat_double(v):
    return matrix(MX_DOUBLE, [1, 1], "", element(MI_DOUBLE, struct.pack("<d", v)))


def write_meta_mat(path, synsets):
    """synsets: list of (ILSVRC2012_ID, WNID, words): struct array `synsets` (n x 1) as in the devkit."""
    fields = ["ILSVRC2012_ID", "WNID", "words", "num_children"]
    flen = 32
    names = b"".join(f.encode().ljust(flen, b"\0") for f in fields)
    body = struct.pack("<HHi", MI_INT32, 4, flen)   # field name length: small data element
    body += element(MI_INT8, names)
    for sid, wnid, words in synsets:
        body += mat_double(sid) + mat_char(wnid) + mat_char(words) + mat_double(0)
    # the small element above is (type, nbytes) packed as two uint16 then the int32 value
    head = b"MATLAB 5.0 MAT-file, Platform: GLNXA64, Created by: ugradsl make-imagenet-fixture".ljust(116, b" ")
    head += b"\0" * 8 + struct.pack("<H", 0x0100) + b"IM"
    with open(path, "wb") as f:
        f.write(head + matrix(MX_STRUCT, [len(synsets), 1], "synsets", body))


def save(img, path, kind="rgb"):
    if kind == "grey":
        img.convert("L").save(path, "JPEG", quality=90)
    elif kind == "cmyk":
        img.convert("CMYK").save(path, "JPEG", quality=90)
    elif kind == "png":
        img.save(path, "PNG")   # a PNG named .JPEG, as ImageNet has one
    else:
        img.save(path, "JPEG", quality=90)


def imagenet(a):
    rng = np.random.default_rng(0)
    wnids = WNIDS[:a.classes]
    odd = {(0, 1): "cmyk", (1, 2): "grey", (2, 0): "png", (3, 3): "grey"}
    for c, wnid in enumerate(wnids):
        d = os.path.join(a.root, "train", wnid)
        os.makedirs(d, exist_ok=True)
        for i in range(int(rng.integers(a.min, a.max + 1))):
            h, w = (int(v) for v in rng.integers(200, 501, 2))
            save(picture(rng, c, h, w), os.path.join(d, f"{wnid}_{i}.JPEG"), odd.get((c, i), "rgb"))
    labels = [c for c in range(len(wnids)) for _ in range(a.val)]
    rng.shuffle(labels)
    os.makedirs(os.path.join(a.root, "val"), exist_ok=True)
    for k, c in enumerate(labels):
        h, w = (int(v) for v in rng.integers(200, 501, 2))
        name = f"ILSVRC2012_val_{k + 1:08d}.JPEG"
        sub = os.path.join(a.root, "val", wnids[c]) if a.labels == "folders" else os.path.join(a.root, "val")
        os.makedirs(sub, exist_ok=True)
        save(picture(rng, c, h, w), os.path.join(sub, name), "grey" if k == 1 else "rgb")
    if a.labels == "devkit":
        # the devkit numbers the classes in its own order (not sorted wnid order): here, reversed
        ids = {c: len(wnids) - c for c in range(len(wnids))}
        dk = os.path.join(a.root, "ILSVRC2012_devkit_t12", "data")
        os.makedirs(dk, exist_ok=True)
        with open(os.path.join(dk, "ILSVRC2012_validation_ground_truth.txt"), "w") as f:
            f.writelines(f"{ids[c]}\n" for c in labels)
        synsets = sorted((ids[c], wnids[c], WORDS[c]) for c in range(len(wnids)))
        synsets.append((len(wnids) + 1, "n00001740", "entity"))   # a non-leaf synset, as in the real file
        write_meta_mat(os.path.join(dk, "meta.mat"), synsets)
    elif a.labels == "loc":
        with open(os.path.join(a.root, "LOC_val_solutions.csv"), "w") as f:
            f.write("ImageId,PredictionString\n")
            for k, c in enumerate(labels):
                f.write(f"ILSVRC2012_val_{k + 1:08d},{wnids[c]} 10 20 150 180 \n")
        with open(os.path.join(a.root, "LOC_synset_mapping.txt"), "w") as f:
            f.writelines(f"{wnids[c]} {WORDS[c]}\n" for c in range(len(wnids)))


def tiny(a):
    rng = np.random.default_rng(1)
    wnids = WNIDS[:a.classes]
    for c, wnid in enumerate(wnids):
        d = os.path.join(a.root, "train", wnid, "images")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(a.root, "train", wnid, f"{wnid}_boxes.txt"), "w") as boxes:
            for i in range(a.train):
                name = f"{wnid}_{i}.JPEG"
                save(picture(rng, c, 64, 64), os.path.join(d, name), "grey" if (c, i) == (0, 3) else "rgb")
                boxes.write(f"{name}\t0\t0\t63\t63\n")
    os.makedirs(os.path.join(a.root, "val", "images"), exist_ok=True)
    labels = [c for c in range(len(wnids)) for _ in range(a.val)]
    rng.shuffle(labels)
    with open(os.path.join(a.root, "val", "val_annotations.txt"), "w") as f:
        for k, c in enumerate(labels):
            save(picture(rng, c, 64, 64), os.path.join(a.root, "val", "images", f"val_{k}.JPEG"))
            f.write(f"val_{k}.JPEG\t{wnids[c]}\t0\t0\t63\t63\n")
    os.makedirs(os.path.join(a.root, "test", "images"), exist_ok=True)
    for k in range(3):
        save(picture(rng, k, 64, 64), os.path.join(a.root, "test", "images", f"test_{k}.JPEG"))
    with open(os.path.join(a.root, "wnids.txt"), "w") as f:
        f.writelines(w + "\n" for w in wnids)
    with open(os.path.join(a.root, "words.txt"), "w") as f:
        f.write("n00001740\tentity\n")
        f.writelines(f"{wnids[c]}\t{WORDS[c]}\n" for c in range(len(wnids)))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("layout", choices=["imagenet", "tiny"])
    p.add_argument("root")
    p.add_argument("--classes", type=int, default=10)
    p.add_argument("--min", type=int, default=20, help="imagenet: fewest train images per class")
    p.add_argument("--max", type=int, default=40, help="imagenet: most train images per class")
    p.add_argument("--train", type=int, default=20, help="tiny: train images per class")
    p.add_argument("--val", type=int, default=5, help="validation images per class")
    p.add_argument("--labels", choices=["devkit", "loc", "folders"], default="devkit", help="imagenet: val/ labels")
    a = p.parse_args()
    if not 2 <= a.classes <= len(WNIDS):
        p.error(f"--classes must be 2..{len(WNIDS)}")
    if os.path.exists(a.root) and os.listdir(a.root):
        p.error(f"'{a.root}' exists and is not empty")
    imagenet(a) if a.layout == "imagenet" else tiny(a)
    print(f"wrote {a.layout} fixture to {a.root}")


if __name__ == "__main__":
    main()
