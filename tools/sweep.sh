#!/usr/bin/env bash
# Hyper-parameter sweep for one unlearning method by hand (outside Slurm), judged on the validation side only:
#   gap = mean |x - Retrain's x| over UA, MIA-efficacy, RA (training sets) and VA (validation accuracy).
# The test split (TA) is never looked at.  Needs a finished Retrain run and the original model.
# usage: tools/sweep.sh RUN_DIR CONFIG METHOD "ARGS 1" "ARGS 2" ...      (RUN_DIR as left by tools/demo.sh)
# Other layouts: set DATA, SPLIT, MODEL (the original) and RETRAIN (Retrain's metrics.json); NP ranks (2);
# SEED (1); OUT=PREFIX keeps the results (PREFIX.csv .json .md .args, as the pipeline's sweep stage writes).
# Prints the table, best (smallest gap) first.  The trial runs skip what the judge does not read (MIA bootstrap,
# extra attacks, Add. MIA).  The scoring is tools/sweep_score.py, shared with the
# pipeline's sweep stage (jobs/sweep.sbatch, docs/SLURM.md).
set -euo pipefail
RUN=$1 CFG=$2 METHOD=$3; shift 3
NP=${NP:-2} SEED=${SEED:-1}
DATA=${DATA:-$RUN/digits.h5} SPLIT=${SPLIT:-$RUN/split.h5}
MODEL=${MODEL:-$RUN/original/model.h5} RETRAIN=${RETRAIN:-$RUN/retrain/metrics.json}
MPI=(mpirun -np "$NP" --oversubscribe); [ "$(id -u)" -eq 0 ] && MPI+=(--allow-run-as-root)
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
dirs=()
k=0
for args in "$@"; do
    k=$((k + 1)); d=$tmp/set-$k; mkdir -p "$d"; dirs+=("$d")
    echo "$args" > "$d/args"
    # shellcheck disable=SC2086  (--allow-diverged: a diverging set is a result, marked "diverged" by sweep_score.py)
    "${MPI[@]}" bin/ugradsl unlearn --config "$CFG" --method "$METHOD" --model "$MODEL" --data "$DATA" \
        --split "$SPLIT" --output "$d" --seed "$SEED" --mia-bootstrap 0 --no-mia-extras --no-add-mia --allow-diverged \
        $args > "$d/log" 2>&1 \
        || echo "set $k failed: $args  ($(tail -1 "$d/log"))" >&2
done
/usr/bin/env python3 "$(dirname "$0")/sweep_score.py" --retrain "$RETRAIN" --out "${OUT:-$tmp/sweep}" "${dirs[@]}"
