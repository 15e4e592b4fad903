#!/usr/bin/env python3
"""Fingerprint of a folder of runs: a hash of each model's tensors and of its computed metrics.

Used to prove a refactor changed nothing (issue 17): run the same seeds with the old and the new binary
(tools/arch-equivalence.sh), then `diff` the two fingerprints.  Only what a run computed counts: the model's
tensors (names, shapes, bytes; not the file's attributes, which may gain provenance) and the metrics.json
sections with numbers in them (not timings, paths or provenance).
usage: tools/run_fingerprint.py RUNS_DIR   (needs h5py: Debian's python3-h5py, /usr/bin/python3)
"""
import hashlib, json, os, sys

COMPUTED = ("metrics", "accuracy", "counts", "mean_loss", "mia", "diverged", "epochs", "steps", "method", "seed")

VOLATILE = {"timing", "rte_s", "startup_s", "setup_s", "wall_s", "host", "date", "created"}

def strip(obj):
    """A metrics.json object without timings, and with paths cut to their last part (for whole-file comparisons
    of two runs that should agree, e.g. tests/integration/test_cluster.sh)."""
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k not in VOLATILE}
    if isinstance(obj, list):
        return [strip(v) for v in obj]
    if isinstance(obj, str) and "/" in obj:
        return os.path.basename(obj)
    return obj

def model_hash(path):
    import h5py   # only here: strip() is imported by tests that run without h5py
    h = hashlib.sha256()
    with h5py.File(path, "r") as f:
        grp = f["model"]
        for name in sorted(grp.keys()):
            d = grp[name]
            h.update(name.encode() + repr(d.shape).encode() + d[()].tobytes())
    return h.hexdigest()[:16]

def metrics_hash(path):
    with open(path, encoding="utf-8") as f:
        m = json.load(f)
    kept = {k: m.get(k) for k in COMPUTED}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]

def main():
    if len(sys.argv) != 2:
        sys.exit("usage: tools/run_fingerprint.py RUNS_DIR")
    root = sys.argv[1]
    for name in sorted(os.listdir(root)):
        d = os.path.join(root, name)
        if not os.path.isdir(d):
            continue
        model = os.path.join(d, "model.h5")
        line = [name, "model=" + (model_hash(model) if os.path.exists(model) else "-")]
        mj = os.path.join(d, "metrics.json")
        if os.path.exists(mj):
            line.append("metrics=" + metrics_hash(mj))
        print(" ".join(line))

if __name__ == "__main__":
    main()
