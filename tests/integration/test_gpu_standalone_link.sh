#!/usr/bin/env bash
# tools/gpu-check.sh builds the GPU tests with `make gpu-standalone` on a machine that may have only the CUDA
# toolkit and a C compiler: no HDF5, oneDNN or OpenBLAS.  This links the same sources against this build's kernel
# library (make gpu-standalone-link-check: no nvcc run) with none of those on the include or library path, so a
# host source that starts to need one of them (util.c including hdf5.h did) fails here, not on a lent GPU.
#   gpu_standalone_link   every tests/gpu program links from SA_SRCS + libugcuda.a alone
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
if [ ! -f "$BUILD/libugcuda.a" ]; then
    echo "SKIP gpu_standalone_link: no CUDA build here ($BUILD/libugcuda.a missing: nvcc, cuDNN or NCCL not found)"
    exit 0
fi
log=$BUILD/gpu-sa-check.log
if make --no-print-directory BUILD="$BUILD" gpu-standalone-link-check > "$log" 2>&1; then
    n=$(ls "$BUILD"/gpu-sa-check/tests/gpu/ 2>/dev/null | wc -l)
    echo "PASS gpu_standalone_link ($n programs linked without HDF5 / oneDNN / OpenBLAS)"
else
    echo "FAIL gpu_standalone_link: $(grep -m1 -E 'error|undefined reference' "$log" | cut -c1-200) (log: $log)"
fi
