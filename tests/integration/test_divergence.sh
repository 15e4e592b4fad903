#!/usr/bin/env bash
# The divergence guard (src/train/divergence.c) on the digits default, 1 rank:
#   diverge_collapse      unlearn ga --lr 10: collapses to the most frequent class -> exit 3, "diverged": true
#   diverge_nonfinite     unlearn ga --lr 1e10: NaN/Inf -> exit 3; model.h5 (parameters and BN statistics) finite
#   diverge_plus          unlearn ugradsl+ --lr 10 (has retain batches): exit 3, marked
#   diverge_allow         --allow-diverged: exit 0, still marked in metrics.json
#   diverge_train         train --lr 10 (constant): collapses -> exit 3, train.json "diverged": true
#   diverge_train_nan     train --lr 1e6: NaN/Inf -> exit 3, model.h5 finite (the epoch's copy)
#   diverge_retrain_allow unlearn --method retrain --allow-diverged with a [train] recipe that collapses (lr 10,
#                         constant): exit 0 (the flag reaches Retrain's training), train.json "diverged": true; without
#                         the flag: exit 3
#   diverge_normal        the demo's GA and training: exit 0, not marked (the collapse rule does not trip)
set -u
cd "$(dirname "$0")/../.."
BIN=bin/ugradsl
PY=/usr/bin/python3
export OMP_NUM_THREADS=1
CFG=inputs/demo-digits.ini
CSV=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
names="diverge_collapse diverge_nonfinite diverge_plus diverge_allow diverge_train diverge_train_nan diverge_retrain_allow diverge_normal"
if [ ! -f "$CSV" ]; then for n in $names; do echo "SKIP $n: $CSV absent (python3-sklearn)"; done; exit 0; fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
{ $BIN pack --from digits-csv --output "$T/digits.h5" && $BIN split --config $CFG --data "$T/digits.h5" --output "$T/split.h5" &&
  $BIN train --config $CFG --data "$T/digits.h5" --split "$T/split.h5" --on all --output "$T/original"; } > "$T/setup.log" 2>&1
orig_rc=$?
if [ $orig_rc -ne 0 ]; then
    for n in $names; do echo "FAIL $n: setup (pack, split, train) failed"; done; tail -5 "$T/setup.log" >&2; exit 0
fi

# check NAME DIR RC WANT_RC WANT_DIVERGED JSON: exit code, the diverged mark, and a finite model.h5
check() {
    local name=$1 dir=$2 rc=$3 want_rc=$4 want=$5 json=$6
    $PY - "$name" "$dir" "$rc" "$want_rc" "$want" "$json" <<'PYEOF'
import json, sys, h5py, numpy as np
name, d, rc, want_rc, want, jname = sys.argv[1:7]
why = []
if rc != want_rc: why.append("exit %s (want %s)" % (rc, want_rc))
try:
    m = json.load(open("%s/%s" % (d, jname)))
    if bool(m.get("diverged")) != (want == "1"): why.append("diverged %s (want %s)" % (m.get("diverged"), want == "1"))
    if want == "1" and not m.get("diverged_reason"): why.append("no diverged_reason")
    reason = m.get("diverged_reason")
except Exception as e:
    why.append("no %s (%s)" % (jname, e)); reason = None
try:
    f = h5py.File("%s/model.h5" % d, "r")
    bad = [k for k in f["model"] if not np.isfinite(np.asarray(f["model"][k][()])).all()]
    if bad: why.append("non-finite tensors in model.h5: %s" % ", ".join(bad[:4]))
except Exception as e:
    why.append("no readable model.h5 (%s)" % e)
print(("FAIL %s: %s" % (name, "; ".join(why))) if why else "PASS %s (%s)" % (name, reason or "not diverged"))
PYEOF
}

U=($BIN unlearn --config $CFG --model "$T/original/model.h5" --data "$T/digits.h5" --split "$T/split.h5" --mia-bootstrap 0)
"${U[@]}" --method ga --lr 10 --output "$T/ga10" > "$T/ga10.log" 2>&1; check diverge_collapse "$T/ga10" $? 3 1 metrics.json
"${U[@]}" --method ga --lr 1e10 --output "$T/ga1e10" > "$T/ga1e10.log" 2>&1; check diverge_nonfinite "$T/ga1e10" $? 3 1 metrics.json
"${U[@]}" --method ugradsl+ --lr 10 --output "$T/plus10" > "$T/plus10.log" 2>&1; check diverge_plus "$T/plus10" $? 3 1 metrics.json
"${U[@]}" --method ga --lr 10 --allow-diverged --output "$T/allow" > "$T/allow.log" 2>&1; check diverge_allow "$T/allow" $? 0 1 metrics.json
TR=($BIN train --config $CFG --data "$T/digits.h5" --split "$T/split.h5" --on all)
"${TR[@]}" --lr 10 --lr-schedule constant --epochs 5 --output "$T/train10" > "$T/train10.log" 2>&1
check diverge_train "$T/train10" $? 3 1 train.json
"${TR[@]}" --lr 1e6 --epochs 2 --output "$T/train1e6" > "$T/train1e6.log" 2>&1; check diverge_train_nan "$T/train1e6" $? 3 1 train.json
sed -e 's/^lr *=.*/lr = 10/' -e 's/^lr-schedule *=.*/lr-schedule = constant/' $CFG > "$T/collapse.ini"   # [train]: lr 10, constant
R=($BIN unlearn --config "$T/collapse.ini" --method retrain --data "$T/digits.h5" --split "$T/split.h5" --no-eval)
"${R[@]}" --output "$T/rt3" > "$T/rt3.log" 2>&1; rc3=$?
"${R[@]}" --allow-diverged --output "$T/rt0" > "$T/rt0.log" 2>&1; rc0=$?
if [ $rc3 -eq 3 ]; then check diverge_retrain_allow "$T/rt0" $rc0 0 1 train.json
else echo "FAIL diverge_retrain_allow: without --allow-diverged the collapsing Retrain exited $rc3, not 3"; fi
"${U[@]}" --method ga --output "$T/ga" > "$T/ga.log" 2>&1; rc=$?
out=$(check diverge_normal "$T/ga" $rc 0 0 metrics.json)
if [[ $out == PASS* ]]; then check diverge_normal "$T/original" 0 0 0 train.json; else echo "$out"; fi
