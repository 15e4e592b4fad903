#!/usr/bin/env bash
# Training on the embedded digits default (python3-sklearn's UCI digits), 2 MPI ranks:
#   digits_accuracy   inputs/digits_small_cnn.ini reaches >= 95% test accuracy in < 60 s
#   resume_exact      train K steps, stop (--stop-after-steps, exit 75), --resume: final parameters, BN buffers
#                     and momentum bit-identical to an uninterrupted run
#   resume_mismatch   resuming with another width fails with a clear message
set -u
cd "$(dirname "$0")/../.."
BIN=bin/ugradsl
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=1
MPI="mpirun -np 2 --oversubscribe"
CSV=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
if [ ! -f "$CSV" ]; then
    for n in digits_accuracy resume_exact resume_mismatch; do echo "SKIP $n: $CSV absent (python3-sklearn)"; done
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$BIN pack --from digits-csv --output "$T/digits.h5" > "$T/pack.log" 2>&1 || { echo "FAIL digits_accuracy: pack failed"; cat "$T/pack.log" >&2; exit 1; }

. tests/lib_same_params.sh   # same_params A.h5 B.h5: 0 when /model and /optimizer are bit-identical

# 1. accuracy and time
start=$(date +%s.%N)
if $MPI $BIN train --config inputs/digits_small_cnn.ini --data "$T/digits.h5" --output "$T/run" > "$T/train.log" 2>&1; then
    end=$(date +%s.%N)
    acc=$($PY -c "import json;print(json.load(open('$T/run/train.json'))['test_acc'])")
    secs=$($PY -c "print(round($end-$start,1))")
    if $PY -c "import sys; sys.exit(0 if $acc >= 95 and $secs < 60 else 1)"; then
        echo "PASS digits_accuracy ($acc% in ${secs}s)"
    else
        echo "FAIL digits_accuracy: $acc% test accuracy in ${secs}s (want >= 95% in < 60 s)"
    fi
else
    echo "FAIL digits_accuracy: train failed"; tail -5 "$T/train.log" >&2
fi

# 2. stop after K steps, resume, compare with an uninterrupted run (checkpoint every 2 epochs on both)
common=(--config inputs/digits_small_cnn.ini --data "$T/digits.h5" --epochs 4 --checkpoint-every 2)
$MPI $BIN train "${common[@]}" --output "$T/full" > "$T/full.log" 2>&1
$MPI $BIN train "${common[@]}" --output "$T/part" --stop-after-steps 37 > "$T/part.log" 2>&1
rc=$?
if [ $rc -ne 75 ] || [ ! -f "$T/part/checkpoint.h5" ]; then
    echo "FAIL resume_exact: --stop-after-steps exited $rc (want 75) or wrote no checkpoint"; tail -3 "$T/part.log" >&2
else
    $MPI $BIN train "${common[@]}" --output "$T/part" --resume "$T/part/checkpoint.h5" > "$T/resume.log" 2>&1
    if [ $? -eq 0 ] && same_params "$T/full/model.h5" "$T/part/model.h5"; then
        echo "PASS resume_exact"
    else
        echo "FAIL resume_exact: resumed run differs from the uninterrupted one"; tail -3 "$T/resume.log" >&2
    fi
fi

# 3. resuming a checkpoint of another model
if $MPI $BIN train "${common[@]}" --width 8 --output "$T/mm" --resume "$T/full/model.h5" > "$T/mm.log" 2>&1; then
    echo "FAIL resume_mismatch: resuming a w16 checkpoint with --width 8 succeeded"
elif grep -q "differs from the checkpoint's in 1 option: width (checkpoint: 16, now: 8)" "$T/mm.log"; then
    echo "PASS resume_mismatch"
else
    echo "FAIL resume_mismatch: unclear message"; tail -3 "$T/mm.log" >&2
fi
