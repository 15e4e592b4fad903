#!/usr/bin/env bash
# Loader throughput (`make bench-data`; docs/LOADER.md).  Prints "bench: <name> <value> img/s" lines.
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
echo "# machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$BUILD/tests/bench/bench_loader" "${args[@]}"
