#!/usr/bin/env bash
# Layer-op benchmark, ours vs PyTorch side by side: runs build/tests/bench/bench_ops and
# tools/bench_ops_torch.py alternately ROUNDS times (default 3; the machine may be shared, so each number
# is the best round) and prints `bench: name value unit` lines plus our speed-up over PyTorch.
# Usage: tools/bench-ops.sh [ROUNDS] [extra args for both, e.g. --threads 2 --width 16]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
bin=build/tests/bench/bench_ops
[ -x "$bin" ] || { echo "bench-ops: $bin missing; run make first" >&2; exit 1; }
[ -x /usr/bin/python3 ] || { echo "bench-ops: /usr/bin/python3 (Debian's, with torch) missing" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for r in $(seq "$rounds"); do
    "$bin" "$@" >> "$tmp/ours"
    /usr/bin/python3 tools/bench_ops_torch.py --train-step "$@" >> "$tmp/torch"
done
# best round per metric: lowest for times, highest for rates
best() { awk '$1 == "bench:" && $2 != "threads" && $3 ~ /^[0-9.]+$/ { k = $2; v = $3 + 0; hi = ($4 ~ /GFLOP/);
          if (!(k in b) || (hi ? v > b[k] : v < b[k])) { b[k] = v; line[k] = $0 } }
          END { for (k in line) print line[k] }' "$1" | sort; }
best "$tmp/ours"; best "$tmp/torch"
grep -m1 '^bench: threads ' "$tmp/ours"; grep -m1 '^bench: torch ' "$tmp/torch"
best "$tmp/ours" > "$tmp/b1"; best "$tmp/torch" > "$tmp/b2"
for w in $(grep -oE 'conv_r18w[0-9]+_fwdbwd_ms ' "$tmp/b1" | grep -oE 'w[0-9]+' | sort -u); do
    ours_conv=$(awk -v k="conv_r18${w}_fwdbwd_ms" '$2 == k {print $3}' "$tmp/b1")
    torch_conv=$(awk -v k="conv_r18${w}_fwdbwd_ms_torch" '$2 == k {print $3}' "$tmp/b2")
    ours_bn=$(awk -v k="bnrelu_r18${w}_fwdbwd_ms" '$2 == k {print $3}' "$tmp/b1")
    torch_bn=$(awk -v k="bnrelu_r18${w}_fwdbwd_ms_torch" '$2 == k {print $3}' "$tmp/b2")
    ours_step=$(awk -v k="ops_r18${w}_step_ms" '$2 == k {print $3}' "$tmp/b1")
    torch_step=$(awk -v k="train_r18${w}_step_ms_torch" '$2 == k {print $3}' "$tmp/b2")
    awk -v w="$w" -v a="$ours_conv" -v b="$torch_conv" -v c="$ours_bn" -v d="$torch_bn" -v e="$ours_step" -v f="$torch_step" 'BEGIN {
        printf "bench: conv_r18%s_speedup_vs_torch %.2f x (conv fwd+bwd, all shapes)\n", w, b / a
        printf "bench: bnrelu_r18%s_speedup_vs_torch %.2f x (BN+ReLU fwd+bwd)\n", w, d / c
        printf "bench: ops_r18%s_step_vs_torch_train_step %.2f x (our ops-only step vs torch full SGD step: an upper bound for the engine)\n", w, f / e }'
done
