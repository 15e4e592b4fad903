#!/usr/bin/env bash
# `make demo`: the embedded default end to end on 2 MPI ranks — pack the UCI digits set (python3-sklearn),
# split class-wise (one class), train the small CNN, then Retrain, GA, FT, RL, UGradSL and UGradSL+, evaluate
# everything and print the report table.  Leaves runs/demo/report.{md,csv,json}.
# `tools/demo.sh --all` (`make demo-all`) also runs the other baselines: l1-sparse, eu-k, cf-k, scrub, salun,
# be, bs, iu (docs/BASELINES.md).
set -euo pipefail
METHODS=(retrain ga ft rl ugradsl ugradsl+)
if [ "${1:-}" = "--all" ]; then
    METHODS+=(l1-sparse eu-k cf-k scrub salun be bs iu)
elif [ -n "${1:-}" ]; then
    echo "usage: tools/demo.sh [--all]" >&2; exit 2
fi
cd "$(dirname "$0")/.."
RUN=${RUN:-runs/demo}
NP=${NP:-2}
CFG=inputs/demo-digits.ini
UG=bin/ugradsl
MPI=(mpirun -np "$NP" --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPI+=(--allow-run-as-root)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
t0=$(date +%s)
rm -rf "$RUN"; mkdir -p "$RUN"
step() { echo; echo "== $*"; }

step "pack the digits set"
"$UG" pack --from digits-csv --output "$RUN/digits.h5"
step "split: class-wise forgetting of class 3, 10% validation hold-out"
"$UG" split --config "$CFG" --data "$RUN/digits.h5" --output "$RUN/split.h5"
step "train the original model ($NP ranks)"
"${MPI[@]}" "$UG" train --config "$CFG" --data "$RUN/digits.h5" --split "$RUN/split.h5" --on all --output "$RUN/original"
"${MPI[@]}" "$UG" eval --model "$RUN/original/model.h5" --data "$RUN/digits.h5" --split "$RUN/split.h5" \
    --method original --output "$RUN/original"
for method in "${METHODS[@]}"; do
    step "unlearn: $method ($NP ranks)"
    "${MPI[@]}" "$UG" unlearn --config "$CFG" --method "$method" --model "$RUN/original/model.h5" \
        --data "$RUN/digits.h5" --split "$RUN/split.h5" --output "$RUN/$method"
done
step "report"
"$UG" report "$RUN" --output "$RUN"
echo
echo "demo: done in $(( $(date +%s) - t0 )) s; table: $RUN/report.md, machine-readable: $RUN/report.json"
