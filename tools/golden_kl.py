#!/usr/bin/python3
"""Reference values of SCRUB's distillation loss (tests/unit/test_loss_kl.c reads them).

Run by `make golden` (tools/make-golden.sh) with Debian's /usr/bin/python3 and python3-torch.
Writes tests/golden/kl_distill.txt: for a few cases, the student and teacher logits (float32 values), the labels,
and PyTorch's loss and gradient with respect to the student logits, in float64, of
    ce_weight * cross_entropy(z_s, y, reduction="sum") / n_global
  + kl_weight * kl_div(log_softmax(z_s / T), log_softmax(z_t / T), log_target=True, reduction="sum") * T^2 / n_global
(the public SCRUB code's DistillKL; n_global = the global batch, larger than the rows here as on several ranks).
"""
import sys

import numpy as np
import torch
import torch.nn.functional as F

# name, rows, classes, temperature, kl_weight, ce_weight (None: no CE term, no labels), n_global, logit scale
CASES = [
    ("max_step", 6, 10, 4.0, -1.0, None, 10, 3.0),
    ("min_step", 7, 10, 4.0, 0.5, 0.99, 9, 3.0),
    ("cold_wide", 3, 100, 1.0, 1.0, 0.25, 3, 12.0),
]


def f32(a):
    return np.asarray(a, dtype=np.float32)


def fmt(values):
    return " ".join(f"{float(v):.9g}" for v in values)


def write_case(f, rng, name, n, k, t, kl_weight, ce_weight, n_global, scale):
    student = f32(rng.normal(0, scale, (n, k)))
    teacher = f32(rng.normal(0, scale, (n, k)))
    labels = rng.integers(0, k, n)
    zs = torch.tensor(student, dtype=torch.float64, requires_grad=True)
    zt = torch.tensor(teacher, dtype=torch.float64)
    kl = F.kl_div(F.log_softmax(zs / t, dim=1), F.log_softmax(zt / t, dim=1), log_target=True,
                  reduction="sum") * t * t / n_global
    loss = kl_weight * kl
    if ce_weight is not None:
        w = float(np.float32(ce_weight))   # the C side holds the weight as a float
        loss = loss + w * F.cross_entropy(zs, torch.tensor(labels), reduction="sum") / n_global
    loss.backward()
    ce = -1 if ce_weight is None else float(np.float32(ce_weight))
    f.write(f"case {name} {n} {k} {t:.9g} {kl_weight:.9g} {ce:.9g} {n_global}\n")
    f.write(f"student {fmt(student.ravel())}\n")
    f.write(f"teacher {fmt(teacher.ravel())}\n")
    f.write(f"labels {' '.join(str(int(y)) for y in labels)}\n")
    f.write(f"loss {loss.item():.17g}\n")
    f.write(f"dlogits {' '.join(f'{v:.17g}' for v in zs.grad.numpy().ravel())}\n")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/golden"
    rng = np.random.default_rng(20240617)
    path = f"{out_dir}/kl_distill.txt"
    with open(path, "w") as f:
        f.write(f"# SCRUB distillation loss golden: torch {torch.__version__} float64; made by tools/golden_kl.py; "
                f"ce_weight -1 = no CE term\n")
        f.write(f"cases {len(CASES)}\n")
        for c in CASES:
            write_case(f, rng, *c)
    print(f"golden: wrote {path} ({len(CASES)} cases)")


if __name__ == "__main__":
    main()
