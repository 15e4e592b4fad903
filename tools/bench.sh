#!/usr/bin/env bash
# `make bench`: training throughput of ugradsl vs PyTorch (Debian python3-torch, /usr/bin/python3), side by side
# in one run: CIFAR ResNet-18 (3x3 stem) at width 64 and 16, batch 128, 32x32x3 random data, 2 threads, one
# process each.  Prints `bench: name value unit` lines, among them
#   bench: sgemm_peak_gflops <v> GFLOP/s
#   bench: train_r18w64_ratio_vs_pytorch <x> x      (ugradsl img/s / PyTorch img/s; goal >= 1.0)
#   bench: train_r18w16_ratio_vs_pytorch <x> x      (goal >= 1.3)
#   bench: train_r18w64_gflops <v> GFLOP/s
# Environment: BENCH_STEPS (default 4), BENCH_THREADS (default 2), BENCH_WIDTHS (default "64 16"), BENCH_ROUNDS (2),
# BENCH_OPS=1 also runs the per-op micro-benchmark (build/tests/bench/bench_ops).
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${BENCH_STEPS:-4}
THREADS=${BENCH_THREADS:-2}
WIDTHS=${BENCH_WIDTHS:-"64 16"}
PY=/usr/bin/python3
export OMP_NUM_THREADS=$THREADS
echo "bench: machine $(lscpu | sed -n 's/^Model name: *//p') , $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
build/tests/bench/bench_train --sgemm-peak --width 16 --steps 0 --warmup 0 --threads "$THREADS" | grep sgemm_peak
# Each side runs BENCH_ROUNDS times, alternating (ours, PyTorch, ours, ...); the best img/s of each side is kept,
# so that load from other processes on a shared machine penalises both sides alike.
ROUNDS=${BENCH_ROUNDS:-2}
best() { awk -v a="$1" -v b="$2" 'BEGIN{print (a+0 > b+0) ? a : b}'; }
for w in $WIDTHS; do
    a=0; b=0
    for r in $(seq 1 "$ROUNDS"); do
        ours=$(build/tests/bench/bench_train --width "$w" --batch 128 --steps "$STEPS" --threads "$THREADS")
        echo "$ours"
        theirs=$($PY tools/bench_train_torch.py --width "$w" --batch 128 --steps "$STEPS" --threads "$THREADS")
        echo "$theirs"
        a=$(best "$a" "$(sed -n "s/^bench: train_r18w${w}_img_per_s \([0-9.]*\).*/\1/p" <<<"$ours")")
        b=$(best "$b" "$(sed -n "s/^bench: torch_train_r18w${w}_img_per_s \([0-9.]*\).*/\1/p" <<<"$theirs")")
    done
    echo "bench: train_r18w${w}_best_img_per_s $a img/s (ugradsl)  $b img/s (PyTorch)"
    echo "bench: train_r18w${w}_ratio_vs_pytorch $(awk -v a="$a" -v b="$b" 'BEGIN{printf "%.2f", a/b}') x"
done
if [ "${BENCH_OPS:-0}" = 1 ]; then build/tests/bench/bench_ops --threads "$THREADS"; fi
