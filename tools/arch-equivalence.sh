#!/usr/bin/env bash
# Proof that a refactor changed nothing: runs the digits demo (every method) and, where ../shared has CIFAR-10,
# a short CIFAR-10 run (ResNet-18 w16, 1 epoch of training, then Retrain, GA, UGradSL, UGradSL+ and SCRUB for one
# epoch each), then prints the fingerprint of every run (model checksum; metrics without timings or paths).
# Compare two trees:  tools/arch-equivalence.sh OUTDIR  in each, then  diff OUT1/fingerprint.txt OUT2/fingerprint.txt
# usage: tools/arch-equivalence.sh OUTDIR [--no-cifar]
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: tools/arch-equivalence.sh OUTDIR [--no-cifar]" >&2; exit 2; }
cd "$(dirname "$0")/.."
OUT=$(realpath -m "$1"); mkdir -p "$OUT"
UG=bin/ugradsl
MPI=(mpirun -np 2 --oversubscribe)
[ "$(id -u)" -eq 0 ] && MPI+=(--allow-run-as-root)
export OMP_NUM_THREADS=1
RUN="$OUT/digits" tools/demo.sh --all > "$OUT/digits.log" 2>&1
/usr/bin/python3 tools/run_fingerprint.py "$OUT/digits" | sed 's/^/digits /' > "$OUT/fingerprint.txt"
TAR=${UG_SHARED:-../shared}/datasets/cifar10-jpeg.tar.gz   # UG_SHARED: where shared/ is, for a tree elsewhere
if [ "${2:-}" != "--no-cifar" ] && [ -f "$TAR" ]; then
    C="$OUT/cifar10"; mkdir -p "$C"
    [ -d "$C/data/cifar10-jpeg" ] || { mkdir -p "$C/data" && tar -xzf "$TAR" -C "$C/data"; }
    CFG="$C/short.ini"
    cat > "$CFG" <<INI
[split]
paradigm = class
classes = 0
val-fraction = 0.1
seed = 1
[train]
arch = resnet18
width = 16
epochs = 1
batch = 128
lr = 0.05
momentum = 0.9
weight-decay = 5e-4
augment = crop-flip
seed = 1
[unlearn]
epochs = 1
batch = 128
eval-batch = 512
mia-bootstrap = 2
INI
    {
    "$UG" pack --from folder --input "$C/data/cifar10-jpeg" --output "$C/cifar10.h5"
    "$UG" split --config "$CFG" --data "$C/cifar10.h5" --output "$C/split.h5"
    "${MPI[@]}" "$UG" train --config "$CFG" --data "$C/cifar10.h5" --split "$C/split.h5" --on all --output "$C/runs/original" \
        --force   # a rerun into the same OUTDIR (the extracted data is kept) replaces its runs
    for m in retrain ga ugradsl ugradsl+ scrub; do
        "${MPI[@]}" "$UG" unlearn --config "$CFG" --method $m --model "$C/runs/original/model.h5" \
            --data "$C/cifar10.h5" --split "$C/split.h5" --output "$C/runs/$m" --force
    done
    } > "$OUT/cifar10.log" 2>&1
    /usr/bin/python3 tools/run_fingerprint.py "$C/runs" | sed 's/^/cifar10 /' >> "$OUT/fingerprint.txt"
else
    echo "arch-equivalence: SKIP cifar10 (no $TAR)" | tee -a "$OUT/fingerprint.txt"
fi
cat "$OUT/fingerprint.txt"
