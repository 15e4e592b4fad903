#!/usr/bin/env bash
# Loader throughput (`make bench-data`; docs/LOADER.md).  Prints "bench: <name> <value> img/s" lines.
# ImageNet-like JPEGs (~400x350, ~110 KB) are read by our loader and, side by side, by torchvision + PIL in a
# torch DataLoader (one worker per core; tools/bench-torchvision-loader.py): the _ratio_vs_torchvision lines
# compare the two at all cores.  Without torch/torchvision the peer and the ratios print SKIP.
# The benchmark generates its own synthetic data (CIFAR-10-shaped decoded images, ImageNet-sized JPEGs).
# When the real CIFAR-10 archive is present (../shared/datasets/cifar10-jpeg.tar.gz, or $CIFAR10_TAR), it is
# packed once with `ugradsl pack` into build/bench-data/cifar10.h5 and benchmarked too.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TAR=${CIFAR10_TAR:-../shared/datasets/cifar10-jpeg.tar.gz}
args=()
if [ -f "$TAR" ]; then
    packed=$BUILD/bench-data/cifar10.h5
    if [ ! -f "$packed" ]; then
        mkdir -p "$BUILD/bench-data"
        tmp=$(mktemp -d)
        trap 'rm -rf "$tmp"' EXIT
        echo "# packing the real CIFAR-10 ($TAR) into $packed (once)"
        if tar -xzf "$TAR" -C "$tmp" && root=$(find "$tmp" -maxdepth 2 -type d -name train -printf '%h\n' | head -1) &&
           [ -n "$root" ] && bin/ugradsl pack --from folder --input "$root" --output "$packed" --mode decoded >/dev/null; then
            :
        else
            echo "# real CIFAR-10 skipped: packing failed (see the message above)"
            rm -f "$packed"
        fi
    fi
    [ -f "$packed" ] && args+=(--real "$packed")
else
    echo "# real CIFAR-10 skipped: $TAR not found"
fi
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
# ImageNet-like JPEGs, kept as files so that torchvision + PIL read the same images in the same run
imgdir=$(mktemp -d /tmp/bench-imagenet.XXXXXX)
trap 'rm -rf "$imgdir" ${tmp:+"$tmp"}' EXIT
out=$("$BUILD/tests/bench/bench_loader" "${args[@]}" --imagenet-dir "$imgdir" --imagenet-count "${IMAGENET_BENCH_COUNT:-512}")
rc=$?
echo "$out"
[ $rc -eq 0 ] || exit $rc
# the torchvision peer: $TORCH_PYTHON, else a venv at /work/venv-torch, else Debian's python3-torch/-torchvision
py=${TORCH_PYTHON:-}
[ -z "$py" ] && [ -x /work/venv-torch/bin/python ] && py=/work/venv-torch/bin/python
[ -z "$py" ] && py=/usr/bin/python3
peer=$("$py" tools/bench-torchvision-loader.py "$imgdir" 2>&1 | grep -E '^(bench|#)')
echo "$peer"
value() { awk -v n="$1" '$1 == "bench:" && $2 == n && $3 ~ /^[0-9.]+$/ {print $3}' <<<"$2"; }
# ratio: images per CPU-second, both with one worker per core (robust to other load); _wall: wall rates / cores
for kind in train eval; do
    for w in "" _wall; do
        ours=$(value "loader_imagenet_${kind}_allcores${w:+_wall_per_core}" "$out")
        theirs=$(value "torchvision_imagenet_${kind}${w:+_wall_per_core}" "$peer")
        if [ -n "$ours" ] && [ -n "$theirs" ] && [ "$theirs" != 0 ]; then
            awk -v a="$ours" -v b="$theirs" -v n="loader_imagenet_${kind}_ratio_vs_torchvision$w" \
                'BEGIN { printf "bench: %s %.2f x\n", n, a / b }'
        else
            echo "bench: loader_imagenet_${kind}_ratio_vs_torchvision$w SKIP (torchvision peer not available)"
        fi
    done
done
