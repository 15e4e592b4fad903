#!/usr/bin/env bash
# pipeline.sh — submits one whole experiment to Slurm, each stage waiting for the ones it needs (afterok):
#   pack → split → train original → {retrain × seeds, each unlearning method × seeds} → report
# and prints the job ids and where the table will appear.  Finished stages (DIR/DONE, or an existing data /
# split file) are skipped, so running the same command again resumes an interrupted experiment.
#
#   jobs/pipeline.sh [options] EXPERIMENT
# EXPERIMENT is a name (config inputs/NAME.ini) or the path of an .ini file (the name is its basename).
# Options:
#   --methods "LIST"     unlearning methods (default: "ga ft rl ugradsl ugradsl+"); "none": original and
#                        Retrain only (e.g. to choose hyper-parameters on them before the methods run)
#   --seeds "LIST"       seeds of Retrain and of every method (default: "1")
#   --nodes N            nodes for train / retrain / unlearn jobs (default 1)
#   --data FILE          use this packed dataset (no pack job)
#   --pack-args "ARGS"   options of `ugradsl pack` (default: none when the config has a [pack] section,
#                        else "--from digits-csv")
#   --split-args "ARGS"  options of `ugradsl split` (default: none when the config has a [split] section,
#                        else "--paradigm class --classes 3")
#   --runs DIR           where run directories go (default: runs/ in the repository)
#   --wait SECONDS       after submitting, wait (at most SECONDS) for the report job; exit 0 only if it succeeded
#   --dry-run            check everything and print the sbatch commands; submit nothing
# Site values (partition, account, GPUs per node, launcher, modules, environment) come from jobs/site.env.
set -euo pipefail
UG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$UG_ROOT/jobs/lib.sh"

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; }

methods="ga ft rl ugradsl ugradsl+"
seeds="1"
nodes=1
data=""
pack_args=UNSET
split_args=UNSET
runs=$UG_RUNS
wait_s=""
dry=0
experiment=""
while [ $# -gt 0 ]; do
    case $1 in
    --methods) methods=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --nodes) nodes=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --pack-args) pack_args=$2; shift 2 ;;
    --split-args) split_args=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --wait) wait_s=$2; shift 2 ;;
    --dry-run) dry=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) ug_die "unknown option $1 (jobs/pipeline.sh --help)" ;;
    *) [ -z "$experiment" ] || ug_die "one experiment at a time (got '$experiment' and '$1')"; experiment=$1; shift ;;
    esac
done
[ -n "$experiment" ] || { usage >&2; exit 2; }

# ---- everything checked before anything is submitted
if [[ "$experiment" == *.ini ]]; then
    config=$experiment; name=$(basename "$experiment" .ini)
else
    config=$UG_ROOT/inputs/$experiment.ini; name=$experiment
fi
[[ "$name" =~ ^[A-Za-z0-9._+-]+$ ]] || ug_die "experiment name '$name' may only use letters, digits and . _ + -"
[ -r "$config" ] || ug_die "experiment config $config not found (give an existing inputs/NAME.ini or a path)"
config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")
if [ "$pack_args" = UNSET ]; then
    if grep -q '^[[:space:]]*\[pack\]' "$config"; then pack_args=""; else pack_args="--from digits-csv"; fi
fi
if [ "$split_args" = UNSET ]; then
    if grep -q '^[[:space:]]*\[split\]' "$config"; then split_args=""; else split_args="--paradigm class --classes 3"; fi
fi
[ -n "$methods" ] || ug_die "--methods is empty (use --methods none for the original and Retrain only)"
[ "$methods" != none ] || methods=""
[ -n "$seeds" ] || ug_die "--seeds is empty"
for s in $seeds; do [[ "$s" =~ ^[0-9]+$ ]] || ug_die "seed '$s' is not a whole number"; done
for m in $methods; do [[ "$m" =~ ^[a-z0-9+_-]+$ ]] || ug_die "method name '$m' has odd characters"; done
[ -z "$wait_s" ] || [[ "$wait_s" =~ ^[0-9]+$ ]] || ug_die "--wait takes seconds"
if [ -n "$data" ]; then
    [ -r "$data" ] || ug_die "--data $data not found"
    data=$(cd "$(dirname "$data")" && pwd)/$(basename "$data")
fi

ug_site_load
ug_site_check
ug_check_nodes "$nodes"

mkdir -p "$runs"; runs=$(cd "$runs" && pwd)
run=$runs/$name
# What makes an experiment itself: its config's content, its data and its split.  Methods and seeds may
# grow between submissions (more rows of the same table); anything else means another experiment.
identity="config_sha256=$(sha256sum "$config" | cut -d' ' -f1)
data=${data:-pack $pack_args}
split=$split_args"
if [ -f "$run/experiment.id" ]; then
    if [ "$(cat "$run/experiment.id")" != "$identity" ]; then
        ug_die "run directory $run exists from another experiment (its experiment.id differs: $(diff <(cat "$run/experiment.id") <(echo "$identity") | grep '^[<>]' | head -2 | tr '\n' ' ')); choose another name or move it away"
    fi
elif [ -e "$run" ] && [ -n "$(ls -A "$run" 2>/dev/null)" ]; then
    ug_die "run directory $run exists and was not made by this pipeline (no experiment.id); choose another name or move it away"
fi

# A second submission while the first one's jobs are still queued or running would run every stage twice.
if [ -f "$run/jobs.txt" ]; then
    active=$(squeue -h -o '%i' 2>/dev/null | grep -x -F -f <(cut -d' ' -f1 "$run/jobs.txt") | tr '\n' ' ' || true)
    [ -z "$active" ] || ug_die "experiment $name still has jobs queued or running ($active); wait for them or scancel them, then rerun to resume"
fi

if [ "$dry" = 0 ]; then
    mkdir -p "$run/logs"
    [ -f "$run/experiment.id" ] || { echo "$identity" > "$run/experiment.id.tmp" && mv "$run/experiment.id.tmp" "$run/experiment.id"; }
fi
logs=$run/logs

# submit NAME KIND DEPS SCRIPT ARGS...: prints the job id ("" when dry).  DEPS: colon-separated ids or "".
ndry=0
submit() {
    local name=$1 kind=$2 deps=$3 script=$4; shift 4
    local -a flags
    mapfile -t flags < <(ug_sbatch_flags "$kind" "$nodes" "ug-$name" "$logs")
    if [ -n "$deps" ]; then flags+=("--dependency=afterok:$deps" "--kill-on-invalid-dep=yes"); fi
    if [ "$dry" = 1 ]; then
        ndry=$((ndry + 1))
        echo "sbatch ${flags[*]} $UG_ROOT/jobs/$script $*" >&2
        echo "dry$ndry"
        return 0
    fi
    local id
    id=$(sbatch --parsable "${flags[@]}" "$UG_ROOT/jobs/$script" "$@") || ug_die "sbatch of $name failed (nothing after it was submitted; rerun the same command to resume)"
    id=${id%%;*}
    echo "$id $name" >> "$run/jobs.txt"
    echo "$id"
}
join() { local IFS=:; echo "$*"; }

declare -a report_dirs=() report_deps=()
printf '%-28s %s\n' "stage" "job"

# pack
pack_job=""
if [ -z "$data" ]; then
    data=$run/data/data.h5
    if [ -f "$data" ]; then printf '%-28s %s\n' pack "done ($data)"; else
        # shellcheck disable=SC2086
        pack_job=$(submit "$name-pack" mpi-short "" pack.sbatch --output "$data" --config "$config" -- $pack_args)
        printf '%-28s %s\n' pack "$pack_job"
    fi
fi

# split
split=$run/data/split.h5
split_job=""
if [ -f "$split" ]; then printf '%-28s %s\n' split "done ($split)"; else
    # shellcheck disable=SC2086
    split_job=$(submit "$name-split" short "$pack_job" split.sbatch --data "$data" --output "$split" --config "$config" -- $split_args)
    printf '%-28s %s\n' split "$split_job"
fi

# original model
orig=$run/original
orig_job=""
if [ -f "$orig/DONE" ]; then printf '%-28s %s\n' "train original" "done ($orig)"; else
    orig_job=$(submit "$name-original" mpi-long "$(join $pack_job $split_job)" train.sbatch --out "$orig" --config "$config" --data "$data" --split "$split" --eval yes)
    printf '%-28s %s\n' "train original" "$orig_job"
fi

report_dirs+=("$orig")
[ -z "$orig_job" ] || report_deps+=("$orig_job")
# Retrain × seeds (needs only the split), methods × seeds (need the original)
for s in $seeds; do
    d=$run/retrain/seed-$s
    report_dirs+=("$d")
    if [ -f "$d/DONE" ]; then printf '%-28s %s\n' "retrain seed $s" "done"; continue; fi
    j=$(submit "$name-retrain-s$s" mpi-long "$(join $pack_job $split_job)" retrain.sbatch --out "$d" --config "$config" --data "$data" --split "$split" --seed "$s")
    report_deps+=("$j")
    printf '%-28s %s\n' "retrain seed $s" "$j"
done
for m in $methods; do
    for s in $seeds; do
        d=$run/$m/seed-$s
        report_dirs+=("$d")
        if [ -f "$d/DONE" ]; then printf '%-28s %s\n' "$m seed $s" "done"; continue; fi
        j=$(submit "$name-$m-s$s" mpi-long "$(join $pack_job $split_job $orig_job)" unlearn.sbatch --out "$d" --config "$config" --data "$data" --model "$orig/model.h5" --split "$split" --method "$m" --seed "$s")
        report_deps+=("$j")
        printf '%-28s %s\n' "$m seed $s" "$j"
    done
done

# report: always rerun (the table covers every row present)
report_job=$(submit "$name-report" short "$(join "${report_deps[@]}")" report.sbatch --out "$run/report" -- "${report_dirs[@]}")
printf '%-28s %s\n' report "$report_job"
echo "table: $run/report/report.md (when job $report_job ends); logs: $logs/"
[ "$dry" = 0 ] || { echo "dry run: nothing submitted"; exit 0; }

# ---- optional bounded wait for the report job
[ -n "$wait_s" ] || exit 0
deadline=$((SECONDS + wait_s))
while :; do
    state=$(scontrol show job "$report_job" -o 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
    case $state in
    COMPLETED) echo "report job $report_job completed: $run/report/report.md"; exit 0 ;;
    FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE)
        ug_die "report job $report_job ended $state; see $logs/ (the failing stage's log) and rerun to resume" ;;
    esac
    if [ $SECONDS -ge $deadline ]; then ug_die "report job $report_job not finished after ${wait_s}s (state ${state:-unknown}); the jobs keep running"; fi
    sleep 2
done
