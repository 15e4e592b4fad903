#!/usr/bin/env bash
# --device on a machine without a usable GPU (CI, the dev machines): every command stops at once with one clear
# line and a non-zero exit, on 1 and on 2 ranks (no rank left waiting), and writes nothing; a bad value is named.
#   no_gpu_train_np2   train --device cuda, 2 ranks
#   no_gpu_unlearn     unlearn --device cuda (Retrain too: it trains through the same path)
#   no_gpu_eval        eval --device cuda
#   bad_device         --device gpu is refused with the accepted values
#   bad_precision      --precision fp16 is refused with the accepted values
#   bf16_needs_cuda    --precision bf16 on --device cpu is refused (the CPU path is fp32), for train and eval
# On a machine WITH a GPU the first three print SKIP (tools/gpu-check.sh and tools/gpu-demo.sh cover that case).
set -u
cd "$(dirname "$0")/../.."
BIN=bin/ugradsl
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
CSV=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
if [ ! -f "$CSV" ]; then
    for n in no_gpu_train_np2 no_gpu_unlearn no_gpu_eval bad_device bad_precision bf16_needs_cuda bf16_needs_cuda_eval; do echo "SKIP $n: needs python3-sklearn"; done
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$BIN pack --from digits-csv --output "$T/d.h5" > "$T/log" 2>&1 &&
$BIN split --data "$T/d.h5" --output "$T/s.h5" --paradigm class --classes 3 >> "$T/log" 2>&1 &&
$BIN train --config inputs/digits_small_cnn.ini --data "$T/d.h5" --epochs 1 --output "$T/run" >> "$T/log" 2>&1 ||
    { echo "FAIL no_gpu_train_np2: setup (pack/split/train) failed"; tail -5 "$T/log" >&2; exit 1; }

# expect_refusal NAME PATTERN CMD...: non-zero exit within 60 s, PATTERN in the output, no output directory
expect_refusal() {
    local name=$1 pat=$2; shift 2
    local out rc
    out=$(timeout -k 5 60 "$@" 2>&1); rc=$?
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then echo "FAIL $name: hung (killed after 60 s)"; return; fi
    if [ $rc -ne 0 ] && grep -q -- "$pat" <<<"$out" && [ ! -e "$T/out-$name/model.h5" ] && [ ! -e "$T/out-$name/metrics.json" ]; then
        echo "PASS $name"
    else
        echo "FAIL $name: rc $rc, output: $(tail -2 <<<"$out" | tr '\n' ' ')"
    fi
}

# Whether there is a GPU is asked of the driver, not of the program under test (a silent fallback to the CPU
# must fail here, not skip).
if nvidia-smi -L 2>/dev/null | grep -q '^GPU'; then
    for n in no_gpu_train_np2 no_gpu_unlearn no_gpu_eval; do echo "SKIP $n: this machine has a GPU (nvidia-smi)"; done
else
    NOGPU='no usable GPU\|has no CUDA'
    expect_refusal no_gpu_train_np2 "$NOGPU" mpirun -np 2 --oversubscribe $BIN train --device cuda \
        --config inputs/digits_small_cnn.ini --data "$T/d.h5" --epochs 1 --output "$T/out-no_gpu_train_np2"
    expect_refusal no_gpu_unlearn "$NOGPU" $BIN unlearn --device cuda --method ugradsl --model "$T/run/model.h5" \
        --data "$T/d.h5" --split "$T/s.h5" --output "$T/out-no_gpu_unlearn"
    expect_refusal no_gpu_eval "$NOGPU" $BIN eval --device cuda --model "$T/run/model.h5" --data "$T/d.h5" \
        --split "$T/s.h5" --output "$T/out-no_gpu_eval"
fi
expect_refusal bad_device "must be cpu or cuda" $BIN unlearn --device gpu --method ga --model "$T/run/model.h5" \
    --data "$T/d.h5" --split "$T/s.h5" --output "$T/out-bad_device"
expect_refusal bad_precision "must be fp32 or bf16" $BIN unlearn --device cuda --precision fp16 --method ga \
    --model "$T/run/model.h5" --data "$T/d.h5" --split "$T/s.h5" --output "$T/out-bad_precision"
expect_refusal bf16_needs_cuda "bf16 needs --device cuda" $BIN train --precision bf16 --config inputs/digits_small_cnn.ini \
    --data "$T/d.h5" --epochs 1 --output "$T/out-bf16_needs_cuda"
expect_refusal bf16_needs_cuda_eval "bf16 needs --device cuda" $BIN eval --precision bf16 --model "$T/run/model.h5" \
    --data "$T/d.h5" --split "$T/s.h5" --output "$T/out-bf16_needs_cuda_eval"
