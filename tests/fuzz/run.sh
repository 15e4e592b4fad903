#!/usr/bin/env bash
# Runs the libFuzzer harnesses of tests/fuzz (built by `make fuzz-build` into build-fuzz/).
#
#   tests/fuzz/run.sh [--time SECONDS] [--merge] [--smoke] [TARGET...]     (targets: ini json image dataset split checkpoint)
#
# Campaign (default): each target for --time seconds (default 600), one after the other, growing the working
# corpus build-fuzz/corpus/<target> from the committed seeds tests/fuzz/corpus/<target>; crashes go to
# build-fuzz/artifacts/.  --merge then minimises seeds + working corpus back into tests/fuzz/corpus/<target>
# (-merge=1: only inputs that add coverage).  --smoke: nothing is written beside a temp folder; prints
# PASS/FAIL per target (the make test smoke).  Exit status: 0 when no target crashed.
set -u
cd "$(dirname "$0")/../.."
time_s=600; merge=0; smoke=0; targets=()
while [ $# -gt 0 ]; do
    case $1 in
    --time) time_s=$2; shift 2 ;;
    --merge) merge=1; shift ;;
    --smoke) smoke=1; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
    esac
done
[ ${#targets[@]} -eq 0 ] && targets=(ini json image dataset split checkpoint)

# Per target: the largest input worth trying, and whether LeakSanitizer can run (a rejected input abandons its
# allocations when ug_die jumps back, so targets whose rejections go through ug_die run without leak checks).
max_len_of() { case $1 in dataset|split|checkpoint) echo 262144 ;; image) echo 65536 ;; *) echo 16384 ;; esac; }
cap_kib_of() { case $1 in dataset) echo 400 ;; split) echo 250 ;; checkpoint) echo 600 ;; *) echo 120 ;; esac; }
leaks_of()   { case $1 in json|image) echo 1 ;; *) echo 0 ;; esac; }

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
work=$(mktemp -d /tmp/ugfuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
failed=0
for t in "${targets[@]}"; do
    bin=build-fuzz/tests/fuzz/fuzz_$t seeds=tests/fuzz/corpus/$t
    if [ ! -x "$bin" ]; then echo "FAIL fuzz_$t: $bin not built (make fuzz-build)"; failed=1; continue; fi
    if [ $smoke = 1 ]; then corpus=$work/$t; artifacts=$work/artifacts-$t-; else
        corpus=build-fuzz/corpus/$t; artifacts=build-fuzz/artifacts/$t-; mkdir -p build-fuzz/artifacts; fi
    mkdir -p "$corpus"
    log=$work/$t.log; [ $smoke = 1 ] || log=build-fuzz/fuzz-$t.log
    ASAN_OPTIONS=detect_leaks=$(leaks_of "$t"):allocator_may_return_null=1 TMPDIR=$work \
        "$bin" -max_total_time="$time_s" -max_len="$(max_len_of "$t")" -timeout=20 -rss_limit_mb=3072 \
        -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "$seeds" > "$log" 2>&1
    rc=$?
    stats=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    if [ $rc -eq 0 ]; then
        echo "PASS fuzz_$t: ${time_s}s, ${stats:-?} inputs, no crash"
    else
        echo "FAIL fuzz_$t: libFuzzer exited $rc (log $log; crash input under ${artifacts%-*})"
        grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -5
        [ $smoke = 1 ] && cp "$log" "/tmp/fuzz-smoke-$t.log" && echo "  (log kept in /tmp/fuzz-smoke-$t.log)"
        failed=1
    fi
    if [ $merge = 1 ] && [ $smoke = 0 ] && [ $rc -eq 0 ]; then
        # The merge starts from the seeds (kept by name: the harnesses load some of them) and adds only the
        # working-corpus inputs that add coverage; then the smallest of those are committed up to a size cap
        # per target (HDF5 inputs are 20-200 KiB each; the whole committed corpus stays under 2 MB).
        merged=$work/merged-$t; mkdir -p "$merged"; cp "$seeds"/* "$merged"/
        if ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 TMPDIR=$work \
            "$bin" -merge=1 -max_len="$(max_len_of "$t")" -timeout=20 "$merged" "$corpus" > "$work/merge-$t.log" 2>&1; then
            cap=$(( $(cap_kib_of "$t") * 1024 )); used=$(du -cb "$seeds"/* | tail -1 | cut -f1); added=0
            for f in $(cd "$merged" && ls -S -r); do
                [ -e "$seeds/$f" ] && continue
                sz=$(stat -c %s "$merged/$f"); [ $((used + sz)) -gt $cap ] && continue
                cp "$merged/$f" "$seeds/"; used=$((used + sz)); added=$((added + 1))
            done
            echo "merged fuzz_$t: +$added inputs, now $(ls "$seeds" | wc -l) files, $(( $(du -cb "$seeds"/* | tail -1 | cut -f1) / 1024 )) KiB"
        else
            echo "FAIL fuzz_$t: merge failed"; tail -5 "$work/merge-$t.log"; failed=1
        fi
    fi
done
exit $failed
