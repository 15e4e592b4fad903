#!/usr/bin/env bash
# How often does a multi-node MPI launch fail on the local cluster?  Starts a 4-node cluster
# (tools/cluster-local.sh), runs a 2-epoch digits `train` with `srun --mpi=pmix`, on 2 then 4 nodes in turn
# (one rank per node), RUNS times with the given environment, prints "N of RUNS failed", keeps the failing
# launches' logs (and the last core dump, when the core limit allows one) in KEEP_DIR, and tears the cluster down.
# As root.
# usage: tools/cluster-launch-check.sh RUNS [VAR=VALUE ...]
#   e.g. tools/cluster-launch-check.sh 400 OMPI_MCA_mpi_preconnect_mpi=1                   (the TCP BTL)
#        tools/cluster-launch-check.sh 400 OMPI_MCA_pml=ucx OMPI_MCA_pml_ucx_tls=any \
#              OMPI_MCA_pml_ucx_devices=any UCX_TLS=tcp,self OMPI_MCA_btl=self       (UCX over TCP)
#   (docs/SLURM.md, "Pitfalls"); KEEP_DIR defaults to a new /tmp/ug-launch-fail.XXXXXX, removed when nothing failed
set -u
[ $# -ge 1 ] || { echo "usage: tools/cluster-launch-check.sh RUNS [VAR=VALUE ...]" >&2; exit 2; }
runs=$1; shift
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "cluster-launch-check: RUNS must be a positive integer, not '$runs'" >&2; exit 2; }
cd "$(dirname "$0")/.."
ROOT=$PWD
CL=$(mktemp -d /tmp/ug-launch-check.XXXXXX)
KEEP=${KEEP_DIR:-$(mktemp -d /tmp/ug-launch-fail.XXXXXX)}
mkdir -p "$KEEP/cores"
trap 'tools/cluster-local.sh down "$CL/cluster" >/dev/null 2>&1; rm -rf "$CL"' EXIT
bin/ugradsl pack --from digits-csv --output "$CL/d.h5" >/dev/null 2>&1 &&
    bin/ugradsl split --data "$CL/d.h5" --config inputs/demo-digits.ini --output "$CL/s.h5" >/dev/null 2>&1 ||
    { echo "cluster-launch-check: pack/split failed (make first)" >&2; exit 1; }
tools/cluster-local.sh up 4 "$CL/cluster" > "$CL/up.log" 2>&1 || { echo "cluster-launch-check: up failed" >&2; tail -3 "$CL/up.log" >&2; exit 1; }
export SLURM_CONF=$CL/cluster/slurm.conf
ulimit -c unlimited 2>/dev/null || true
bad=0
for i in $(seq 1 "$runs"); do
    n=$((i % 2 ? 2 : 4))
    rm -rf "$CL/run"
    # cwd KEEP/cores: a rank's core dump (core_pattern "core") lands there
    if (cd "$KEEP/cores" && "$ROOT/tools/cluster-local.sh" exec "$CL/cluster" -- env OMPI_ALLOW_RUN_AS_ROOT=1 \
            OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_mpi_yield_when_idle=1 "$@" srun --mpi=pmix -N$n -n$n -t 3 \
            "$ROOT/bin/ugradsl" train --config "$ROOT/inputs/demo-digits.ini" --data "$CL/d.h5" --split "$CL/s.h5" \
            --epochs 2 --threads 1 --output "$CL/run") > "$CL/run.log" 2>&1; then
        :
    else
        bad=$((bad + 1)); cp "$CL/run.log" "$KEEP/run-$i-nodes$n.log"
        echo "run $i ($n nodes): $(grep -m1 -E "Segmentation|error" "$CL/run.log")"
    fi
done
echo "cluster-launch-check: $bad of $runs failed (${*:-default environment})"
if [ $bad -eq 0 ] && [ -z "${KEEP_DIR:-}" ]; then rm -rf "$KEEP"; else echo "cluster-launch-check: failing logs in $KEEP"; fi
