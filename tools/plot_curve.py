#!/usr/bin/env python3
"""Training curve (loss, train/test accuracy per epoch) from a `ugradsl train` metrics.jsonl, as a PNG.
usage: /usr/bin/python3 tools/plot_curve.py RUN/metrics.jsonl OUT.png [title]"""
import json
import sys

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
ep = [r["epoch"] for r in rows]
fig, ax = plt.subplots(1, 2, figsize=(10, 3.6))
ax[0].plot(ep, [r["train_loss"] for r in rows], "o-", ms=3)
ax[0].set_xlabel("epoch"); ax[0].set_ylabel("train loss"); ax[0].grid(alpha=0.3)
ax[1].plot(ep, [r["train_acc"] for r in rows], "o-", ms=3, label="train (augmented)")
test = [(r["epoch"], r["test_acc"]) for r in rows if r.get("test_acc") is not None]
if test:
    ax[1].plot(*zip(*test), "s-", ms=4, label="test")
    ax[1].annotate("%.2f%%" % test[-1][1], test[-1], textcoords="offset points", xytext=(-30, -15))
ax[1].set_xlabel("epoch"); ax[1].set_ylabel("accuracy (%)"); ax[1].grid(alpha=0.3); ax[1].legend()
if len(sys.argv) > 3:
    fig.suptitle(sys.argv[3])
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=100)
