#!/usr/bin/python3
"""Reference predictions of scikit-learn's SVC for the MIA attack (tests/unit/test_mia_golden.c reads them).

Run by `make golden` (tools/make-golden.sh) with Debian's /usr/bin/python3 and python3-sklearn.
Writes tests/golden/mia_<case>.txt for two feature distributions that look like real MIA inputs:
  classwise: members (retain) and non-members (test, forgotten class removed) both confident, queries (the
             forget set after class-wise unlearning) at low confidence -- the region the SVC labels by accident;
  random:    members and non-members overlap heavily, queries look like members.
Each query set also holds a grid over [0, 1] (the decision regions we report).
The SVC is fitted exactly as the public MIA code: SVC(C=3, gamma="auto", kernel="rbf") on
X = [members; non-members], y = [1...; 0...].
"""
import sys

import numpy as np
import sklearn
from sklearn.svm import SVC


def f32(a):
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def case_classwise(rng):
    members = 1 - rng.beta(0.5, 20, 400)
    members[:40] = 1.0                      # saturated softmax: many exact ties
    nonmembers = 1 - rng.beta(0.5, 6, 300)
    nonmembers[:10] = rng.uniform(0, 0.3, 10)   # a few misclassified test samples at low confidence
    queries = np.concatenate([rng.beta(0.5, 20, 200), np.linspace(0, 1, 101)])
    return f32(members), f32(nonmembers), f32(queries)


def case_random(rng):
    members = 1 - rng.beta(0.5, 15, 400)
    nonmembers = 1 - rng.beta(0.5, 5, 300)
    queries = np.concatenate([1 - rng.beta(0.5, 10, 200), np.linspace(0, 1, 101)])
    return f32(members), f32(nonmembers), f32(queries)


def write_case(out_dir, name, members, nonmembers, queries):
    x = np.concatenate([members, nonmembers]).reshape(-1, 1)
    y = np.concatenate([np.ones(len(members)), np.zeros(len(nonmembers))])
    clf = SVC(C=3, gamma="auto", kernel="rbf")
    clf.fit(x, y)
    pred = clf.predict(queries.reshape(-1, 1))
    dec = clf.decision_function(queries.reshape(-1, 1))
    path = f"{out_dir}/mia_{name}.txt"
    with open(path, "w") as f:
        f.write(f"# MIA golden '{name}': scikit-learn {sklearn.__version__} SVC(C=3, gamma=auto, rbf); "
                f"made by tools/golden_mia.py\n")
        f.write(f"train {len(x)}\n")
        for xi, yi in zip(x[:, 0], y):
            f.write(f"{xi:.9g} {int(yi)}\n")
        f.write(f"query {len(queries)}\n")
        for q, p, d in zip(queries, pred, dec):
            f.write(f"{q:.9g} {int(p)} {d:.9g}\n")
    print(f"golden: wrote {path} ({len(x)} train, {len(queries)} queries, {int(pred.sum())} predicted member)")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/golden"
    rng = np.random.default_rng(20231127)
    write_case(out_dir, "classwise", *case_classwise(rng))
    write_case(out_dir, "random", *case_random(rng))


if __name__ == "__main__":
    main()
