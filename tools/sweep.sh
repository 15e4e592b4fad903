#!/usr/bin/env bash
# Hyper-parameter sweep for one unlearning method, judged on the validation side only:
#   gap = mean |x - Retrain's x| over UA, MIA-efficacy, RA (training sets) and VA (validation accuracy).
# The test split (TA) is never looked at.  Needs a finished Retrain run and the original model.
# usage: tools/sweep.sh RUN_DIR CONFIG METHOD "ARGS 1" "ARGS 2" ...      (RUN_DIR as left by tools/demo.sh)
# Other layouts: set DATA, SPLIT, MODEL (the original) and RETRAIN (Retrain's metrics.json); NP ranks (2).
# prints one line per argument set, best (smallest gap) first.
set -euo pipefail
RUN=$1 CFG=$2 METHOD=$3; shift 3
NP=${NP:-2}
DATA=${DATA:-$RUN/digits.h5} SPLIT=${SPLIT:-$RUN/split.h5}
MODEL=${MODEL:-$RUN/original/model.h5} RETRAIN=${RETRAIN:-$RUN/retrain/metrics.json}
MPI=(mpirun -np "$NP" --oversubscribe); [ "$(id -u)" -eq 0 ] && MPI+=(--allow-run-as-root)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for args in "$@"; do
    # shellcheck disable=SC2086
    if "${MPI[@]}" bin/ugradsl unlearn --config "$CFG" --method "$METHOD" --model "$MODEL" \
        --data "$DATA" --split "$SPLIT" --output "$tmp/run" $args > "$tmp/log" 2>&1; then
        /usr/bin/python3 - "$RETRAIN" "$tmp/run/metrics.json" "$args" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["metrics"]; m = json.load(open(sys.argv[2]))["metrics"]
keys = ["UA", "MIA", "RA", "VA"]
gap = sum(abs(m[k] - r[k]) for k in keys) / len(keys)
print("%7.2f  %-40s %s" % (gap, sys.argv[3], "  ".join("%s %.1f" % (k, m[k]) for k in keys)))
PY
    else
        echo "   fail  $args  (see: $(tail -1 "$tmp/log"))"
    fi
done | sort -n
