#!/usr/bin/env bash
# A signal mid-run on the digits default (python3-sklearn's UCI digits), 2 MPI ranks:
#   signal_resume     SIGUSR1 mid-run: checkpoint + exit 75; resuming gives the uninterrupted result
# No sleeping and hoping: the signal goes only once the run has logged its third epoch (the handlers are
# installed at program start, before MPI; an epoch line means every rank is stepping), polling its log for as
# long as the run lives.  Robust under load: run it repeatedly with the cores busy (docs/TRAINING.md).
set -u
cd "$(dirname "$0")/../.."
BIN=bin/ugradsl
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=1
MPI="mpirun -np 2 --oversubscribe"
CSV=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
if [ ! -f "$CSV" ]; then
    echo "SKIP signal_resume: $CSV absent (python3-sklearn)"
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$BIN pack --from digits-csv --output "$T/digits.h5" > "$T/pack.log" 2>&1 || { echo "FAIL signal_resume: pack failed"; cat "$T/pack.log" >&2; exit 1; }

. tests/lib_same_params.sh   # same_params A.h5 B.h5: 0 when /model and /optimizer are bit-identical

# 3. a signal mid-run
sig=(--config inputs/digits_small_cnn.ini --data "$T/digits.h5" --epochs 60 --eval-every 0 --checkpoint-every 0)
$MPI $BIN train "${sig[@]}" --output "$T/sigfull" > "$T/sigfull.log" 2>&1
$MPI $BIN train "${sig[@]}" --output "$T/sig" > "$T/sig.log" 2>&1 &
pid=$!
# ready: the third epoch line, or the run has ended (then no signal is sent)
ready=0
while kill -0 $pid 2>/dev/null; do
    if grep -q "^epoch 3/" "$T/sig.log" 2>/dev/null; then ready=1; break; fi
    sleep 0.05
done
[ $ready = 1 ] && kill -USR1 $pid 2>/dev/null
wait $pid
rc=$?
if [ $ready = 0 ]; then
    echo "FAIL signal_resume: the run ended (exit $rc) before its third epoch"; tail -3 "$T/sig.log" >&2
elif [ $rc -eq 0 ]; then
    echo "SKIP signal_resume: the run finished before the signal arrived"
elif [ $rc -ne 75 ] || [ ! -f "$T/sig/checkpoint.h5" ]; then
    echo "FAIL signal_resume: exit $rc after SIGUSR1 (want 75 and a checkpoint)"; tail -3 "$T/sig.log" >&2
else
    $MPI $BIN train "${sig[@]}" --output "$T/sig" --resume "$T/sig/checkpoint.h5" > "$T/sigres.log" 2>&1
    if [ $? -eq 0 ] && same_params "$T/sigfull/model.h5" "$T/sig/model.h5"; then
        echo "PASS signal_resume"
    else
        echo "FAIL signal_resume: resumed run differs"; tail -3 "$T/sigres.log" >&2
    fi
fi

