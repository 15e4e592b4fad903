#!/usr/bin/env bash
# sweep-nodes.sh — the same Retrain and unlearning runs at several node counts, to time RTE as the job grows:
#   strong scaling: the same global batch at every node count (each rank gets global / ranks),
#   weak scaling:   the same batch per rank (per GPU) at every node count (the global batch grows).
# Then one collect job gathers RTE, start-up time, images/s and the all-reduce share into
# runs/NAME/sweep/sweep.csv, draws RTE and efficiency vs nodes (sweep.png) and checks the scaling model against
# the strong-scaling runs (sweep/model-check.txt; calibrated on 1 and 2 nodes) with tools/scaling_model.py.
#
#   jobs/sweep-nodes.sh [options] EXPERIMENT
# Needs the experiment's data, split and original model (jobs/pipeline.sh EXPERIMENT first; this waits for
# nothing else).  Options:
#   --nodes "LIST"          node counts (default "1 2 4 8")
#   --methods "LIST"        retrain and/or unlearning methods (default "retrain ugradsl ugradsl+")
#   --modes "LIST"          strong and/or weak (default "strong weak")
#   --seeds "LIST"          (default "1")
#   --global-batch N        strong scaling's global batch (default 256)
#   --batch-per-rank N      weak scaling's batch per rank (default 64)
#   --args "OPTIONS"        more program options for every run (e.g. "--epochs 3 --eval-every 0")
#   --tolerance X           the model check's tolerance (default 0.25)
#   --runs DIR              (default runs/ in the repository)
#   --dry-run               check and print the sbatch commands; submit nothing
set -euo pipefail
UG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$UG_ROOT/jobs/lib.sh"

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

node_list="1 2 4 8"; methods="retrain ugradsl ugradsl+"; modes="strong weak"; seeds="1"
global_batch=256; batch_per_rank=64; runs=$UG_RUNS; dry=0; experiment=""; extra=""; tolerance=0.25
while [ $# -gt 0 ]; do
    case $1 in
    --nodes) node_list=$2; shift 2 ;;
    --methods) methods=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --global-batch) global_batch=$2; shift 2 ;;
    --batch-per-rank) batch_per_rank=$2; shift 2 ;;
    --args) extra=$2; shift 2 ;;
    --tolerance) tolerance=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) ug_die "unknown option $1 (jobs/sweep-nodes.sh --help)" ;;
    *) [ -z "$experiment" ] || ug_die "one experiment at a time"; experiment=$1; shift ;;
    esac
done
[ -n "$experiment" ] || { usage >&2; exit 2; }
name=$(basename "$experiment" .ini)
run=$runs/$name
[ -f "$run/experiment.id" ] || ug_die "$run is not an experiment made by jobs/pipeline.sh: run jobs/pipeline.sh $experiment first"
config=""
for c in "$experiment" "$UG_ROOT/inputs/$name.ini"; do [ -f "$c" ] && [[ "$c" == *.ini ]] && { config=$(cd "$(dirname "$c")" && pwd)/$(basename "$c"); break; }; done
[ -n "$config" ] || ug_die "config of $name not found (give the .ini path)"
[ "$(sed -n 's/^config_sha256=//p' "$run/experiment.id")" = "$(sha256sum "$config" | cut -d' ' -f1)" ] \
    || ug_die "$config changed since $run was made (experiment.id differs): the sweep would not time the same runs"
data=$(sed -n 's/^data=//p' "$run/experiment.id"); [[ "$data" == pack* ]] && data=$run/data/data.h5
split=$run/data/split.h5
orig=$run/original/model.h5
for f in "$data" "$split"; do [ -f "$f" ] || ug_die "$f missing: let jobs/pipeline.sh $experiment finish first"; done
needs_orig=0; for m in $methods; do [ "$m" = retrain ] || needs_orig=1; done
[ "$needs_orig" = 0 ] || [ -f "$run/original/DONE" ] || ug_die "$orig not finished: let jobs/pipeline.sh $experiment finish first"
for m in $modes; do [ "$m" = strong ] || [ "$m" = weak ] || ug_die "mode '$m' is neither strong nor weak"; done
[[ "$extra" =~ ^[A-Za-z0-9\ ._=+/:,-]*$ ]] || ug_die "--args '$extra' may only hold options and plain values"
read -r -a extra_args <<<"$extra"
for v in global_batch batch_per_rank; do [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || ug_die "--${v//_/-} must be a positive whole number"; done

ug_site_load
ug_site_check
max_nodes=0
for n in $node_list; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || ug_die "node count '$n' is not a positive whole number"
    [ "$n" -gt "$max_nodes" ] && max_nodes=$n
done
ug_check_nodes "$max_nodes"
tpn=$(ug_tasks_per_node)
for n in $node_list; do
    ranks=$((n * tpn))
    [ $((global_batch % ranks)) -eq 0 ] || ug_die "strong scaling: global batch $global_batch does not divide over $ranks ranks ($n nodes x $tpn); pick another --global-batch"
done

sweep=$run/sweep
logs=$sweep/logs
[ "$dry" = 1 ] || mkdir -p "$logs"
ids=()
printf '%-34s %s\n' "run" "job"
for mode in $modes; do
    for n in $node_list; do
        ranks=$((n * tpn))
        # the program's --batch is the global batch (summed over ranks)
        if [ "$mode" = strong ]; then batch=$global_batch; else batch=$((batch_per_rank * ranks)); fi
        for m in $methods; do
            for s in $seeds; do
                d=$sweep/$mode/nodes-$n/$m/seed-$s
                if [ -f "$d/DONE" ]; then printf '%-34s %s\n' "$mode/nodes-$n/$m/seed-$s" done; continue; fi
                mapfile -t flags < <(ug_sbatch_flags mpi-long "$n" "ug-$name-$mode-n$n-$m-s$s" "$logs")
                if [ "$m" = retrain ]; then
                    args=("$UG_ROOT/jobs/retrain.sbatch" --out "$d" --config "$config" --data "$data" --split "$split" --seed "$s" -- --batch "$batch" "${extra_args[@]}")
                else
                    args=("$UG_ROOT/jobs/unlearn.sbatch" --out "$d" --config "$config" --data "$data" --model "$orig" --split "$split" --method "$m" --seed "$s" -- --batch "$batch" "${extra_args[@]}")
                fi
                if [ "$dry" = 1 ]; then echo "sbatch ${flags[*]} ${args[*]}" >&2; id=dry; else
                    id=$(sbatch --parsable "${flags[@]}" "${args[@]}") || ug_die "sbatch failed for $d"
                    id=${id%%;*}; echo "$id $mode/nodes-$n/$m/seed-$s" >> "$sweep/jobs.txt"
                fi
                ids+=("$id")
                printf '%-34s %s\n' "$mode/nodes-$n/$m/seed-$s" "$id"
            done
        done
    done
done

# collect: after every run has ended, whatever its fate (afterany), so that a failed size still shows the rest.
py=python3; [ -x /usr/bin/python3 ] && py=/usr/bin/python3
mapfile -t flags < <(ug_sbatch_flags short 1 "ug-$name-sweep-collect" "$logs")
dep=(); [ ${#ids[@]} -eq 0 ] || dep=("--dependency=afterany:$(IFS=:; echo "${ids[*]}")")
collect=("$py" "$UG_ROOT/tools/scaling_model.py" collect "$sweep")
# the model check reads the strong-scaling runs; its verdict is in the file, the collect job's status is collect's
check=("$py" "$UG_ROOT/tools/scaling_model.py" check --sweep "$sweep" --tolerance "$tolerance")
wrap="$(printf '%q ' "${collect[@]}") && { $(printf '%q ' "${check[@]}") > $(printf '%q' "$sweep/model-check.txt") 2>&1 || true; }"
if [ "$dry" = 1 ]; then
    echo "sbatch ${flags[*]} ${dep[*]} --wrap '$wrap'" >&2
    echo "dry run: nothing submitted"; exit 0
fi
cid=$(sbatch --parsable "${flags[@]}" "${dep[@]}" --wrap "$wrap") || ug_die "sbatch of the collect job failed"
cid=${cid%%;*}
printf '%-34s %s\n' collect "$cid"
echo "results: $sweep/sweep.csv, $sweep/sweep.png and $sweep/model-check.txt (when job $cid ends)"
