#!/usr/bin/python3
"""Bar chart of Avg. Gap per method (one panel per split) with RTE written on each bar; error bars show the
std over seeds of each run's own Avg. Gap (avg_gap_std of report.json; none for a single seed).

usage: plot_report.py REPORT_JSON OUT_PNG      (called by `ugradsl report`)
Exit status 3 when matplotlib is missing: the report then says the PNG was skipped; the tables are complete.
The PNG is written to a temporary name and renamed, so a failed plot never leaves half a file.
"""
import json
import os
import sys


def main():
    if len(sys.argv) != 3:
        print("usage: plot_report.py REPORT_JSON OUT_PNG", file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return 3
    with open(sys.argv[1]) as f:
        rows = json.load(f)
    splits = []
    for r in rows:
        if r.get("split_name") not in splits:
            splits.append(r.get("split_name"))
    fig, axes = plt.subplots(len(splits), 1, figsize=(8, 3.2 * max(1, len(splits))), squeeze=False)
    for ax, split in zip(axes[:, 0], splits):
        sel = [r for r in rows if r.get("split_name") == split and r.get("avg_gap") is not None]
        names = [r["method"] for r in sel]
        gaps = [r["avg_gap"] for r in sel]
        errs = [r.get("avg_gap_std") or 0.0 for r in sel]
        bars = ax.bar(names, gaps, yerr=errs, capsize=3, color="#4c72b0", error_kw={"elinewidth": 1})
        for bar, r, err in zip(bars, sel, errs):
            rte = r.get("rte_s")
            label = f"RTE {rte:.1f} s" if rte is not None else "RTE n/a"
            ax.annotate(label, (bar.get_x() + bar.get_width() / 2, bar.get_height() + err), ha="center", va="bottom",
                        fontsize=8, xytext=(0, 2), textcoords="offset points")
        ref = [r for r in rows if r.get("split_name") == split and r["method"].lower() == "retrain"]
        title = f"split {split}: Avg. Gap to Retrain (lower is better)"
        if ref and ref[0].get("rte_s") is not None:
            title += f"; Retrain RTE {ref[0]['rte_s']:.1f} s"
        if not sel:
            title += " (no Retrain rows: no gaps)"
        ax.set_title(title, fontsize=10)
        ax.set_ylabel("Avg. Gap (points)")
        if gaps:
            ax.set_ylim(0, max(g + e for g, e in zip(gaps, errs)) * 1.2 + 1e-9)
        ax.tick_params(axis="x", labelsize=8, labelrotation=30 if len(names) > 7 else 0)
    fig.tight_layout()
    out = sys.argv[2]
    tmp = f"{out}.tmp.{os.getpid()}.png"
    fig.savefig(tmp, dpi=120)
    os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
