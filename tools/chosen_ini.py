#!/usr/bin/python3
"""chosen_ini.py — a CIFAR-10 experiment config with every swept method pinned to its chosen arguments.

  tools/chosen_ini.py CONFIG.ini EXPERIMENT [--chosen inputs/cifar10-chosen.txt] [--classes C] [--args-dir DIR]

Writes CONFIG.ini to stdout with each [sweep.NAME] section's `grid = ` lines replaced by the one set chosen for
EXPERIMENT (classwise | random) in the chosen file, so jobs/pipeline.sh runs the seeds with it and no sweep.  A
method without a chosen set keeps its grid (a sweep would run).  --classes C sets [split] classes = C (the
hyper-parameters stay those chosen on class 0).  --args-dir DIR also writes DIR/NAME.args (fixed args + chosen
set, as a sweep's NAME.args), for jobs/ulira.sh --args-dir.
"""
import argparse, os, re, sys

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("config")
ap.add_argument("experiment", choices=["classwise", "random"])
ap.add_argument("--chosen", default=os.path.join(os.path.dirname(__file__), "..", "inputs", "cifar10-chosen.txt"))
ap.add_argument("--classes")
ap.add_argument("--args-dir")
a = ap.parse_args()

chosen = {}
for n, line in enumerate(open(a.chosen), 1):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    parts = line.split(None, 2)
    if len(parts) != 3:
        sys.exit(f"chosen_ini: {a.chosen}:{n}: expected 'EXPERIMENT NAME ARGS'")
    if parts[0] == a.experiment:
        chosen[parts[1]] = parts[2]

sec, written, fixed, out = None, set(), {}, []
for line in open(a.config):
    m = re.match(r"\s*\[([^\]]+)\]", line)
    if m:
        sec = m.group(1)
    name = sec[len("sweep."):] if sec and sec.startswith("sweep.") else None
    if sec == "split" and a.classes is not None and re.match(r"\s*classes\s*=", line):
        out.append(f"classes = {a.classes}   # hyper-parameters as chosen on class 0 (tools/chosen_ini.py)\n")
        continue
    if name and re.match(r"\s*args\s*=", line):
        fixed[name] = line.split("=", 1)[1].split("#", 1)[0].strip()
    if name in chosen and re.match(r"\s*grid\s*=", line):
        if name not in written:
            out.append(f"grid = {chosen[name]}   # chosen ({os.path.basename(a.chosen)}, {a.experiment})\n")
            written.add(name)
        continue
    out.append(line)
missing = sorted(set(chosen) - written)
if missing:
    sys.exit(f"chosen_ini: {a.config} has no [sweep.NAME] grid for {', '.join(missing)} (chosen in {a.chosen})")
sys.stdout.write("".join(out))
if a.args_dir:
    os.makedirs(a.args_dir, exist_ok=True)
    for name, args in chosen.items():
        with open(os.path.join(a.args_dir, name + ".args"), "w") as f:
            f.write((fixed.get(name, "") + " " + args).strip() + "\n")
