#!/usr/bin/env python3
"""Judges the argument sets of one hyper-parameter sweep by their validation-side gap to Retrain and picks one.

usage: sweep_score.py --retrain RETRAIN_METRICS_JSON --out PREFIX SET_DIR...

Each SET_DIR holds `args` (the argument set, one line) and, when its run succeeded, metrics.json.
gap = mean |x - Retrain's x| over UA, MIA (efficacy), RA and VA (validation accuracy): training-side and
validation numbers only; the test split (TA) is never read, so choosing on it is impossible.
The chosen set is the smallest gap among the runs that finished and did not diverge (ties: the first in grid
order).  Writes PREFIX.csv, PREFIX.json, PREFIX.md and last PREFIX.args (the chosen arguments, one line), each
to a temporary name then renamed, so a reader sees whole files and PREFIX.args only once the rest exist.
Prints the Markdown table.  Exit 1 when no set can be judged.
Used by jobs/sweep.sbatch (the pipeline's sweep stage) and tools/sweep.sh (by hand).
"""
import argparse
import csv
import io
import json
import math
import os
import sys

KEYS = ["UA", "MIA", "RA", "VA"]


def write_atomic(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def load_metrics(path):
    with open(path) as f:
        doc = json.load(f)
    m = doc.get("metrics", {})
    vals = {}
    for k in KEYS:
        v = m.get(k)
        if not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ValueError(f"{path}: metrics.{k} is missing or not a number")
        vals[k] = float(v)
    rte = (doc.get("timing") or {}).get("rte_s")
    return vals, bool(doc.get("diverged")), rte


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--retrain", required=True, help="Retrain's metrics.json (the reference)")
    ap.add_argument("--out", required=True, help="output prefix: PREFIX.csv .json .md .args")
    ap.add_argument("sets", nargs="+", help="set directories, in grid order")
    a = ap.parse_args()
    try:
        ref, _, _ = load_metrics(a.retrain)
    except (OSError, ValueError) as e:
        print(f"sweep_score: error: Retrain's metrics unusable: {e}", file=sys.stderr)
        return 1
    rows = []
    for i, d in enumerate(a.sets, 1):
        try:
            with open(os.path.join(d, "args")) as f:
                args = f.read().strip()
        except OSError:
            print(f"sweep_score: error: {d}/args missing (not a sweep set directory?)", file=sys.stderr)
            return 1
        row = {"set": i, "args": args, "status": "failed", "gap": None, "rte_s": None}
        row.update({k: None for k in KEYS})
        mpath = os.path.join(d, "metrics.json")
        if os.path.exists(mpath):
            try:
                vals, diverged, rte = load_metrics(mpath)
                row.update(vals)
                row["rte_s"] = rte
                row["gap"] = sum(abs(vals[k] - ref[k]) for k in KEYS) / len(KEYS)
                row["status"] = "diverged" if diverged else "ok"
            except (OSError, ValueError) as e:
                row["status"] = f"unreadable ({e})"
        rows.append(row)
    ok = [r for r in rows if r["status"] == "ok"]
    if not ok:
        print("sweep_score: error: no argument set finished without diverging: nothing to choose "
              f"({', '.join(r['status'] for r in rows)})", file=sys.stderr)
        return 1
    best = min(ok, key=lambda r: (r["gap"], r["set"]))
    for r in rows:
        r["chosen"] = r is best

    def num(v, fmt="%.2f"):
        return "" if v is None else fmt % v

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["set", "args", "status", "gap"] + KEYS + ["rte_s", "chosen"])
    for r in rows:
        w.writerow([r["set"], r["args"], r["status"], num(r["gap"], "%.4f")] + [num(r[k], "%.4f") for k in KEYS]
                   + [num(r["rte_s"], "%.3f"), int(r["chosen"])])
    md = [f"Reference: {os.path.abspath(a.retrain)} (Retrain).  gap = mean |x - Retrain| over "
          "UA, MIA, RA, VA (validation side; TA not used).", "",
          "| set | gap | UA | MIA | RA | VA | RTE (s) | status | arguments |",
          "|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in sorted(rows, key=lambda r: (r["gap"] is None, r["gap"] if r["gap"] is not None else 0, r["set"])):
        md.append(f"| {r['set']}{' **chosen**' if r['chosen'] else ''} | {num(r['gap'])} | "
                  + " | ".join(num(r[k]) for k in KEYS) + f" | {num(r['rte_s'])} | {r['status']} | `{r['args']}` |")
    md_text = "\n".join(md) + "\n"
    summary = {"reference": os.path.abspath(a.retrain), "keys": KEYS, "chosen": best["args"],
               "chosen_set": best["set"], "chosen_gap": best["gap"], "sets": rows}
    write_atomic(a.out + ".csv", buf.getvalue())
    write_atomic(a.out + ".json", json.dumps(summary, indent=1) + "\n")
    write_atomic(a.out + ".md", md_text)
    write_atomic(a.out + ".args", best["args"] + "\n")
    sys.stdout.write(md_text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
