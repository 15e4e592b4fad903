#!/usr/bin/env bash
# tools/cifar10_status.py on a made-up run tree and queue (no Slurm needed):
#   estimate   the time left is the sum, over the queued jobs, of the finished runs' mean durations (a seed run:
#              start-up + RTE + evaluation of its method's finished seeds; a sweep: its sets not yet run × the
#              mean of its finished sets), and the running job's estimate minus its elapsed time
#   running_sweep  a running sweep is estimated by its sets not yet run (its elapsed time not subtracted again)
#   no_slurm   without a controller it still reports the runs done and says how to restart
set -u
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$PY - "$T/runs" <<'PYEOF'
import json, os, sys
root = sys.argv[1]
def run(d, rte, ev, up=0.0):
    os.makedirs(d, exist_ok=True)
    json.dump({"timing": {"rte_s": rte, "eval_s": ev, "startup_s": up}}, open(f"{d}/metrics.json", "w"))
    open(f"{d}/DONE", "w").write("x\n")
e = f"{root}/cifar10-classwise"
run(f"{e}/retrain/seed-1", 990, 10)              # Retrain: 1000 s
run(f"{e}/ga/seed-1", 100, 50)                   # GA seed runs: 150 s and 170 s -> mean 160 s
run(f"{e}/ga/seed-2", 110, 50, 10)
os.makedirs(f"{e}/sweep", exist_ok=True)
open(f"{e}/sweep/ugradsl.grid", "w").write("[grid]\ngrid = --lr 1e-3\ngrid = --lr 3e-3\ngrid = --lr 1e-2\n")
run(f"{e}/sweep/ugradsl.d/set-1", 60, 20)        # one of 3 sets done (80 s), with its args
open(f"{e}/sweep/ugradsl.d/set-1/args", "w").write("--lr 1e-3\n")
run(f"{e}/sweep/ugradsl.d/set-2", 60, 20)        # done with other args: still to run
open(f"{e}/sweep/ugradsl.d/set-2/args", "w").write("--lr 9\n")
open(f"{e}/sweep/ga.args", "w").write("--lr 1e-4\n")
open(f"{e}/sweep/ga.grid", "w").write("[grid]\ngrid = --lr 1e-4\ngrid = --lr 1e-5\n")
PYEOF
cat > "$T/queue" <<'EOF'
11|ug-cifar10-classwise-retrain-s2|RUNNING|1:40|100
12|ug-cifar10-classwise-ga-s3|PENDING|0:00|90
13|ug-cifar10-classwise-sweep-ugradsl|PENDING|0:00|80
14|ug-cifar10-classwise-report|PENDING|0:00|99
15|other-job|PENDING|0:00|50
EOF
out=$($PY tools/cifar10_status.py --runs "$T/runs" --squeue-file "$T/queue" --json 2>&1)
why=$($PY - "$out" <<'PYEOF'
import json, sys
o = json.loads(sys.argv[1])
p = []
want = (1000 - 100) + 160 + 2 * 80 + 10      # Retrain left, GA seed 3, 2 sweep sets, the report
if abs(o["left_s"] - want) > 1e-6: p.append(f"left_s {o['left_s']}, want {want}")
if o["queued"] != 3: p.append(f"queued {o['queued']}, want 3 (the foreign job is not counted)")
r = o["running"] or {}
if r.get("name") != "ug-cifar10-classwise-retrain-s2" or r.get("left_s") != 900: p.append(f"running {r}")
c = o["experiments"]["classwise"]
if c["runs_done"] != 3 or c["sweeps_chosen"] != ["ga"] or c["sweeps"] != 2: p.append(f"classwise {c}")
if o["experiments"]["random"]["exists"]: p.append("random should not exist")
print("; ".join(p))
PYEOF
)
[ -z "$why" ] && echo "PASS test_cifar10_status/estimate" || echo "FAIL test_cifar10_status/estimate: $why [$out]"

# a running sweep: its sets not yet run, its elapsed time not subtracted again
printf '%s\n' "21|ug-cifar10-classwise-sweep-ugradsl|RUNNING|5:00|100" > "$T/queue2"
out=$($PY tools/cifar10_status.py --runs "$T/runs" --squeue-file "$T/queue2" --json 2>&1)
left=$($PY -c 'import json,sys; print(json.loads(sys.argv[1])["left_s"])' "$out" 2>&1)
[ "$left" = "160.0" ] && echo "PASS test_cifar10_status/running_sweep" || echo "FAIL test_cifar10_status/running_sweep: left_s $left, want 160.0 (2 sets x 80 s)"

out=$(env -u SLURM_CONF PATH=/usr/bin:/bin HOME=$T $PY tools/cifar10_status.py --runs "$T/runs" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q "class-wise (class 0): 3 runs done" <<<"$out" && grep -q "random 10%: not started" <<<"$out" \
   && { grep -q "no controller answers" <<<"$out" || grep -q "^queued:" <<<"$out"; }; then
    echo "PASS test_cifar10_status/no_slurm"
else
    echo "FAIL test_cifar10_status/no_slurm: rc $rc: $out"
fi
