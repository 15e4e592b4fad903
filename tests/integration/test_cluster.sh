#!/usr/bin/env bash
# test_cluster.sh — the program and the job scripts on a multi-node Slurm cluster made on this machine
# (tools/cluster-local.sh: 4 nodes in network namespaces, ranks crossing nodes over TCP):
#   two_nodes_equal_one_node   train + unlearn on 2 nodes x 1 rank == 1 node x 2 ranks (model and metrics)
#   straggler_per_rank_timing  2 nodes, the rank on node2 slowed (UG_DEBUG_STEP_DELAY_MS): train.json and the epoch
#                              progress line name it as the slowest rank and node
#   pipeline_nodes2            jobs/pipeline.sh --nodes 2 on the digits default, end to end
#   sweep_nodes_fabrics        jobs/sweep-nodes.sh at 1, 2, 4 nodes for real, on a fast and a slow (tc tbf)
#                              fabric: sweep.csv, sweep.png and the scaling model's prediction error for each
#   node_failure_requeue       a node dies mid-Retrain: the job ends within 60 s, is requeued, resumes from its
#                              checkpoint and ends bit-identical to the uninterrupted run
#   install_module_pipeline    make install PREFIX=DIR, `module load` of its Lmod modulefile, and the digits
#                              pipeline on 2 nodes from the installed copy (UG_MODULES in its site.env)
# Prints PASS/FAIL/SKIP lines; SKIP (with the reason) where namespaces or Slurm are not available.  Tears the
# cluster down on every exit path (tools/cluster-local.sh down).  Every wait is bounded.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin/ugradsl
T=test_cluster
TMP=$(mktemp -d /tmp/ug-cluster-test.XXXXXX)
CL=$TMP/cluster
UP=0

pass() { echo "PASS $T/$1"; }
FAILED=0
fail() { echo "FAIL $T/$1: $2"; FAILED=1; }
skip() { echo "SKIP $T/$1: $2"; }
all_cases="two_nodes_equal_one_node straggler_per_rank_timing pipeline_nodes2 sweep_nodes_fabrics node_failure_requeue install_module_pipeline"

cleanup() {
    trap - EXIT INT TERM
    [ "$UP" = 0 ] || "$ROOT/tools/cluster-local.sh" down "$CL" >/dev/null 2>&1 || true
    # a failed case keeps its job logs and the nodes' Slurm logs: a flaky crash is seldom seen twice
    [ "$FAILED" = 1 ] && grep -r -h -A 16 "Process received signal" "$TMP" --include='*.out' 2>/dev/null | head -n 40 | sed "s/^/# $T crash: /" >&2
    if [ -n "${UG_TEST_KEEP:-}" ] || [ "$FAILED" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# ---- preconditions: SKIP everything (visibly) when a cluster cannot be made here
why=""
[ "$(id -u)" -eq 0 ] || why="needs root (network namespaces, SlurmUser=root)"
for c in slurmctld slurmd srun nsenter unshare ip h5dump; do command -v $c >/dev/null || why=${why:-"$c not found (make deps)"}; done
[ -x "$BIN" ] || why=${why:-"$BIN not built (make)"}
if [ -z "$why" ]; then
    probe=ugprobe-$$
    if ip netns add "$probe" 2>"$TMP/netns.err"; then ip netns del "$probe"
    else why="network namespaces cannot be made here: $(head -c 200 "$TMP/netns.err")"; fi
fi
if [ -n "$why" ]; then for c in $all_cases; do skip "$c" "$why"; done; exit 0; fi

for v in $(env | sed -n 's/^\(SLURM_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
up_out=$("$ROOT/tools/cluster-local.sh" up 4 "$CL" 2>&1); rc=$?
UP=1
if [ $rc -ne 0 ]; then echo "FAIL $T/cluster_up: $(tail -n 4 <<<"$up_out" | tr '\n' ' ')"; exit 1; fi
export SLURM_CONF=$CL/slurm.conf
# the site of this cluster: 1 rank per node (the nodes share the machine's cores), through the environment
export UG_PARTITION=debug UG_TASKS_PER_NODE=1 UG_CPUS_PER_TASK=1 UG_GPUS_PER_NODE=0
export UG_TIME_SHORT=00:10:00 UG_TIME_TRAIN=00:20:00 UG_ROOT=$ROOT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Ranks started by srun do not know that the nodes share 2 cores: without this, a rank waiting in an all-reduce
# spins on a core another node's rank needs (mpirun sets it itself when it sees oversubscription).
export OMPI_MCA_mpi_yield_when_idle=1
# Open MPI 4.1.4's TCP BTL crashes now and then in MPI_Init (a libevent callback in mca_btl_tcp.so calls a null
# function pointer): 3 of 15 launches here with the defaults, still 4 of 380 with OMPI_MCA_mpi_preconnect_mpi=1.
# UCX's own TCP transport (pml ucx; the BTLs cut down to self) did not crash in 600 (docs/SLURM.md, "Pitfalls").
export OMPI_MCA_pml=ucx OMPI_MCA_pml_ucx_tls=any OMPI_MCA_pml_ucx_devices=any UCX_TLS=tcp,self OMPI_MCA_btl=self
C=("$ROOT/tools/cluster-local.sh" exec "$CL" --)     # a command on the cluster's login namespace

job_state() { "${C[@]}" scontrol show job "$1" -o 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# wait_end ID SECONDS: until the job has ended; prints its final state (TIMEOUT_WAIT if it did not).
wait_end() {
    local id=$1 end=$((SECONDS + $2)) st
    while [ $SECONDS -lt $end ]; do
        st=$(job_state "$id")
        case $st in
        COMPLETED|FAILED|CANCELLED|TIMEOUT|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE) echo "$st"; return 0 ;;
        esac
        sleep 0.5
    done
    echo "TIMEOUT_WAIT"
}
# The model's identity: model_hash (parameters and BN buffers only).  Not the checkpoint's `checksum`, which also
# covers the provenance (run config, output folder) and so differs between two runs of the same model.
checksum() { h5dump -a model_hash "$1" 2>/dev/null | sed -n 's/^ *(0): *//p' | tr -d '"'; }
# metrics.json (or its KEY part) without timings and paths (tools/run_fingerprint.py's rules)
metrics_fp() {
    python3 -c 'import json,sys; sys.path.insert(0, sys.argv[2]); import run_fingerprint as r
d = json.load(open(sys.argv[1])); d = d[sys.argv[3]] if sys.argv[3] else d
print(json.dumps(r.strip(d), sort_keys=True))' "$1" "$ROOT/tools" "${2:-}" 2>&1
}
demo_ini=$ROOT/inputs/demo-digits.ini
cd "$TMP"
"$BIN" pack --from digits-csv --output "$TMP/data.h5" >"$TMP/pack.log" 2>&1 \
    && "$BIN" split --data "$TMP/data.h5" --config "$demo_ini" --output "$TMP/split.h5" >>"$TMP/pack.log" 2>&1 \
    || { echo "FAIL $T/data: pack/split failed: $(tail -n 2 "$TMP/pack.log" | tr '\n' ' ')"; exit 1; }

# ---------------------------------------------------------------- 2 nodes x 1 rank == 1 node x 2 ranks
# One thread per rank: with more, threads follow the ranks per node and change the order of the sums.
two_nodes_case() {
    local name=two_nodes_equal_one_node layout problems="" out
    for layout in "n1:-N1 -n2" "n2:-N2 -n2 --ntasks-per-node=1"; do
        local d=$TMP/eq-${layout%%:*} opts
        read -r -a opts <<<"${layout#*:}"
        out=$(timeout 300 "${C[@]}" srun "${opts[@]}" --mpi=pmix "$BIN" train --config "$demo_ini" --data "$TMP/data.h5" \
            --split "$TMP/split.h5" --output "$d/train" --threads 1 --epochs 6 2>&1) \
            || { fail $name "train on ${layout#*:}: $(tail -n 3 <<<"$out" | tr '\n' ' ')"; return; }
        out=$(timeout 300 "${C[@]}" srun "${opts[@]}" --mpi=pmix "$BIN" unlearn --config "$demo_ini" --data "$TMP/data.h5" \
            --split "$TMP/split.h5" --model "$d/train/model.h5" --method ugradsl --output "$d/unlearn" --threads 1 2>&1) \
            || { fail $name "unlearn on ${layout#*:}: $(tail -n 3 <<<"$out" | tr '\n' ' ')"; return; }
    done
    # the 2-node run really spanned two hosts
    out=$(timeout 60 "${C[@]}" srun -N2 -n2 --ntasks-per-node=1 hostname 2>&1 | sort -u | grep -c '^node[1-4]$')
    [ "$out" = 2 ] || problems+="srun -N2 did not run on 2 distinct nodes; "
    local a b
    a=$(checksum "$TMP/eq-n1/train/model.h5"); b=$(checksum "$TMP/eq-n2/train/model.h5")
    [ -n "$a" ] && [ "$a" = "$b" ] || problems+="trained models differ (checksum '$a' vs '$b'); "
    a=$(checksum "$TMP/eq-n1/unlearn/model.h5"); b=$(checksum "$TMP/eq-n2/unlearn/model.h5")
    [ -n "$a" ] && [ "$a" = "$b" ] || problems+="unlearned models differ (checksum '$a' vs '$b'); "
    a=$(metrics_fp "$TMP/eq-n1/unlearn/metrics.json"); b=$(metrics_fp "$TMP/eq-n2/unlearn/metrics.json")
    [ -n "$a" ] && [ "$a" = "$b" ] || problems+="metrics.json differ: $(diff <(tr ',' '\n' <<<"$a") <(tr ',' '\n' <<<"$b") | grep '^[<>]' | head -4 | tr '\n' ' '); "
    grep -q '"ranks": 2' "$TMP/eq-n2/train/train.json" || problems+="the 2-node train.json does not say 2 ranks; "
    if [ -z "$problems" ]; then pass $name; else fail $name "$problems"; fi
}
two_nodes_case

# ---------------------------------------------------------------- a straggler shows in the run's own timing
# Only rank 1 (on node2) sleeps 30 ms in every step (a test hook, counted as compute): it must be named the
# slowest rank and node in train.json and on every epoch's progress line; rank 0 waits for it in the all-reduce.
straggler_case() {
    local name=straggler_per_rank_timing d=$TMP/straggler problems="" out
    out=$(timeout 300 "${C[@]}" srun -N2 -n2 --ntasks-per-node=1 -w node1,node2 --mpi=pmix bash -c \
        '[ "$SLURM_PROCID" = 1 ] && export UG_DEBUG_STEP_DELAY_MS=30; exec "$@"' straggler \
        "$BIN" train --config "$demo_ini" --data "$TMP/data.h5" --split "$TMP/split.h5" --output "$d" --threads 1 \
        --epochs 2 2>&1) || { fail $name "train: $(tail -n 3 <<<"$out" | tr '\n' ' ')"; return; }
    local verdict
    verdict=$(python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); rows = d.get("rank_timing", [])
p = []
if d.get("slowest_rank") != 1 or d.get("slowest_host") != "node2":
    p.append("slowest_rank %s slowest_host %s, want 1 node2" % (d.get("slowest_rank"), d.get("slowest_host")))
if [(r.get("rank"), r.get("host")) for r in rows] != [(0, "node1"), (1, "node2")]:
    p.append("rank_timing rows %s" % [(r.get("rank"), r.get("host")) for r in rows])
elif not rows[1]["compute_s"] > rows[0]["compute_s"] or not rows[0]["allreduce_s"] > rows[1]["allreduce_s"]:
    p.append("rank 1 not slower in compute or rank 0 not waiting longer in the all-reduce: %s" % rows)
print("; ".join(p))' "$d/train.json" 2>&1)
    [ -z "$verdict" ] || problems+="train.json: $verdict; "
    local lines
    lines=$(grep -c '^epoch [12]/2 .*slowest rank 1 (node2): compute [0-9.]* s, data [0-9.]* s; all-reduce wait on the others up to [0-9.]* s' <<<"$out")
    [ "$lines" = 2 ] || problems+="$lines of 2 epoch lines name rank 1 (node2): $(grep '^epoch' <<<"$out" | head -2 | tr '\n' ' '); "
    if [ -z "$problems" ]; then pass $name; else fail $name "$problems"; fi
}
straggler_case

# ---------------------------------------------------------------- jobs/pipeline.sh --nodes 2
pipeline_case() {
    local name=pipeline_nodes2 out rc run=$TMP/pruns/demo-digits problems="" f
    out=$("${C[@]}" bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --nodes 2 --methods "ga ugradsl" --seeds 1 \
        --wait 600 "$demo_ini" 2>&1); rc=$?
    if [ $rc -ne 0 ]; then
        f=$(grep -l -E 'error|FAILED|CANCELLED' "$run"/logs/*.out 2>/dev/null | head -1)
        fail $name "pipeline rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' ') ${f:+— $f: $(tail -n 3 "$f" | tr '\n' ' ')}"; return
    fi
    local m
    for m in Original Retrain GA UGradSL; do grep -q "^| $m |" "$run/report/report.md" 2>/dev/null || problems+="report.md has no row $m; "; done
    # the MPI stages ran on both nodes, 2 ranks (the rank-0 reducer gathered across nodes)
    for f in "$run"/logs/ug-demo-digits-original-*.out "$run"/logs/ug-demo-digits-ga-s1-*.out; do
        grep -q 'on node\[1-2\]: 2 tasks' "$f" 2>/dev/null || problems+="$(basename "$f") did not run on node[1-2] with 2 tasks; "
    done
    grep -q '"world_size": 2' "$run/ga/seed-1/metrics.json" 2>/dev/null || problems+="ga metrics.json lacks world_size 2; "
    if [ -z "$problems" ]; then pass $name; else fail $name "$problems"; fi
}
pipeline_case

# ---------------------------------------------------------------- jobs/sweep-nodes.sh 1 2 4, two fabrics
# Strong scaling of Retrain (the same global batch at every node count), one rank per node.  The fast fabric is
# the unshaped veth links; the slow one every node's link limited to SLOW_RATE with tc tbf.  The machine is
# shared (CI, other builds): the model's fit is judged with a generous tolerance and its errors are printed.
SLOW_RATE=${UG_CLUSTER_SLOW_RATE:-40mbit}
TOLERANCE=${UG_CLUSTER_MODEL_TOLERANCE:-0.6}
sweep_case() {
    local name=sweep_nodes_fabrics run=$TMP/pruns/demo-digits problems="" fabric out rc cid st
    [ -f "$run/experiment.id" ] || { skip $name "pipeline_nodes2 did not leave an experiment"; return; }
    # latency shaping needs netem, which this kernel may lack: said, not failed
    if ! tc -n "ugc$(printf '%s' "$CL" | sha256sum | cut -c1-6)-node1" qdisc replace dev eth0 root netem delay 1ms 2>/dev/null; then
        skip fabric_latency_netem "tc netem is not available in this kernel: links are shaped in bandwidth only (tbf)"
    fi
    "$ROOT/tools/cluster-local.sh" shape off "$CL" >/dev/null
    for fabric in fast slow; do
        if [ $fabric = slow ]; then "$ROOT/tools/cluster-local.sh" shape "$SLOW_RATE" "$CL" >/dev/null || { problems+="tc shape failed; "; break; }; fi
        out=$("${C[@]}" bash "$ROOT/jobs/sweep-nodes.sh" --runs "$TMP/pruns" --nodes "1 2 4" --methods retrain --modes strong \
            --global-batch 64 --args "--epochs 4 --eval-every 0 --checkpoint-every 0" --tolerance "$TOLERANCE" "$demo_ini" 2>&1); rc=$?
        cid=$(sed -n 's/^collect *\([0-9][0-9]*\)$/\1/p' <<<"$out")
        [ $rc -eq 0 ] && [ -n "$cid" ] || { problems+="$fabric: sweep-nodes rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' '); "; break; }
        st=$(wait_end "$cid" 400)
        [ "$st" = COMPLETED ] || { problems+="$fabric: collect job $cid ended '$st': $(grep -h -E 'Segmentation|error' "$run"/sweep/logs/*.out 2>/dev/null | head -n 4 | tr '\n' ' '); "; break; }
        mv "$run/sweep" "$TMP/sweep-$fabric"
        local s=$TMP/sweep-$fabric n
        for n in 1 2 4; do
            grep -q "^strong,$n,retrain,1,$n.0,[0-9.]*," "$s/sweep.csv" 2>/dev/null \
                || problems+="$fabric: sweep.csv has no RTE for $n nodes ($n ranks): $(grep -h -m 2 -E 'Segmentation|error' "$s"/logs/*-n$n-*.out 2>/dev/null | tr '\n' ' '); "
        done
        [ -s "$s/sweep.png" ] || problems+="$fabric: no sweep.png; "
        grep -q '^worst relative error of the model' "$s/model-check.txt" 2>/dev/null \
            || problems+="$fabric: no model check: $(tail -n 2 "$s/model-check.txt" 2>/dev/null | tr '\n' ' '); "
        # the report line: every node count's measured and predicted step
        echo "# $T: $fabric fabric$([ $fabric = slow ] && echo " (tbf $SLOW_RATE per node link)"):" >&2
        sed -n '/^retrain:/,/^model check/p' "$s/model-check.txt" >&2
        # The model is judged where communication dominates the step (the slow fabric).  On the fast one a 4-node
        # step is a few ms of 4 ranks time-sharing 2 cores, so a loaded machine alone moves it by more than the
        # tolerance (67% seen under a make-test loop beside a 2-rank training job): printed above, not asserted.
        [ $fabric = fast ] || grep -q '^model check: OK' "$s/model-check.txt" || problems+="$fabric: $(grep '^worst' "$s/model-check.txt"); "
    done
    "$ROOT/tools/cluster-local.sh" shape off "$CL" >/dev/null 2>&1
    # the slow fabric must be slower where it matters: the 4-node step's all-reduce share
    if [ -z "$problems" ]; then
        local f4 s4
        f4=$(awk -F, '$1=="strong" && $2==4 {print $6}' "$TMP/sweep-fast/sweep.csv"); s4=$(awk -F, '$1=="strong" && $2==4 {print $6}' "$TMP/sweep-slow/sweep.csv")
        awk -v f="$f4" -v s="$s4" 'BEGIN { exit !(s > f) }' || problems+="4 nodes: slow fabric RTE $s4 s not above fast $f4 s; "
    fi
    if [ -z "$problems" ]; then pass $name; else fail $name "$problems"; fi
}
sweep_case

# ---------------------------------------------------------------- a node dies in the middle of a Retrain
# 2 nodes, checkpoint every epoch.  The uninterrupted run first, then the same job with node2 killed (its slurmd
# and its rank: kill -9) once the first checkpoint exists.  Slurm declares node2 DOWN (SlurmdTimeout 10 s), ends
# the job (NODE_FAIL) and requeues it; node2 comes back (its slurmd started again, ReturnToService=2); the job
# resumes from its checkpoint and must end with the uninterrupted run's model and metrics.
failure_case() {
    local name=node_failure_requeue problems="" ini=$TMP/long.ini ref int st t0 waited
    # Long enough that the node dies mid-training on a quiet machine too: with 40 epochs (~2 s) the first attempt
    # could finish training before kill-node landed, and the requeued job then only evaluated (nothing to resume).
    sed 's/^epochs = 30$/epochs = 300/' "$demo_ini" > "$ini"
    local common=(--config "$ini" --data "$TMP/data.h5" --split "$TMP/split.h5" --seed 1)
    local flags=(--parsable -N2 --ntasks-per-node=1 --requeue --open-mode=append)
    ref=$("${C[@]}" sbatch "${flags[@]}" -o "$TMP/fref.log" "$ROOT/jobs/retrain.sbatch" --out "$TMP/fref" "${common[@]}")
    st=$(wait_end "$ref" 300)
    [ "$st" = COMPLETED ] || { fail $name "uninterrupted job ended '$st': $(tail -n 3 "$TMP/fref.log" | tr '\n' ' ')"; return; }
    int=$("${C[@]}" sbatch "${flags[@]}" -o "$TMP/fint.log" "$ROOT/jobs/retrain.sbatch" --out "$TMP/fint" "${common[@]}")
    local end=$((SECONDS + 120))
    while [ $SECONDS -lt $end ] && [ ! -f "$TMP/fint/checkpoint.h5" ]; do sleep 0.2; done
    [ -f "$TMP/fint/checkpoint.h5" ] || { fail $name "no checkpoint within 120 s ($(job_state "$int"))"; return; }
    sleep 1
    [ ! -f "$TMP/fint/model.h5" ] || { fail $name "the run finished before the node could be killed (make it longer)"; return; }
    "$ROOT/tools/cluster-local.sh" kill-node node2 "$CL" >/dev/null
    t0=$SECONDS
    # the job must leave RUNNING (node failure: requeued) within 60 s
    end=$((SECONDS + 60)); st=RUNNING
    while [ $SECONDS -lt $end ]; do st=$(job_state "$int"); [ "$st" = RUNNING ] || break; sleep 0.5; done
    waited=$((SECONDS - t0))
    [ "$st" != RUNNING ] || { fail $name "job $int still RUNNING 60 s after node2 died"; return; }
    grep -q -E 'DUE TO NODE FAILURE|Node failure on node2' "$TMP/fint.log" || problems+="no node-failure message in the job log: $(tail -n 3 "$TMP/fint.log" | tr '\n' ' '); "
    "$ROOT/tools/cluster-local.sh" start-node node2 "$CL" >/dev/null
    # a requeued job waits out Slurm's begin-time delay: start it now once node2 is back
    end=$((SECONDS + 60))
    while [ $SECONDS -lt $end ]; do
        st=$(job_state "$int")
        case $st in PENDING) "${C[@]}" scontrol update jobid="$int" StartTime=now >/dev/null 2>&1 ;; RUNNING|COMPLETED|FAILED|CANCELLED) break ;; esac
        sleep 1
    done
    st=$(wait_end "$int" 300)
    [ "$st" = COMPLETED ] || { fail $name "requeued job $int ended '$st': $(tail -n 4 "$TMP/fint.log" | tr '\n' ' ')"; return; }
    local restarts; restarts=$("${C[@]}" scontrol show job "$int" -o | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
    [ "${restarts:-0}" -ge 1 ] || problems+="job was not requeued (Restarts=${restarts:-?}); "
    grep -qE "resuming from '?$TMP/fint/checkpoint.h5" "$TMP/fint.log" ||
        problems+="the requeued job did not resume from its checkpoint ($(grep -cE '^epoch [0-9]+/' "$TMP/fint.log") epoch lines; $(grep -E '^\[.*\] (run|resuming)' "$TMP/fint.log" | tail -n 2 | cut -c1-120 | tr '\n' ' ')); "
    local a b
    a=$(checksum "$TMP/fref/model.h5"); b=$(checksum "$TMP/fint/model.h5")
    [ -n "$a" ] && [ "$a" = "$b" ] || problems+="final model differs from the uninterrupted run's (checksum '$a' vs '$b'); "
    # the metrics themselves; the provenance fields differ by design (the resumed Retrain is train + eval, not
    # one `unlearn --method retrain`: jobs/retrain.sbatch)
    a=$(metrics_fp "$TMP/fref/metrics.json" metrics); b=$(metrics_fp "$TMP/fint/metrics.json" metrics)
    [ -n "$a" ] && [ "$a" = "$b" ] || problems+="metrics.json differ: $(diff <(tr ',' '\n' <<<"$a") <(tr ',' '\n' <<<"$b") | grep '^[<>]' | head -4 | tr '\n' ' '); "
    echo "# $T: node2 killed; job $int left RUNNING after ${waited} s, requeued $restarts time(s)" >&2
    if [ -z "$problems" ]; then pass $name; else fail $name "$problems"; fi
}
failure_case

# ---------------------------------------------------------------- installed like HPC software, loaded with Lmod
install_case() {
    local name=install_module_pipeline prefix=$TMP/prefix out rc problems="" lmod_init=""
    for f in "${LMOD_PKG:+$LMOD_PKG/init/bash}" /usr/share/lmod/lmod/init/bash; do [ -n "$f" ] && [ -r "$f" ] && { lmod_init=$f; break; }; done
    [ -n "$lmod_init" ] || { skip $name "Lmod not installed (Debian package lmod: make deps)"; return; }
    out=$(make -C "$ROOT" --no-print-directory install PREFIX="$prefix" VERSION=test 2>&1) \
        || { fail $name "make install: $(tail -n 3 <<<"$out" | tr '\n' ' ')"; return; }
    local f
    for f in bin/ugradsl jobs/pipeline.sh jobs/lib.sh jobs/site.env inputs/demo-digits.ini tools/scaling_model.py \
             docs/SLURM.md modulefiles/ugradsl/test.lua; do
        [ -e "$prefix/$f" ] || problems+="$f not installed; "
    done
    # the site of the installed copy loads its own module in every job
    sed -i 's|^: "${UG_MODULES:=}"|: "${UG_MODULES:=ugradsl/test}"|' "$prefix/jobs/site.env"
    grep -q 'UG_MODULES:=ugradsl/test' "$prefix/jobs/site.env" || problems+="could not set UG_MODULES in the installed site.env; "
    out=$(
        unset UG_ROOT UG_BIN UG_SITE_ENV
        # shellcheck disable=SC1090
        . "$lmod_init"
        module use "$prefix/modulefiles" && module load ugradsl/test || { echo "module load failed"; exit 1; }
        [ "$(command -v ugradsl)" = "$prefix/bin/ugradsl" ] || { echo "ugradsl on PATH is '$(command -v ugradsl)'"; exit 1; }
        [ "$(command -v pipeline.sh)" = "$prefix/jobs/pipeline.sh" ] || { echo "pipeline.sh on PATH is '$(command -v pipeline.sh)'"; exit 1; }
        cd "$TMP" && "${C[@]}" pipeline.sh --runs "$TMP/iruns" --nodes 2 --methods ga --seeds 1 --wait 600 demo-digits 2>&1
    ); rc=$?
    local run=$TMP/iruns/demo-digits
    [ $rc -eq 0 ] || { fail $name "$problems pipeline from the installed copy: rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' ') $(grep -h -E 'error' "$run"/logs/*.out 2>/dev/null | head -2 | tr '\n' ' ')"; return; }
    grep -q '^| GA |' "$run/report/report.md" 2>/dev/null || problems+="no GA row in the report; "
    grep -q "run: srun --mpi=pmix $prefix/bin/ugradsl train" "$run"/logs/ug-demo-digits-original-*.out 2>/dev/null || problems+="the original was not trained by the installed binary; "
    grep -q 'modules loaded: ugradsl/test' "$run"/logs/ug-demo-digits-original-*.out 2>/dev/null || problems+="the job did not load the module (UG_MODULES); "
    if [ -z "$problems" ]; then pass $name; else fail $name "$problems"; fi
}
install_case
