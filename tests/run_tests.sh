#!/usr/bin/env bash
# Runs the test suites and prints one closing line "N passed, N failed, N skipped".
# Suites: unit (tests/unit/test_*), mpi (tests/mpi/test_* at np 1, 2, 3), gpu (tests/gpu/test_*: SKIP without a
# GPU; test_gpu_nccl also at np 2), integration (tests/integration/*.sh),
# asan (unit tests, and the MPI tests at np 2, built with sanitizers in build-asan/).  With no argument: all of them, asan included.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
LOG=${TEST_LOG:-$BUILD/test-log.txt}
mkdir -p "$BUILD"; : > "$LOG"
suites=("$@"); [ ${#suites[@]} -eq 0 ] && suites=(unit mpi gpu integration asan)
pass=0; fail=0; skip=0; failed_names=()

# run_one LABEL TIMEOUT CMD...: runs a test program, echoes its PASS/FAIL/SKIP lines, counts them.
run_one() {
    local label=$1 limit=$2; shift 2
    local out rc
    out=$(timeout -k 10 "$limit" "$@" 2>>"$LOG"); rc=$?
    printf '%s\n' "$out" >> "$LOG"
    local p f s
    p=$(grep -c '^PASS ' <<<"$out"); f=$(grep -c '^FAIL ' <<<"$out"); s=$(grep -c '^SKIP ' <<<"$out")
    grep -E '^(PASS|FAIL|SKIP) ' <<<"$out"
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    [ "$f" -gt 0 ] && failed_names+=($(grep '^FAIL ' <<<"$out" | awk '{print $2}'))
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        [ $rc -eq 124 ] && why="timed out after ${limit}s" || why="exited with status $rc"
        echo "FAIL $label: $why (see $LOG)"; fail=$((fail + 1)); failed_names+=("$label")
    fi
}

for suite in "${suites[@]}"; do
    case $suite in
    unit|asan)
        [ "$suite" = asan ] && B=build-asan || B=$BUILD
        for t in "$B"/tests/unit/test_*; do
            [ -x "$t" ] || continue
            ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                run_one "$suite:$(basename "$t")" 600 "$t"
        done
        # The MPI tests under the sanitizers at np 2 (leak checks off: Open MPI's own allocations at exit are
        # not ours; the unit run does the same).  mpirun passes the environment to the local ranks.
        if [ "$suite" = asan ]; then
            for t in build-asan/tests/mpi/test_*; do
                [ -x "$t" ] || continue
                ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                    run_one "asan:mpi:$(basename "$t")@np2" 900 mpirun -np 2 --oversubscribe -x ASAN_OPTIONS -x UBSAN_OPTIONS "$t"
            done
        fi ;;
    mpi)
        for t in "$BUILD"/tests/mpi/test_*; do
            [ -x "$t" ] || continue
            for np in 1 2 3; do
                run_one "mpi:$(basename "$t")@np$np" 600 mpirun -np $np --oversubscribe "$t"
            done
        done ;;
    gpu)
        for t in "$BUILD"/tests/gpu/test_*; do
            [ -x "$t" ] || continue
            run_one "gpu:$(basename "$t")" 600 "$t"
            [ "$(basename "$t")" = test_gpu_nccl ] && run_one "gpu:test_gpu_nccl@np2" 600 mpirun -np 2 --oversubscribe "$t"
        done ;;
    integration)
        for t in tests/integration/*.sh; do
            [ -f "$t" ] || continue
            run_one "integration:$(basename "$t")" 1500 bash "$t"
        done ;;
    *) echo "unknown suite '$suite' (unit, mpi, gpu, integration, asan)" >&2; exit 2 ;;
    esac
done

if [ ${#failed_names[@]} -gt 0 ]; then
    echo "failed: ${failed_names[*]}  (details in $LOG)"
fi
echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
