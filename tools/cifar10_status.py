#!/usr/bin/env python3
"""cifar10_status.py — where the CIFAR-10 reproduction stands (`make cifar10-status`): per experiment the runs and
sweeps done, the job Slurm is running, and the time left for what is queued, estimated from the durations of the
runs that finished (one job at a time, as on the local cluster).

  /usr/bin/python3 tools/cifar10_status.py [--runs DIR] [--json] [--squeue-file FILE]

--squeue-file FILE reads the queue from FILE (lines `id|name|state|elapsed|priority`, as
`squeue -h -o '%i|%j|%T|%M|%Q'` prints them) instead of asking Slurm: for tests and for a look from another machine.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys

from cifar10_results import read_grid   # the same reading of sweep/NAME.grid (matplotlib is loaded lazily there)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPERIMENTS = [("classwise", "class-wise (class 0)"), ("random", "random 10%")]
DEFAULT_RUN_S = 300.0   # a job kind with nothing finished to learn from


def run_seconds(path):
    """Wall time a finished run's job spent: start-up, the method (RTE) and its evaluation; None if unknown."""
    try:
        t = json.load(open(path)).get("timing") or {}
    except (OSError, ValueError):
        return None
    parts = [t.get(k) for k in ("startup_s", "rte_s", "eval_s")]
    return sum(p for p in parts if isinstance(p, (int, float))) if isinstance(t.get("rte_s"), (int, float)) else None


def mean(xs):
    return sum(xs) / len(xs) if xs else None


class Durations:
    """Mean durations of finished seed runs and sweep sets, by method label (e.g. ugradsl@adaptive-neg)."""

    def __init__(self, exp_dirs):
        self.run, self.set = {}, {}
        for exp in exp_dirs:
            for d in glob.glob(os.path.join(exp, "*", "seed-*")):
                if os.path.isfile(os.path.join(d, "DONE")):
                    s = run_seconds(os.path.join(d, "metrics.json"))
                    if s is not None:
                        self.run.setdefault(os.path.basename(os.path.dirname(d)), []).append(s)
            for f in glob.glob(os.path.join(exp, "sweep", "*.d", "set-*", "metrics.json")):
                s = run_seconds(f)
                if s is not None:
                    self.set.setdefault(os.path.basename(os.path.dirname(os.path.dirname(f)))[:-2], []).append(s)

    def seed_run(self, label):
        base = label.split("@", 1)[0]
        for v in (mean(self.run.get(label, [])), mean(self.run.get(base, []))):
            if v is not None:
                return v
        s = self.sweep_set(label)
        return 1.5 * s if s is not None else DEFAULT_RUN_S   # a seed run adds the full evaluation to a trial's

    def sweep_set(self, label):
        base = label.split("@", 1)[0]
        sets = self.set.get(label) or [v for k, vs in self.set.items() if k.split("@", 1)[0] == base for v in vs]
        return mean(sets)


def sweep_sets_left(exp, name):
    """Sets of sweep NAME not yet run (from its grid file; None when it has none)."""
    g = os.path.join(exp, "sweep", name + ".grid")
    if not os.path.isfile(g):
        return None
    fixed, sets = read_grid(g)
    left = 0
    for k, s in enumerate(sets, 1):
        d = os.path.join(exp, "sweep", f"{name}.d", f"set-{k}")
        want = " ".join((fixed + " " + s).split())
        try:
            done = os.path.isfile(os.path.join(d, "metrics.json")) and " ".join(open(os.path.join(d, "args")).read().split()) == want
        except OSError:
            done = False
        left += 0 if done else 1
    return left


def parse_elapsed(text):
    """Slurm's %M ([D-][HH:]MM:SS) in seconds."""
    days, _, rest = text.rpartition("-")
    parts = [int(p) for p in rest.split(":") if p.isdigit()]
    s = 0
    for p in parts:
        s = 60 * s + p
    return s + 86400 * (int(days) if days.isdigit() else 0)


def read_queue(squeue_file):
    if squeue_file:
        text = open(squeue_file).read()
    else:
        # the controller SLURM_CONF names, else the local cluster tools/cifar10.sh starts (its default places)
        confs = [None] + [c for c in ("/work/slurm/slurm.conf", os.path.expanduser("~/.ugradsl-slurm/slurm.conf"))
                          if not os.environ.get("SLURM_CONF") and os.path.isfile(c)]
        text = None
        for conf in confs:
            env = dict(os.environ, **({"SLURM_CONF": conf} if conf else {}))
            try:
                text = subprocess.run(["squeue", "-h", "-o", "%i|%j|%T|%M|%Q"], capture_output=True, text=True,
                                      timeout=30, check=True, env=env).stdout
                break
            except (OSError, subprocess.SubprocessError):
                continue
        if text is None:
            return None
    jobs = []
    for line in text.splitlines():
        f = line.strip().split("|")
        if len(f) == 5 and f[1].startswith("ug-cifar10-"):
            jobs.append({"id": f[0], "name": f[1], "state": f[2], "elapsed_s": parse_elapsed(f[3]),
                         "priority": int(f[4]) if f[4].isdigit() else 0})
    return jobs


def estimate(job, runs_dir, dur):
    """(seconds this job takes, a few words on what it is, whether that already leaves out the work done: a sweep
    counts only its sets not yet run, so its elapsed time is not subtracted again)."""
    m = re.match(r"ug-cifar10-(classwise|random)-(.*)$", job["name"])
    if not m:
        return DEFAULT_RUN_S, "?", False
    exp, stage = os.path.join(runs_dir, "cifar10-" + m.group(1)), m.group(2)
    if stage == "report":
        return 10.0, "report", False
    if stage.startswith("sweep-"):
        name = stage[len("sweep-"):]
        left = sweep_sets_left(exp, name)
        per = dur.sweep_set(name) or dur.seed_run(name) / 1.5
        if left is None:
            return per, "sweep", False
        return left * per, f"{left} sets", True
    s = re.match(r"(.*)-s(\d+)$", stage)
    if s:
        label = s.group(1)
        if os.path.isfile(os.path.join(exp, label, f"seed-{s.group(2)}", "DONE")):
            return 15.0, "kept or redone", False
        return dur.seed_run(label), "run", False
    return dur.seed_run(stage), stage, False


def hm(seconds):
    m = int(round(seconds / 60))
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", default=os.path.join(ROOT, "runs"))
    ap.add_argument("--json", action="store_true", help="one JSON object instead of the lines")
    ap.add_argument("--squeue-file")
    a = ap.parse_args()
    exps = [(k, label, os.path.join(a.runs, "cifar10-" + k)) for k, label in EXPERIMENTS]
    dur = Durations([d for _, _, d in exps])
    out = {"experiments": {}, "running": None, "queued": 0, "left_s": 0.0}
    for k, label, d in exps:
        done = sorted(glob.glob(os.path.join(d, "*", "seed-*", "DONE")))
        chosen = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(d, "sweep", "*.args")))
        grids = sorted(os.path.basename(p)[:-5] for p in glob.glob(os.path.join(d, "sweep", "*.grid")))
        out["experiments"][k] = {"label": label, "runs_done": len(done), "sweeps_chosen": chosen, "sweeps": len(grids),
                                 "exists": os.path.isdir(d)}
    jobs = read_queue(a.squeue_file)
    lines = []
    for k, label, d in exps:
        e = out["experiments"][k]
        if not e["exists"]:
            lines.append(f"{label}: not started ({d})")
            continue
        lines.append(f"{label}: {e['runs_done']} runs done (Retrain and method seeds); sweeps chosen "
                     f"{len(e['sweeps_chosen'])} of {e['sweeps']}" + (f": {' '.join(e['sweeps_chosen'])}" if e["sweeps_chosen"] else ""))
    if jobs is None:
        lines.append("Slurm: no controller answers (`make cifar10` starts the local one and resubmits what is not done)")
    else:
        nxt = []
        for j in sorted(jobs, key=lambda j: (j["state"] != "RUNNING", -j["priority"], j["id"])):
            total, what, net = estimate(j, a.runs, dur)
            if j["state"] == "RUNNING":
                left = total if net else max(total - j["elapsed_s"], 0.0)
                out["running"] = {"name": j["name"], "elapsed_s": j["elapsed_s"], "left_s": left}
                lines.append(f"running: {j['name']} ({hm(j['elapsed_s'])} elapsed, ~{hm(left)} left)")
            else:
                left = total
                out["queued"] += 1
                if len(nxt) < 5 and what != "report":
                    nxt.append(f"{j['name'][len('ug-cifar10-'):]} (~{hm(left)}{', ' + what if what not in ('run', 'report') else ''})")
            out["left_s"] += left
        lines.append(f"queued: {out['queued']} jobs; time left ≈ {hm(out['left_s'])} (one job at a time; from the "
                     "durations of the finished runs and sweep sets)")
        if nxt:
            lines.append("next: " + ", ".join(nxt))
    if a.json:
        print(json.dumps(out, indent=1))
    else:
        print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
