#!/usr/bin/python3
"""Golden data for tests/unit/test_golden.c: a CIFAR ResNet-18 (width 8, 10 classes) in PyTorch, with random
weights and BN statistics, one batch, the GLS loss with per-sample smooth rate α and weight w, logits, loss,
every gradient, and the parameters / momentum / BN buffers after two SGD steps (lr 0.1, momentum 0.9,
weight decay 5e-4) on that batch.  Written to OUT_DIR/golden_resnet18_w8.h5 (< 2 MB).

Layouts: the input is stored NHWC (ugradsl's), tensors under torchvision names and layouts (conv OIHW).
Run by `make golden` with Debian's /usr/bin/python3 (python3-torch 1.13, python3-h5py).
"""
import os
import sys

import h5py
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import ResNet18, gls_loss  # noqa: E402

out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/golden"
torch.set_num_threads(2)
KINK = 2e-6   # a ReLU input this close to 0 could flip sides in fp32 and make one gradient entry differ


def make(seed):
    """One candidate golden case; returns None when some ReLU input lies within KINK of the kink."""
    torch.manual_seed(seed)
    model = ResNet18(num_classes=10, width=8).double()   # float64: the reference for an fp32 engine
    near = [float("inf")]

    def pre_hook(module, inputs):
        near[0] = min(near[0], inputs[0].detach().abs().min().item())

    for m in model.modules():
        if isinstance(m, torch.nn.ReLU):
            m.register_forward_pre_hook(pre_hook)
    with torch.no_grad():   # BN affine and running stats away from 1/0 so that their handling is tested
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.8, 1.2)
        # round the weights to fp32 so that both sides start from exactly the same numbers
        for p in model.state_dict().values():
            if p.dtype == torch.float64:
                p.copy_(p.float().double())
    c = {"initial": {k: v.clone() for k, v in model.state_dict().items()}}
    N = 6
    x = torch.randn(N, 3, 32, 32).float().double()
    labels = torch.tensor([3, 0, 9, 3, 5, 1])
    alpha = torch.tensor([0.1, -0.5, 0.0, 0.3, -1.0, 0.9], dtype=torch.float64)
    weight = torch.tensor([1.0, -0.5, 1.0, 2.0, 1.0, -1.0], dtype=torch.float64)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    model.train()
    logits = model(x)
    loss, per_sample = gls_loss(logits, labels, alpha, weight)
    opt.zero_grad()
    loss.backward()
    c["grads"] = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    c["buffers_after_1"] = {k: v.clone() for k, v in model.state_dict().items() if "running" in k or "num_batches" in k}
    opt.step()
    # second step on the same batch: exercises the momentum buffer after its first use
    logits2 = model(x)
    loss2, _ = gls_loss(logits2, labels, alpha, weight)
    opt.zero_grad()
    loss2.backward()
    opt.step()
    if near[0] < KINK:
        return None
    c.update(model=model, opt=opt, x=x, labels=labels, alpha=alpha, weight=weight, logits=logits,
             per_sample=per_sample, loss=loss, loss2=loss2)
    return c


for seed in range(20240601, 20240701):
    case = make(seed)
    if case is not None:
        break
else:
    raise SystemExit("golden: no seed without a near-kink ReLU input")
model, opt, x, labels, alpha, weight = case["model"], case["opt"], case["x"], case["labels"], case["alpha"], case["weight"]
logits, per_sample, loss, loss2 = case["logits"], case["per_sample"], case["loss"], case["loss2"]
initial, grads, buffers_after_1 = case["initial"], case["grads"], case["buffers_after_1"]

os.makedirs(out_dir, exist_ok=True)
path = os.path.join(out_dir, "golden_resnet18_w8.h5")
with h5py.File(path + ".tmp", "w") as f:
    f.attrs["arch"] = "resnet18"
    f.attrs["width"] = 8
    f.attrs["num_classes"] = 10
    f.attrs["lr"] = 0.1
    f.attrs["momentum"] = 0.9
    f.attrs["weight_decay"] = 5e-4
    f.attrs["seed"] = seed
    f.attrs["torch_version"] = str(torch.__version__)
    f["x_nhwc"] = x.permute(0, 2, 3, 1).float().numpy()
    f["labels"] = labels.int().numpy()
    f["alpha"] = alpha.float().numpy()
    f["weight"] = weight.float().numpy()
    f["logits"] = logits.detach().float().numpy()
    f["sample_loss"] = per_sample.detach().float().numpy()
    f["loss"] = np.float64(loss.item())
    f["loss_step2"] = np.float64(loss2.item())
    sd = model.state_dict()
    for k, v in initial.items():
        dt = np.int64 if v.dtype == torch.int64 else np.float32
        f["initial/" + k] = v.numpy().astype(dt)
    for k, v in grads.items():
        f["grad/" + k] = v.float().numpy()
    for k, v in buffers_after_1.items():
        dt = np.int64 if v.dtype == torch.int64 else np.float32
        f["buffers_step1/" + k] = v.numpy().astype(dt)
    for k, v in sd.items():
        dt = np.int64 if v.dtype == torch.int64 else np.float32
        f["after_step2/" + k] = v.numpy().astype(dt)
    for n, p in model.named_parameters():
        f["momentum_step2/" + n] = opt.state[p]["momentum_buffer"].float().numpy()
os.replace(path + ".tmp", path)
print("golden: wrote %s (%.2f MB)" % (path, os.path.getsize(path) / 1e6))
