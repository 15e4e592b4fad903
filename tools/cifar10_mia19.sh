#!/usr/bin/env bash
# tools/cifar10_mia19.sh — issue 19's CIFAR-10 re-measurement, prepared for the local Slurm (not run by any test):
#   reeval   every finished core-row run of runs/cifar10-{classwise,random} (Original, Retrain, FT, GA, UGradSL,
#            UGradSL+, the self-adaptive variants; all seeds) evaluated again with the stratified member draw and
#            the threshold attacks (jobs/eval.sbatch) into the parallel tree runs/cifar10-{classwise,random}-mia19/
#            (same relative paths, DONE markers, the sweep's choice files copied), so tools/cifar10_results.py
#            --classwise runs/cifar10-classwise-mia19 --random runs/cifar10-random-mia19 rebuilds the page.  The
#            models are not retrained: the member draw changes the metrics only (models stay bit-identical).
#   classes  class-wise forgetting of classes 1, 3 and 8 (one seed), hyper-parameters as chosen on class 0
#            (runs/cifar10-classwise/sweep/NAME.args become the only grid value: no sweep), the class-wise original
#            reused (jobs/pipeline.sh --original): runs/cifar10-classwise-c{1,3,8}/
#   ulira    U-LiRA (jobs/ulira.sh) on both experiments: K = 8 shadows, pool 500 of D_f, FT, GA, UGradSL, UGradSL+
#            with their chosen arguments: runs/cifar10-{classwise,random}/ulira/ulira.md
#   tools/cifar10_mia19.sh [--stage reeval|classes|ulira|all] [--runs DIR] [--dry-run]
# Budget on the 2-core machine (measured unit costs, docs/results/cifar10.md, docs/METRICS.md §11): reeval ≈ 66 runs
# x ~3.5 min ≈ 3.9 h; classes ≈ 3 x (Retrain 21 min + 6 unlearnings + 7 evaluations) ≈ 2.5 h; ulira ≈ 2 x (8 x 21 min
# training + 32 unlearnings) ≈ 2 x 2.7 h.  About 11.8 h in all; every stage resumable (DONE markers; run it again).
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "cifar10-mia19: error: $*" >&2; exit 1; }
stage=all; runs=runs; dry=0
while [ $# -gt 0 ]; do
    case $1 in
    --stage) [ $# -ge 2 ] || die "--stage needs a value"; stage=$2; shift 2 ;;
    --runs) [ $# -ge 2 ] || die "--runs needs a directory"; runs=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (--help)" ;;
    esac
done
[[ "$stage" =~ ^(reeval|classes|ulira|all)$ ]] || die "--stage must be reeval, classes, ulira or all"
. jobs/lib.sh
CORE="original retrain ft ga ugradsl ugradsl+ ugradsl@adaptive-neg ugradsl@adaptive-lit ugradsl+@adaptive-neg ugradsl+@adaptive-lit"
submit() {   # submit KIND NAME SCRIPT ARGS...: sbatch (or print it with --dry-run)
    local kind=$1 name=$2; shift 2
    if [ $dry -eq 1 ]; then echo "sbatch [$kind] $*"; return 0; fi
    local -a flags
    mapfile -t flags < <(ug_sbatch_flags "$kind" 1 "$name" "$runs/mia19-logs")
    sbatch --parsable "${flags[@]}" "$@"
}
json() { /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }
if [ $dry -eq 0 ]; then ug_site_load; ug_site_check; mkdir -p "$runs/mia19-logs"; fi

if [ "$stage" = reeval ] || [ "$stage" = all ]; then
    for exp in cifar10-classwise cifar10-random; do
        src=$runs/$exp; dst=$runs/$exp-mia19
        [ -d "$src" ] || { echo "reeval: $src missing: skipped"; continue; }
        [ $dry -eq 1 ] || { mkdir -p "$dst/sweep"; cp -p "$src"/sweep/*.grid "$src"/sweep/*.args "$src"/sweep/*.md "$dst/sweep/" 2>/dev/null || true; }
        for m in $CORE; do
            for run in "$src/$m" "$src/$m"/seed-*; do
                [ -f "$run/DONE" ] && [ -f "$run/model.h5" ] && [ -f "$run/metrics.json" ] || continue
                out=$dst/${run#"$src"/}
                [ -f "$out/DONE" ] && continue
                seed=$(json "$run/metrics.json" seed)
                args=(--out "$out" --data "$(json "$run/metrics.json" dataset)" --model "$run/model.h5"
                      --split "$(json "$run/metrics.json" split)" --method "$(json "$run/metrics.json" method)" --done yes)
                [ -z "$seed" ] || args+=(--seed "$seed")
                submit mpi-short "mia19-eval" jobs/eval.sbatch "${args[@]}"
                # the unlearning run's own facts (RTE, args) are not re-measured: carried over beside the new metrics
                [ $dry -eq 1 ] || { mkdir -p "$out"; cp -p "$run/args" "$out/args" 2>/dev/null || true; }
            done
        done
    done
fi

if [ "$stage" = classes ] || [ "$stage" = all ]; then
    orig=$runs/cifar10-classwise/original
    [ -f "$orig/DONE" ] || [ $dry -eq 1 ] || die "classes: $orig/DONE missing (the class-wise original must be finished)"
    for c in 1 3 8; do
        ini=$runs/mia19-inputs/cifar10-classwise-c$c.ini
        mkdir -p "$(dirname "$ini")"
        # classes = c; every [sweep.NAME] grid replaced by the one value chosen on class 0 (when there is a choice)
        /usr/bin/python3 - inputs/cifar10-classwise.ini "$runs/cifar10-classwise/sweep" "$c" > "$ini" <<'PYEOF'
import os, re, sys
src, sweep, cls = sys.argv[1:]
sec, done = None, set()
for line in open(src):
    m = re.match(r"\s*\[([^\]]+)\]", line)
    if m:
        sec = m.group(1)
    if sec == "split" and re.match(r"\s*classes\s*=", line):
        print(f"classes = {cls}   # issue 19: hyper-parameters chosen on class 0, unchanged"); continue
    if sec and sec.startswith("sweep.") and re.match(r"\s*grid\s*=", line):
        name = sec[len("sweep."):]
        chosen = os.path.join(sweep, name + ".args")
        if os.path.isfile(chosen):
            if name not in done:
                print("grid = " + open(chosen).read().strip() + "   # chosen on class 0")
                done.add(name)
            continue
    print(line, end="")
PYEOF
        pflags=(--original "$orig" --methods "ft ga ugradsl ugradsl+ ugradsl@adaptive-neg ugradsl+@adaptive-neg" --seeds 1 --runs "$runs")
        [ $dry -eq 0 ] || pflags+=(--dry-run)
        jobs/pipeline.sh "${pflags[@]}" "$ini" || die "pipeline for class $c failed"
    done
fi

if [ "$stage" = ulira ] || [ "$stage" = all ]; then
    for exp in cifar10-classwise cifar10-random; do
        meta=$runs/$exp/retrain/seed-1/metrics.json
        [ -f "$meta" ] || { echo "ulira: $meta missing (Retrain seed 1 gives data and split): skipped"; continue; }
        uflags=(--out "$runs/$exp/ulira" --config "inputs/$exp.ini" --data "$(json "$meta" dataset)"
                --split "$(json "$meta" split)" --methods "ft ga ugradsl ugradsl+" --shadows 8 --pool 500 --seed 1
                --args-dir "$runs/$exp/sweep")
        [ $dry -eq 0 ] || uflags+=(--dry-run)
        jobs/ulira.sh "${uflags[@]}"
    done
fi
