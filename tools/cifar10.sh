#!/usr/bin/env bash
# tools/cifar10.sh — issue 8's whole CIFAR-10 reproduction in one command (`make cifar10`): the class-wise and
# the random-10% experiments of inputs/cifar10-{classwise,random}.ini submitted to Slurm with jobs/pipeline.sh, the
# random one sharing the class-wise original.  Run the same command again to resume (finished stages are skipped,
# queued jobs kept).  When every job has ended, `make cifar10-results` writes docs/results/cifar10.md.
#
#   tools/cifar10.sh [--tar FILE] [--slurm-dir DIR] [--no-wait] [--dry-run]
#     --tar FILE       the CIFAR-10 image-folder archive (default ../shared/datasets/cifar10-jpeg.tar.gz); extracted
#                      once into data/cifar10-jpeg
#     --slurm-dir DIR  where to start a one-node Slurm on this machine when no controller answers (default
#                      /work/slurm if writable, else $HOME/.ugradsl-slurm); tools/slurm-local.sh, needs root
#     --no-wait        do not wait for the class-wise original before submitting the random experiment (it
#                      needs that model: run the command again once runs/cifar10-classwise/original/DONE exists)
#     --dry-run        check and print what would be submitted; submit nothing (no data extraction, no Slurm start)
#     --no-order       leave Slurm's order (submission order) instead of the one below
#     --configs DIR    read DIR/cifar10-{classwise,random}.ini instead of inputs/ (e.g. configs with the sweeps'
#                      choices pinned: tools/chosen_ini.py; the run directories keep their names)
# Order (priorities of the queued jobs): the rows the paper's claims need first — class-wise GA, FT, RL,
# UGradSL, UGradSL+ (sweeps and seeds), then the random experiment's Retrain and the same rows there — then the
# self-adaptive-α variants, then the further baselines (one seed each).
# Environment: UG_METHODS, UG_SEEDS (defaults: the full method list of docs/results/cifar10.md, seeds "1 2 3").
set -euo pipefail
cd "$(dirname "$0")/.."
die() { echo "cifar10: error: $*" >&2; exit 1; }

tar_file=../shared/datasets/cifar10-jpeg.tar.gz
slurm_dir=""
wait_original=1
dry=0
order=1
configs=inputs
while [ $# -gt 0 ]; do
    case $1 in
    --tar) [ $# -ge 2 ] || die "--tar needs a file"; tar_file=$2; shift 2 ;;
    --slurm-dir) [ $# -ge 2 ] || die "--slurm-dir needs a directory"; slurm_dir=$2; shift 2 ;;
    --no-wait) wait_original=0; shift ;;
    --dry-run) dry=1; shift ;;
    --no-order) order=0; shift ;;
    --configs) [ $# -ge 2 ] || die "--configs needs a directory"; configs=$2; shift 2 ;;
    -h|--help) sed -n '2,/^[^#]/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (tools/cifar10.sh --help)" ;;
    esac
done
METHODS=${UG_METHODS:-"ga ft rl ugradsl ugradsl@adaptive-neg ugradsl@adaptive-lit ugradsl+ ugradsl+@adaptive-neg ugradsl+@adaptive-lit ga@bn-only:1 l1-sparse:1 eu-k:1 cf-k:1 scrub:1 salun:1 be:1 bs:1 iu:1"}
SEEDS=${UG_SEEDS:-"1 2 3"}
[ -x bin/ugradsl ] || die "bin/ugradsl is not built (run make first)"

# ---- data: the image-folder tree the configs' [pack] section reads
if [ ! -d data/cifar10-jpeg ]; then
    [ -f "$tar_file" ] || die "no data/cifar10-jpeg and no archive $tar_file (give --tar FILE: CIFAR-10 as an image-folder tree of JPEGs)"
    if [ $dry -eq 1 ]; then
        echo "cifar10: would extract $tar_file into data/"
    else
        mkdir -p data
        echo "cifar10: extracting $tar_file into data/ ..."
        rm -rf data.tmp.$$ && mkdir -p data.tmp.$$
        tar -xzf "$tar_file" -C data.tmp.$$ || { rm -rf data.tmp.$$; die "could not extract $tar_file"; }
        [ -d data.tmp.$$/cifar10-jpeg ] || { rm -rf data.tmp.$$; die "$tar_file does not hold a cifar10-jpeg/ folder"; }
        mv data.tmp.$$/cifar10-jpeg data/cifar10-jpeg && rm -rf data.tmp.$$
    fi
fi

# ---- Slurm: a controller that answers, or a one-node cluster on this machine
# (SLURM_CONF may already point at a cluster of tools/slurm-local.sh: its partition is 'debug')
if [ -n "${SLURM_CONF:-}" ] && grep -q '^# Written by tools/slurm-local.sh' "$SLURM_CONF" 2>/dev/null; then
    export UG_PARTITION=${UG_PARTITION:-debug}
fi
if ! timeout 20 sinfo -h >/dev/null 2>&1; then
    if [ -z "$slurm_dir" ]; then
        if [ -w /work ]; then slurm_dir=/work/slurm; else slurm_dir=$HOME/.ugradsl-slurm; fi
    fi
    if [ -f "$slurm_dir/slurm.conf" ] && SLURM_CONF=$slurm_dir/slurm.conf timeout 20 sinfo -h >/dev/null 2>&1; then
        export SLURM_CONF=$slurm_dir/slurm.conf
    elif [ $dry -eq 1 ]; then
        echo "cifar10: no Slurm controller answers; would start one with tools/slurm-local.sh start $slurm_dir"
        echo "cifar10: (dry run) cannot check the pipelines without a controller"
        exit 0
    else
        command -v slurmctld >/dev/null || die "no Slurm controller answers and slurmctld is not installed (make deps, or point SLURM_CONF at your cluster)"
        tools/slurm-local.sh restart "$slurm_dir" >/dev/null
        export SLURM_CONF=$slurm_dir/slurm.conf
        echo "cifar10: started a one-node Slurm ($SLURM_CONF)"
    fi
    export UG_PARTITION=${UG_PARTITION:-debug}
fi

# Run order of the queued jobs: a class n by name (ug-<experiment>-<stage>; lower runs first), then submission
# order.  Set as each job's priority: Slurm's default priority/basic ignores nice values.
order_jobs() {
    local id name n k=0
    squeue -h -t PD -o "%i %j" -S i | while read -r id name; do
        case "$name" in
        ug-cifar10-*report*) n=0 ;;
        *adaptive*) n=300 ;;
        ug-cifar10-classwise-*bn-only*) n=30 ;;   # the control for GA's rows: one cheap run
        ug-cifar10-random-*bn-only*) n=130 ;;
        ug-cifar10-classwise-*) case "$name" in
            *-retrain-s*|*-original*|*-pack|*-split) n=0 ;;
            *-sweep-ga|*-ga-s*|*-sweep-ugradsl|*-ugradsl-s*|*-sweep-ugradsl+|*-ugradsl+-s*) n=10 ;;
            *-sweep-ft|*-ft-s*|*-sweep-rl|*-rl-s*) n=20 ;;
            *) n=400 ;; esac ;;
        ug-cifar10-random-*) case "$name" in
            *-retrain-s*|*-original*|*-split) n=100 ;;
            *-sweep-ga|*-ga-s*|*-sweep-ugradsl|*-ugradsl-s*|*-sweep-ugradsl+|*-ugradsl+-s*) n=110 ;;
            *-sweep-ft|*-ft-s*|*-sweep-rl|*-rl-s*) n=120 ;;
            *) n=400 ;; esac ;;
        *) continue ;;
        esac
        k=$((k + 1))
        scontrol update jobid="$id" priority=$(( (1000 - n) * 10000 - k )) >/dev/null 2>&1 || true
    done
}
apply_order() {
    [ $dry -eq 0 ] && [ $order -eq 1 ] || return 0
    order_jobs
    echo "cifar10: queued jobs ordered (core rows first; --no-order keeps Slurm's)"
}

dry_flag=()
[ $dry -eq 0 ] || dry_flag=(--dry-run)
for e in classwise random; do [ -r "$configs/cifar10-$e.ini" ] || die "$configs/cifar10-$e.ini not readable"; done
echo "cifar10: class-wise experiment ($configs/cifar10-classwise.ini)"
jobs/pipeline.sh "${dry_flag[@]}" --methods "$METHODS" --seeds "$SEEDS" "$configs/cifar10-classwise.ini"
apply_order

orig=runs/cifar10-classwise/original
if [ ! -f "$orig/DONE" ]; then
    if [ $dry -eq 1 ] || [ $wait_original -eq 0 ]; then
        echo "cifar10: the random experiment shares $orig, which is not finished: run this command again once $orig/DONE exists"
        exit 0
    fi
    echo "cifar10: waiting for the class-wise original ($orig/DONE) before submitting the random experiment ..."
    while [ ! -f "$orig/DONE" ]; do
        squeue -h -n ug-cifar10-classwise-original -o %i 2>/dev/null | grep -q . || [ -f "$orig/DONE" ] ||
            die "the class-wise original's job is gone and $orig/DONE is missing (see runs/cifar10-classwise/logs/)"
        sleep 60
    done
fi
echo "cifar10: random 10% experiment ($configs/cifar10-random.ini, sharing $orig)"
jobs/pipeline.sh "${dry_flag[@]}" --original "$orig" --methods "$METHODS" --seeds "$SEEDS" "$configs/cifar10-random.ini"
apply_order
echo "cifar10: submitted.  Progress: make cifar10-status; when every job has ended: make cifar10-results (docs/results/cifar10.md)"
[ $dry -eq 1 ] || /usr/bin/python3 tools/cifar10_status.py 2>/dev/null || true
