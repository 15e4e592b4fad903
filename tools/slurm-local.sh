#!/usr/bin/env bash
# slurm-local.sh — a real one-node Slurm cluster on this machine, for tests and for trying jobs/ locally.
#
#   tools/slurm-local.sh start DIR [CPUS]   write DIR/slurm.conf (localhost, auth/none, cons_tres), start
#                                           slurmctld + slurmd, wait until the node is idle; prints the
#                                           line to eval: export SLURM_CONF=DIR/slurm.conf
#   tools/slurm-local.sh stop DIR           cancel this cluster's jobs, then stop the two daemons started
#                                           from DIR (by the pids recorded at start; nothing else is touched)
#   tools/slurm-local.sh restart DIR [CPUS] stop whatever of DIR's cluster still runs, then start it again
#   tools/slurm-local.sh status DIR         sinfo + squeue of that cluster
#
# After the daemons died (kill -9, the machine or session stopped), `start DIR` on the same DIR starts a fresh
# cluster there: new ports and job ids, the old queue is NOT recovered (slurmctld -c); rerun the same
# jobs/pipeline.sh commands, which skip finished stages and resume interrupted ones (docs/SLURM.md).  When only
# one of the two daemons died, `start` refuses; use `restart`.
#
# Needs root (SlurmUser=root) and slurm-wlm (make deps).  Ports are picked free at start so that two clusters
# (say, two worktrees testing at once) do not collide.  Everything (state, spool, logs) lives under DIR.
set -euo pipefail

die() { echo "slurm-local: error: $*" >&2; exit 1; }

usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }

free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# own_pid DIR NAME: the pid recorded for daemon NAME if that process is still ours (its command line names
# our slurm.conf); empty otherwise.
own_pid() {
    local dir=$1 name=$2 pid
    [ -f "$dir/$name.ownpid" ] || return 0
    pid=$(cat "$dir/$name.ownpid")
    [ -r "/proc/$pid/cmdline" ] || return 0
    tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$dir/slurm.conf" && echo "$pid"
    return 0
}

write_conf() {
    local dir=$1 cpus=$2 host mem_mb first_id
    host=$(hostname -s)
    first_id=$(( (RANDOM * 32768 + RANDOM) % 60000 * 1000 + 1000 ))   # below MaxJobId (67043328)
    mem_mb=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.8}' /proc/meminfo)
    cat > "$dir/slurm.conf" <<CONF
# Written by tools/slurm-local.sh: one node (this machine), for tests.
ClusterName=uglocal
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/ctld.pid
SlurmdPidFile=$dir/d.pid
SlurmctldLogFile=$dir/ctld.log
SlurmdLogFile=$dir/d.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
KillWait=15
MinJobAge=600
# Job ids start at a random point: two clusters on one host (say two worktrees testing at once) would
# otherwise both run job 1, and per-job names outside DIR (PMIx's temp dirs) would collide.
FirstJobId=$first_id
TmpFS=$dir/tmp
NodeName=$host CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
    # PMIx (srun --mpi=pmix) keeps its per-job files under DIR, not in /tmp.
    echo "PMIxCliTmpDirBase=$dir/pmix" > "$dir/mpi.conf"
}

start() {
    local dir=$1 cpus=${2:-2}
    [ "$(id -u)" -eq 0 ] || die "needs root (the local cluster runs as SlurmUser=root)"
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null || die "slurmctld/slurmd not found: run 'make deps' (slurm-wlm)"
    mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
    [ -z "$(own_pid "$dir" ctld)$(own_pid "$dir" d)" ] || die "a cluster from $dir is already running (stop it first)"
    if [ -f "$dir/slurm.conf" ]; then
        # A cluster ran here before and its daemons are gone: start afresh (-c below clears the saved queue).
        echo "slurm-local: $dir held a cluster whose daemons are gone: starting a fresh one (its old queue is not recovered; rerun jobs/pipeline.sh to resubmit what is not done)" >&2
        rm -f "$dir/ctld.ownpid" "$dir/d.ownpid"
    fi
    mkdir -p "$dir/state" "$dir/spool" "$dir/tmp" "$dir/pmix"
    write_conf "$dir" "$cpus"
    export SLURM_CONF=$dir/slurm.conf
    # -D: stay in the foreground so that $! is the daemon itself; we background it here.
    slurmctld -D -c -f "$SLURM_CONF" </dev/null >>"$dir/ctld.out" 2>&1 &
    echo $! > "$dir/ctld.ownpid"
    slurmd -D -c -f "$SLURM_CONF" </dev/null >>"$dir/d.out" 2>&1 &
    echo $! > "$dir/d.ownpid"
    local i state=""
    for i in $(seq 1 60); do   # bounded: 30 s
        state=$(sinfo -h -o '%t' 2>/dev/null | head -1 || true)
        [ "$state" = idle ] && break
        [ -n "$(own_pid "$dir" ctld)" ] || break
        [ -n "$(own_pid "$dir" d)" ] || break
        sleep 0.5
    done
    if [ "$state" != idle ]; then
        echo "slurm-local: node did not become idle (state '${state:-none}'); last log lines:" >&2
        tail -n 5 "$dir/ctld.log" "$dir/d.log" "$dir/ctld.out" "$dir/d.out" >&2 2>/dev/null || true
        stop "$dir" >/dev/null 2>&1 || true
        exit 1
    fi
    echo "export SLURM_CONF=$SLURM_CONF"
}

stop() {
    local dir=$1 pid name i
    [ -d "$dir" ] || die "no such directory: $dir"
    dir=$(cd "$dir" && pwd)
    export SLURM_CONF=$dir/slurm.conf
    if [ -n "$(own_pid "$dir" ctld)" ]; then
        # Jobs first, so that no job step outlives its slurmd.  Bounded wait.
        scancel --full --quiet --user=root 2>/dev/null || true
        for i in $(seq 1 40); do
            [ -z "$(squeue -h -t RUNNING,COMPLETING,CONFIGURING 2>/dev/null)" ] && break
            sleep 0.5
        done
    fi
    for name in d ctld; do
        pid=$(own_pid "$dir" "$name")
        [ -n "$pid" ] || continue
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 40); do [ -d "/proc/$pid" ] || break; sleep 0.25; done
        if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
        rm -f "$dir/$name.ownpid"
    done
    echo "slurm-local: stopped the cluster of $dir"
}

status() {
    local dir
    dir=$(cd "$1" && pwd)
    export SLURM_CONF=$dir/slurm.conf
    echo "slurmctld pid: $(own_pid "$dir" ctld)  slurmd pid: $(own_pid "$dir" d)"
    sinfo; squeue
}

case ${1:-} in
start) [ $# -ge 2 ] || { usage >&2; exit 2; }; start "$2" "${3:-2}" ;;
stop) [ $# -eq 2 ] || { usage >&2; exit 2; }; stop "$2" ;;
restart) [ $# -ge 2 ] || { usage >&2; exit 2; }; [ ! -d "$2" ] || stop "$2" >/dev/null; start "$2" "${3:-2}" ;;
status) [ $# -eq 2 ] || { usage >&2; exit 2; }; status "$2" ;;
-h|--help|help) usage ;;
*) usage >&2; exit 2 ;;
esac
