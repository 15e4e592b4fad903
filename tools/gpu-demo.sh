#!/usr/bin/env bash
# tools/gpu-demo.sh UGRADSL — the digits demo on the GPU beside the same runs on the CPU (called by
# tools/gpu-check.sh on a GPU machine): pack the UCI digits, split (class 3 forgotten), train the small CNN with
# --device cpu and --device cuda from the same seed, run UGradSL from the CPU-trained original on both devices, eval
# the GPU-trained original on the GPU; the same training and UGradSL again with --precision bf16.  One rank (the
# machine has one GPU).  Passes when the GPU runs agree with the CPU runs within a few points (not bit for bit:
# cuDNN sums in other orders, bf16 rounds, and training amplifies that).
# Prints `result ...` with the numbers; exit 1 on a disagreement.
set -euo pipefail
UG=${1:?usage: tools/gpu-demo.sh PATH/TO/ugradsl}
cd "$(dirname "$0")/.."
PY=/usr/bin/python3; [ -x $PY ] && $PY -c 'import sklearn' 2>/dev/null || PY=python3
CSV=$($PY -c 'import sklearn, os; print(os.path.join(os.path.dirname(sklearn.__file__), "datasets/data/digits.csv.gz"))')
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
CFG=inputs/demo-digits.ini
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=${OMP_NUM_THREADS:-4}
"$UG" pack --from digits-csv --input "$CSV" --output "$T/d.h5"
"$UG" split --config "$CFG" --data "$T/d.h5" --output "$T/s.h5"
flags() { case $1 in cpu) echo "--device cpu" ;; cuda) echo "--device cuda" ;; bf16) echo "--device cuda --precision bf16" ;; esac; }
for dev in cpu cuda bf16; do
    "$UG" train --config "$CFG" --data "$T/d.h5" --split "$T/s.h5" --on all --output "$T/orig-$dev" $(flags $dev) \
        --json "$T/train-$dev.json"
done
for dev in cpu cuda bf16; do
    "$UG" unlearn --config "$CFG" --method ugradsl --model "$T/orig-cpu/model.h5" --data "$T/d.h5" --split "$T/s.h5" \
        --output "$T/ug-$dev" $(flags $dev)
done
"$UG" eval --model "$T/orig-cuda/model.h5" --data "$T/d.h5" --split "$T/s.h5" --output "$T/eval-cuda" --device cuda
"$UG" eval --model "$T/orig-cuda/model.h5" --data "$T/d.h5" --split "$T/s.h5" --output "$T/eval-cpu"
$PY - "$T" <<'PY'
import json, sys
T = sys.argv[1]
tr = {d: json.load(open("%s/train-%s.json" % (T, d))) for d in ("cpu", "cuda", "bf16")}
ug = {d: json.load(open("%s/ug-%s/metrics.json" % (T, d)))["metrics"] for d in ("cpu", "cuda", "bf16")}
ev = {d: json.load(open("%s/eval-%s/metrics.json" % (T, d)))["metrics"] for d in ("cpu", "cuda")}
print("train: test acc cpu %.2f cuda %.2f; %.0f vs %.0f img/s (%s)" % (tr["cpu"]["test_acc"], tr["cuda"]["test_acc"],
      tr["cpu"]["img_per_s"], tr["cuda"]["img_per_s"], tr["cuda"]["device"]))
keys = ["UA", "RA", "TA", "MIA"]
print("ugradsl cpu:  " + "  ".join("%s %.2f" % (k, ug["cpu"][k]) for k in keys))
print("ugradsl cuda: " + "  ".join("%s %.2f" % (k, ug["cuda"][k]) for k in keys))
print("train bf16: test acc %.2f, %.0f img/s (%s)" % (tr["bf16"]["test_acc"], tr["bf16"]["img_per_s"], tr["bf16"]["device"]))
print("ugradsl bf16: " + "  ".join("%s %.2f" % (k, ug["bf16"][k]) for k in keys))
print("eval of the GPU-trained model, cpu vs cuda: " + "  ".join("%s %.2f/%.2f" % (k, ev["cpu"][k], ev["cuda"][k]) for k in keys))
bad = []
if abs(tr["cpu"]["test_acc"] - tr["cuda"]["test_acc"]) > 3: bad.append("train test acc")
bad += ["ugradsl " + k for k in keys if abs(ug["cpu"][k] - ug["cuda"][k]) > 6]
bad += ["eval " + k for k in ("UA", "RA", "TA") if abs(ev["cpu"][k] - ev["cuda"][k]) > 0.5]
if abs(tr["cpu"]["test_acc"] - tr["bf16"]["test_acc"]) > 3: bad.append("bf16 train test acc")
bad += ["bf16 ugradsl " + k for k in keys if abs(ug["cpu"][k] - ug["bf16"][k]) > 6]
print("result: digits on the GPU (fp32 / bf16) %s CPU (train test acc %.2f / %.2f vs %.2f; UGradSL UA %.2f / %.2f vs "
      "%.2f, TA %.2f / %.2f vs %.2f)%s" % (
    "agrees with" if not bad else "DISAGREES with", tr["cuda"]["test_acc"], tr["bf16"]["test_acc"], tr["cpu"]["test_acc"],
    ug["cuda"]["UA"], ug["bf16"]["UA"], ug["cpu"]["UA"], ug["cuda"]["TA"], ug["bf16"]["TA"], ug["cpu"]["TA"],
    (": " + ", ".join(bad)) if bad else ""))
sys.exit(1 if bad else 0)
PY
