#!/usr/bin/env bash
# pipeline.sh — submits one whole experiment to Slurm, each stage waiting for the ones it needs (afterok):
#   pack → split → train original → Retrain × seeds → sweep (per method with a grid) → method × seeds → report
# and prints the job ids and where the table will appear.  Finished stages (DIR/DONE, an existing data / split
# file, a chosen sweep/NAME.args) are skipped, and jobs of an earlier submission still queued or running are kept
# (what needs them depends on them), so running the same command again resumes an interrupted experiment, and
# may add methods or seeds while it runs.
#
#   jobs/pipeline.sh [options] EXPERIMENT
# EXPERIMENT is a name (config inputs/NAME.ini) or the path of an .ini file (the name is its basename).
# Options:
#   --methods "LIST"     unlearning methods or variants (default: "ga ft rl ugradsl ugradsl+"); "none": original
#                        and Retrain only.  METHOD@VARIANT (e.g. ugradsl+@adaptive-neg) is its own row, defined
#                        by the config's [sweep.METHOD@VARIANT] section (args = ...).  Each name may have a grid:
#                        [sweep.NAME] grid = ... lines; with two or more, a sweep job picks one on the validation
#                        split against Retrain of the first seed (docs/SLURM.md, "Hyper-parameters").
#                        NAME:S1,S2 runs that name with its own seeds (e.g. salun:1) instead of --seeds.
#   --seeds "LIST"       seeds of Retrain and of every method (default: "1")
#   --nodes N            nodes for train / retrain / sweep / unlearn jobs (default 1)
#   --data FILE          use this packed dataset (no pack job)
#   --original DIR       use this finished original model (DIR/model.h5, DIR/DONE: the original/ of another
#                        experiment of this pipeline) instead of training one; its data and its split's
#                        validation hold-out must be the same as this experiment's (checked)
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

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; }   # the header comment

methods="ga ft rl ugradsl ugradsl+"
seeds="1"
nodes=1
data=""
original=""
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
    --original) original=$2; shift 2 ;;
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
# Methods and variants: NAME = METHOD or METHOD@VARIANT.  A variant is defined by its [sweep.NAME] section.
known_methods="ft ga rl ugradsl ugradsl+ l1-sparse eu-k cf-k scrub salun be bs iu"
declare -A m_fixed=() m_ngrid=() m_seeds=()
names=""
for spec in $methods; do
    m=${spec%%:*}
    if [ "$m" != "$spec" ]; then      # NAME:S1,S2 — this name's own seeds
        [[ "${spec#*:}" =~ ^[0-9]+(,[0-9]+)*$ ]] || ug_die "'$spec': the seeds after ':' must be whole numbers separated by commas (e.g. salun:1)"
        m_seeds[$m]=${spec#*:}; m_seeds[$m]=${m_seeds[$m]//,/ }
    else
        m_seeds[$m]=$seeds
    fi
    names+="$m "
    [[ "$m" =~ ^[a-z0-9+_-]+(@[a-z0-9+_.-]+)?$ ]] || ug_die "method name '$m' has odd characters (METHOD or METHOD@VARIANT, a-z 0-9 + _ - .)"
    base=${m%%@*}
    [[ " $known_methods " == *" $base "* ]] || ug_die "unknown method '$base' in '$m' (one of: $known_methods; Retrain always runs)"
    [ -z "${m_ngrid[$m]:-}" ] || ug_die "method '$m' is listed twice in --methods"
    fixed=$(ug_ini_values "$config" "sweep.$m" args)
    [ "$(grep -c . <<<"$fixed")" -le 1 ] || ug_die "[sweep.$m] of $config has more than one 'args = ' line (one fixed argument set; the grid's sets are 'grid = ' lines)"
    ngrid=$(ug_ini_values "$config" "sweep.$m" grid | grep -c . || true)
    if [ "$m" != "$base" ] && [ -z "$fixed" ] && [ "$ngrid" -eq 0 ]; then
        ug_die "variant '$m' is not defined: add a [sweep.$m] section with 'args = ...' (what makes it a variant of $base) to $config"
    fi
    # Argument sets are split into words by the job scripts: plain option words only, no quotes or shell syntax.
    while IFS= read -r line; do
        [[ "$line" =~ ^[A-Za-z0-9\ ._=+@/:,-]*$ ]] || ug_die "[sweep.$m] of $config: '$line' may only hold options and plain values (letters, digits, spaces, . _ = + @ / : , -)"
    done < <(ug_ini_values "$config" "sweep.$m" args; ug_ini_values "$config" "sweep.$m" grid)
    m_fixed[$m]=$fixed; m_ngrid[$m]=$ngrid
done
methods=$names
[ -z "$wait_s" ] || [[ "$wait_s" =~ ^[0-9]+$ ]] || ug_die "--wait takes seconds"
if [ -n "$original" ]; then
    [ -f "$original/DONE" ] && [ -f "$original/model.h5" ] || ug_die "--original $original is not a finished original model (no DONE and model.h5 in it)"
    original=$(cd "$original" && pwd)
    other_data=$(dirname "$original")/data/data.h5
    other_split=$(dirname "$original")/data/split.h5
    [ -f "$other_split" ] || ug_die "--original $original: its experiment's split $other_split not found (give the original/ of a jobs/pipeline.sh run)"
    if [ -z "$data" ]; then
        [ -f "$other_data" ] || ug_die "--original $original: its data $other_data not found; give --data (the file it was trained on)"
        data=$other_data
    fi
fi
if [ -n "$data" ]; then
    [ -r "$data" ] || ug_die "--data $data not found"
    data=$(cd "$(dirname "$data")" && pwd)/$(basename "$data")
fi

ug_site_load
ug_site_check
ug_check_nodes "$nodes"
unlearn_help=$("$UG_BIN" unlearn --help 2>/dev/null || true)   # not piped into grep -q: SIGPIPE + pipefail
if [[ " $methods" == *@* ]] && [[ "$unlearn_help" != *--label* ]]; then
    ug_die "$UG_BIN predates variants (its unlearn has no --label): rebuild it (make) before submitting"
fi
for m in $methods; do
    if [ "${m_ngrid[$m]}" -ge 2 ] && [[ "$unlearn_help" != *--no-add-mia* ]]; then
        ug_die "$UG_BIN predates the sweep stage (its unlearn has no --no-add-mia): rebuild it (make) before submitting"
    fi
done

mkdir -p "$runs"; runs=$(cd "$runs" && pwd)
run=$runs/$name
# What makes an experiment itself: its config (all but the unlearning methods' sections and the grids, and
# not its comments: ug_ini_identity), its data, its split and its original.  Methods, grids and seeds may
# change between submissions (more rows of the same table); anything else means another experiment.
# config_sha256 (the whole file at the latest submission) is kept for jobs/sweep-nodes.sh.
identity="experiment_sha256=$(ug_ini_identity "$config")
data=${data:-pack $pack_args}
split=$split_args
original=${original:-own}"
config_sha=$(sha256sum "$config" | cut -d' ' -f1)
id_core() { grep -v '^config_sha256=' "$1"; }
if [ -f "$run/experiment.id" ] && ! grep -q '^experiment_sha256=' "$run/experiment.id"; then
    # Made by the pipeline before identities ignored comments and method sections: only the whole file's
    # sha256 was kept.  Find that file (the config as it is, or a committed version of it) to compare.
    old_sha=$(sed -n 's/^config_sha256=//p' "$run/experiment.id")
    old_text=""
    if [ "$old_sha" = "$config_sha" ]; then old_text=$(cat "$config"); else
        rel=$(git -C "$(dirname "$config")" ls-files --full-name --error-unmatch -- "$(basename "$config")" 2>/dev/null || true)
        if [ -n "$rel" ]; then
            top=$(git -C "$(dirname "$config")" rev-parse --show-toplevel)
            for c in $(git -C "$top" log --format=%H -- "$rel" 2>/dev/null); do
                if [ "$(git -C "$top" show "$c:$rel" | sha256sum | cut -d' ' -f1)" = "$old_sha" ]; then
                    old_text=$(git -C "$top" show "$c:$rel"); break
                fi
            done
        fi
    fi
    [ -n "$old_text" ] || ug_die "run directory $run exists from another experiment, or from a version of $config that is neither the current file nor in its git history (its experiment.id, from an older pipeline, holds only the file's sha256); choose another name or move it away"
    upgraded="experiment_sha256=$(ug_ini_identity <(echo "$old_text"))
$(grep -E '^(data|split)=' "$run/experiment.id")
original=own"
    if [ "$upgraded" != "$identity" ]; then
        ug_die "run directory $run exists from another experiment (made from another [pack]/[split]/[train] or data/split options: $(diff <(echo "$upgraded") <(echo "$identity") | grep '^[<>]' | head -2 | tr '\n' ' ')); choose another name or move it away"
    fi
    ug_note "$run/experiment.id is from an older pipeline; its experiment is this one (same data, split and recipe): $([ "$dry" = 1 ] && echo "it will be rewritten in the new form (not in a dry run)" || echo "rewritten in the new form")"
    [ "$dry" = 1 ] || { printf '%s\nconfig_sha256=%s\n' "$identity" "$config_sha" > "$run/experiment.id.tmp" && mv "$run/experiment.id.tmp" "$run/experiment.id"; }
elif [ -f "$run/experiment.id" ]; then
    if [ "$(id_core "$run/experiment.id")" != "$identity" ]; then
        ug_die "run directory $run exists from another experiment (its experiment.id differs: $(diff <(id_core "$run/experiment.id") <(echo "$identity") | grep '^[<>]' | head -2 | tr '\n' ' ')); choose another name or move it away"
    fi
elif [ -e "$run" ] && [ -n "$(ls -A "$run" 2>/dev/null)" ]; then
    ug_die "run directory $run exists and was not made by this pipeline (no experiment.id); choose another name or move it away"
fi

# Jobs of an earlier submission that are still queued or running are kept: their stage is not submitted again,
# and what needs it depends on that job (so the same command, or one with more methods or seeds, can be run
# while the experiment is under way).  Only the report job is always new (it covers every row; an earlier one still
# waiting is cancelled once the new one is submitted).
declare -A active_by_name=()
if [ -f "$run/jobs.txt" ]; then
    queued=" $(squeue -h -o '%i' 2>/dev/null | tr '\n' ' ') "
    while read -r jid jname; do
        [ -n "$jid" ] && [[ "$queued" == *" $jid "* ]] && active_by_name[$jname]=$jid
    done < "$run/jobs.txt"
fi

# A grid whose choice was made with other argument sets: the chosen values (and the runs made with them) would
# no longer be what the config says.
grid_text() { printf '[grid]\n'; [ -z "${m_fixed[$1]}" ] || printf 'args = %s\n' "${m_fixed[$1]}"; ug_ini_values "$config" "sweep.$1" grid | sed 's/^/grid = /'; }
# grid_widened NAME: the config's grid is the chosen-with one plus sets appended after it (same fixed args).
grid_widened() {
    local old new
    old=$(cat "$run/sweep/$1.grid" 2>/dev/null) || return 1
    new=$(grid_text "$1")
    [ -n "$old" ] && [ "${#new}" -gt "${#old}" ] && [ "${new:0:${#old}}" = "$old" ] && [ "${new:${#old}:1}" = $'\n' ]
}
for m in $methods; do
    [ "${m_ngrid[$m]}" -ge 2 ] || continue
    diff -q <(grid_text "$m") "$run/sweep/$m.grid" >/dev/null 2>&1 && continue
    if [ -f "$run/sweep/$m.args" ] && grid_widened "$m"; then
        # Sets only appended: choose again over the whole grid (the sweep reruns just the new sets).  The old
        # choice goes to sweep/NAME.history/; the seed runs are resubmitted and keep their results when the
        # choice stays the same (jobs/unlearn.sbatch compares DIR/args).
        if [ "$dry" = 1 ]; then
            echo "sweep $m: grid widened since its values were chosen: would choose again (new sets only)"
        else
            hist=$run/sweep/$m.history/$(date -u +%Y%m%dT%H%M%SZ)
            mkdir -p "$hist"
            for f in args csv json md grid; do [ ! -e "$run/sweep/$m.$f" ] || mv "$run/sweep/$m.$f" "$hist/"; done
            echo "sweep $m: grid widened since its values were chosen ($(cat "$hist/$m.args")): choosing again; the old choice is in $hist"
            # seed jobs still waiting from an earlier submission would read a choice that is gone: cancel them,
            # they are submitted again behind the new sweep (a running one finishes; a later resubmission redoes it)
            for key in "${!active_by_name[@]}"; do
                [[ "$key" == "$name-$m-s"* ]] || continue
                if [ "$(squeue -h -j "${active_by_name[$key]}" -o %T 2>/dev/null)" = PENDING ]; then
                    scancel "${active_by_name[$key]}" 2>/dev/null || true
                    echo "$key: queued job ${active_by_name[$key]} cancelled: submitted again behind the new sweep"
                    unset "active_by_name[$key]"
                fi
            done
        fi
    elif [ -f "$run/sweep/$m.args" ]; then
        ug_die "the grid of $m in $config differs from the one its values were chosen with ($run/sweep/$m.grid) other than by added sets; to choose again, move $run/sweep/$m.* and $run/$m away, then rerun"
    elif [ -n "${active_by_name[$name-sweep-$m]:-}" ]; then
        ug_die "the grid of $m in $config differs from the one its queued or running sweep job ${active_by_name[$name-sweep-$m]} was given ($run/sweep/$m.grid); scancel that job (then rerun) or restore the grid"
    fi
done

# --original: the model was trained on train minus the validation hold-out of the other experiment's split.
# The hold-out is a function of (seed, val-fraction, labels) only (src/data/split.c), so sharing is right
# exactly when both split files agree on those and on the data; with this split already made, compare the
# index sets themselves.
if [ -n "$original" ] && [ -f "$run/data/split.h5" ]; then
    ug_same_validation "$other_split" "$run/data/split.h5" || ug_die "--original $original: $run/data/split.h5 holds out another validation set than $other_split; that original was trained on samples this experiment validates on.  Use the same [split] seed and val-fraction, or train this experiment's own original (no --original)"
fi

if [ "$dry" = 0 ]; then
    mkdir -p "$run/logs"
    if [ ! -f "$run/experiment.id" ] || [ "$(sed -n 's/^config_sha256=//p' "$run/experiment.id")" != "$config_sha" ]; then
        printf '%s\nconfig_sha256=%s\n' "$identity" "$config_sha" > "$run/experiment.id.tmp" && mv "$run/experiment.id.tmp" "$run/experiment.id"
    fi
fi
logs=$run/logs

# submit NAME KIND DEPS SCRIPT ARGS...: prints the job id ("" when dry).  DEPS: colon-separated ids or "".
ndry=0
submit() {
    local name=$1 kind=$2 deps=$3 script=$4; shift 4
    local -a flags
    if [[ "$name" != *-report ]] && [ -n "${active_by_name[$name]:-}" ]; then
        ug_note "$name: job ${active_by_name[$name]} of an earlier submission is still queued or running: kept"
        echo "${active_by_name[$name]}"
        return 0
    fi
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
same_val=(); [ -z "$original" ] || same_val=(--same-val-as "$other_split")
if [ -f "$split" ]; then printf '%-28s %s\n' split "done ($split)"; else
    # shellcheck disable=SC2086
    split_job=$(submit "$name-split" short "$pack_job" split.sbatch --data "$data" --output "$split" --config "$config" "${same_val[@]}" -- $split_args)
    printf '%-28s %s\n' split "$split_job"
fi

# original model: trained here, or another experiment's (--original) evaluated on this split
orig=$run/original
orig_job=""
if [ -f "$orig/DONE" ]; then printf '%-28s %s\n' "original" "done ($orig)"
elif [ -n "$original" ]; then
    if [ "$dry" = 0 ]; then
        mkdir -p "$orig"
        ln -sfn "$original/model.h5" "$orig/model.h5"      # one path for the unlearning jobs (and sweep-nodes.sh)
        echo "$original" > "$orig/SHARED_FROM"
    fi
    orig_job=$(submit "$name-original-eval" mpi-short "$(join $pack_job $split_job)" eval.sbatch --out "$orig" --data "$data" --model "$original/model.h5" --split "$split" --method original --done yes)
    printf '%-28s %s\n' "original (shared: eval)" "$orig_job"
else
    orig_job=$(submit "$name-original" mpi-long "$(join $pack_job $split_job)" train.sbatch --out "$orig" --config "$config" --data "$data" --split "$split" --eval yes)
    printf '%-28s %s\n' "train original" "$orig_job"
fi

report_dirs+=("$orig")
[ -z "$orig_job" ] || report_deps+=("$orig_job")
# Retrain × seeds (needs only the split)
declare -A retrain_job=()
for s in $seeds; do
    d=$run/retrain/seed-$s
    report_dirs+=("$d")
    retrain_job[$s]=""
    if [ -f "$d/DONE" ]; then printf '%-28s %s\n' "retrain seed $s" "done"; continue; fi
    j=$(submit "$name-retrain-s$s" mpi-long "$(join $pack_job $split_job)" retrain.sbatch --out "$d" --config "$config" --data "$data" --split "$split" --seed "$s")
    retrain_job[$s]=$j
    report_deps+=("$j")
    printf '%-28s %s\n' "retrain seed $s" "$j"
done
# Sweep (a method with two or more argument sets): chosen on the validation side against Retrain of the first
# seed, from the original, with that seed.  Then methods × seeds (need the original, and their sweep).
sweep_seed=${seeds%% *}
for m in $methods; do
    base=${m%%@*}
    label=(); [ "$m" = "$base" ] || label=(--label "$m")
    extra=() args_file=() sweep_job=""
    if [ "${m_ngrid[$m]}" -ge 2 ]; then
        args_file=(--args-file "$run/sweep/$m.args")
        if [ -f "$run/sweep/$m.args" ]; then
            printf '%-28s %s\n' "sweep $m" "done (chosen: $(cat "$run/sweep/$m.args"))"
        else
            if [ "$dry" = 0 ] && [ -z "${active_by_name[$name-sweep-$m]:-}" ]; then
                mkdir -p "$run/sweep"
                grid_text "$m" > "$run/sweep/$m.grid.tmp" && mv "$run/sweep/$m.grid.tmp" "$run/sweep/$m.grid"
            fi
            sweep_job=$(submit "$name-sweep-$m" mpi-long "$(join $pack_job $split_job $orig_job ${retrain_job[$sweep_seed]})" sweep.sbatch --out "$run/sweep" --name "$m" --method "$base" --grid "$run/sweep/$m.grid" --config "$config" --data "$data" --model "$orig/model.h5" --split "$split" --retrain "$run/retrain/seed-$sweep_seed/metrics.json" --seed "$sweep_seed")
            printf '%-28s %s\n' "sweep $m (${m_ngrid[$m]} sets)" "$sweep_job"
        fi
    else
        # shellcheck disable=SC2206  # plain option words (checked above)
        extra=(${m_fixed[$m]} $(ug_ini_values "$config" "sweep.$m" grid))
    fi
    for s in ${m_seeds[$m]}; do
        d=$run/$m/seed-$s
        report_dirs+=("$d")
        if [ -f "$d/DONE" ]; then
            # done, unless made with other arguments than the choice (the job then moves it aside and reruns)
            # or the sweep is choosing again (the job keeps it if the choice is the same)
            want=$(echo $(cat "${args_file[1]:-/dev/null}" 2>/dev/null) "${extra[@]}")
            if [ -z "$sweep_job" ] && { [ ! -f "$d/args" ] || [ "$(cat "$d/args")" = "$want" ]; }; then
                printf '%-28s %s\n' "$m seed $s" "done"; continue
            fi
        fi
        j=$(submit "$name-$m-s$s" mpi-long "$(join $pack_job $split_job $orig_job $sweep_job)" unlearn.sbatch --out "$d" --config "$config" --data "$data" --model "$orig/model.h5" --split "$split" --method "$base" "${label[@]}" "${args_file[@]}" --seed "$s" -- "${extra[@]}")
        report_deps+=("$j")
        printf '%-28s %s\n' "$m seed $s" "$j"
    done
done

# report: always rerun; the table covers every row present — this submission's and the finished runs of
# earlier ones (other methods or seeds of the same experiment), never the sweep's trial runs.
for d in "$run"/*/seed-*; do
    [ -f "$d/DONE" ] || continue
    case " ${report_dirs[*]} " in *" $d "*) ;; *) report_dirs+=("$d") ;; esac
done
report_job=$(submit "$name-report" short "$(join "${report_deps[@]}")" report.sbatch --out "$run/report" -- "${report_dirs[@]}")
printf '%-28s %s\n' report "$report_job"
# An earlier submission's report job still waiting is superseded by this one (which covers every row): cancel it.
old_report=${active_by_name[$name-report]:-}
if [ "$dry" = 0 ] && [ -n "$old_report" ] && [ "$old_report" != "$report_job" ] &&
   [ "$(squeue -h -j "$old_report" -o %T 2>/dev/null)" = PENDING ]; then
    scancel "$old_report" && ug_note "$name-report: the earlier submission's report job $old_report (still waiting) is superseded by $report_job: cancelled"
fi
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
