#!/usr/bin/env bash
# How often does a multi-node MPI launch fail on the local cluster?  Starts a 4-node cluster
# (tools/cluster-local.sh), runs a 1-epoch digits `train` with `srun --mpi=pmix -N4 -n4` RUNS times with the
# given environment, prints "N of RUNS failed", and tears the cluster down.  As root.
# usage: tools/cluster-launch-check.sh RUNS [VAR=VALUE ...]
#   e.g. tools/cluster-launch-check.sh 15 OMPI_MCA_mpi_preconnect_mpi=1   (docs/SLURM.md, pitfalls)
set -u
[ $# -ge 1 ] || { echo "usage: tools/cluster-launch-check.sh RUNS [VAR=VALUE ...]" >&2; exit 2; }
runs=$1; shift
cd "$(dirname "$0")/.."
CL=$(mktemp -d /tmp/ug-launch-check.XXXXXX)
trap 'tools/cluster-local.sh down "$CL/cluster" >/dev/null 2>&1; rm -rf "$CL"' EXIT
bin/ugradsl pack --from digits-csv --output "$CL/d.h5" >/dev/null 2>&1 &&
    bin/ugradsl split --data "$CL/d.h5" --config inputs/demo-digits.ini --output "$CL/s.h5" >/dev/null 2>&1 ||
    { echo "cluster-launch-check: pack/split failed (make first)" >&2; exit 1; }
tools/cluster-local.sh up 4 "$CL/cluster" > "$CL/up.log" 2>&1 || { echo "cluster-launch-check: up failed" >&2; tail -3 "$CL/up.log" >&2; exit 1; }
export SLURM_CONF=$CL/cluster/slurm.conf
bad=0
for i in $(seq 1 "$runs"); do
    rm -rf "$CL/run"
    tools/cluster-local.sh exec "$CL/cluster" -- env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
        OMPI_MCA_mpi_yield_when_idle=1 "$@" srun --mpi=pmix -N4 -n4 -t 3 "$PWD/bin/ugradsl" train \
        --config inputs/demo-digits.ini --data "$CL/d.h5" --split "$CL/s.h5" --epochs 1 --threads 1 \
        --output "$CL/run" > "$CL/run-$i.log" 2>&1 || { bad=$((bad + 1)); grep -m1 -E "Segmentation|error" "$CL/run-$i.log"; }
done
echo "cluster-launch-check: $bad of $runs failed (${*:-default environment})"
