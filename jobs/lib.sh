# jobs/lib.sh — helpers shared by the job scripts (inside a job) and by pipeline.sh / sweep-nodes.sh
# (on the login node).  Sourced, never run.  Reads jobs/site.env (or $UG_SITE_ENV).
#
# Exit code contract with the program: `ugradsl train|unlearn` exit with UG_RC_CHECKPOINTED after they
# wrote a checkpoint on SIGUSR1/SIGTERM (preemption or the time-limit warning).  A job that sees it asks
# Slurm to requeue itself (unless Slurm is already ending it); the requeued job resumes from the checkpoint.

: "${UG_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${UG_SITE_ENV:=$UG_ROOT/jobs/site.env}"
: "${UG_BIN:=$UG_ROOT/bin/ugradsl}"
: "${UG_RUNS:=$UG_ROOT/runs}"
: "${UG_RC_CHECKPOINTED:=75}"
export UG_ROOT UG_SITE_ENV UG_BIN UG_RUNS UG_RC_CHECKPOINTED

ug_die() { echo "ugradsl-jobs: error: $*" >&2; exit 1; }
ug_note() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

# ---------------------------------------------------------------- site file

ug_site_load() {
    [ -r "$UG_SITE_ENV" ] || ug_die "site file $UG_SITE_ENV not found (copy jobs/site.env and set UG_SITE_ENV)"
    # shellcheck source=site.env
    . "$UG_SITE_ENV"
    # the program's --device / --precision (empty on the CPU in fp32, the program's defaults)
    UG_DEV=()
    [ "${UG_DEVICE:-cpu}" = cpu ] || UG_DEV+=(--device "$UG_DEVICE")
    [ "${UG_PRECISION:-fp32}" = fp32 ] || UG_DEV+=(--precision "$UG_PRECISION")
}

# ug_site_check: every value a submission needs, checked before anything is submitted.
ug_site_check() {
    [ -n "${UG_PARTITION:-}" ] || ug_die "UG_PARTITION is empty in $UG_SITE_ENV: set it to the partition to run on (sinfo -s lists them)"
    local v
    for v in UG_GPUS_PER_NODE UG_TASKS_PER_NODE UG_CPUS_PER_TASK; do
        [[ "${!v:-}" =~ ^[0-9]+$ ]] || ug_die "$v='${!v:-}' in $UG_SITE_ENV is not a whole number"
    done
    [ "$UG_GPUS_PER_NODE" -gt 0 ] || [ "$UG_TASKS_PER_NODE" -gt 0 ] || ug_die "UG_TASKS_PER_NODE must be > 0 on CPU nodes (UG_GPUS_PER_NODE=0) in $UG_SITE_ENV"
    [ "$UG_CPUS_PER_TASK" -gt 0 ] || ug_die "UG_CPUS_PER_TASK must be > 0 in $UG_SITE_ENV"
    [ -n "${UG_LAUNCHER:-}" ] || ug_die "UG_LAUNCHER is empty in $UG_SITE_ENV (srun --mpi=pmix, or mpirun)"
    [[ "${UG_DEVICE:-cpu}" =~ ^(cpu|cuda)$ ]] || ug_die "UG_DEVICE='$UG_DEVICE' in $UG_SITE_ENV must be cpu or cuda"
    [[ "${UG_PRECISION:-fp32}" =~ ^(fp32|bf16)$ ]] || ug_die "UG_PRECISION='$UG_PRECISION' in $UG_SITE_ENV must be fp32 or bf16"
    [ "${UG_PRECISION:-fp32}" = fp32 ] || [ "${UG_DEVICE:-cpu}" = cuda ] ||
        ug_die "UG_PRECISION=bf16 in $UG_SITE_ENV needs UG_DEVICE=cuda (the CPU path is fp32)"
    [ -n "${UG_TIME_SHORT:-}" ] && [ -n "${UG_TIME_TRAIN:-}" ] || ug_die "UG_TIME_SHORT / UG_TIME_TRAIN empty in $UG_SITE_ENV"
    [ -x "$UG_BIN" ] || ug_die "$UG_BIN not found or not executable: build it first (make), outside any job"
    command -v sbatch >/dev/null || ug_die "sbatch not found: run this on a Slurm login node (or tools/slurm-local.sh start DIR)"
}

# Ranks per node for the site: one per GPU on GPU nodes, UG_TASKS_PER_NODE on CPU nodes.
ug_tasks_per_node() {
    if [ "$UG_GPUS_PER_NODE" -gt 0 ]; then echo "$UG_GPUS_PER_NODE"; else echo "$UG_TASKS_PER_NODE"; fi
}

# ug_check_nodes N: dies unless partition UG_PARTITION can give N nodes with the per-node resources asked.
ug_check_nodes() {
    local nodes=$1 info total maxn cpus tpn need gres
    [[ "$nodes" =~ ^[1-9][0-9]*$ ]] || ug_die "node count '$nodes' is not a positive whole number"
    info=$(scontrol show partition "$UG_PARTITION" -o 2>/dev/null) \
        || ug_die "partition '$UG_PARTITION' (UG_PARTITION in $UG_SITE_ENV) does not exist on this cluster; sinfo -s lists them"
    total=$(sed -n 's/.*TotalNodes=\([0-9]*\).*/\1/p' <<<"$info")
    maxn=$(sed -n 's/.*MaxNodes=\([0-9A-Z]*\).*/\1/p' <<<"$info")
    [ -n "$total" ] || ug_die "could not read the node count of partition '$UG_PARTITION' (scontrol show partition)"
    [ "$nodes" -le "$total" ] || ug_die "$nodes nodes asked but partition '$UG_PARTITION' has $total; use at most $total (or another partition)"
    if [[ "$maxn" =~ ^[0-9]+$ ]] && [ "$nodes" -gt "$maxn" ]; then
        ug_die "$nodes nodes asked but partition '$UG_PARTITION' allows at most $maxn per job (MaxNodes)"
    fi
    tpn=$(ug_tasks_per_node)
    need=$((tpn * UG_CPUS_PER_TASK))
    cpus=$(sinfo -h -p "$UG_PARTITION" -o '%c' 2>/dev/null | tr -d '+' | sort -n | head -1)
    if [[ "$cpus" =~ ^[0-9]+$ ]] && [ "$need" -gt "$cpus" ]; then
        ug_die "$tpn tasks x $UG_CPUS_PER_TASK cpus per node asked but nodes of '$UG_PARTITION' have $cpus CPUs; lower UG_TASKS_PER_NODE or UG_CPUS_PER_TASK"
    fi
    if [ "$UG_GPUS_PER_NODE" -gt 0 ]; then
        gres=$(sinfo -h -p "$UG_PARTITION" -o '%G' 2>/dev/null | head -1)
        [[ "$gres" == *gpu* ]] || ug_die "UG_GPUS_PER_NODE=$UG_GPUS_PER_NODE but partition '$UG_PARTITION' lists no GPUs (Gres: ${gres:-none})"
    fi
}

# ug_sbatch_flags KIND NODES NAME LOGDIR: the sbatch options for one job, one per line (read into an array).
# KIND: short (one node, one task: pack, split, report), mpi-short (eval), mpi-long (train, retrain, unlearn).
ug_sbatch_flags() {
    local kind=$1 nodes=$2 name=$3 logdir=$4 tpn
    tpn=$(ug_tasks_per_node)
    echo "--partition=$UG_PARTITION"
    [ -z "$UG_ACCOUNT" ] || echo "--account=$UG_ACCOUNT"
    [ -z "$UG_QOS" ] || echo "--qos=$UG_QOS"
    [ -z "$UG_CONSTRAINT" ] || echo "--constraint=$UG_CONSTRAINT"
    [ -z "$UG_MEM_PER_NODE" ] || echo "--mem=$UG_MEM_PER_NODE"
    echo "--job-name=$name"
    echo "--output=$logdir/%x-%j.out"
    echo "--open-mode=append"             # a requeued job appends to the same log
    echo "--export=ALL,UG_ROOT=$UG_ROOT,UG_SITE_ENV=$UG_SITE_ENV,UG_BIN=$UG_BIN"
    echo "--cpus-per-task=$UG_CPUS_PER_TASK"
    case $kind in
    short)
        echo "--nodes=1"; echo "--ntasks=1"; echo "--time=$UG_TIME_SHORT"
        [ "$UG_GPUS_PER_NODE" -eq 0 ] || echo "--gpus-per-node=1" ;;
    mpi-short|mpi-long)
        echo "--nodes=$nodes"; echo "--ntasks-per-node=$tpn"
        [ "$UG_GPUS_PER_NODE" -eq 0 ] || echo "--gpus-per-node=$UG_GPUS_PER_NODE"
        if [ "$kind" = mpi-long ]; then
            echo "--time=$UG_TIME_TRAIN"; echo "--requeue"; echo "--signal=B:USR1@120"
        else
            echo "--time=$UG_TIME_SHORT"
        fi ;;
    *) ug_die "internal: unknown job kind '$kind'" ;;
    esac
}

# ---------------------------------------------------------------- inside a job

# ug_job_begin: environment of every job (site file, modules, threads).  No compiling here: the program
# is built beforehand (make) and must exist.
ug_job_begin() {
    ug_site_load
    if [ -n "${UG_MODULES:-}" ]; then
        # A batch script is a non-login shell: the module command may need its init script first.
        if ! command -v module >/dev/null 2>&1; then
            local init
            for init in "${LMOD_PKG:+$LMOD_PKG/init/bash}" /usr/share/lmod/lmod/init/bash /etc/profile.d/lmod.sh \
                        /etc/profile.d/modules.sh /usr/share/modules/init/bash; do
                # shellcheck disable=SC1090
                [ -n "$init" ] && [ -r "$init" ] && . "$init" && break
            done
        fi
        command -v module >/dev/null 2>&1 || ug_die "UG_MODULES is set but the 'module' command is missing in jobs (no Lmod / Environment Modules init script found)"
        # shellcheck disable=SC2086
        module load $UG_MODULES || ug_die "module load $UG_MODULES failed (UG_MODULES in $UG_SITE_ENV)"
        ug_note "modules loaded: $UG_MODULES"
    fi
    export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-${UG_CPUS_PER_TASK:-1}}
    [ -x "$UG_BIN" ] || ug_die "$UG_BIN not found: build it before submitting (jobs never compile)"
    ug_note "job ${SLURM_JOB_ID:-none} (${SLURM_JOB_NAME:-}) on ${SLURM_JOB_NODELIST:-$(hostname)}: ${SLURM_NTASKS:-1} tasks, restart ${SLURM_RESTART_COUNT:-0}"
}

UG_GOT_USR1=0
UG_GOT_TERM=0
UG_CHILD=""
UG_WAKE=0

_ug_on_usr1() {
    UG_GOT_USR1=1; UG_WAKE=1
    ug_note "SIGUSR1 (time limit near or preemption warning): asking the program to checkpoint"
    [ -z "$UG_CHILD" ] || kill -USR1 "$UG_CHILD" 2>/dev/null || true
}
_ug_on_term() {
    UG_GOT_TERM=1; UG_WAKE=1
    ug_note "SIGTERM (Slurm is ending or requeueing the job): waiting for the program's checkpoint"
    [ -z "$UG_CHILD" ] || kill -TERM "$UG_CHILD" 2>/dev/null || true
}

# ug_launch ARGS...: runs `ugradsl ARGS...` on every task of the allocation through the site's launcher,
# forwarding SIGUSR1/SIGTERM to it, and returns its exit status (the job script decides what follows).
ug_launch() {
    local -a launcher
    read -r -a launcher <<<"$UG_LAUNCHER ${UG_LAUNCH_FLAGS:-}"
    [ -n "${SLURM_JOB_ID:-}" ] || launcher=()     # outside Slurm (a quick try by hand): run it directly
    trap _ug_on_usr1 USR1
    trap _ug_on_term TERM
    ug_note "run: ${launcher[*]} $UG_BIN $*"
    "${launcher[@]}" "$UG_BIN" "$@" &
    UG_CHILD=$!
    local rc
    while :; do
        UG_WAKE=0
        rc=0; wait "$UG_CHILD" || rc=$?
        [ "$UG_WAKE" = 1 ] && continue       # a trap interrupted wait: the program is still finishing
        break
    done
    UG_CHILD=""
    trap - USR1 TERM
    return "$rc"
}

# ug_after_run RC: what a long job does with the program's exit status.  Checkpointed → requeue this job
# (it resumes from the checkpoint), unless Slurm is already ending it (SIGTERM: preemption/requeue/cancel).
ug_after_run() {
    local rc=$1
    if [ "$rc" -eq "$UG_RC_CHECKPOINTED" ]; then
        if [ "$UG_GOT_TERM" = 1 ]; then
            ug_note "checkpoint written; Slurm decides what follows (requeue or cancel)"
        elif [ -n "${SLURM_JOB_ID:-}" ]; then
            ug_note "checkpoint written; requeueing job $SLURM_JOB_ID to resume"
            scontrol requeue "$SLURM_JOB_ID" || ug_die "scontrol requeue $SLURM_JOB_ID failed: resubmit the same command to resume from the checkpoint"
        fi
        exit "$rc"
    fi
    [ "$rc" -eq 0 ] || ug_die "program exited with status $rc (see the lines above)"
}

# ug_mark_done DIR: records that the stage in DIR finished, so that a rerun of the pipeline skips it.
ug_mark_done() { date -u +%FT%TZ > "$1/.done.tmp" && mv -f "$1/.done.tmp" "$1/DONE"; }

# ug_parse_opts "$@": --name VALUE pairs into variables opt_name (dashes become _), the rest after `--`
# into the array UG_EXTRA (passed to the program unchanged).
ug_parse_opts() {
    UG_EXTRA=()
    while [ $# -gt 0 ]; do
        case $1 in
        --) shift; UG_EXTRA=("$@"); return 0 ;;
        --*)
            [ $# -ge 2 ] || ug_die "option $1 needs a value"
            local name=${1#--}; name=${name//-/_}
            [[ "$name" =~ ^[a-z_]+$ ]] || ug_die "bad option name $1"
            printf -v "opt_$name" '%s' "$2"; shift 2 ;;
        *) ug_die "unexpected argument '$1' (options are --name VALUE; program options after --)" ;;
        esac
    done
}

# ug_need NAME...: dies unless each opt_NAME is set.
ug_need() {
    local n v
    for n in "$@"; do
        v="opt_$n"
        [ -n "${!v:-}" ] || ug_die "missing --${n//_/-} (see the header of this job script)"
    done
}

# ---------------------------------------------------------------- experiment config (INI) from bash

# ug_ini_values FILE SECTION KEY: every value of KEY in [SECTION], one per line, in file order (the C parser's
# rules: '#'/';' comment lines, inline " #" comments, whitespace trimmed).
ug_ini_values() {
    awk -v want="$2" -v key="$3" '
        function trim(s) { sub(/^[ \t\r]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
        { line = trim($0) }
        line == "" || line ~ /^[#;]/ { next }
        line ~ /^\[/ { sec = line; sub(/^\[/, "", sec); sub(/\].*$/, "", sec); sec = trim(sec); next }
        sec == want {
            i = index(line, "="); if (!i) next
            if (trim(substr(line, 1, i - 1)) != key) next
            v = trim(substr(line, i + 1)); j = index(v, " #"); if (j) v = trim(substr(v, 1, j - 1))
            print v
        }' "$1"
}

# ug_ini_identity FILE: the config's content that makes an experiment what it is — every section except the
# unlearning methods' ([unlearn], [unlearn.M] but [unlearn.retrain]) and the sweep grids ([sweep.M]) — without
# comments, blank lines or spacing, as one sha256.  Comments, method hyper-parameters and grids may change
# between submissions of one experiment; data, split and the original's / Retrain's recipe may not.
ug_ini_identity() {
    awk '
        function trim(s) { sub(/^[ \t\r]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
        { line = trim($0) }
        line == "" || line ~ /^[#;]/ { next }
        line ~ /^\[/ {
            sec = line; sub(/^\[/, "", sec); sub(/\].*$/, "", sec); sec = trim(sec)
            skip = (sec == "unlearn" || (sec ~ /^unlearn\./ && sec != "unlearn.retrain") || sec ~ /^sweep\./)
            if (!skip) print "[" sec "]"
            next
        }
        skip { next }
        {
            i = index(line, "="); if (!i) { print line; next }
            v = trim(substr(line, i + 1)); j = index(v, " #"); if (j) v = trim(substr(v, 1, j - 1))
            print trim(substr(line, 1, i - 1)) "=" v
        }' "$1" | sha256sum | cut -d' ' -f1
}

# ug_same_validation SPLIT_A SPLIT_B: true when both split files hold out the same validation indices.  With
# h5diff: the /val index sets themselves; without: the inputs that fix them (src/data/split.c: seed,
# val-fraction and the labels' hash) and their count, read with `ugradsl inspect`.
ug_same_validation() {
    if command -v h5diff >/dev/null 2>&1; then
        h5diff -q "$1" "$2" /val /val >/dev/null 2>&1
        return
    fi
    local keys='^  (@(format_version|labels_hash|n_train|seed|val_fraction) |/val )' a b
    a=$("$UG_BIN" inspect "$1" 2>/dev/null | grep -E "$keys") || return 1
    b=$("$UG_BIN" inspect "$2" 2>/dev/null | grep -E "$keys") || return 1
    [ -n "$a" ] && [ "$a" = "$b" ]
}
