#!/usr/bin/python3
"""ROC curves of the threshold attacks (and of U-LiRA) on log-log axes, as Carlini et al. 2022 draw them.

usage: plot_roc.py OUT_PNG FILE...     (called by `ugradsl report` with every metrics.json it read)
FILE: a metrics.json (mia.threshold: D_f vs the test set, per score) or a ulira-METHOD.json of `ugradsl ulira
score`.  One panel per score (confidence, logit-scaled confidence, U-LiRA when given); one curve per
(split, method), the mean TPR over its runs at each FPR of the stored grid; the diagonal is chance (forgotten).
Exit status 3 when matplotlib is missing, 4 when no file holds a curve (nothing written).  Atomic write.
"""
import json
import os
import sys
import tempfile

PANELS = [("confidence", "threshold on confidence p"), ("logit_confidence", "threshold on log(p/(1-p))"),
          ("ulira", "U-LiRA (per-example LRT)")]


def curves(paths):
    """{panel: {label: [(fpr, tpr), ...]}} from the files."""
    out = {k: {} for k, _ in PANELS}
    for p in paths:
        try:
            with open(p) as f:
                m = json.load(f)
        except (OSError, ValueError):
            continue
        if m.get("format") == "ugradsl-ulira":
            roc = m.get("roc") or {}
            out["ulira"].setdefault(f"{m.get('method')} (K={m.get('K')})", []).append((roc.get("fpr"), roc.get("tpr")))
            continue
        thr = (m.get("mia") or {}).get("threshold")
        if m.get("format") != "ugradsl-metrics" or not isinstance(thr, dict):
            continue
        label = f"{m.get('split_name') or ''}: {m.get('method')}"
        for score in ("confidence", "logit_confidence"):
            roc = ((thr.get(score) or {}).get("forget_vs_test") or {}).get("roc") or {}
            out[score].setdefault(label, []).append((roc.get("fpr"), roc.get("tpr")))
    return out


def mean_curve(runs):
    runs = [(f, t) for f, t in runs if f and t and len(f) == len(t) and all(v is not None for v in t)]
    if not runs:
        return None
    fpr = runs[0][0]
    tpr = [sum(r[1][i] for r in runs) / len(runs) for i in range(len(fpr))]
    return fpr, tpr


def main():
    if len(sys.argv) < 3:
        print("usage: plot_roc.py OUT_PNG FILE...", file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return 3
    data = curves(sys.argv[2:])
    panels = [(k, title) for k, title in PANELS if any(mean_curve(r) for r in data[k].values())]
    if not panels:
        return 4
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.6), squeeze=False)
    for ax, (key, title) in zip(axes[0], panels):
        for label, runs in sorted(data[key].items()):
            c = mean_curve(runs)
            if c is None:
                continue
            pts = [(f, t) for f, t in zip(*c) if f > 0]
            ax.plot([f for f, _ in pts], [max(t, 1e-4) for _, t in pts], label=f"{label} ({len(runs)})", lw=1.2)
        ax.plot([1e-4, 1], [1e-4, 1], "k:", lw=0.8, label="chance")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1e-4, 1)
        ax.set_ylim(1e-4, 1.05)
        ax.set_xlabel("false positive rate")
        ax.set_ylabel("true positive rate")
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=6)
    fig.suptitle("Membership attacks on D_f (positives) vs never-seen samples; on the diagonal = forgotten", fontsize=9)
    fig.tight_layout()
    path = sys.argv[1]
    fd, tmp = tempfile.mkstemp(prefix=".roc.", suffix=".png", dir=os.path.dirname(os.path.abspath(path)))
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=110)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
