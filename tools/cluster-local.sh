#!/usr/bin/env bash
# cluster-local.sh — a Slurm cluster of N "nodes" on this machine, for tests: each node is a network + UTS +
# mount namespace with its own hostname (nodeK), address (10.213.0.1K) and slurmd; slurmctld and a login
# namespace sit on a bridge that lives in a namespace of its own, with no route out: the addresses exist
# only inside namespaces this script made, and nothing leaves the machine.  Only the cores are shared.
#
#   tools/cluster-local.sh up N [DIR]        N = 1..4: make the namespaces, start slurmctld + N slurmd, wait
#                                            until every node is idle
#   tools/cluster-local.sh down [DIR]        stop every daemon and process in this cluster's namespaces, delete
#                                            them (idempotent; also after a crash or a half-finished `up`)
#   tools/cluster-local.sh status [DIR]      namespaces, daemons, sinfo, squeue
#   tools/cluster-local.sh exec [DIR] -- CMD run CMD on the login namespace (sbatch, srun, sinfo, jobs/*.sh)
#   tools/cluster-local.sh kill-node NODE [DIR]    a node crash: kill -9 its slurmd and everything running on it
#   tools/cluster-local.sh start-node NODE [DIR]   start a node's slurmd again (it rejoins: ReturnToService=2)
#   tools/cluster-local.sh shape RATE [DIR]  limit every node's link to RATE (tc tbf, e.g. 200mbit); "off" removes
#
# DIR (default $UG_CLUSTER_DIR or /tmp/ug-cluster) holds slurm.conf, state, spool, logs.  Namespace names
# start with a prefix made from DIR, so two clusters (two DIRs) never touch each other.  Same auth as
# tools/slurm-local.sh (auth/none, SlurmUser=root).  Needs root, slurm-wlm, iproute2, util-linux (nsenter,
# unshare).  How it works and its pitfalls: docs/SLURM.md, "A multi-node cluster on one machine".
set -euo pipefail

die() { echo "cluster-local: error: $*" >&2; exit 1; }
usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

SUBNET=10.213.0
CTL_ADDR=$SUBNET.1
LOGIN_ADDR=$SUBNET.2
node_addr() { echo "$SUBNET.$((10 + $1))"; }

set_dir() {
    DIR=${1:-${UG_CLUSTER_DIR:-/tmp/ug-cluster}}
    mkdir -p "$DIR"; DIR=$(cd "$DIR" && pwd)
    # 6 hex digits of the path: names stay short (interface names are limited to 15 characters)
    P=ugc$(printf '%s' "$DIR" | sha256sum | cut -c1-6)
    BR=$P-br; LOGIN=$P-login
    CONF=$DIR/slurm.conf
}
node_ns() { echo "$P-node$1"; }
our_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-" || true; }

# in_ns NS HOSTNAME [BIND...] -- CMD: CMD in namespace NS's network, a new UTS namespace named HOSTNAME (when
# not "-") and a private mount namespace where DIR/hosts is /etc/hosts and each BIND "SRC:DST" is mounted.
# nsenter, not `ip netns exec`: the latter remounts /sys, and slurmd then finds no cgroup file system.
in_ns() {
    local ns=$1 host=$2; shift 2
    local binds=()
    while [ "$1" != -- ]; do binds+=("$1"); shift; done
    shift
    local uts=(); [ "$host" = - ] || uts=(--uts)
    nsenter --net="/run/netns/$ns" unshare "${uts[@]}" --mount --propagation private \
        /bin/bash -c '
            host=$1 hosts=$2 nb=$3; shift 3
            [ "$host" = - ] || hostname "$host"
            mount --bind "$hosts" /etc/hosts
            while [ "$nb" -gt 0 ]; do mount --bind "${1%%:*}" "${1#*:}"; shift; nb=$((nb - 1)); done
            [ -z "${IN_NS_PIDFILE:-}" ] || echo $$ > "$IN_NS_PIDFILE"   # exec keeps the pid: the daemon'"'"'s
            unset IN_NS_PIDFILE
            exec "$@"' in_ns "$host" "$DIR/hosts" "${#binds[@]}" "${binds[@]}" "$@"
}

# own_pid NAME: the recorded pid of daemon NAME while it still is ours (its command line names our conf).
own_pid() {
    local f=$DIR/$1.ownpid pid
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q -- "$CONF" && echo "$pid"
    return 0
}

make_network() {
    local n=$1 i ns
    ip netns add "$BR"
    ip -n "$BR" link set lo up
    ip -n "$BR" link add br0 type bridge
    ip -n "$BR" addr add "$CTL_ADDR/24" dev br0      # slurmctld's address, on the bridge itself
    ip -n "$BR" link set br0 up
    for i in login $(seq 1 "$n"); do
        if [ "$i" = login ]; then ns=$LOGIN; else ns=$(node_ns "$i"); fi
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # The veth pair is made inside the bridge's namespace and one end moved to the node: no interface
        # ever exists in the machine's own namespace.
        ip -n "$BR" link add "v$i" type veth peer name eth0 netns "$ns"
        ip -n "$BR" link set "v$i" master br0 up
        if [ "$i" = login ]; then ip -n "$ns" addr add "$LOGIN_ADDR/24" dev eth0
        else ip -n "$ns" addr add "$(node_addr "$i")/24" dev eth0; fi
        ip -n "$ns" link set eth0 up
    done
}

write_conf() {
    local n=$1 i mem_mb cpus first_id
    cpus=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc)   # GNU nproc obeys OMP_NUM_THREADS
    mem_mb=$(awk -v n="$n" '/MemTotal/ {printf "%d", $2 / 1024 * 0.8 / n}' /proc/meminfo)
    first_id=$(( (RANDOM * 32768 + RANDOM) % 60000 * 1000 + 1000 ))
    {
        echo "127.0.0.1 localhost"
        echo "$CTL_ADDR ctl"
        echo "$LOGIN_ADDR login"
        for i in $(seq 1 "$n"); do echo "$(node_addr "$i") node$i"; done
    } > "$DIR/hosts"
    cat > "$CONF" <<CONF
# Written by tools/cluster-local.sh: $n nodes in network namespaces on one machine, for tests.
ClusterName=ugcluster
SlurmctldHost=ctl($CTL_ADDR)
SlurmctldPort=6817
SlurmdPort=6818
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool/%n
SlurmctldPidFile=$DIR/ctld.pid
SlurmdPidFile=$DIR/spool/%n/slurmd.pid
SlurmctldLogFile=$DIR/ctld.log
SlurmdLogFile=$DIR/%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
# A node that stops answering is declared DOWN after SlurmdTimeout: its jobs end (NODE_FAIL) and requeue.
SlurmdTimeout=10
MessageTimeout=5
KillWait=10
# A rank that dies ends its whole step (else the others wait for it in MPI until the time limit).
KillOnBadExit=1
MinJobAge=600
FirstJobId=$first_id
TmpFS=$DIR/tmp
$(for i in $(seq 1 "$n"); do echo "NodeName=node$i NodeAddr=$(node_addr "$i") NodeHostname=node$i CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN"; done)
PartitionName=debug Nodes=node[1-$n] Default=YES MaxTime=INFINITE State=UP
CONF
    # PMIx's per-job client folder: one path for every node, bind-mounted per node (nodes share the disk).
    echo "PMIxCliTmpDirBase=$DIR/pmix" > "$DIR/mpi.conf"
}

start_slurmd() {
    local i=$1
    # A node starts clean, as after a reboot: a crashed node's step sockets would block the requeued job's step.
    rm -rf "$DIR/spool/node$i" "$DIR/pmix-node$i" "$DIR/tmp-node$i"
    mkdir -p "$DIR/spool/node$i" "$DIR/pmix-node$i" "$DIR/tmp-node$i"
    IN_NS_PIDFILE=$DIR/node$i.ownpid in_ns "$(node_ns "$i")" "node$i" "$DIR/pmix-node$i:$DIR/pmix" "$DIR/tmp-node$i:$DIR/tmp" -- \
        slurmd -D -N "node$i" -f "$CONF" </dev/null >>"$DIR/node$i.out" 2>&1 &
}

up() {
    local n=$1 i state
    [[ "$n" =~ ^[1-4]$ ]] || die "node count '$n': 1 to 4"
    [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, SlurmUser=root)"
    for c in slurmctld slurmd nsenter unshare ip; do command -v $c >/dev/null || die "$c not found (make deps)"; done
    [ -z "$(our_namespaces)" ] || die "a cluster from $DIR exists ($(our_namespaces | tr '\n' ' ')): run down first"
    trap 'echo "cluster-local: up failed; tearing down" >&2; down >/dev/null 2>&1 || true' ERR
    rm -rf "$DIR/state" "$DIR/spool" "$DIR"/pmix* "$DIR"/tmp* "$DIR"/*.ownpid
    mkdir -p "$DIR/state" "$DIR/spool" "$DIR/pmix" "$DIR/tmp"
    echo "$n" > "$DIR/nodes"
    make_network "$n"
    write_conf "$n"
    IN_NS_PIDFILE=$DIR/ctld.ownpid in_ns "$BR" ctl -- slurmctld -D -c -f "$CONF" </dev/null >>"$DIR/ctld.out" 2>&1 &
    for i in $(seq 1 "$n"); do start_slurmd "$i"; done
    local idle=0
    for i in $(seq 1 120); do   # bounded: 60 s
        idle=$(client sinfo -h -N -o '%t' 2>/dev/null | grep -c '^idle$' || true)
        [ "$idle" = "$n" ] && break
        [ -n "$(own_pid ctld)" ] || break
        sleep 0.5
    done
    trap - ERR
    if [ "$idle" != "$n" ]; then
        echo "cluster-local: $idle of $n nodes idle (waited at most 60 s); last log lines:" >&2
        tail -n 4 "$DIR"/*.log "$DIR"/*.out >&2 2>/dev/null || true
        down >/dev/null 2>&1 || true
        exit 1
    fi
    echo "cluster-local: $n nodes up ($DIR); run commands with: tools/cluster-local.sh exec $DIR -- CMD"
}

# client CMD: a Slurm client command on the login namespace
client() { SLURM_CONF=$CONF in_ns "$LOGIN" - -- "$@"; }

kill_pids() {   # TERM, a bounded wait, then KILL
    local p i alive
    [ $# -gt 0 ] || return 0
    kill -TERM "$@" 2>/dev/null || true
    for i in $(seq 1 20); do
        alive=""; for p in "$@"; do [ -d "/proc/$p" ] && alive+="$p "; done
        [ -z "$alive" ] && return 0
        sleep 0.25
    done
    # shellcheck disable=SC2086
    kill -KILL $alive 2>/dev/null || true
}

down() {
    local ns pids name
    [ -f "$CONF" ] && [ -n "$(own_pid ctld)" ] && client scancel --full --quiet --user=root 2>/dev/null || true
    # Every process inside our namespaces (daemons, job steps, ranks), then the daemons recorded by pid.
    for ns in $(our_namespaces); do
        pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        # shellcheck disable=SC2086
        kill_pids $pids
    done
    for name in ctld $(cd "$DIR" && ls -- *.ownpid 2>/dev/null | sed 's/\.ownpid$//'); do
        pids=$(own_pid "$name"); [ -z "$pids" ] || kill_pids "$pids"
        rm -f "$DIR/$name.ownpid"
    done
    for ns in $(our_namespaces); do ip netns del "$ns" 2>/dev/null || true; done
    [ -z "$(our_namespaces)" ] || die "could not delete: $(our_namespaces | tr '\n' ' ')"
    echo "cluster-local: down ($DIR)"
}

status() {
    local name
    echo "namespaces: $(our_namespaces | tr '\n' ' ')"
    for name in ctld $(cd "$DIR" && ls -- node*.ownpid 2>/dev/null | sed 's/\.ownpid$//'); do
        echo "$name pid: $(own_pid "$name")"
    done
    if [ -n "$(own_pid ctld)" ]; then client sinfo -N; client squeue; fi
}

kill_node() {
    local node=$1 i=${1#node}
    [[ "$i" =~ ^[1-4]$ ]] && ip netns list | grep -q "^$(node_ns "$i")\b" || die "no node '$node' in $DIR"
    # shellcheck disable=SC2046
    kill -KILL $(ip netns pids "$(node_ns "$i")") 2>/dev/null || true
    rm -f "$DIR/node$i.ownpid"
    echo "cluster-local: killed $node (its slurmd and every process on it)"
}

shape() {
    local rate=$1 i n
    n=$(cat "$DIR/nodes")
    for i in $(seq 1 "$n"); do
        if [ "$rate" = off ]; then
            tc -n "$(node_ns "$i")" qdisc del dev eth0 root 2>/dev/null || true
        else
            # burst: at least one full-size packet per timer tick; latency bounds the queue
            tc -n "$(node_ns "$i")" qdisc replace dev eth0 root tbf rate "$rate" burst 64kb latency 500ms
        fi
    done
    echo "cluster-local: node links $([ "$rate" = off ] && echo unshaped || echo "shaped to $rate (tbf)")"
}

cmd=${1:-}; shift || true
case $cmd in
up) [ $# -ge 1 ] || { usage >&2; exit 2; }; n=$1; set_dir "${2:-}"; up "$n" ;;
down) set_dir "${1:-}"; down ;;
status) set_dir "${1:-}"; status ;;
exec)
    d=""; [ "${1:-}" = -- ] || { d=${1:-}; shift || true; }
    [ "${1:-}" = -- ] || { usage >&2; exit 2; }; shift
    set_dir "$d"; [ -n "$(our_namespaces)" ] || die "no cluster up for $DIR"
    client "$@" ;;
kill-node) [ $# -ge 1 ] || { usage >&2; exit 2; }; set_dir "${2:-}"; kill_node "$1" ;;
start-node) [ $# -ge 1 ] || { usage >&2; exit 2; }; set_dir "${2:-}"; i=${1#node}; [ -z "$(own_pid "node$i")" ] || die "$1 runs"; start_slurmd "$i" ;;
shape) [ $# -ge 1 ] || { usage >&2; exit 2; }; set_dir "${2:-}"; shape "$1" ;;
-h|--help|help) usage ;;
*) usage >&2; exit 2 ;;
esac
