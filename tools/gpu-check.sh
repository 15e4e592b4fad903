#!/usr/bin/env bash
# tools/gpu-check.sh — the GPU check of issue 5, one script for a GPU machine (< 8 minutes on an H100):
#   1. finds the CUDA toolkit, cuDNN, cuBLAS and NCCL (system paths, else the Python wheels nvidia/* that
#      PyTorch brings), 2. builds the GPU tests with nvcc (`make gpu-standalone`: no HDF5 / oneDNN needed, no
#      MPI needed), and the whole program with GPU=1 when its CPU dependencies are there too, 3. runs the
#      GPU-vs-CPU kernel and layer tests and the NCCL test, 4. runs the GPU layer benchmark vs PyTorch,
#      5. (UG_GPU_CHECK_PROFILE=1) the per-layer-kind profile of a training step, fp32 and bf16.
#   Issue 17: the self-adaptive alpha kernel through the model executor against the CPU (test_gpu_model), and the
#   unlearning step (UGradSL, paired batch, adaptive alpha) timed against the training step at the same global batch
#   on ResNet-18 (bench_gpu_unlearn): `bench: unlearn_step_vs_train_step_ratio X`, goal <= 1.10.  SCRUB's fused
#   distillation loss (kernel and executor op) against its CPU twin (test_gpu_kl).
# UG_GPU_CHECK_BENCH=model (full-model benchmark only) | none | quick; UG_GPU_CHECK_ARCHIVE=FILE.tgz: the logs in one file.
# Logs go to $OUT when set (else build-gpu-check/); the summary is printed at the end and kept as summary.txt.
# Exit status: 0 when nothing failed (SKIPs included), 1 otherwise.
set -u
cd "$(dirname "$0")/.."
T0=$(date +%s)
LOG=${OUT:-build-gpu-check}
mkdir -p "$LOG"
LOG=$(cd "$LOG" && pwd)
SUMMARY=$LOG/summary.txt
: > "$SUMMARY"
JOBS=$(nproc 2>/dev/null || echo 4)
SA=build-gpu-sa
failed=0
say() { echo "$*" | tee -a "$SUMMARY"; }
elapsed() { echo $(( $(date +%s) - T0 )); }

# ---- 1. the GPU ----
if nvidia-smi > "$LOG/nvidia-smi.txt" 2>&1; then
    say "gpu: $(nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv,noheader | head -1)"
    CC_CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d ' .')
else
    say "gpu: nvidia-smi failed (see nvidia-smi.txt): the tests will SKIP"
    CC_CAP=
fi

# ---- 2. toolchain discovery ----
PY=
for p in python3 /usr/bin/python3 python; do
    command -v "$p" >/dev/null 2>&1 || continue
    if "$p" -c 'import torch' >/dev/null 2>&1; then PY=$p; break; fi
    [ -z "$PY" ] && PY=$p
done
# wheel_dir NAME: the directory of the nvidia.NAME wheel package, or nothing
wheel_dir() {
    [ -n "$PY" ] || return 0
    "$PY" -c "import nvidia.$1 as m, os; print(os.path.dirname(m.__file__) if getattr(m, '__file__', None) else list(m.__path__)[0])" 2>/dev/null
}
CUDA_HOME=${CUDA_HOME:-}
for c in "$CUDA_HOME" /usr/local/cuda /usr/local/cuda-* /opt/cuda "$(dirname "$(dirname "$(readlink -f "$(command -v nvcc 2>/dev/null || echo /nonexistent)")")")" "$(wheel_dir cuda_nvcc)"; do
    [ -n "$c" ] && [ -x "$c/bin/nvcc" ] && { CUDA_HOME=$c; break; }
done
if [ -z "$CUDA_HOME" ] || [ ! -x "$CUDA_HOME/bin/nvcc" ]; then
    say "FAIL gpu-check: no nvcc found (CUDA_HOME, /usr/local/cuda*, PATH, the nvidia-cuda-nvcc wheel)"
    exit 1
fi
say "nvcc: $CUDA_HOME/bin/nvcc ($("$CUDA_HOME/bin/nvcc" --version | grep -o 'release [0-9.]*'))"
EXTRA_INC=
# find_header FILE DIR...: prints the first DIR holding FILE
find_header() { local f=$1; shift; for d in "$@"; do [ -n "$d" ] && [ -f "$d/$f" ] && { echo "$d"; return; }; done; }
CUDNN_W=$(wheel_dir cudnn); NCCL_W=$(wheel_dir nccl); CUBLAS_W=$(wheel_dir cublas); CUDART_W=$(wheel_dir cuda_runtime)
# Where PyTorch's cuDNN / NCCL wheels are, build against them (UG_GPU_CHECK_LIBS=system to not): the benchmark then
# compares the same cuDNN, and PyTorch does not find a second, older cuDNN first (it refuses to run then).
if [ "${UG_GPU_CHECK_LIBS:-wheel}" = wheel ]; then
    [ -n "$CUDNN_W" ] && [ -f "$CUDNN_W/include/cudnn.h" ] && [ -z "${CUDNN_HOME:-}" ] && CUDNN_HOME=$CUDNN_W
    [ -n "$NCCL_W" ] && [ -f "$NCCL_W/include/nccl.h" ] && [ -z "${NCCL_HOME:-}" ] && NCCL_HOME=$NCCL_W
fi
inc=$(find_header cudnn.h "${CUDNN_HOME:+$CUDNN_HOME/include}" "$CUDA_HOME/include" /usr/include /usr/include/x86_64-linux-gnu "${CUDNN_W:+$CUDNN_W/include}")
[ -n "$inc" ] || { say "FAIL gpu-check: cudnn.h not found (system, CUDNN_HOME, nvidia.cudnn wheel)"; exit 1; }
CUDNN_HOME=$(dirname "$inc"); [ "$inc" = "$CUDNN_HOME/include" ] || EXTRA_INC="$EXTRA_INC -I$inc"
inc=$(find_header nccl.h "${NCCL_HOME:+$NCCL_HOME/include}" "$CUDA_HOME/include" /usr/include "${NCCL_W:+$NCCL_W/include}")
[ -n "$inc" ] || { say "FAIL gpu-check: nccl.h not found (system, NCCL_HOME, nvidia.nccl wheel)"; exit 1; }
NCCL_HOME=$(dirname "$inc")
inc=$(find_header cuda_runtime.h "$CUDA_HOME/include" "${CUDART_W:+$CUDART_W/include}")
[ -n "$inc" ] || { say "FAIL gpu-check: cuda_runtime.h not found"; exit 1; }
[ "$inc" = "$CUDA_HOME/include" ] || EXTRA_INC="$EXTRA_INC -I$inc"
inc=$(find_header cublas_v2.h "$CUDA_HOME/include" /usr/include "${CUBLAS_W:+$CUBLAS_W/include}")
[ -n "$inc" ] || { say "FAIL gpu-check: cublas_v2.h not found"; exit 1; }
[ "$inc" = "$CUDA_HOME/include" ] || EXTRA_INC="$EXTRA_INC -I$inc"

# Libraries: wheels ship only versioned names (libcudnn.so.9), so link through a folder of plain-name links;
# the real folders go into the rpath and LD_LIBRARY_PATH (cuDNN loads its sub-libraries at run time).
LINKS=$PWD/$SA/gpulibs
mkdir -p "$LINKS"
LIBDIRS="$LINKS"
for lib in cudart cublas cublasLt cudnn nccl; do
    found=
    for d in "$CUDA_HOME/lib64" "$CUDA_HOME/lib" "$CUDNN_HOME/lib" "$CUDNN_HOME/lib64" "$NCCL_HOME/lib" \
             "$NCCL_HOME/lib64" /usr/lib/x86_64-linux-gnu "${CUDNN_W:+$CUDNN_W/lib}" "${NCCL_W:+$NCCL_W/lib}" \
             "${CUBLAS_W:+$CUBLAS_W/lib}" "${CUDART_W:+$CUDART_W/lib}"; do
        [ -d "$d" ] || continue
        found=$(ls "$d/lib$lib.so" "$d"/lib$lib.so.[0-9]* 2>/dev/null | head -1)
        [ -n "$found" ] && break
    done
    [ -n "$found" ] || { say "FAIL gpu-check: lib$lib.so not found"; exit 1; }
    ln -sf "$(readlink -f "$found")" "$LINKS/lib$lib.so"
    real=$(dirname "$(readlink -f "$found")")
    case " $LIBDIRS " in *" $real "*) ;; *) LIBDIRS="$LIBDIRS $real" ;; esac
    say "lib$lib: $found"
done
ORIG_LD=${LD_LIBRARY_PATH:-}   # PyTorch runs with the machine's own setting; our binaries get ours
export LD_LIBRARY_PATH=$(echo $LIBDIRS | tr ' ' ':')${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export UG_OURS_LD_LIBRARY_PATH=$LD_LIBRARY_PATH
echo "$LD_LIBRARY_PATH" > "$LOG/ldpath"   # our binaries' library path, for reruns by hand
ARCHS="80 90"
[ -n "$CC_CAP" ] && case " $ARCHS " in *" $CC_CAP "*) ;; *) ARCHS="$ARCHS $CC_CAP" ;; esac
MAKEVARS=(CUDA_HOME="$CUDA_HOME" CUDNN_HOME="$CUDNN_HOME" NCCL_HOME="$NCCL_HOME" CUDA_EXTRA_INC="$EXTRA_INC"
          CUDA_LIBDIRS="$LIBDIRS" CUDA_ARCHS="$ARCHS")

# ---- 3. build ----
make -j"$JOBS" gpu-standalone SA_BUILD=$SA "${MAKEVARS[@]}" > "$LOG/build-gpu-tests.log" 2>&1
if grep -q 'unsupported GNU version' "$LOG/build-gpu-tests.log"; then   # host gcc newer than this nvcc knows
    MAKEVARS+=(NVCC_EXTRA=-allow-unsupported-compiler)
    say "note: nvcc does not know this gcc: retrying with -allow-unsupported-compiler"
fi
if make -j"$JOBS" gpu-standalone SA_BUILD=$SA "${MAKEVARS[@]}" >> "$LOG/build-gpu-tests.log" 2>&1; then
    say "PASS build: GPU tests (make gpu-standalone, archs $ARCHS, $(elapsed) s)"
else
    say "FAIL build: GPU tests (see build-gpu-tests.log)"; tail -30 "$LOG/build-gpu-tests.log"
    exit 1
fi
if command -v mpicc >/dev/null 2>&1 && [ -f /usr/include/dnnl.h ] && [ -f /usr/include/hdf5/openmpi/H5FDmpio.h ]; then
    if make -j"$JOBS" GPU=1 BUILD=build-gpu-full all "${MAKEVARS[@]}" > "$LOG/build-full.log" 2>&1; then
        UG_BIN=$PWD/bin/ugradsl
        say "PASS build: bin/ugradsl with GPU=1"
    else
        say "FAIL build: bin/ugradsl with GPU=1 (see build-full.log)"; failed=1
    fi
elif [ -f .devbundle/ugradsl-bundle.tar.xz ]; then
    eval "$(tools/gpu-bundle.sh unpack .devbundle)"
    if LD_LIBRARY_PATH=$UG_BUNDLE_LIB:$LD_LIBRARY_PATH ldd "$UG_BUNDLE_BIN/ugradsl" | grep -q 'not found'; then
        say "FAIL bundle: bin/ugradsl from .devbundle misses libraries: $(LD_LIBRARY_PATH=$UG_BUNDLE_LIB:$LD_LIBRARY_PATH ldd "$UG_BUNDLE_BIN/ugradsl" | grep 'not found' | tr -s ' \n' ' ')"
        failed=1
    else
        UG_BIN=$UG_BUNDLE_BIN/ugradsl; export LD_LIBRARY_PATH=$UG_BUNDLE_LIB:$LD_LIBRARY_PATH
        UG_OURS_LD_LIBRARY_PATH=$LD_LIBRARY_PATH
        say "PASS bundle: bin/ugradsl carried from the dev machine (tools/gpu-bundle.sh; this machine lacks oneDNN / parallel HDF5)"
    fi
else
    say "SKIP build: bin/ugradsl with GPU=1: this machine lacks mpicc / oneDNN / parallel HDF5 (the CPU deps); no .devbundle either"
fi

# ---- 4. GPU tests ----
pass=0; fail=0; skip=0
run_test() {   # run_test LABEL CMD...: counts the harness's PASS/FAIL/SKIP lines
    local label=$1; shift
    local out=$LOG/$label.log rc
    timeout -k 10 300 "$@" > "$out" 2>&1; rc=$?
    grep -E '^(PASS|FAIL|SKIP) ' "$out" | tee -a "$SUMMARY"
    local p f s
    p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out"); s=$(grep -c '^SKIP ' "$out")
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then say "FAIL $label: exit status $rc (see $label.log)"; tail -5 "$out"; fail=$((fail + 1)); fi
}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
for t in $SA/tests/gpu/test_*; do
    [ -x "$t" ] && run_test "$(basename "$t")" "$t"
done
if command -v mpirun >/dev/null 2>&1 && grep -q gpu_comm_init_mpi <(nm "$SA/tests/gpu/test_gpu_nccl" 2>/dev/null); then
    run_test test_gpu_nccl_np2 mpirun -np 2 --oversubscribe "$SA/tests/gpu/test_gpu_nccl"
fi
# ---- the whole program on the GPU: the digits demo, CPU vs GPU ----
if [ -z "$CC_CAP" ]; then
    say "SKIP gpu-demo: no GPU (nvidia-smi found none)"; skip=$((skip + 1))
elif [ -n "${UG_BIN:-}" ]; then
    if timeout -k 10 240 bash tools/gpu-demo.sh "$UG_BIN" > "$LOG/gpu-demo.log" 2>&1; then
        say "PASS gpu-demo: $(grep '^result' "$LOG/gpu-demo.log" | tail -1)"; pass=$((pass + 1))
    else
        say "FAIL gpu-demo: exit status $? (see gpu-demo.log)"; tail -8 "$LOG/gpu-demo.log"; fail=$((fail + 1))
    fi
else
    say "SKIP gpu-demo: no bin/ugradsl for this machine"; skip=$((skip + 1))
fi
# ---- issue 17: the alpha kernel through the executor, and the unlearning step against the training step ----
alpha_line=$(grep -E '^(PASS|FAIL|SKIP) test_gpu_model/test_adaptive_alpha_executor' "$LOG/test_gpu_model.log" 2>/dev/null | head -1)
case $alpha_line in
    PASS*) say "PASS alpha-kernel: the self-adaptive alpha through the GPU executor equals the CPU's" ;;
    FAIL*) say "FAIL alpha-kernel: the self-adaptive alpha through the GPU executor differs from the CPU's (see test_gpu_model.log)" ;;
    SKIP*) say "SKIP alpha-kernel: ${alpha_line#*: }" ;;
    *) say "FAIL alpha-kernel: no result from test_gpu_model (see test_gpu_model.log)"; fail=$((fail + 1)) ;;
esac
kl_lines=$(grep -E '^(PASS|FAIL|SKIP) test_gpu_kl/' "$LOG/test_gpu_kl.log" 2>/dev/null)
if [ -z "$kl_lines" ]; then
    say "FAIL kl-kernel: no result from test_gpu_kl (see test_gpu_kl.log)"; fail=$((fail + 1))
elif grep -q '^FAIL' <<<"$kl_lines"; then
    say "FAIL kl-kernel: SCRUB's distillation loss on the GPU differs from the CPU's (see test_gpu_kl.log)"
elif grep -q '^SKIP' <<<"$kl_lines"; then
    say "SKIP kl-kernel: $(grep -m1 '^SKIP' <<<"$kl_lines" | sed 's/^[^:]*: //')"
else
    say "PASS kl-kernel: SCRUB's distillation loss (kernel and executor op) on the GPU equals the CPU's"
fi
UNLEARN_GOAL=1.10
if [ "${UG_GPU_CHECK_BENCH:-}" = none ]; then
    say "SKIP unlearn-vs-train: UG_GPU_CHECK_BENCH=none"; skip=$((skip + 1))
elif [ ! -x "$SA/tests/gpu/bench_gpu_unlearn" ]; then
    say "FAIL unlearn-vs-train: $SA/tests/gpu/bench_gpu_unlearn was not built"; fail=$((fail + 1))
else
    timeout -k 10 240 "$SA/tests/gpu/bench_gpu_unlearn" --res 32 --batch 256 --classes 10 --width 64 \
        > "$LOG/bench-unlearn.log" 2>&1; rc=$?
    grep -E '^(bench|note|SKIP)' "$LOG/bench-unlearn.log" | tee -a "$SUMMARY"
    ratio=$(awk '/^bench: unlearn_step_vs_train_step_ratio/ {print $3}' "$LOG/bench-unlearn.log")
    if grep -q '^SKIP' "$LOG/bench-unlearn.log"; then
        say "SKIP unlearn-vs-train: no GPU"; skip=$((skip + 1))
    elif [ $rc -ne 0 ] || [ -z "$ratio" ]; then
        say "FAIL unlearn-vs-train: exit status $rc, no ratio (see bench-unlearn.log)"; tail -5 "$LOG/bench-unlearn.log"
        fail=$((fail + 1))
    elif awk -v r="$ratio" -v g="$UNLEARN_GOAL" 'BEGIN { exit !(r <= g) }'; then
        say "PASS unlearn-vs-train: the unlearning step takes $ratio x the training step (goal <= $UNLEARN_GOAL)"
        pass=$((pass + 1))
    else
        say "FAIL unlearn-vs-train: the unlearning step takes $ratio x the training step (goal <= $UNLEARN_GOAL)"
        fail=$((fail + 1))
    fi
fi
say "tests: $pass passed, $fail failed, $skip skipped ($(elapsed) s)"
[ $fail -eq 0 ] || failed=1
if [ -n "$CC_CAP" ] && [ $pass -eq 0 ]; then   # a GPU is there but nothing ran: say why, count it as failed
    say "FAIL tests: nvidia-smi sees a GPU but every test skipped (driver CUDA $(grep -o 'CUDA Version: [0-9.]*' "$LOG/nvidia-smi.txt" | head -1), nvcc $("$CUDA_HOME/bin/nvcc" --version | grep -o 'release [0-9.]*'): a driver older than the toolkit? set CUDA_HOME to a matching toolkit)"
    failed=1
fi

# ---- 5. benchmark vs PyTorch (layer level; shrunk when time is short) ----
if [ "${UG_GPU_CHECK_BENCH:-}" = none ]; then
    say "SKIP bench: UG_GPU_CHECK_BENCH=none"
elif [ -n "$PY" ] && "$PY" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
    LD_LIBRARY_PATH=$ORIG_LD timeout -k 10 240 "$PY" tools/bench_gpu_r18.py --ours $SA/tests/gpu/bench_gpu_model \
        > "$LOG/bench-gpu-r18.log" 2>&1 || { say "FAIL bench-r18: exit status $? (see bench-gpu-r18.log)"; failed=1; }
    grep -E '^(bench|SKIP|FAIL)' "$LOG/bench-gpu-r18.log" | tee -a "$SUMMARY"
    if [ "${UG_GPU_CHECK_BENCH:-}" != model ]; then   # the layer benchmark too (shrunk when time is short)
        quick=; [ "$(elapsed)" -gt 200 ] || [ "${UG_GPU_CHECK_BENCH:-}" = quick ] && quick=--quick
        LD_LIBRARY_PATH=$ORIG_LD timeout -k 10 200 "$PY" tools/bench_gpu_torch.py --ours $SA/tests/gpu/bench_gpu_layers \
            $quick > "$LOG/bench-gpu.log" 2>&1 || say "FAIL bench: exit status $? (see bench-gpu.log)"
        grep -E '^(bench|SKIP)' "$LOG/bench-gpu.log" | tee -a "$SUMMARY"
    fi
else
    say "SKIP bench: no PyTorch with CUDA for ${PY:-python3}"
fi

# ---- 6. where a training step's time goes (UG_GPU_CHECK_PROFILE=1): per layer kind, fp32 and bf16, both shapes
if [ "${UG_GPU_CHECK_PROFILE:-0}" = 1 ] && [ -x "$SA/tests/gpu/bench_gpu_model" ]; then
    for mode in "" --bf16; do for r in "224 256 1000 imagenet" "32 512 10 cifar"; do set -- $r
        f="$LOG/profile-$1${mode:+-bf16}.txt"
        UG_GPU_PROFILE=1 timeout -k 5 60 "$SA/tests/gpu/bench_gpu_model" $mode --res $1 --batch $2 --classes $3 \
            --stem $4 --steps 8 --warmup 3 > "$f" 2>&1 || say "FAIL profile $1 ${mode:-fp32}: exit status $? (see $f)"
        say "profile $1² ${mode:+bf16}${mode:-fp32}: $(grep -E '^(profile|imgs_per)' "$f" | tr -s ' ' | tr '\n' ';')"
    done; done
fi

[ "${CC_CAP:-}" ] && [ "$(nvidia-smi -L 2>/dev/null | wc -l)" -lt 2 ] && say "note: one GPU here: the NCCL np 2 cases and the gain of the overlapped all-reduce (UG_GPU_OVERLAP=1) need two"
# UG_GPU_CHECK_ARCHIVE=FILE.tgz: every log in one archive too (the device tool brings back only a few files)
if [ -n "${UG_GPU_CHECK_ARCHIVE:-}" ]; then
    tmp=$UG_GPU_CHECK_ARCHIVE.tmp.$$   # written whole, then renamed: never a half archive under the name
    tar -C "$(dirname "$LOG")" -czf "$tmp" "$(basename "$LOG")" && mv -f "$tmp" "$UG_GPU_CHECK_ARCHIVE" ||
        { rm -f "$tmp"; echo "FAIL gpu-check: could not write $UG_GPU_CHECK_ARCHIVE (does its folder exist?)"; failed=1; }
fi
say "gpu-check: $([ $failed -eq 0 ] && echo OK || echo FAILED) in $(elapsed) s; logs in $LOG"
exit $failed
