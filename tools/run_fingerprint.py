#!/usr/bin/env python3
"""Fingerprint of a folder of runs: each model's state checksum and its metrics without timings or paths.

Used to prove a refactor changed nothing (issue 17): run the same seeds with the old and the new binary,
then `diff` the two fingerprints.  usage: tools/run_fingerprint.py RUNS_DIR
"""
import hashlib, json, os, subprocess, sys

VOLATILE = {"timing", "rte_s", "startup_s", "setup_s", "wall_s", "host", "date", "created"}

def strip(obj):
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    if isinstance(obj, str) and "/" in obj:
        return os.path.basename(obj)   # where the runs lie is not what they computed
    return obj

def model_checksum(path):
    out = subprocess.run(["h5dump", "-a", "checksum", path], capture_output=True, text=True)
    for line in out.stdout.splitlines():
        line = line.strip()
        if line.startswith("(0):"):
            return line.split(":", 1)[1].strip()
    return "none"

def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tools/run_fingerprint.py RUNS_DIR")
    root = sys.argv[1]
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if not os.path.isdir(d):
            continue
        model = os.path.join(d, "model.h5")
        line = [name, "model=" + (model_checksum(model) if os.path.exists(model) else "-")]
        mj = os.path.join(d, "metrics.json")
        if os.path.exists(mj):
            with open(mj, encoding="utf-8") as f:
                text = json.dumps(strip(json.load(f)), sort_keys=True)
            line.append("metrics=" + hashlib.sha256(text.encode()).hexdigest()[:16])
        print(" ".join(line))

if __name__ == "__main__":
    main()
