#!/usr/bin/python3
"""Issue 19's CIFAR-10 re-measurement page: docs/results/cifar10-mia19.md and cifar10-mia19.json (machine-readable
rows), from the run trees of tools/cifar10_mia19.sh (the core rows rerun from scratch with the stratified random
MIA member draw and the threshold attacks, classes 1/3/8 forgotten with class 0's hyper-parameters, U-LiRA on the
random experiment).

usage: tools/cifar10_mia19_results.py [--runs DIR] [--out DIR] [--old-classwise JSON] [--old-random JSON]
                                     [--rte-not-quiet WHY [--rte-quiet-since ISO]]

  --runs DIR           where tools/cifar10_mia19.sh ran (default runs/): DIR/cifar10-classwise, cifar10-random,
                       cifar10-classwise-c{1,3,8}, cifar10-random/ulira
  --out DIR            default docs/results
  --old-classwise / --old-random   issue 8's rows (`ugradsl report` JSON format; default
                       docs/results/cifar10-{classwise,random}.json), shown beside the new MIA and Avg. Gap
  --rte-not-quiet WHY  the runs were timed while other work shared the machine (WHY says what): RTE is still shown
                       but every RTE verdict of the new runs reads "not judged" (a shared machine stretches each
                       job's wall time by its own factor, so the ratio to Retrain measures the neighbours)
  --rte-quiet-since ISO  with --rte-not-quiet: the machine was quiet from ISO (e.g. 2026-12-06T11:05:00Z) on; the
                       RTE verdicts are judged from the runs that started then or later alone (start estimated from
                       below: DONE time less startup, RTE, evaluation and a minute), "not judged" where UGradSL or
                       Retrain has none; the RTE columns still show every run

Works on partial trees: a run counts when its directory has DONE and metrics.json; every expected run that does
not is listed under a PARTIAL banner, and a verdict that needs it says "cannot be judged".  Run it again as runs
land.  The runs expected are the driver's: CORE_METHODS of tools/cifar10_mia19.sh (read from it) with seeds
1 2 3 for the two experiments, seed 1 for each class, and U-LiRA's `train` row plus its --methods.  Loading, rows
(mean, std n-1, Avg. Gap as `ugradsl report`) and the claims come from tools/cifar10_results.py.  Both files are
written atomically.  Exit status: 0 written (PARTIAL or not); 2 bad usage or input.
"""
import argparse
import datetime
import glob
import json
import math
import os
import re
import shlex
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cifar10_results as c10   # noqa: E402  (the issue-8 generator: its loading, rows and claims)

c10.PROG = PROG = "cifar10_mia19_results"
ROOT = c10.ROOT
DRIVER = os.path.join(ROOT, "tools", "cifar10_mia19.sh")
EXPERIMENTS = [("classwise", "cifar10-classwise", "class-wise (class 0)"),
               ("random", "cifar10-random", "random 10%")]
SEEDS = "1 2 3"
CLASSES = (1, 3, 8)
ULIRA_TITLE = {"df": "Shadows forget the experiment's forget-set size (`ulira plan --forget df`)",
               "in": "Shadows forget their IN half of the pool only (`--forget in`, the first run)"}
OLD_KEYS = ["UA", "MIA", "MIA_std", "MIA_lo", "MIA_hi", "RA", "TA", "avg_gap", "avg_gap_std", "runs",
            "mia_flip_runs"]
THR_KEYS = [("thr_auc", "Thr. AUC"), ("thr_tpr_1e-2", "TPR@1% FPR"), ("thr_tpr_1e-3", "TPR@0.1% FPR")]


def die(msg):
    c10.die(msg)


def driver_settings(path=DRIVER):
    """(CORE_METHODS, U-LiRA's methods of stage ulira, of stage ulira-df, its (K, pool), the planned machine hours
    of its header's "About X h in all") as tools/cifar10_mia19.sh runs them: one place says what is expected."""
    try:
        text = open(path).read()
    except OSError as e:
        die(f"{path}: cannot read the driver ({e}); it says which runs to expect")
    v = {k: re.search(rf'^{k}=("([^"]+)"|(\d+))', text, re.M)
         for k in ("CORE_METHODS", "ULIRA_METHODS", "ULIRA_DF_METHODS", "ULIRA_SHADOWS", "ULIRA_POOL")}
    if not all(v.values()):
        die(f"{path}: no {', '.join(k for k in v if not v[k])} line in it (NAME=\"...\" or NAME=N)")
    val = {k: m.group(2) or m.group(3) for k, m in v.items()}
    planned = re.search(r"About ([0-9.]+) h in all", text)
    if not planned:
        die(f"{path}: its header does not say \"About X h in all\" (the planned machine time)")
    return (val["CORE_METHODS"], val["ULIRA_METHODS"].split(), val["ULIRA_DF_METHODS"].split(),
            (int(val["ULIRA_SHADOWS"]), int(val["ULIRA_POOL"])), float(planned.group(1)))


def pm3(mean, std, n):
    """A fraction (AUC, TPR) to 3 decimals, ± std over seeds when there are several."""
    if not c10.fin(mean):
        return "—"
    return f"{mean:.3f} ± {std:.3f}" if n > 1 else f"{mean:.3f}"


def seeds_cell(m, want, n_done):
    n_want = sum(1 for mm, _ in want if mm == m)
    n_have = n_done.get(m, 0)
    return f"{n_have}" if n_have >= n_want else f"{n_have} (not finished: {n_have} of {n_want} runs done)"


def gap_cell(row):
    if row["method"] == "retrain":
        return "0 (ref)"
    return c10.pm(row["avg_gap"], row["avg_gap_std"], len(row["_runs"])) if c10.fin(row["avg_gap"]) else "—"


def methods_of(rows, want):
    return sorted({m for m, _ in want} | {r["method"] for r in rows}, key=lambda m: (c10.rank(m), m))


# ---- reading ----

def load_old(path):
    """Issue 8's rows {method: row} from a report.json-format file, or ({}, note) when it cannot be used."""
    if not path:
        return {}, "no issue-8 file given"
    try:
        with open(path) as f:
            rows = json.load(f)
        old = {r["method"].lower(): r for r in rows}
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        return {}, f"{path}: cannot read issue 8's rows ({e})"
    note = None
    if any(c10.fin(r.get("thr_auc")) for r in old.values()):
        # issue 8's evaluations had no threshold attack: a file with one was made after the sampling fix
        note = (f"{path} has threshold-attack values, which issue 8's evaluations did not have: it may already be "
                "a post-issue-19 file, so the \"issue 8\" columns may not be the first-N member draw "
                "(`git log -- " + os.path.relpath(path, ROOT) + "` finds the issue-8 version)")
    return old, note


def seed1(exp):
    """Class 0 for the class table: the class-wise experiment's original and seed-1 runs only."""
    runs = [r for r in exp["runs"] if r["method"] == "original" or str(r["seed"]) == "1"]
    want = {(m, s) for m, s in exp["want"] if s in (None, "1")}
    have = {(r["method"], str(r["seed"]) if r["method"] != "original" else None) for r in runs}
    n_done = {}
    for m, _ in have:
        n_done[m] = n_done.get(m, 0) + 1
    return {"dir": exp["dir"], "want": want, "runs": runs, "rows": c10.build_rows(runs),
            "missing": sorted(want - have, key=lambda x: (c10.rank(x[0]), x[0], x[1] or "")), "n_done": n_done}


def log_unlearn_times(logs):
    """{method: [s, ...]}: the RTE of every shadow unlearning, from the shadow jobs' logs ("unlearn: M done in X s
    (RTE; ...").  A requeued task's log may hold an interrupted attempt first: the last line per (log, method)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(logs, "ulira-shadow-*.out"))):
        last = {}
        try:
            for line in open(path, errors="replace"):
                mo = re.search(r"unlearn: (\S+) done in ([0-9.]+) s \(RTE", line)
                if mo:
                    last[mo.group(1).lower()] = float(mo.group(2))
        except OSError:
            continue
        for m, s in last.items():
            out.setdefault(m, []).append(s)
    return out


def job_hours(exp):
    """Machine time of an experiment's finished runs, in hours: a training's wall time (train.json wall_s; a resumed
    training counts its last attempt only) or an unlearning's RTE, plus every evaluation (metrics.json eval_s).
    Packing, splits and reports (minutes) are left out."""
    total = 0.0
    for d in c10.run_dirs(exp):
        if not c10.finished(d):
            continue
        try:
            m = json.load(open(os.path.join(d, "metrics.json")))
        except (OSError, ValueError):
            continue
        t = m.get("timing") or {}
        total += t.get("eval_s") or 0
        tj = os.path.join(d, "train.json")
        if os.path.isfile(tj):
            try:
                total += json.load(open(tj)).get("wall_s") or 0
            except (OSError, ValueError):
                pass
        elif not os.path.isfile(os.path.join(d, "SHARED_FROM")):
            total += t.get("rte_s") or 0
    return total / 3600


def load_ulira(d, methods, forget, own_training=True):
    """U-LiRA's results in D (ulira-METHOD.json, `train` first), its plan header and its cost.  forget: what the
    driver plans a shadow to unlearn (df or in; plan.txt's forget line wins once it exists, version 1 = in);
    own_training False: the shadows' trainings are linked from another run (their time is counted there)."""
    u = {"dir": d, "methods": ["train"] + [m for m in methods if m != "train"], "results": {}, "missing": [],
         "K": None, "pool": None, "done": None, "train_s": [], "unlearn_s": {}, "forget": forget,
         "own_training": own_training}
    plan = os.path.join(d, "plan.txt")
    if os.path.isfile(plan):
        head = open(plan).read(4096).split()
        for key in ("K", "pool"):
            if key in head and head.index(key) + 1 < len(head) and head[head.index(key) + 1].isdigit():
                u[key] = int(head[head.index(key) + 1])
        u["forget"] = head[head.index("forget") + 1] if "forget" in head[:12] else "in"
    for m in u["methods"]:
        path = os.path.join(d, f"ulira-{m}.json")
        if not os.path.isfile(path):
            u["missing"].append(m)
            continue
        try:
            with open(path) as f:
                r = json.load(f)
        except (OSError, ValueError) as e:
            die(f"{path}: cannot read ({e}); rerun its scoring (jobs/ulira-score.sbatch) or move it away")
        if r.get("format") != "ugradsl-ulira" or str(r.get("method", "")).lower() != m:
            die(f"{path}: not a U-LiRA result of method {m} (format/method)")
        for k in ("accuracy", "auc", "tpr_at_fpr_1e-2", "tpr_at_fpr_1e-3", "pairs", "K", "pool"):
            if not c10.fin(r.get(k)):
                die(f"{path}: \"{k}\" is not a number")
        u["results"][m] = r
        u["K"], u["pool"] = u["K"] or r["K"], u["pool"] or r["pool"]
    u["done"] = c10.done_time(d)
    for t in sorted(glob.glob(os.path.join(d, "shadow-*", "train", "train.json"))) if own_training else []:
        try:
            w = json.load(open(t)).get("wall_s")
        except (OSError, ValueError):
            w = None
        if c10.fin(w):
            u["train_s"].append(w)
    u["unlearn_s"] = log_unlearn_times(os.path.join(d, "logs"))
    return u


def sampling_checks(e, label):
    """Facts of the runs that the rows do not carry: (warnings for runs evaluated without issue 19's member draw
    (no mia.member_sampling: the first-N draw), the threshold attack's power on kept data: [(method, seed, AUC)])."""
    old_draw, power = [], []
    for r in e["runs"]:
        try:
            with open(r["path"]) as f:
                mia = json.load(f).get("mia") or {}
        except (OSError, ValueError):
            mia = {}
        if not isinstance(mia.get("member_sampling"), dict):
            old_draw.append(os.path.relpath(os.path.dirname(r["path"]), e["dir"]))
        auc = c10.jpath(mia, "threshold.logit_confidence.members_vs_test.auc")
        if c10.fin(auc):
            power.append((r["method"], r["seed"], auc))
    notes = [f"{label}: {', '.join(old_draw)}: no mia.member_sampling in metrics.json, so evaluated with the "
             "first-N member draw of before issue 19: re-evaluate (`ugradsl eval`) before reading its MIA"] if old_draw else []
    return notes, power


def power_line(power):
    """One sentence on the threshold attack's power on data the model kept (METRICS.md §3: near 0.5, no threshold
    attack can show anything about D_f either)."""
    if not power:
        return None
    aucs = [a for _, _, a in power]
    orig = [a for m, _, a in power if m == "original"]
    return (f"Threshold attack's power on kept data (logit confidence, drawn D_r members vs test, AUC): "
            + (f"the original {orig[0]:.3f}; " if orig else "")
            + f"{min(aucs):.3f}–{max(aucs):.3f} over the {len(aucs)} finished runs. Near 0.5 the attack cannot tell "
            "seen from unseen data even for kept samples, and its D_f columns say nothing (docs/METRICS.md §3).")


# ---- claims (the issue-8 page's, per experiment or class) ----

def close_claim(rows, a_name, b_name):
    """'a is at least as close to Retrain as b' (Avg. Gap a <= b): (verdict, sentence)."""
    a, b = c10.find(rows, a_name), c10.find(rows, b_name)
    missing = [m for m, r in ((a_name, a), (b_name, b)) if r is None or not c10.fin(r["avg_gap"])]
    if missing:
        return "cannot be judged", (f"no Avg. Gap for {', '.join(c10.display(m) for m in missing)} "
                                    "(not finished or no Retrain)")
    diff = b["avg_gap"] - a["avg_gap"]
    spread = math.hypot(*(r["avg_gap_std"] if c10.fin(r["avg_gap_std"]) else 0.0 for r in (a, b)))
    few = min(len(a["_runs"]), len(b["_runs"])) < 2
    text = f"{c10.display(a_name)} {c10.gap_with_seeds(a)} vs {c10.display(b_name)} {c10.gap_with_seeds(b)}"
    if few:
        text += "; only one seed on a side, so no seed spread to compare with"
    else:
        text += f"; the difference {abs(diff):.2f} {'exceeds' if abs(diff) > spread else 'is within'} the combined seed std {spread:.2f}"
    if diff >= 0:
        return ("holds" if not few and diff > spread else "holds, but not beyond the seed spread"), text
    # with one seed there is no spread to be within: plain "does not hold", as gap_claim says it
    return ("does not hold" if few or -diff > spread else "does not hold, but within the seed spread"), text


def parse_iso(text):
    """'2026-12-06T11:05:00Z' -> aware datetime; None for None or other text."""
    if text is None:
        return None
    try:
        return datetime.datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        return None


def run_start(run):
    """When run's job began, estimated from below (so a run is never counted quiet by mistake): its DONE time less
    its startup, RTE (a Retrain's: its training) and evaluation, less a minute for loading and MPI start.  None
    without a DONE time or an RTE (a resumed Retrain has none: its RTE is not one measurement)."""
    done = parse_iso(c10.done_time(os.path.dirname(run["path"])))
    spent = [run["timing"].get(k) for k in ("startup_s", "rte_s", "eval_s")]
    if done is None or not c10.fin(run["rte_s"]):
        return None
    return done - datetime.timedelta(seconds=sum(x for x in spent if c10.fin(x)) + 60)


def quiet_rows(rows, since):
    """Copies of rows whose RTE (mean, std, count) is over the runs that started at or after since alone."""
    out = []
    for row in rows:
        quiet = [r for r in row["_runs"] if (t := run_start(r)) is not None and t >= since]
        q = dict(row)
        q["rte_s"], q["rte_s_std"], q["_n_rte_s"] = c10.mean_std([r["rte_s"] for r in quiet])
        out.append(q)
    return out


def claims(rows, key, epochs, rte_not_quiet=None, quiet_since=None):
    """[(claim, verdict, sentence)] for one experiment or class; key selects the paper's column for the RTE.
    rte_not_quiet: why these runs' wall times are not quiet-machine timings; the RTE claim is then not judged
    (other work on the 2 cores stretches each job's wall time by a different factor, so the ratio says nothing),
    unless quiet_since (a datetime) is given: then it is judged from the runs that started from then on alone."""
    rte = c10.rte_claim(rows, "ugradsl", c10.PAPER[key], epochs)
    if rte_not_quiet and rte[0] != "cannot be judged":
        q = quiet_rows(rows, quiet_since) if quiet_since else None
        qrte = c10.rte_claim(q, "ugradsl", c10.PAPER[key], epochs) if q else ("cannot be judged", "")
        stamp = quiet_since.strftime("%Y-%m-%dT%H:%M:%SZ") if quiet_since else None
        if qrte[0] != "cannot be judged":
            n_a = c10.find(q, "ugradsl")["_n_rte_s"]
            rte = (qrte[0], f"{qrte[1]}. Quiet-machine runs only (started at or after {stamp}: {n_a} of UGradSL, "
                            f"{c10.find(q, 'retrain')['_n_rte_s']} of Retrain); the runs before: {rte_not_quiet}")
        else:
            rte = ("not judged: timed beside other work", f"{rte[1]}. Not judged: {rte_not_quiet}"
                   + (f"; no run of UGradSL or Retrain with an RTE started at or after {stamp}" if stamp else ""))
    out = [("UGradSL's Avg. Gap below GA's",) + c10.gap_claim(rows, "ugradsl", "ga"),
           ("UGradSL's Avg. Gap below FT's",) + c10.gap_claim(rows, "ugradsl", "ft"),
           ("UGradSL+'s Avg. Gap below FT's",) + c10.gap_claim(rows, "ugradsl+", "ft"),
           ("UGradSL+ at least as close to Retrain as UGradSL",) + close_claim(rows, "ugradsl+", "ugradsl"),
           ("UGradSL's RTE a small fraction of Retrain's",) + rte]
    return out


def judged(verdict):
    return verdict != "cannot be judged" and not verdict.startswith("not judged")


def holds(verdict):
    return verdict.startswith("holds")


def old_rows(old):
    """Issue 8's JSON rows as rows that the claims read (the seed count stands in for the runs)."""
    out = []
    for m, o in old.items():
        r = {"method": m, "_runs": [None] * int(o.get("runs") or 0), "_n_rte_s": int(o.get("runs") or 0)}
        for k in ("UA", "RA", "avg_gap", "avg_gap_std", "rte_s", "rte_s_std"):
            r[k] = o[k] if c10.fin(o.get(k)) else math.nan
        out.append(r)
    return out


def config_for(runs, name, fallback):
    p = os.path.join(runs, "mia19-inputs", name + ".ini")
    return p if os.path.isfile(p) else os.path.join(ROOT, "inputs", fallback + ".ini")


# ---- writing ----

def main_table(e):
    L = ["| Method | UA | MIA [lo, hi] | " + " | ".join(t for _, t in THR_KEYS) +
         " | RA | TA | Add. MIA | Avg. Gap | RTE (min) | Seeds |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for m in methods_of(e["rows"], e["want"]):
        row, seeds = c10.find(e["rows"], m), seeds_cell(m, e["want"], e["n_done"])
        if row is None:
            L.append(f"| {c10.display(m)} | " + " | ".join(["—"] * 10) + f" | {seeds} |")
            continue
        mark = " ‡" if any(r["diverged"] for r in row["_runs"]) else ""
        cells = [c10.pm(row["UA"], row["UA_std"], row["_n_UA"]), c10.mia_cell(row)]
        cells += [pm3(row[k], row[k + "_std"], row["_n_" + k]) for k, _ in THR_KEYS]
        cells += [c10.pm(row[k], row[k + "_std"], row["_n_" + k]) for k in ("RA", "TA", "add_MIA")]
        cells += [gap_cell(row), c10.pm(row["rte_s"], row["rte_s_std"], row["_n_rte_s"], 1 / 60)]
        L.append(f"| {c10.display(m)}{mark} | " + " | ".join(cells) + f" | {seeds} |")
    return "\n".join(L)


THR_FOOTNOTE = ("Thr.: the threshold attack on the logit-scaled confidence log(p/(1−p)), D_f vs the test set, no "
                "fitting: AUC (0.5 = D_f looks like unseen data) and TPR at 1% / 0.1% FPR, as fractions, mean ± std "
                "over seeds; Retrain's value is the target (docs/METRICS.md §3, threshold attacks).")


def old_mia_cell(o):
    if not o or not c10.fin(o.get("MIA")):
        return "—"
    n = int(o.get("runs") or 0)
    cell = c10.pm(o["MIA"], o.get("MIA_std") or 0.0, n)
    if c10.fin(o.get("MIA_lo")) and c10.fin(o.get("MIA_hi")):
        cell += f" [{o['MIA_lo']:.2f}, {o['MIA_hi']:.2f}]"
    flips = int(o.get("mia_flip_runs") or 0)
    return cell + (f" † ({flips}/{n})" if flips else "")


def old_new_table(e, old):
    L = ["| Method | MIA, issue 8 (first-N members) | MIA, now (stratified random) | Avg. Gap, issue 8 | Avg. Gap, "
         "now | max \\|Δ\\| of UA, RA, TA |", "|---|---:|---:|---:|---:|---:|"]
    for m in methods_of(e["rows"], e["want"]):
        row, o = c10.find(e["rows"], m), old.get(m)
        new_mia = c10.mia_cell(row) if row else "—"
        new_gap = gap_cell(row) if row else "—"
        old_gap = ("0 (ref)" if m == "retrain" else c10.pm(o["avg_gap"], o.get("avg_gap_std") or 0.0, int(o.get("runs") or 0))
                   if o and c10.fin(o.get("avg_gap")) else "—")
        d = [abs(row[k] - o[k]) for k in ("UA", "RA", "TA") if row and o and c10.fin(row[k]) and c10.fin(o.get(k))]
        L.append(f"| {c10.display(m)} | {old_mia_cell(o)} | {new_mia} | {old_gap} | {new_gap} | "
                 + (f"{max(d):.2f}" if len(d) == 3 else "—") + " |")
    return "\n".join(L)


def class_table(e):
    L = ["| Method | UA | MIA [lo, hi] | RA | TA | Avg. Gap | Seeds |", "|---|---:|---:|---:|---:|---:|---|"]
    for m in methods_of(e["rows"], e["want"]):
        row, seeds = c10.find(e["rows"], m), seeds_cell(m, e["want"], e["n_done"])
        if row is None:
            L.append(f"| {c10.display(m)} | — | — | — | — | — | {seeds} |")
            continue
        L.append(f"| {c10.display(m)}{' ‡' if any(r['diverged'] for r in row['_runs']) else ''} | "
                 f"{c10.pm(row['UA'], row['UA_std'], row['_n_UA'])} | {c10.mia_cell(row)} | "
                 f"{c10.pm(row['RA'], row['RA_std'], row['_n_RA'])} | {c10.pm(row['TA'], row['TA_std'], row['_n_TA'])} | "
                 f"{gap_cell(row)} | {seeds} |")
    return "\n".join(L)


def ulira_section(u, exp_forget=None, other=None):
    """exp_forget: |D_f| of the experiment the pool is drawn from (None when no run of it has finished); other: the
    U-LiRA run whose trained shadows U links (its `train` row must be U's)."""
    L = []
    if not u["results"]:
        L += [f"Not finished: no `ulira-*.json` in `{u['dir']}` yet (the shadows are queued last).", ""]
    else:
        L += ["| Method | Accuracy (%) | AUC | TPR@1% FPR | TPR@0.1% FPR | Pairs | AUC − 0.5, share of `train`'s |",
              "|---|---:|---:|---:|---:|---:|---:|"]
        tr = u["results"].get("train")
        for m in u["methods"]:
            r = u["results"].get(m)
            if r is None:
                L.append(f"| {m if m == 'train' else c10.display(m)} | — | — | — | — | not finished | — |")
                continue
            # how much of the attack's advantage with nothing forgotten is left after unlearning (0 = none)
            share = ((r["auc"] - 0.5) / (tr["auc"] - 0.5) if tr and m != "train" and tr["auc"] - 0.5 > 1e-9
                     else None)
            L.append(f"| {m if m == 'train' else c10.display(m)} | {100 * r['accuracy']:.2f} | {r['auc']:.3f} | "
                     f"{r['tpr_at_fpr_1e-2']:.3f} | {r['tpr_at_fpr_1e-3']:.3f} | {r['pairs']} | "
                     + (f"{r['auc'] - 0.5:+.3f}" + (f", {100 * share:.0f}%" if share is not None else "")) + " |")
        L += ["", "Last column: the attack's advantage over guessing left after unlearning, as a share of its "
              "advantage on the shadows before unlearning (0% = the unlearned samples look never trained on; "
              "100% = nothing forgotten)."]
        L.append("")
    # before the plan exists: the driver's --shadows and --pool
    k, pool = u["K"] or u["planned"][0], u["pool"] or u["planned"][1]
    planned = "" if u["K"] else " (planned: tools/cifar10_mia19.sh)"
    L.append(f"- K = {k} shadow models, a pool of {pool} samples of D_f{planned}; each pool "
             "sample is trained on (then unlearned) in K/2 shadows and never seen in the others; `train` is the "
             "shadows before unlearning (the attack's power with nothing forgotten).")
    if u["forget"] == "df":
        size = f" ({exp_forget - pool // 2} samples on average, the experiment's D_f less the OUT half)" if exp_forget else ""
        L.append(f"- Forget-set size: each shadow unlearns its IN half of the pool together with D_f outside the "
                 f"pool{size}, so every method gets the experiment's dose per sample.")
    if not u["own_training"] and other is not None:
        a_, b_ = u["results"].get("train"), other["results"].get("train")
        same = ("its `train` row equals that run's to the digit" if a_ and b_ and all(
            a_[k] == b_[k] for k in ("accuracy", "auc", "tpr_at_fpr_1e-2", "tpr_at_fpr_1e-3", "pairs"))
            else "**its `train` row differs from that run's: the linked models or the scoring are not the same**"
            if a_ and b_ else "its `train` row is compared with that run's once both are scored")
        why_not = {"ft": "it never touches D_f, so its dose does not depend on the forget set's size"}
        skipped = [c10.display(m) + (f" ({why_not[m]})" if m in why_not else "")
                   for m in other["methods"][1:] if m not in u["methods"]]
        L.append(f"- The trained shadows are `{shown(other['dir'])}`'s, linked (retain ∪ forget is the same set "
                 f"whatever the forget mode, so the same seed and ranks train the same model): {same}."
                 + (f"  Not rerun here: {'; '.join(skipped)}." if skipped else ""))
    if exp_forget and u["forget"] == "in":
        # ugradsl+ pairs every D_r batch with a D_f batch of the same size, so a small D_f is cycled: per-sample
        # ascent grows as |D_f| shrinks, while ga and ugradsl make passes over D_f and ft never touches it
        L.append(f"- Forget-set size: each shadow unlearns only its IN half (about {pool // 2} samples), "
                 f"1/{exp_forget / (pool // 2):.0f} of the experiment's D_f ({exp_forget}), with the experiment's "
                 "hyper-parameters.  UGradSL+ pairs every D_r batch with an equally large D_f batch, so it ascends on "
                 f"each forgotten sample at least {exp_forget / (pool // 2):.0f}× as often as in the experiment (the "
                 "shadows' D_r, which paces it, is the larger); GA and "
                 "UGradSL make passes over D_f and FT never touches it, so their dose per sample is the experiment's.  "
                 "A row far above `train` therefore means overshoot (forgotten samples end less confident than "
                 "never-seen ones), and says how these recipes treat a small forget set, not how the 10% "
                 "experiment's models forgot: the `--forget df` run measures that.")
    cost = []
    if not u["own_training"]:
        cost.append("trainings linked from the other run (counted there)")
    if u["train_s"]:
        cost.append(f"{len(u['train_s'])} shadow trainings, {sum(u['train_s']) / 3600:.2f} h in all "
                    f"({sum(u['train_s']) / len(u['train_s']) / 60:.1f} min each, train.json wall_s: a resumed training counts its last attempt only)")
    for m in u["methods"][1:]:
        ts = u["unlearn_s"].get(m)
        if ts:
            cost.append(f"{c10.display(m)} {len(ts)} unlearnings, {sum(ts) / 60:.1f} min")
    L.append("- Cost: " + ("; ".join(cost) + " (unlearning: RTE from the shadow jobs' logs)" if cost
                           else "no shadow has finished yet") + ".")
    pairs = next((r["pairs"] for r in u["results"].values()), k * pool)
    # balanced design: half of the K·N pairs are negatives (never trained on)
    fp = int(0.001 * (pairs // 2))
    at = (f"{pairs} pairs, about {pairs // 2} negatives: 0.1% FPR allows "
          + (f"at most {fp} false positive{'s' if fp > 1 else ''}, so TPR there rests on the {fp} "
             "highest-scored negative" + ("s" if fp > 1 else "") if fp else
             "no false positive at all, so TPR there is the share of positives scored above every negative"))
    L.append(f"- Caveat (docs/METRICS.md §6): {at}; it is noisy: read it with that caveat (AUC and TPR at 1% are the "
             "sturdier numbers). The pairs are not independent (each sample once per target shadow), and Hayes et "
             "al. use far more shadows: compare methods by ranking, not absolute values.")
    if u["done"]:
        L.append(f"- Scored {u['done']} (DONE).")
    return L


def write_json(path, doc):
    def clean(v):
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if isinstance(v, dict):
            return {k: clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v
    c10.atomic_write(path, json.dumps(clean(doc), indent=2) + "\n")


def rows_json(e, old=None):
    out = []
    for row in e["rows"]:
        o = c10.row_json(row)
        o["seeds"] = [r["seed"] for r in row["_runs"]]
        if old is not None:
            o["issue8"] = {k: old[row["method"]].get(k) for k in OLD_KEYS} if row["method"] in old else None
        out.append(o)
    return out


def missing_text(missing):
    return ", ".join(c10.display(m) + (f" seed {s}" if s else "") for m, s in missing)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default=os.path.join(ROOT, "runs"))
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "results"))
    ap.add_argument("--old-classwise", default=os.path.join(ROOT, "docs", "results", "cifar10-classwise.json"))
    ap.add_argument("--old-random", default=os.path.join(ROOT, "docs", "results", "cifar10-random.json"))
    ap.add_argument("--rte-not-quiet", metavar="WHY", default=None,
                    help="the runs were timed while other work shared the machine (say what): the RTE verdicts "
                         "of these runs are then not judged; the RTE column is still shown")
    ap.add_argument("--rte-quiet-since", metavar="ISO", default=None,
                    help="with --rte-not-quiet: the machine was quiet from ISO (YYYY-MM-DDTHH:MM:SSZ) on; RTE "
                         "verdicts from the runs that started then or later")
    a = ap.parse_args()
    if a.rte_not_quiet is not None and not a.rte_not_quiet.strip():
        die("--rte-not-quiet needs a reason (what else ran on the machine)")
    a.quiet_since = None
    if a.rte_quiet_since is not None:
        a.quiet_since = parse_iso(a.rte_quiet_since)
        if a.quiet_since is None:
            die(f"--rte-quiet-since {a.rte_quiet_since!r}: not a UTC time like 2026-12-06T11:05:00Z")
        if a.rte_not_quiet is None:
            die("--rte-quiet-since needs --rte-not-quiet WHY (what ran before that time)")
    if not os.path.isdir(a.runs):
        die(f"--runs {a.runs}: no such directory (where tools/cifar10_mia19.sh ran)")
    core, ulira_methods, ulira_df_methods, ulira_planned, planned_h = driver_settings()
    notes = []
    exps, old = {}, {}
    for key, name, _ in EXPERIMENTS:
        exps[key], w = c10.load_experiment(os.path.join(a.runs, name), core, SEEDS)
        notes += w
        old[key], note = load_old(getattr(a, "old_" + key))
        if note:
            notes.append(note)
    classes = {0: seed1(exps["classwise"])}
    for c in CLASSES:
        classes[c], w = c10.load_experiment(os.path.join(a.runs, f"cifar10-classwise-c{c}"), core, "1")
        notes += w
    power = {}
    for key, _, label in EXPERIMENTS:
        w, power[key] = sampling_checks(exps[key], label)
        notes += w
    for c in CLASSES:
        notes += sampling_checks(classes[c], f"class {c}")[0]
    # stage ulira: shadows forget their IN half only; stage ulira-df: the same trained shadows forget the
    # experiment's forget-set size (tools/cifar10_mia19.sh)
    ulira = load_ulira(os.path.join(a.runs, "cifar10-random", "ulira"), ulira_methods, "in")
    ulira_df = load_ulira(os.path.join(a.runs, "cifar10-random", "ulira-df"), ulira_df_methods, "df", False)
    ulira["planned"] = ulira_df["planned"] = ulira_planned
    epochs = {key: c10.retrain_epochs(config_for(a.runs, name, name)) for key, name, _ in EXPERIMENTS}
    for c in CLASSES:
        epochs[c] = c10.retrain_epochs(config_for(a.runs, f"cifar10-classwise-c{c}", "cifar10-classwise"))
    epochs[0] = epochs["classwise"]
    verdicts = {c: claims(classes[c]["rows"], "classwise", epochs[c], a.rte_not_quiet, a.quiet_since) for c in classes}
    exp_verdicts = {key: (claims(exps[key]["rows"], key, epochs[key], a.rte_not_quiet, a.quiet_since),
                          claims(old_rows(old[key]), key, epochs[key]) if old[key] else None)
                    for key, _, _ in EXPERIMENTS}
    for n in notes:
        print(f"{PROG}: warning: {n}", file=sys.stderr)
    n_missing = (sum(len(exps[k]["missing"]) for k in exps) + sum(len(classes[c]["missing"]) for c in CLASSES)
                 + len(ulira["missing"]) + len(ulira_df["missing"]))
    partial = n_missing > 0
    md = document(a, exps, old, classes, verdicts, exp_verdicts, (ulira_df, ulira), notes, partial, power, planned_h)
    doc = {"format": "ugradsl-cifar10-mia19", "generated": now(), "runs": a.runs, "partial": partial,
           "rte_not_quiet": a.rte_not_quiet, "rte_quiet_since": a.rte_quiet_since,
           "missing": {**{k: [[m, s] for m, s in exps[k]["missing"]] for k in exps},
                       **{f"class{c}": [[m, s] for m, s in classes[c]["missing"]] for c in CLASSES},
                       "ulira": ulira["missing"], "ulira_df": ulira_df["missing"]},
           "experiments": {k: {"dir": exps[k]["dir"], "rows": rows_json(exps[k], old[k]),
                               "members_vs_test_auc": [{"method": m, "seed": sd, "auc": v} for m, sd, v in power[k]],
                               "verdicts": [{"claim": c, "verdict": v, "text": t} for c, v, t in exp_verdicts[k][0]],
                               "issue8_verdicts": [{"claim": c, "verdict": v, "text": t} for c, v, t in exp_verdicts[k][1]]
                               if exp_verdicts[k][1] else None} for k in exps},
           "classes": {str(c): {"dir": classes[c]["dir"], "rows": rows_json(classes[c]),
                                "verdicts": [{"claim": cl, "verdict": v, "text": t} for cl, v, t in verdicts[c]]}
                       for c in classes},
           **{key: {"dir": u["dir"], "forget": u["forget"], "K": u["K"], "pool": u["pool"],
                    "planned_K_pool": list(ulira_planned), "trainings_linked": not u["own_training"],
                    "rows": [{k: u["results"][m].get(k) for k in ("method", "accuracy", "auc", "tpr_at_fpr_1e-2",
                                                                 "tpr_at_fpr_1e-3", "pairs")}
                             for m in u["methods"] if m in u["results"]],
                    "train_s": u["train_s"], "unlearn_s": u["unlearn_s"]}
              for key, u in (("ulira", ulira), ("ulira_df", ulira_df))},
           "warnings": notes}
    os.makedirs(a.out, exist_ok=True)
    write_json(os.path.join(a.out, "cifar10-mia19.json"), doc)
    c10.atomic_write(os.path.join(a.out, "cifar10-mia19.md"), md)
    print(f"wrote {a.out}/cifar10-mia19.md, cifar10-mia19.json"
          + (f" (PARTIAL: {n_missing} expected results missing)" if partial else ""))
    return 0


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def shown(path):
    rel = os.path.relpath(os.path.abspath(path), ROOT)
    return path if rel.startswith("..") else rel


def document(a, exps, old, classes, verdicts, exp_verdicts, uliras, notes, partial, power, planned_h):
    """uliras: the U-LiRA runs, the one at the experiment's forget-set size first; planned_h: the driver's plan."""
    L = ["# CIFAR-10 re-measured (issue 19): unbiased MIA members, threshold attacks, classes 1/3/8, U-LiRA"
         + (" — PARTIAL" if partial else ""), ""]
    if partial:
        L += ["**PARTIAL: not every run has finished; rows marked \"not finished\" are incomplete or missing, and "
              "every verdict below may change.  Rerun the generator as runs land.**", ""]
        for key, _, label in EXPERIMENTS:
            e = exps[key]
            L.append(f"- {label}: {len(e['want']) - len(e['missing'])} of {len(e['want'])} runs done"
                     + (f"; missing {missing_text(e['missing'])}" if e["missing"] else ""))
        for c in CLASSES:
            e = classes[c]
            L.append(f"- class {c}: {len(e['want']) - len(e['missing'])} of {len(e['want'])} runs done"
                     + (f"; missing {missing_text(e['missing'])}" if e["missing"] else ""))
        for u in uliras:
            L.append(f"- U-LiRA ({os.path.basename(u['dir'])}): {len(u['methods']) - len(u['missing'])} of "
                     f"{len(u['methods'])} results" + (f"; missing {', '.join(u['missing'])}" if u["missing"] else ""))
        L.append("")
    flag = f" --rte-not-quiet {shlex.quote(a.rte_not_quiet)}" if a.rte_not_quiet else ""
    flag += f" --rte-quiet-since {a.rte_quiet_since}" if a.rte_quiet_since else ""
    L += [f"Generated {now()} by `/usr/bin/python3 tools/cifar10_mia19_results.py --runs {shown(a.runs)}{flag}` from the run "
          f"trees under `{shown(a.runs)}`.", ""]
    L += ["## Machine and runs", "", f"- {c10.machine()}"]
    trees = [(label, exps[key]) for key, _, label in EXPERIMENTS] + [(f"class {c}", classes[c]) for c in CLASSES]
    for label, e in trees:
        t = c10.done_times(e["dir"])
        ws = sorted({r["world_size"] for r in e["runs"] if r["world_size"]})
        L.append(f"- {label}: " + (f"runs finished between {t[0]} and {t[1]}; MPI ranks per run: "
                                   f"{', '.join(map(str, ws)) or '?'}" if t else "no run finished yet"))
    L.append("- CPU only, one Slurm job at a time (tools/slurm-local.sh); other work shared the 2 cores at times, "
             "which slows a job's wall time (RTE) but changes none of its other numbers.")
    hours = [(label, job_hours(e["dir"])) for label, e in trees]
    uh = sum(sum(u["train_s"]) + sum(sum(v) for v in u["unlearn_s"].values()) for u in uliras) / 3600
    L.append(f"- Machine time of the finished jobs{' so far' if partial else ''}: {sum(h for _, h in hours) + uh:.1f} h ("
             + "; ".join(f"{label} {h:.1f} h" for label, h in hours) + f"; U-LiRA {uh:.1f} h): trainings' wall time, "
             "unlearnings' RTE and every evaluation, summed; packing and splits left out; jobs slowed by other work "
             f"count their slowed time.  Planned in all: about {planned_h:g} h (tools/cifar10_mia19.sh's header).")
    if a.rte_not_quiet and a.quiet_since:
        L.append(f"- RTE: before {a.rte_quiet_since} not a quiet-machine timing ({a.rte_not_quiet}).  The RTE columns "
                 "show every run as measured; the RTE verdicts use only the runs that started at or after "
                 f"{a.rte_quiet_since} (start estimated from below: DONE time less startup, RTE, evaluation and a "
                 "minute) and read \"not judged\" where UGradSL or Retrain has no such run.")
    elif a.rte_not_quiet:
        L.append(f"- RTE: not a quiet-machine timing ({a.rte_not_quiet}); the RTE columns are shown as measured and "
                 "every RTE verdict on this page is marked \"not judged\".")
    L += ["", "## Commands", "", "```sh",
          "tools/cifar10_mia19.sh --stage all     # under nohup: rerun, classes 1/3/8, U-LiRA; resumable",
          "/usr/bin/python3 tools/cifar10_mia19_results.py   # this page; rerun as runs land", "```", "",
          "The rerun trains every model from scratch (the issue-8 run trees are gone) with the hyper-parameters "
          "chosen in issue 8 (inputs/cifar10-chosen.txt, no sweep), the same recipe and seeds; every evaluation "
          "draws the MIA members at random, stratified like D_r (issue 19), and adds the threshold attacks. "
          "Classes 1, 3 and 8 are forgotten with the hyper-parameters chosen on class 0, one seed each, from the "
          "class-wise original.", ""]
    L += ["## How to read this page", "",
          "UA, RA, TA and Add. MIA as in the issue-8 page; MIA is MIA-Efficacy (the one-feature SVC) with the "
          "[2.5, 97.5] percentiles of its bootstrap refits, and † marks rows where some refit flips the verdict: "
          "such a number says nothing about forgetting. The threshold attack needs no fitting and is the sturdier "
          "per-model readout; U-LiRA asks per sample, with shadow models, whether an unlearned sample can still be "
          "told from one never trained on (AUC 0.5 = it cannot). A method is close to Retrain when its numbers are "
          "close to Retrain's, not when they are high. What each attack means and when not to trust it: "
          "[docs/METRICS.md](../METRICS.md) §3 (MIA-Efficacy, its stability, threshold attacks), §6 (U-LiRA) and "
          "§7 (what to conclude, per attack).", ""]
    for key, _, label in EXPERIMENTS:
        e = exps[key]
        L += [f"## Results: {label}", "", main_table(e), "", c10.MIA_FOOTNOTE, "", THR_FOOTNOTE, ""]
        if power_line(power[key]):
            L += [power_line(power[key]), ""]
        if any(r["diverged"] for r in e["runs"]):
            L += ["‡ at least one run diverged (diverged_reason in its metrics.json).", ""]
        if e["missing"]:
            L += [f"Not finished: {missing_text(e['missing'])}.", ""]
        L += [f"### {label}: issue 8 vs now", "",
              "Issue 8 drew the SVC's members as the first |D_te| retain records in file order (class-wise: classes "
              "1 and 2 only); now they are drawn at random, stratified like D_r. The models are trained again from "
              "scratch with the same seeds and arguments: the last column shows how far the models' own accuracies "
              "moved, so an MIA change with that column near 0 is the sampling fix alone.", "",
              old_new_table(e, old[key]), ""]
        if not old[key]:
            L += ["(No issue-8 rows: give --old-" + key + ".)", ""]
        new_v, old_v = exp_verdicts[key]
        L += [f"Verdicts of the issue-8 page (computed, as there; Avg. Gap differences against the combined seed "
              f"std):", ""]
        for i, (claim, verdict, text) in enumerate(new_v):
            was = f" (issue-8 numbers: {old_v[i][1]}" if old_v else ""
            if old_v and judged(verdict) and judged(old_v[i][1]) and holds(verdict) != holds(old_v[i][1]):
                was += "; CHANGED"
            was += ")" if old_v else ""
            L.append(f"- **{claim}: {verdict}.**{was} {text}.")
        L.append("")
    L += ["## Classes 1, 3 and 8 (class 0's hyper-parameters)", "",
          "One seed each, so no ± and no seed spread: a verdict that \"holds\" here holds for that seed. Avg. Gap "
          "is to that class's own Retrain. Class 0 is the class-wise experiment's seed 1, for reference (the class "
          "the hyper-parameters were chosen on).", ""]
    for c in sorted(classes):
        e = classes[c]
        L += [f"### Class {c}" + (" (reference: seed 1 of the class-wise experiment)" if c == 0 else ""), "",
              class_table(e), ""]
        for claim, verdict, text in verdicts[c]:
            L.append(f"- VERDICT class {c}: **{claim}: {verdict}.** {text}.")
        L.append("")
    L += ["MIA: mean, then the [2.5, 97.5] percentiles of its bootstrap refits; † (k/n): the verdict flips under "
          "the bootstrap in k of n runs (the number is an accident of the fit). ‡: a run diverged.", ""]
    summary = []
    for i, (claim, _, _) in enumerate(verdicts[0]):
        cells = [f"class {c}: {verdicts[c][i][1]}" for c in sorted(verdicts)]
        ref = verdicts[0][i][1]
        other = [str(c) for c in CLASSES if judged(ref) and judged(verdicts[c][i][1])
                 and holds(verdicts[c][i][1]) != holds(ref)]
        summary.append(f"- {claim} — " + "; ".join(cells) + "."
                       + (f" **Not as on class 0: class {', '.join(other)}.**" if other else ""))
    L += ["Across classes:", ""] + summary + [""]
    L += ["Not re-evaluated here: the α-sign comparison (the literal self-adaptive variant is not part of the "
          "rerun) and GA's BatchNorm control (GA (bn-only) is not rerun); their issue-8 verdicts stand or fall with "
          "docs/results/cifar10.md.", ""]
    r0 = next((r for r in exps["random"]["runs"] if r["counts"].get("forget")), None)
    L += ["## U-LiRA (random 10%)", ""]
    for u in uliras:
        L += [f"### {ULIRA_TITLE[u['forget']]}: `{shown(u['dir'])}`", ""]
        L += ulira_section(u, r0["counts"]["forget"] if r0 else None, uliras[-1]) + [""]
    if notes:
        L += ["## Warnings", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
