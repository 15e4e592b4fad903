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
cap_kib_of() { case $1 in dataset) echo 600 ;; split) echo 250 ;; checkpoint) echo 600 ;; *) echo 120 ;; esac; }
is_hdf5()    { case $1 in dataset|split|checkpoint) return 0 ;; *) return 1 ;; esac; }
# crash_site BIN INPUT TARGET: replays one crash input and prints where it is.  "libhdf5: ..." only when
#  - a memory error's faulting frame (above libc / sanitizer frames) is inside libhdf5 AND the memory it touched was
#    allocated by libhdf5 too (or there is no allocation: a wild SEGV); a buffer of ours overrun by HDF5 is our bug;
#  - an out-of-memory happens inside an HDF5 call that opens or looks up metadata (H5Fopen, H5Aexists, H5Dopen2,
#    ...): the file's structure, before we get a handle.  Inside H5Dread / H5Aread it is ours: we can check the
#    type and size of what we read first.
# An input that no longer fails when replayed alone (a timeout under load) prints "no longer reproduces".
# (ASan's interceptors of libc string/memory functions show as frames of the fuzz binary itself, e.g.
# "in strdup (.../fuzz_split+0x...)": they are skipped like libc, so the caller — libhdf5's H5MM_strdup — is the site.)
first_frame() { grep -E '^ +#[0-9]+ ' | grep -vE 'interceptor|libc\.so|sysdeps|memmove|memcpy|libclang_rt|compiler-rt|malloc|free|realloc|sanitizer|__asan|fuzzer::' \
    | grep -vE ' in (str[a-z]*|mem[a-z]*|wcs[a-z]*) \(' \
    | head -1 | sed -E 's/^ +#[0-9]+ 0x[0-9a-f]+ +//; s/ \(BuildId.*//'; }
crash_site() {
    local rep; rep=$(ASAN_OPTIONS=detect_leaks=$(leaks_of "$3"):allocator_may_return_null=1 TMPDIR=$work \
        "$1" -timeout=20 -rss_limit_mb=3072 "$2" 2>&1)
    local top alloc api
    top=$(sed -n '/ERROR: /,/^$/p' <<<"$rep" | first_frame)
    alloc=$(sed -n '/allocated by thread/,/^$/p' <<<"$rep" | first_frame)
    api=$(grep -oE ' in H5[A-Z][a-z]*[0-9]? ' <<<"$rep" | tail -1 | tr -d ' ' | sed 's/^in//')
    if ! grep -qE 'ERROR: |ALARM|deadly signal' <<<"$rep"; then echo "gone: no longer reproduces when replayed alone"
    elif grep -q 'is located in stack' <<<"$rep"; then echo "ours (stack memory): $top"
    elif grep -q 'out-of-memory' <<<"$rep"; then
        case $api in H5Dread|H5Aread|"") echo "ours: out of memory in ${api:-our code}" ;; *) echo "libhdf5: out of memory inside $api" ;; esac
    elif [[ $top == *libhdf5* ]] && { [ -z "$alloc" ] || [[ $alloc == *libhdf5* ]]; }; then echo "libhdf5: $top (in $api)"
    else echo "${top:-unknown} (allocated at: ${alloc:-?})"; fi
}
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
    # HDF5 targets (campaign and smoke) run in fork mode past crashes: libhdf5 1.10.8 itself crashes on some damaged
    # files (docs/RELIABILITY.md), and the campaign must go on to find ours; every crash is replayed below and
    # one whose stack reaches our code (src/) fails the target.
    fork=(); is_hdf5 "$t" && fork=(-fork=1 -ignore_crashes=1)
    ASAN_OPTIONS=detect_leaks=$(leaks_of "$t"):allocator_may_return_null=1 TMPDIR=$work \
        "$bin" "${fork[@]}" -max_total_time="$time_s" -max_len="$(max_len_of "$t")" -timeout=20 -rss_limit_mb=3072 \
        -print_final_stats=1 -artifact_prefix="$artifacts" "$corpus" "$seeds" > "$log" 2>&1
    rc=$?
    stats=$(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}')
    [ -z "$stats" ] && stats=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    if [ ${#fork[@]} -gt 0 ]; then
        ours=0 lib=0
        for c in "${artifacts}"crash-* "${artifacts}"timeout-* "${artifacts}"oom-*; do
            [ -e "$c" ] || continue
            where=$(crash_site "$bin" "$c" "$t")
            case $where in libhdf5*|gone*) lib=$((lib + 1)) ;; *) ours=$((ours + 1)); echo "  crash in our code: $c: $where" ;; esac
        done
        if [ $ours -eq 0 ]; then rc=0; echo "  fuzz_$t: $lib crash input(s) inside libhdf5 or not reproducible alone (not our code)"
        else rc=1; fi
    fi
    if [ $rc -eq 0 ]; then
        echo "PASS fuzz_$t: ${time_s}s, ${stats:-?} inputs, no crash in our code"
    else
        echo "FAIL fuzz_$t: libFuzzer exited $rc (log $log; crash input under ${artifacts%-*})"
        grep -E 'ERROR|SUMMARY|runtime error' "$log" | head -5
        if [ $smoke = 1 ]; then
            mkdir -p /tmp/fuzz-smoke-kept; cp "$log" "${artifacts}"* /tmp/fuzz-smoke-kept/ 2>/dev/null
            echo "  (log and crash inputs kept in /tmp/fuzz-smoke-kept)"
        fi
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
