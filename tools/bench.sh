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
# Peers: Debian's python3-torch 1.13 (named by issue 3) and, when present, the current PyTorch from PyPI in a
# venv kept outside the repo (TORCH_VENV, default ~/venv-torch: `python3 -m venv ~/venv-torch &&
# ~/venv-torch/bin/pip install torch`).  The current one's lines carry the suffix _current.
CUR_PY="${TORCH_VENV:-$HOME/venv-torch}/bin/python"
peers=("$PY:")
if [ -x "$CUR_PY" ] && "$CUR_PY" -c 'import torch' 2>/dev/null; then
    peers+=("$CUR_PY:_current")
    echo "bench: peers torch $($PY -c 'import torch; print(torch.__version__)') (Debian) and $("$CUR_PY" -c 'import torch; print(torch.__version__)') (PyPI, $CUR_PY)"
else
    echo "bench: peer torch $($PY -c 'import torch; print(torch.__version__)') (Debian); current PyTorch not found at $CUR_PY (SKIP _current)"
fi
for w in $WIDTHS; do
    a=0; declare -A b=()
    for r in $(seq 1 "$ROUNDS"); do
        ours=$(build/tests/bench/bench_train --width "$w" --batch 128 --steps "$STEPS" --threads "$THREADS")
        echo "$ours"
        a=$(best "$a" "$(sed -n "s/^bench: train_r18w${w}_img_per_s \([0-9.]*\).*/\1/p" <<<"$ours")")
        for peer in "${peers[@]}"; do
            py=${peer%%:*}; tag=${peer#*:}
            theirs=$("$py" tools/bench_train_torch.py --width "$w" --batch 128 --steps "$STEPS" --threads "$THREADS" | sed "s/^bench: torch_/bench: torch${tag}_/")
            echo "$theirs"
            key=${tag:-debian}
            b[$key]=$(best "${b[$key]:-0}" "$(sed -n "s/^bench: torch${tag}_train_r18w${w}_img_per_s \([0-9.]*\).*/\1/p" <<<"$theirs")")
        done
    done
    for peer in "${peers[@]}"; do
        tag=${peer#*:}; key=${tag:-debian}
        echo "bench: train_r18w${w}_best_img_per_s${tag} $a img/s (ugradsl)  ${b[$key]} img/s (PyTorch${tag:+ current})"
        echo "bench: train_r18w${w}_ratio_vs_pytorch${tag} $(awk -v a="$a" -v b="${b[$key]}" 'BEGIN{printf "%.2f", a/b}') x"
    done
    unset b
done
if [ "${BENCH_OPS:-0}" = 1 ]; then build/tests/bench/bench_ops --threads "$THREADS"; fi
