#!/usr/bin/env bash
# test_slurm.sh — the job scripts against a real Slurm controller started here (tools/slurm-local.sh):
# MPI through `srun --mpi=pmix`, afterok chains, requeue + resume (SIGUSR1 and `scontrol requeue`), the
# checks made before submitting, and — once the program's commands exist — the whole pipeline on the digits
# default and a requeued real training run that must equal an uninterrupted one.
# Prints PASS/FAIL/SKIP lines.  Stops the two daemons it started (by pid) on every exit path.  Every wait is
# bounded, so a stuck job fails the test instead of hanging CI.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=$ROOT/bin/ugradsl
T=test_slurm
TMP=$(mktemp -d /tmp/ug-slurm-test.XXXXXX)
CLUSTER=$TMP/cluster
STARTED=0

pass() { echo "PASS $T/$1"; }
fail() { echo "FAIL $T/$1: $2"; }
skip() { echo "SKIP $T/$1: $2"; }
all_cases="mpi_pmix afterok_chain requeue_usr1_resumes requeue_scontrol_resumes unlearn_usr1_reruns bad_input_checked_before_submit report_superseded sweep_checks_and_collect pipeline_digits train_requeue_equals_uninterrupted pipeline_sweep_variants_original restart_after_kill"

cleanup() {
    trap - EXIT INT TERM
    if [ "$STARTED" = 1 ]; then "$ROOT/tools/slurm-local.sh" stop "$CLUSTER" >/dev/null 2>&1 || true; fi
    if [ -n "${UG_TEST_KEEP:-}" ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT
trap 'cleanup; exit 1' INT TERM

# ---- preconditions: SKIP everything (visibly) when a real cluster cannot be started here
why=""
[ "$(id -u)" -eq 0 ] || why="needs root to run slurmctld/slurmd as SlurmUser=root"
command -v slurmctld >/dev/null && command -v slurmd >/dev/null || why=${why:-"slurm-wlm not installed (make deps)"}
command -v mpicc >/dev/null || why=${why:-"mpicc not found"}
if [ -n "$why" ]; then for c in $all_cases; do skip "$c" "$why"; done; exit 0; fi

# Jobs of this test must not see an outer allocation's variables.
for v in $(env | sed -n 's/^\(SLURM_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
start_out=$("$ROOT/tools/slurm-local.sh" start "$CLUSTER" 2 2>&1)
if [ $? -ne 0 ]; then
    echo "FAIL $T/cluster_start: $(tail -n 3 <<<"$start_out" | tr '\n' ' ')"
    exit 1
fi
STARTED=1
export SLURM_CONF=$CLUSTER/slurm.conf
# Site values for this cluster, given through the environment (jobs/site.env stays as shipped).
export UG_PARTITION=debug UG_TASKS_PER_NODE=2 UG_CPUS_PER_TASK=1 UG_GPUS_PER_NODE=0
export UG_TIME_SHORT=00:10:00 UG_TIME_TRAIN=00:20:00 UG_ROOT=$ROOT

# job_state ID: the job's state word (empty when unknown)
job_state() { scontrol show job "$1" -o 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p'; }
# wait_end ID SECONDS: waits until the job has ended; prints its final state (TIMEOUT_WAIT if it did not).
# A requeued job waits out Slurm's begin-time delay; we start it at once (scontrol update StartTime=now).
wait_end() {
    local id=$1 end=$((SECONDS + $2)) st
    while [ $SECONDS -lt $end ]; do
        st=$(job_state "$id")
        case $st in
        COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL|DEADLINE|PREEMPTED) echo "$st"; return 0 ;;
        PENDING)
            scontrol show job "$id" -o 2>/dev/null | grep -q 'Reason=BeginTime' && scontrol update jobid="$id" StartTime=now >/dev/null 2>&1 ;;
        esac
        sleep 0.5
    done
    echo "TIMEOUT_WAIT"
}
# wait_log FILE PATTERN SECONDS: until the file has a line matching the pattern.
wait_log() {
    local end=$((SECONDS + $3))
    while [ $SECONDS -lt $end ]; do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done
    return 1
}
njobs() { squeue -h 2>/dev/null | wc -l; }
last_jobid() { scontrol show jobs -o 2>/dev/null | sed -n 's/^JobId=\([0-9]*\) .*/\1/p' | sort -n | tail -1; }

cd "$TMP"

# ---------------------------------------------------------------- srun --mpi=pmix of a 2-task MPI program
cat > hello.c <<'EOF'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char** argv) {
    int rank, size, one = 1, sum = 0;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    printf("rank %d of %d allreduce %d\n", rank, size, sum);
    MPI_Finalize();
    return sum == size ? 0 : 1;
}
EOF
if ! mpicc -o hello hello.c 2>build.err; then
    fail mpi_pmix "mpicc of the MPI hello failed: $(head -c 300 build.err)"
else
    printf '#!/bin/bash\nset -euo pipefail\nsrun --mpi=pmix %s/hello\n' "$TMP" > hello.sbatch
    id=$(sbatch --parsable -n 2 -o "$TMP/hello.out" hello.sbatch)
    st=$(wait_end "$id" 60)
    if [ "$st" = COMPLETED ] && grep -q 'rank 0 of 2 allreduce 2' hello.out && grep -q 'rank 1 of 2 allreduce 2' hello.out; then
        pass mpi_pmix
    else
        fail mpi_pmix "job $id ended '$st'; output: $(head -c 300 hello.out 2>/dev/null)"
    fi
fi

# ---------------------------------------------------------------- afterok chain, and a failed dependency
a=$(sbatch --parsable -n 1 -o /dev/null --wrap "echo a >> $TMP/chain.txt")
b=$(sbatch --parsable -n 2 -o /dev/null --dependency=afterok:$a --wrap "echo b >> $TMP/chain.txt")
c=$(sbatch --parsable -n 1 -o /dev/null --dependency=afterok:$b --wrap "echo c >> $TMP/chain.txt")
f=$(sbatch --parsable -n 1 -o /dev/null --wrap "exit 3")
g=$(sbatch --parsable -n 1 -o /dev/null --dependency=afterok:$f --kill-on-invalid-dep=yes --wrap "echo g >> $TMP/chain.txt")
st_c=$(wait_end "$c" 90); st_g=$(wait_end "$g" 60); st_f=$(job_state "$f")
if [ "$st_c" = COMPLETED ] && [ "$(tr -d '\n' < chain.txt 2>/dev/null)" = abc ] && [ "$st_f" = FAILED ] && [ "$st_g" = CANCELLED ]; then
    pass afterok_chain
else
    fail afterok_chain "c=$st_c f=$st_f g=$st_g, chain file '$(tr -d '\n' < chain.txt 2>/dev/null)' (want abc, FAILED, CANCELLED)"
fi

# ---------------------------------------------------------------- requeue + resume through jobs/train.sbatch
# A stand-in for `ugradsl train` (this part tests the job scripts, not the trainer): 40 deterministic steps,
# state checkpointed on SIGUSR1/SIGTERM with exit 75 (UG_RC_CHECKPOINTED), --resume continues from it.
cat > fake-ugradsl <<'EOF'
#!/usr/bin/env bash
set -u
out=""; resume=""
while [ $# -gt 0 ]; do
    case $1 in --output) out=$2; shift 2 ;; --resume) resume=$2; shift 2 ;; *) shift ;; esac
done
ckpt=$out/checkpoint.h5
rank=${SLURM_PROCID:-0}
step=0; x=7
if [ -n "$resume" ]; then read -r step x < "$resume"; [ "$rank" = 0 ] && echo "resumed at step $step"; fi
stop=0
trap 'stop=1' USR1 TERM
while [ $step -lt 40 ]; do
    if [ $stop = 1 ]; then
        if [ "$rank" = 0 ]; then echo "$step $x" > "$ckpt.tmp" && mv "$ckpt.tmp" "$ckpt"; echo "checkpointed at step $step"; fi
        exit 75
    fi
    x=$(( (x * 31 + step) % 1000003 )); step=$((step + 1))
    [ "$rank" = 0 ] && echo "step $step"
    sleep 0.1
done
[ "$rank" = 0 ] && echo "$x" > "$out/model.h5"
exit 0
EOF
chmod +x fake-ugradsl
echo "[train]" > fake.ini; touch fake-data.h5
expected=7; for ((s = 0; s < 40; s++)); do expected=$(( (expected * 31 + s) % 1000003 )); done

# requeue_case NAME HOW: HOW = usr1 (the time-limit warning: the job requeues itself) or scontrol.
requeue_case() {
    local name=$1 how=$2 out=$TMP/$1 log=$TMP/$1.log id st
    id=$(UG_BIN=$TMP/fake-ugradsl sbatch --parsable -n 2 --requeue --open-mode=append -o "$log" \
        "$ROOT/jobs/train.sbatch" --out "$out" --config "$TMP/fake.ini" --data "$TMP/fake-data.h5")
    if ! wait_log "$log" '^step 8$' 60; then fail "$name" "the job never reached step 8 ($(job_state "$id")): $(tail -n 3 "$log" 2>/dev/null | tr '\n' ' ')"; return; fi
    if [ "$how" = usr1 ]; then scancel --batch --signal=USR1 "$id"; else scontrol requeue "$id"; fi
    st=$(wait_end "$id" 120)
    local restarts
    restarts=$(scontrol show job "$id" -o | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
    if [ "$st" != COMPLETED ]; then fail "$name" "job $id ended '$st': $(tail -n 4 "$log" 2>/dev/null | tr '\n' ' ')"; return; fi
    if ! grep -q '^checkpointed at step' "$log" || ! grep -q '^resumed at step' "$log"; then fail "$name" "no checkpoint/resume in the log: $(grep -E 'checkpoint|resum|SIG' "$log" | tr '\n' ' ')"; return; fi
    local at; at=$(sed -n 's/^resumed at step //p' "$log" | head -1)
    [ "${restarts:-0}" -ge 1 ] || { fail "$name" "job was not requeued (Restarts=${restarts:-?})"; return; }
    [ "$at" -gt 0 ] && [ "$at" -lt 40 ] || { fail "$name" "resumed at step '$at', want mid-run"; return; }
    [ "$(cat "$out/model.h5" 2>/dev/null)" = "$expected" ] || { fail "$name" "final state '$(cat "$out/model.h5" 2>/dev/null)' != uninterrupted $expected"; return; }
    [ -f "$out/DONE" ] || { fail "$name" "no DONE marker"; return; }
    pass "$name"
}
requeue_case requeue_usr1_resumes usr1
requeue_case requeue_scontrol_resumes scontrol

# jobs/unlearn.sbatch with a stand-in that behaves as `ugradsl unlearn` does on a signal: it stops early and
# still writes its outputs, exit 0.  The job must discard them, requeue itself and end with a complete run.
cat > fake-unlearn <<'EOF'
#!/usr/bin/env bash
set -u
out=""; while [ $# -gt 0 ]; do case $1 in --output) out=$2; shift 2 ;; *) shift ;; esac; done
rank=${SLURM_PROCID:-0}; stop=0; trap 'stop=1' USR1 TERM
for step in $(seq 1 30); do
    [ $stop = 1 ] && break
    [ "$rank" = 0 ] && echo "unlearn step $step"
    sleep 0.1
done
[ "$rank" = 0 ] && { echo "steps $step stop $stop" > "$out/model.h5"; echo "{\"complete\": $((1 - stop))}" > "$out/metrics.json"; }
exit 0
EOF
chmod +x fake-unlearn
unlearn_interrupted_case() {
    local name=unlearn_usr1_reruns log=$TMP/unl.log id st
    id=$(UG_BIN=$TMP/fake-unlearn sbatch --parsable -n 2 --requeue --open-mode=append -o "$log" \
        "$ROOT/jobs/unlearn.sbatch" --out "$TMP/unl" --config "$TMP/fake.ini" --data "$TMP/fake-data.h5" \
        --model "$TMP/fake-data.h5" --split "$TMP/fake-data.h5" --method ga --seed 1)
    if ! wait_log "$log" '^unlearn step 5$' 60; then fail $name "never reached step 5 ($(job_state "$id"))"; return; fi
    scancel --batch --signal=USR1 "$id"
    st=$(wait_end "$id" 120)
    [ "$st" = COMPLETED ] || { fail $name "job $id ended '$st': $(tail -n 4 "$log" | tr '\n' ' ')"; return; }
    grep -q 'outputs are discarded' "$log" || { fail $name "the interrupted outputs were not discarded"; return; }
    [ "$(cat "$TMP/unl/metrics.json" 2>/dev/null)" = '{"complete": 1}' ] || { fail $name "final metrics.json '$(cat "$TMP/unl/metrics.json" 2>/dev/null)' is not the complete run's"; return; }
    [ -f "$TMP/unl/DONE" ] || { fail $name "no DONE marker"; return; }
    pass $name
}
unlearn_interrupted_case

# ---------------------------------------------------------------- bad input: clear message, nothing submitted
bad_input() {
    local before after out rc problems=""
    mkdir -p "$TMP/inputs"; echo "[train]" > "$TMP/inputs/exp1.ini"; echo "[train]
epochs = 2" > "$TMP/inputs/exp2.ini"
    # an experiment whose earlier jobs are still queued (a held job stands for them)
    local held; held=$(sbatch --parsable --hold -n 1 -o /dev/null --wrap true)
    echo "[train]" > "$TMP/inputs/exp4.ini"; mkdir -p "$TMP/runs/exp4"
    printf 'config_sha256=%s\ndata=pack --from digits-csv\nsplit=--paradigm class --classes 3\n' \
        "$(sha256sum "$TMP/inputs/exp4.ini" | cut -d' ' -f1)" > "$TMP/runs/exp4/experiment.id"
    echo "$held exp4-original" > "$TMP/runs/exp4/jobs.txt"
    before=$(last_jobid)
    # (its queued job is kept: no second train job, and the methods depend on that job)
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" --dry-run "$TMP/inputs/exp4.ini" 2>&1); rc=$?
    { [ $rc -eq 0 ] && grep -q "job $held of an earlier submission is still queued or running: kept" <<<"$out" \
        && ! grep -q '/jobs/train.sbatch' <<<"$out" && grep -q "afterok:[^ ]*$held.*unlearn.sbatch" <<<"$out"; } \
        || problems+="active jobs: rc $rc '$(grep -v '^sbatch' <<<"$out" | tr '\n' ' ')'; "
    # a missing site value
    out=$(UG_PARTITION= bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" "$TMP/inputs/exp1.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'UG_PARTITION' <<<"$out" || problems+="missing partition: rc $rc '$out'; "
    # a node count the partition cannot give (it has 1 node)
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" --nodes 2 "$TMP/inputs/exp1.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q "2 nodes asked but partition 'debug' has 1" <<<"$out" || problems+="nodes: rc $rc '$out'; "
    # more tasks per node than the node has CPUs
    out=$(UG_TASKS_PER_NODE=3 bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" "$TMP/inputs/exp1.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'have 2 CPUs' <<<"$out" || problems+="cpus: rc $rc '$out'; "
    # a run directory that exists from another experiment (same name, other config)
    mkdir -p "$TMP/runs/exp1"; echo "config_sha256=0000" > "$TMP/runs/exp1/experiment.id"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" "$TMP/inputs/exp1.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'exists from another experiment' <<<"$out" || problems+="run dir: rc $rc '$out'; "
    # a directory that the pipeline did not make
    mkdir -p "$TMP/runs/exp2"; echo x > "$TMP/runs/exp2/notes.txt"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" "$TMP/inputs/exp2.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'not made by this pipeline' <<<"$out" || problems+="foreign dir: rc $rc '$out'; "
    # bf16 on the CPU, and a precision that does not exist
    out=$(UG_PRECISION=bf16 bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" "$TMP/inputs/exp1.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'UG_PRECISION=bf16 in .* needs UG_DEVICE=cuda' <<<"$out" || problems+="bf16 on cpu: rc $rc '$out'; "
    out=$(UG_DEVICE=cuda UG_PRECISION=fp16 bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" "$TMP/inputs/exp1.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q "UG_PRECISION='fp16' in .* must be fp32 or bf16" <<<"$out" || problems+="fp16: rc $rc '$out'; "
    # a config that does not exist
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" "$TMP/inputs/nope.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'nope.ini not found' <<<"$out" || problems+="config: rc $rc '$out'; "
    # the same checks pass on good input (dry run: nothing submitted) — so the test can fail the other way
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" --dry-run --seeds "1 2" "$TMP/inputs/exp2b.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] || problems+="nonexistent exp2b accepted; "
    cp "$TMP/inputs/exp2.ini" "$TMP/inputs/exp3.ini"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" --dry-run --seeds "1 2" "$TMP/inputs/exp3.ini" 2>&1); rc=$?
    { [ $rc -eq 0 ] && [ "$(grep -c '^sbatch ' <<<"$out")" -eq 16 ] && grep -q 'dependency=afterok' <<<"$out"; } \
        || problems+="good dry run: rc $rc, $(grep -c '^sbatch ' <<<"$out") sbatch lines (want 16): $(tail -n 2 <<<"$out" | tr '\n' ' '); "
    after=$(last_jobid)
    [ "$before" = "$after" ] || problems+="jobs were submitted ($before → $after); "
    scancel "$held"
    if [ -z "$problems" ]; then pass bad_input_checked_before_submit; else fail bad_input_checked_before_submit "$problems"; fi
}
bad_input

# ---------------------------------------------------------------- a resubmission supersedes the waiting report job
# An experiment whose original is a held job (nothing can run): submitted twice for real, the second submission
# keeps every queued stage and cancels the first report job, which is still waiting, so reports do not pile up.
report_superseded() {
    local held out1 out2 r1 r2 problems=""
    held=$(sbatch --parsable --hold -n 1 -o /dev/null --wrap true)
    mkdir -p "$TMP/inputs" "$TMP/runs/exp5"; echo "[train]" > "$TMP/inputs/exp5.ini"
    printf 'config_sha256=%s\ndata=pack --from digits-csv\nsplit=--paradigm class --classes 3\n' \
        "$(sha256sum "$TMP/inputs/exp5.ini" | cut -d' ' -f1)" > "$TMP/runs/exp5/experiment.id"
    echo "$held exp5-original" > "$TMP/runs/exp5/jobs.txt"
    out1=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" --methods ga "$TMP/inputs/exp5.ini" 2>&1)
    r1=$(sed -n 's/^report  *\([0-9]*\)$/\1/p' <<<"$out1")
    out2=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/runs" --methods ga "$TMP/inputs/exp5.ini" 2>&1)
    r2=$(sed -n 's/^report  *\([0-9]*\)$/\1/p' <<<"$out2")
    [ -n "$r1" ] && [ -n "$r2" ] && [ "$r1" != "$r2" ] || problems+="report ids '$r1' '$r2'; "
    [ -z "$(squeue -h -j "$r1" -o %T 2>/dev/null)" ] || problems+="first report job $r1 still queued; "
    [ "$(squeue -h -j "$r2" -o %T 2>/dev/null)" = PENDING ] || problems+="second report job $r2 not waiting; "
    grep -q "report job $r1 (still waiting) is superseded by $r2: cancelled" <<<"$out2" || problems+="no note: $(tr '\n' ' ' <<<"$out2" | head -c 300); "
    grep -q "exp5-ga-s1: job [0-9]* of an earlier submission is still queued or running: kept" <<<"$out2" || problems+="GA's job not kept; "
    scancel "$held" $(awk '{print $1}' "$TMP/runs/exp5/jobs.txt") 2>/dev/null
    if [ -z "$problems" ]; then pass report_superseded; else fail report_superseded "$problems"; fi
}
report_superseded

# ---------------------------------------------------------------- sweep-nodes.sh checks, and the collector
sweep_case() {
    local out rc problems="" before after r=$TMP/runs/sw
    before=$(last_jobid)
    echo "[train]" > "$TMP/inputs/sw.ini"
    mkdir -p "$r/data" "$r/original"
    printf 'config_sha256=%s\ndata=pack --from digits-csv\nsplit=--paradigm class --classes 3\n' \
        "$(sha256sum "$TMP/inputs/sw.ini" | cut -d' ' -f1)" > "$r/experiment.id"
    touch "$r/data/data.h5" "$r/data/split.h5" "$r/original/model.h5" "$r/original/DONE"
    out=$(bash "$ROOT/jobs/sweep-nodes.sh" --runs "$TMP/runs" --nodes "1 2" --dry-run "$TMP/inputs/sw.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q "2 nodes asked but partition 'debug' has 1" <<<"$out" || problems+="nodes: rc $rc '$out'; "
    out=$(bash "$ROOT/jobs/sweep-nodes.sh" --runs "$TMP/runs" --nodes 1 --global-batch 255 --dry-run "$TMP/inputs/sw.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'does not divide over 2 ranks' <<<"$out" || problems+="batch: rc $rc '$out'; "
    out=$(bash "$ROOT/jobs/sweep-nodes.sh" --runs "$TMP/runs" --nodes 1 --dry-run "$TMP/inputs/sw.ini" 2>&1); rc=$?
    # 2 modes x 1 node count x 3 methods + the collect job
    { [ $rc -eq 0 ] && [ "$(grep -c '^sbatch ' <<<"$out")" -eq 7 ] && grep -q 'afterany' <<<"$out"; } \
        || problems+="good dry run: rc $rc, $(grep -c '^sbatch ' <<<"$out") sbatch lines (want 7): $(tail -n 2 <<<"$out" | tr '\n' ' '); "
    echo "[train]
epochs = 3" > "$TMP/inputs/sw.ini"
    out=$(bash "$ROOT/jobs/sweep-nodes.sh" --runs "$TMP/runs" --nodes 1 --dry-run "$TMP/inputs/sw.ini" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'changed since' <<<"$out" || problems+="changed config: rc $rc '$out'; "
    after=$(last_jobid)
    [ "$before" = "$after" ] || problems+="jobs were submitted ($before → $after); "
    # collector: two node counts of made-up metrics → efficiency 0.5 * (10 / 10) ... computed by hand
    local c=$TMP/collect
    for spec in "strong 1 10.0 1.0" "strong 2 8.0 2.0" "weak 1 10.0 1.0" "weak 2 12.5 2.5"; do
        set -- $spec
        mkdir -p "$c/$1/nodes-$2/ugradsl/seed-1"
        printf '{"method":"ugradsl","world_size":%d,"timing":{"rte_s":%s,"startup_s":0.5,"allreduce_s":%s}}\n' \
            $(($2 * 2)) "$3" "$4" > "$c/$1/nodes-$2/ugradsl/seed-1/metrics.json"
    done
    out=$(python3 "$ROOT/tools/scaling_model.py" collect "$c" --no-plot 2>&1); rc=$?
    # strong 2 nodes: speedup 10/8 = 1.25 over 2x nodes -> 62.5%; weak 2 nodes: 10/12.5 = 80%
    { [ $rc -eq 0 ] && grep -q 'strong    ugradsl nodes   2: RTE 8.00 s, efficiency 62.5%' <<<"$out" \
        && grep -q 'weak    ugradsl nodes   2: RTE 12.50 s, efficiency 80.0%' <<<"$out" \
        && grep -q '^weak,2,ugradsl,1,4.0,12.5,0.5,,0.2,0.8$' "$c/sweep.csv"; } \
        || problems+="collect: rc $rc '$out' csv: $(tr '\n' ' ' < "$c/sweep.csv" 2>/dev/null); "
    if [ -z "$problems" ]; then pass sweep_checks_and_collect; else fail sweep_checks_and_collect "$problems"; fi
}
sweep_case

# ---------------------------------------------------------------- the real program (when its commands exist)
# has_cmd C: the command exists in this build (placeholders die without --help).
has_cmd() { [ -x "$BIN" ] && "$BIN" "$1" --help >/dev/null 2>&1; }
digits_ini=$ROOT/inputs/digits_small_cnn.ini     # the small CNN recipe (train only)
demo_ini=$ROOT/inputs/demo-digits.ini          # the digits default: split, train and every method

# A real training job (2 tasks) requeued mid-run with `scontrol requeue`: it must resume from its checkpoint
# and end with the same model (parameters, BN buffers, optimizer state) as an uninterrupted job.
train_requeue_real() {
    local name=train_requeue_equals_uninterrupted missing="" c
    for c in pack train; do has_cmd $c || missing+="$c "; done
    [ -z "$missing" ] || { skip $name "ugradsl commands not implemented yet: $missing"; return; }
    [ -f "$digits_ini" ] || { skip $name "inputs/digits_small_cnn.ini (the digits default) not in the tree"; return; }
    command -v h5diff >/dev/null || { skip $name "h5diff not found (hdf5-tools)"; return; }
    "$BIN" pack --from digits-csv --output "$TMP/digits.h5" >"$TMP/pack.log" 2>&1 \
        || { fail $name "pack of the digits set failed: $(tail -n 2 "$TMP/pack.log" | tr '\n' ' ')"; return; }
    local common=(--config "$digits_ini" --data "$TMP/digits.h5" -- --epochs 24)
    local ref int st_ref st_int
    ref=$(sbatch --parsable -n 2 -o "$TMP/ref.log" "$ROOT/jobs/train.sbatch" --out "$TMP/ref" "${common[@]}")
    int=$(sbatch --parsable -n 2 --requeue --open-mode=append -o "$TMP/int.log" "$ROOT/jobs/train.sbatch" --out "$TMP/int" "${common[@]}")
    st_ref=$(wait_end "$ref" 240)
    [ "$st_ref" = COMPLETED ] || { fail $name "uninterrupted job $ref ended '$st_ref': $(tail -n 3 "$TMP/ref.log" | tr '\n' ' ')"; return; }
    if ! wait_log "$TMP/int.log" '^epoch 3/24' 240; then fail $name "job $int never reached epoch 3 ($(job_state "$int")): $(tail -n 3 "$TMP/int.log" | tr '\n' ' ')"; return; fi
    if grep -q '^epoch 24/24' "$TMP/int.log"; then fail $name "job $int finished before it could be requeued (make the run longer)"; return; fi
    scontrol requeue "$int"
    st_int=$(wait_end "$int" 300)
    [ "$st_int" = COMPLETED ] || { fail $name "requeued job $int ended '$st_int': $(tail -n 4 "$TMP/int.log" | tr '\n' ' ')"; return; }
    local restarts; restarts=$(scontrol show job "$int" -o | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p')
    [ "${restarts:-0}" -ge 1 ] || { fail $name "job $int was not requeued (Restarts=${restarts:-?})"; return; }
    grep -q "resuming from $TMP/int/checkpoint.h5" "$TMP/int.log" || { fail $name "the requeued job did not resume from its checkpoint: $(grep -E 'resum|SIG|epoch 1/' "$TMP/int.log" | tr '\n' ' ')"; return; }
    # the resumed run must not have started over from epoch 1
    [ "$(grep -c '^epoch 1/24' "$TMP/int.log")" -eq 1 ] || { fail $name "epoch 1 ran twice: the job started over instead of resuming"; return; }
    local g diffs=""
    for g in /model /optimizer; do
        h5diff -q "$TMP/ref/model.h5" "$TMP/int/model.h5" "$g" "$g" >/dev/null 2>&1 || diffs+="$g "
    done
    [ -z "$diffs" ] || { fail $name "final model differs from the uninterrupted run's in: $diffs($(h5diff -r "$TMP/ref/model.h5" "$TMP/int/model.h5" /model /model 2>&1 | head -3 | tr '\n' ' '))"; return; }
    pass $name
}

# The whole pipeline on the digits default, 2 tasks per job: the report table lists every method.
pipeline_real() {
    local name=pipeline_digits missing="" c
    for c in pack split train unlearn eval report; do has_cmd $c || missing+="$c "; done
    [ -z "$missing" ] || { skip $name "ugradsl commands not implemented yet: $missing"; return; }
    [ -f "$demo_ini" ] || { skip $name "inputs/demo-digits.ini (the digits default) not in the tree"; return; }
    local out rc methods="ga ft rl ugradsl ugradsl+"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --methods "$methods" --seeds 1 --wait 600 "$demo_ini" 2>&1); rc=$?
    local run=$TMP/pruns/demo-digits
    if [ $rc -ne 0 ]; then
        local failed_log; failed_log=$(grep -l -E 'error|FAILED|CANCELLED' "$run"/logs/*.out 2>/dev/null | head -1)
        fail $name "pipeline rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' ') ${failed_log:+— $failed_log: $(tail -n 3 "$failed_log" | tr '\n' ' ')}"; return
    fi
    [ -s "$run/report/report.md" ] || { fail $name "no $run/report/report.md"; return; }
    local got want m
    got=$(python3 -c 'import json,sys; print(" ".join(sorted(o["method"].lower() for o in json.load(open(sys.argv[1])))))' "$run/report/report.json" 2>&1)
    want=$(echo original retrain $methods | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')
    [ "$got" = "$want" ] || { fail $name "report.json methods '$got', want '$want'"; return; }
    for m in Original Retrain GA FT RL UGradSL UGradSL+; do
        grep -q "^| $m |" "$run/report/report.md" || { fail $name "report.md has no row for $m"; return; }
    done
    pass $name
}

# The issue-8 stages on the digits default, sharing pipeline_digits' original: a random-forgetting experiment
# with --original (same validation hold-out), a sweep stage (GA: 2 sets; UGradSL+@adaptive-neg: 2 sets of a
# variant), a variant without grid (UGradSL@adaptive-lit), a baseline with its own seeds (be:2); then the same
# command again (everything done: only the report), a changed grid (refused), a widened grid (chosen again over
# the new set only; the seed run kept), a seed run made with other arguments (moved aside, made again), and
# --original with another validation hold-out (the split job fails, saying why).
pipeline_sweep_real() {
    local name=pipeline_sweep_variants_original c
    for c in pack split train unlearn eval report; do has_cmd $c || { skip $name "ugradsl $c not implemented"; return; }; done
    local shared=$TMP/pruns/demo-digits/original
    [ -f "$shared/DONE" ] || { skip $name "pipeline_digits did not leave an original to share"; return; }
    local cfg=$TMP/inputs/dd-random.ini
    sed -e 's/^paradigm = class/paradigm = random/' -e 's/^classes = 3/fraction = 0.1/' "$demo_ini" > "$cfg"
    printf '%s\n' "" "[sweep.ga]" "grid = --lr 1e-3" "grid = --lr 1e9 --epochs 1     # diverges: must not be chosen" \
        "" "[sweep.ugradsl+@adaptive-neg]" "args = --alpha nan --alpha-sign negative" "grid = --lr 5e-3" "grid = --lr 2e-3" \
        "" "[sweep.ugradsl@adaptive-lit]" "args = --alpha nan --alpha-sign literal" >> "$cfg"
    local methods="ga ugradsl+@adaptive-neg ugradsl@adaptive-lit be:2" out rc run=$TMP/pruns/dd-random
    # submitted twice at once: the second submission keeps the first one's queued jobs (one job per stage)
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods "ga be:2" --seeds 1 "$cfg" 2>&1) \
        || { fail $name "first submission failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')"; return; }
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods "$methods" --seeds 1 --wait 600 "$cfg" 2>&1); rc=$?
    if [ $rc -ne 0 ]; then
        local failed_log; failed_log=$(grep -l -E 'error|FAILED|CANCELLED' "$run"/logs/*.out 2>/dev/null | head -1)
        fail $name "pipeline rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' ') ${failed_log:+— $failed_log: $(tail -n 3 "$failed_log" | tr '\n' ' ')}"; return
    fi
    local problems="" f m
    grep -q 'of an earlier submission is still queued or running: kept' <<<"$out" || problems+="the second submission kept no queued job; "
    local dups; dups=$(cut -d' ' -f2 "$run/jobs.txt" | grep -v -- '-report$' | sort | uniq -d | tr '\n' ' ')
    [ -z "$dups" ] || problems+="stages submitted twice: $dups; "
    grep -q 'original (shared: eval)' <<<"$out" || problems+="no shared-original eval stage; "
    grep -q '^pack ' <<<"$out" && problems+="a pack job although --original gives the data; "
    [ -f "$run/original/metrics.json" ] && [ "$(cat "$run/original/SHARED_FROM" 2>/dev/null)" = "$shared" ] || problems+="original/ lacks metrics.json or SHARED_FROM; "
    [ ! -e "$run/original/checkpoint.h5" ] || problems+="an original was trained although shared; "
    [ "$(tr -d '\n' < "$run/sweep/ga.args" 2>/dev/null)" = "--lr 1e-3" ] || problems+="sweep ga chose '$(cat "$run/sweep/ga.args" 2>/dev/null)' (want --lr 1e-3: the other set diverges); "
    for f in ga.csv ga.json ga.md ga.grid "ugradsl+@adaptive-neg.args" "ugradsl+@adaptive-neg.md"; do
        [ -s "$run/sweep/$f" ] || problems+="no sweep/$f; "
    done
    [ "$(grep -c '^[12],' "$run/sweep/ga.csv" 2>/dev/null)" = 2 ] || problems+="ga.csv lacks its 2 sets; "
    grep -q ',diverged,' "$run/sweep/ga.csv" 2>/dev/null || problems+="the diverging set is not marked diverged in ga.csv; "
    grep -q 'TA' "$run/sweep/ga.csv" 2>/dev/null && problems+="the sweep table shows TA (test) numbers; "
    grep -q '"add_MIA": null' "$run/sweep/ga.d/set-1/metrics.json" 2>/dev/null || problems+="the trial runs computed Add. MIA (the judge does not read it); "
    [ ! -e "$run/sweep/ga.d/set-1/model.h5" ] || problems+="a trial run kept its model.h5; "
    grep -q -- "arguments from $run/sweep/ga.args: --lr 1e-3" "$run"/logs/ug-dd-random-ga-s1-*.out 2>/dev/null || problems+="GA's run did not use the chosen arguments; "
    grep -q -- '--alpha nan --alpha-sign negative --lr [52]e-3' "$run/sweep/ugradsl+@adaptive-neg.args" 2>/dev/null || problems+="variant's chosen args lack its fixed args: '$(cat "$run/sweep/ugradsl+@adaptive-neg.args" 2>/dev/null)'; "
    grep -q -- '--alpha-sign literal' "$run"/logs/ug-dd-random-ugradsl@adaptive-lit-s1-*.out 2>/dev/null || problems+="adaptive-lit run lacks its args; "
    [ -f "$run/be/seed-2/DONE" ] && [ ! -e "$run/be/seed-1" ] || problems+="be:2 did not run seed 2 only; "
    for m in "Original" "Retrain" "GA" "UGradSL+ (adaptive-neg)" "UGradSL (adaptive-lit)" "BE"; do
        grep -q "^| $m |" "$run/report/report.md" 2>/dev/null || problems+="report.md has no row '$m'; "
    done
    grep -q 'avg_gap_std' "$run/report/report.json" 2>/dev/null || problems+="report.json lacks avg_gap_std; "
    # the same command again: every stage is done, only the report job runs
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods "$methods" --seeds 1 --wait 300 "$cfg" 2>&1); rc=$?
    [ $rc -eq 0 ] || problems+="resume rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' '); "
    [ "$(grep -c -E '^(original|retrain|ga|be|ugradsl|sweep).* done' <<<"$out")" -eq 8 ] || problems+="resume did not find the 8 stages done: $(tr '\n' '|' <<<"$out"); "
    grep -q 'sweep ga.*done (chosen: --lr 1e-3)' <<<"$out" || problems+="resume does not show the chosen GA values; "
    # a changed grid is refused (the values were chosen with the old one)
    sed -i 's/^grid = --lr 2e-3/grid = --lr 3e-3/' "$cfg"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods "$methods" --seeds 1 --dry-run "$cfg" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'differs from the one its values were chosen with' <<<"$out" || problems+="changed grid: rc $rc '$(tail -n 1 <<<"$out")'; "
    sed -i 's/^grid = --lr 3e-3/grid = --lr 2e-3/' "$cfg"
    # a widened grid (a set appended) is chosen again, running the new set only; GA's seed run is resubmitted and
    # kept (same choice: its DIR/args match)
    sed -i '/^grid = --lr 1e9 --epochs 1/a grid = --lr 1e10 --epochs 1     # diverges too' "$cfg"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods "$methods" --seeds 1 --wait 300 "$cfg" 2>&1); rc=$?
    [ $rc -eq 0 ] || problems+="widened grid: rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' '); "
    grep -q 'sweep ga: grid widened since its values were chosen (--lr 1e-3)' <<<"$out" || problems+="widened grid not recognised: $(grep 'sweep ga' <<<"$out" | tr '\n' '|'); "
    [ "$(cat "$run"/sweep/ga.history/*/ga.args 2>/dev/null)" = "--lr 1e-3" ] || problems+="the old choice is not in sweep/ga.history/*/ga.args; "
    [ "$(tr -d '\n' < "$run/sweep/ga.args" 2>/dev/null)" = "--lr 1e-3" ] || problems+="widened sweep chose '$(cat "$run/sweep/ga.args" 2>/dev/null)'; "
    [ "$(grep -h -c 'done before' "$run"/logs/ug-dd-random-sweep-ga-*.out 2>/dev/null | sort -n | tail -1)" = 2 ] || problems+="the widened sweep did not reuse its 2 earlier sets; "
    [ "$(grep -c '^[123],' "$run/sweep/ga.csv" 2>/dev/null)" = 3 ] || problems+="ga.csv lacks its 3 sets; "
    grep -q 'DONE exists (arguments: --lr 1e-3): already done' "$run"/logs/ug-dd-random-ga-s1-*.out 2>/dev/null || problems+="GA seed 1 was not kept after the same choice; "
    [ ! -d "$run/ga/superseded" ] || problems+="GA seed 1 was superseded although the choice stayed; "
    # a run made with other arguments than the choice is moved aside and made again
    echo "--lr 5e-4" > "$run/ga/seed-1/args"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods "$methods" --seeds 1 --wait 300 "$cfg" 2>&1); rc=$?
    [ $rc -eq 0 ] || problems+="stale run: rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' '); "
    grep -q '^ga seed 1 *[0-9]' <<<"$out" || problems+="GA seed 1 made with other arguments was not resubmitted; "
    [ "$(cat "$run"/ga/superseded/seed-1-*/args 2>/dev/null)" = "--lr 5e-4" ] || problems+="the stale run was not moved to ga/superseded/; "
    [ -f "$run/ga/seed-1/DONE" ] && [ "$(cat "$run/ga/seed-1/args" 2>/dev/null)" = "--lr 1e-3" ] || problems+="GA seed 1 was not made again with the chosen arguments; "
    grep -q -i 'superseded' "$run/report/report.md" 2>/dev/null && problems+="the report lists a superseded run; "
    # a grid widened while a seed job still waits (here behind a job holding the whole node): that job is cancelled
    # and submitted again behind the new sweep, which it then follows
    local blocker j
    blocker=$(sbatch --parsable --exclusive -o /dev/null --wrap "sleep 300") || problems+="blocker sbatch failed; "
    for _ in $(seq 1 60); do [ "$(job_state "$blocker")" = RUNNING ] && break; sleep 0.5; done
    echo "--lr 5e-4" > "$run/ga/seed-1/args"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods "$methods" --seeds 1 "$cfg" 2>&1)
    j=$(sed -n 's/^ga seed 1 *\([0-9][0-9]*\)$/\1/p' <<<"$out")
    [ -n "$j" ] && [ "$(job_state "$j")" = PENDING ] || problems+="no waiting GA seed job ('$j' $(job_state "$j")); "
    sed -i '/^grid = --lr 1e10 --epochs 1/a grid = --lr 1e11 --epochs 1' "$cfg"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods "$methods" --seeds 1 "$cfg" 2>&1)
    grep -q "dd-random-ga-s1: queued job $j cancelled: submitted again behind the new sweep" <<<"$out" || problems+="the waiting seed job was not cancelled: $(grep -i 'ga' <<<"$out" | tr '\n' '|'); "
    grep -q "^ga seed 1 *$j\$" <<<"$out" && problems+="the cancelled seed job was kept; "
    scancel "$blocker" 2>/dev/null
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods "$methods" --seeds 1 --wait 300 "$cfg" 2>&1); rc=$?
    [ $rc -eq 0 ] || problems+="after the blocker: rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' '); "
    [ "$(grep -c '^[1234],' "$run/sweep/ga.csv" 2>/dev/null)" = 4 ] || problems+="ga.csv lacks its 4 sets; "
    [ -f "$run/ga/seed-1/DONE" ] && [ "$(cat "$run/ga/seed-1/args" 2>/dev/null)" = "--lr 1e-3" ] || problems+="GA seed 1 not redone behind the new sweep; "
    # --original with another validation hold-out: the split job fails and says why; nothing runs after it
    local bad=$TMP/inputs/dd-badval.ini
    sed -e 's/^seed = 1$/seed = 2/' "$demo_ini" > "$bad"
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods ga --seeds 1 --wait 120 "$bad" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'another validation set' "$TMP"/pruns/dd-badval/logs/*split*.out 2>/dev/null \
        || problems+="other hold-out: rc $rc, split log '$(tail -n 2 "$TMP"/pruns/dd-badval/logs/*split*.out 2>/dev/null | tr '\n' ' ')'; "
    [ ! -e "$TMP/pruns/dd-badval/ga/seed-1/DONE" ] || problems+="GA ran on a split with another hold-out; "
    out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --original "$shared" --methods ga --seeds 1 --dry-run "$bad" 2>&1); rc=$?
    [ $rc -ne 0 ] && grep -q 'holds out another validation set' <<<"$out" || problems+="other hold-out at submission: rc $rc '$(tail -n 1 <<<"$out")'; "
    if [ -z "$problems" ]; then pass $name; else fail $name "$problems"; fi
}

train_requeue_real
pipeline_real
pipeline_sweep_real

# A session that ends kills everything (daemons, job steps, ranks): here kill -9 of this test's daemons and of
# its job's processes, mid-job.  `slurm-local.sh start` on the same directory must give a working cluster (a
# fresh one: the old queue is gone), and the pipeline run again finds its finished stages done.  Then only
# slurmctld dies: `start` refuses (slurmd still runs), `restart` recovers.
restart_after_kill() {
    local name=restart_after_kill problems="" id st out rc p pids old_port new_port
    id=$(sbatch --parsable -o /dev/null --wrap "sleep 300") || { fail $name "sbatch failed"; return; }
    for _ in $(seq 1 60); do [ "$(job_state "$id")" = RUNNING ] && break; sleep 0.5; done
    [ "$(job_state "$id")" = RUNNING ] || { fail $name "job $id not running ($(job_state "$id"))"; return; }
    sbatch --parsable -o /dev/null --wrap "true" --dependency=afterok:"$id" >/dev/null
    desc() { local c; for c in $(ps -o pid= --ppid "$1"); do echo "$c"; desc "$c"; done; }
    pids="$(cat "$CLUSTER/ctld.ownpid") $(cat "$CLUSTER/d.ownpid")"
    for p in $(pgrep -x slurmstepd); do   # this cluster's step daemons (slurmd started them with our SLURM_CONF)
        tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx "SLURM_CONF=$CLUSTER/slurm.conf" && pids+=" $p $(desc "$p")"
    done
    old_port=$(sed -n 's/^SlurmctldPort=//p' "$CLUSTER/slurm.conf")
    # shellcheck disable=SC2086
    kill -9 $pids 2>/dev/null
    for _ in $(seq 1 20); do
        local alive=""; for p in $pids; do [ -d "/proc/$p" ] && alive+="$p "; done
        [ -z "$alive" ] && break; sleep 0.25
    done
    out=$("$ROOT/tools/slurm-local.sh" start "$CLUSTER" 2 2>&1); rc=$?
    [ $rc -eq 0 ] || { fail $name "start after kill -9: rc $rc: $(tail -n 2 <<<"$out" | tr '\n' ' ')"; return; }
    grep -q "daemons are gone" <<<"$out" || problems+="start did not say it starts afresh; "
    new_port=$(sed -n 's/^SlurmctldPort=//p' "$CLUSTER/slurm.conf")
    [ "$(njobs)" = 0 ] || problems+="old queue still there after a fresh start: $(squeue -h | head -2 | tr '\n' ' '); "
    id=$(sbatch --parsable -o /dev/null --wrap "true") && st=$(wait_end "$id" 60) || st=none
    [ "$st" = COMPLETED ] || problems+="a job on the restarted cluster ended '$st' (ports $old_port -> $new_port); "
    if [ -f "$TMP/pruns/demo-digits/original/DONE" ]; then
        out=$(bash "$ROOT/jobs/pipeline.sh" --runs "$TMP/pruns" --methods "ga ft rl ugradsl ugradsl+" --seeds 1 --dry-run "$demo_ini" 2>&1); rc=$?
        [ $rc -eq 0 ] && grep -q "^original .*done" <<<"$out" && grep -q "^ga seed 1 .*done" <<<"$out" \
            && [ "$(grep -c '^sbatch ' <<<"$out")" = 1 ] || problems+="pipeline after restart: rc $rc, not only the report job: $(grep -c '^sbatch ' <<<"$out") sbatch; "
    fi
    kill -9 "$(cat "$CLUSTER/ctld.ownpid")" 2>/dev/null; sleep 0.5
    out=$("$ROOT/tools/slurm-local.sh" start "$CLUSTER" 2 2>&1) && problems+="start with slurmd still running did not refuse; "
    out=$("$ROOT/tools/slurm-local.sh" restart "$CLUSTER" 2 2>&1); rc=$?
    id=$(sbatch --parsable -o /dev/null --wrap "true") && st=$(wait_end "$id" 60) || st=none
    [ $rc -eq 0 ] && [ "$st" = COMPLETED ] || problems+="restart after slurmctld died: rc $rc, job '$st': $(tail -n 2 <<<"$out" | tr '\n' ' '); "
    if [ -z "$problems" ]; then pass $name; else fail $name "$problems"; fi
}
restart_after_kill
