#!/usr/bin/env bash
# tools/gpu-bundle.sh — carry the whole program (bin/ugradsl built here with GPU=1) to a GPU machine that has
# the CUDA libraries and Open MPI (libmpi.so.40: 4.x or 5.x) but not our other CPU dependencies (parallel HDF5,
# oneDNN, OpenBLAS, libsvm, libturbojpeg, ...), as the device image of docs/GPU.md.
#
#   tools/gpu-bundle.sh pack [DIR]      here: writes DIR/ugradsl-bundle.tar.xz (default DIR .devbundle) holding
#                                       bin/ugradsl and the shared libraries it needs, except glibc, CUDA and
#                                       Open MPI (those must come from the GPU machine)
#   tools/gpu-bundle.sh unpack [DIR]    there: unpacks it into /opt/ugradsl-bundle; prints the line to eval
# UG_BUNDLE_PROG=FILE packs that program instead of bin/ugradsl, e.g. a build for older CPUs made beside the one in
# use (make BUILD=build-portable BIN=build-portable/bin OPT="-O3 -march=x86-64-v2" build-portable/bin/ugradsl),
# so that jobs running bin/ugradsl meanwhile are not disturbed.
#
# (A first version carried Debian's Open MPI too; beside the machine's own Open MPI its plugins failed to load:
# "mca_pmix_ext3x.so: undefined symbol: PMIx_Info_create".)  Used by tools/gpu-check.sh when the machine lacks
# oneDNN / parallel HDF5 to build the program itself.
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "gpu-bundle: error: $*" >&2; exit 1; }
DIR=${2:-.devbundle}
PREFIX=/opt/ugradsl-bundle
case ${1:-} in
pack)
    prog=${UG_BUNDLE_PROG:-bin/ugradsl}
    [ -x "$prog" ] || die "$prog not built (make GPU=1 first)"
    mkdir -p "$DIR"
    stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
    mkdir -p "$stage$PREFIX/lib" "$stage$PREFIX/bin"
    cp "$prog" "$stage$PREFIX/bin/ugradsl"
    # the shared libraries of the program minus what the GPU machine brings itself (glibc, libstdc++/libgcc,
    # CUDA, Open MPI and what Open MPI depends on)
    ldd "$prog" 2>/dev/null |
        awk '/=>/ && $3 ~ /^\// {print $3}' | sort -u |
        grep -v -E '/(libc|libm|libpthread|libdl|librt|libutil|libresolv|ld-linux[^/]*|libstdc\+\+|libgcc_s|libcuda|libcudart|libcudnn[^/]*|libcublas[^/]*|libcublasLt|libnccl|libmpi|libopen-pal|libopen-rte|libpmix|libevent[^/]*|libhwloc|libucp|libucs|libuct|libucm|libfabric|libpsm2|libibverbs|librdmacm)\.so' |
        cat > "$stage/libs.txt" || true
    while read -r lib; do cp -L "$lib" "$stage$PREFIX/lib/$(basename "$lib")"; done < "$stage/libs.txt"
    tar -C "$stage" -cJf "$DIR/ugradsl-bundle.tar.xz.tmp" . && mv "$DIR/ugradsl-bundle.tar.xz.tmp" "$DIR/ugradsl-bundle.tar.xz"
    echo "gpu-bundle: $DIR/ugradsl-bundle.tar.xz ($(du -h "$DIR/ugradsl-bundle.tar.xz" | cut -f1), $(wc -l < "$stage/libs.txt") libraries)"
    ;;
unpack)
    [ -f "$DIR/ugradsl-bundle.tar.xz" ] || die "$DIR/ugradsl-bundle.tar.xz not found (tools/gpu-bundle.sh pack here first, then carry $DIR)"
    tar -C / -xJf "$DIR/ugradsl-bundle.tar.xz"
    echo "export UG_BUNDLE_BIN=$PREFIX/bin UG_BUNDLE_LIB=$PREFIX/lib"
    ;;
*) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
