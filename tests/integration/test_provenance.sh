#!/usr/bin/env bash
# Issue 18, deliverables 1-3, end to end on the digits set (single rank, small CNN, seconds):
#   provenance_recorded  train / unlearn / Retrain checkpoints record method, parent hash, split hash, dataset and
#                        config; metrics.json records the evaluated model's hash; eval names the method from the file
#   report_refuses       report refuses stale metrics beside another model and a copied run counted as a seed, and
#                        with --keep-suspect keeps them marked §
#   output_guard         train / unlearn / eval refuse a folder holding another run's results (one line, exit != 0,
#                        nothing changed); --force replaces them and leaves no stale metrics.json beside the model
#   output_lock          a second run into a folder in use fails at once with one line; the first finishes
#   tmp_files            no *.tmp.* left by any run; a stale one of a dead process is removed by the next run
#   resume_refuses       --resume with other result-changing options (on, lr, batch, dataset/split) is refused with
#                        the list of differences; with the same options it continues
set -u
cd "$(dirname "$0")/../.."
CSV=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
TESTS="provenance_recorded report_refuses output_guard output_lock tmp_files resume_refuses"
if [ ! -f "$CSV" ]; then for n in $TESTS; do echo "SKIP $n: $CSV absent (python3-sklearn)"; done; exit 0; fi
if ! /usr/bin/python3 -c "import h5py" 2>/dev/null; then for n in $TESTS; do echo "SKIP $n: no h5py (python3-h5py)"; done; exit 0; fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OMP_NUM_THREADS=1
B=bin/ugradsl
CFG=inputs/digits_small_cnn.ini
fail() { echo "FAIL $1: $2"; shift 2; for f in "$@"; do [ -f "$f" ] && tail -3 "$f" | sed 's/^/    /'; done; }
# attr FILE /group/attr: a string attribute ("" when absent)
attr() { /usr/bin/python3 -c 'import h5py,sys; g,_,a=sys.argv[2].rpartition("/"); o=h5py.File(sys.argv[1],"r")[g or "/"]
v=o.attrs.get(a,b""); print(v.decode() if isinstance(v,bytes) else v)' "$1" "$2" 2>/dev/null; }
jkey() { /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' "$1" "$2"; }

$B pack --from digits-csv --output "$T/d.h5" > "$T/setup.log" 2>&1 &&
$B split --data "$T/d.h5" --output "$T/s.h5" --paradigm class --classes 3 >> "$T/setup.log" 2>&1 &&
$B train --config $CFG --data "$T/d.h5" --split "$T/s.h5" --epochs 2 --output "$T/r/original" >> "$T/setup.log" 2>&1 &&
$B eval --model "$T/r/original/model.h5" --data "$T/d.h5" --split "$T/s.h5" --output "$T/r/original" \
    --mia-bootstrap 0 >> "$T/setup.log" 2>&1 &&
$B unlearn --config $CFG --model "$T/r/original/model.h5" --data "$T/d.h5" --split "$T/s.h5" --method ga --epochs 1 \
    --lr 1e-3 --output "$T/r/ga" --mia-bootstrap 0 >> "$T/setup.log" 2>&1 &&
$B train --config $CFG --data "$T/d.h5" --split "$T/s.h5" --on retain --epochs 2 --output "$T/rt" >> "$T/setup.log" 2>&1 &&
$B eval --model "$T/rt/model.h5" --data "$T/d.h5" --split "$T/s.h5" --json "$T/rt-eval.json" --mia-bootstrap 0 >> "$T/setup.log" 2>&1
if [ $? -ne 0 ]; then for n in $TESTS; do echo "FAIL $n: setup failed"; done; tail -5 "$T/setup.log"; exit 1; fi

# 1. provenance
ok=1; why=""
orig_hash=$(attr "$T/r/original/model.h5" /model_hash)
ga_hash=$(attr "$T/r/ga/model.h5" /model_hash)
[ "$(attr "$T/r/original/model.h5" /provenance/method)" = original ] || { ok=0; why+=" train method;"; }
[ "$(attr "$T/rt/model.h5" /provenance/method)" = retrain ] || { ok=0; why+=" --on retain method;"; }
[ "$(attr "$T/r/ga/model.h5" /provenance/method)" = ga ] || { ok=0; why+=" unlearn method;"; }
[ -n "$orig_hash" ] && [ "$(attr "$T/r/ga/model.h5" /provenance/parent_model_hash)" = "$orig_hash" ] || { ok=0; why+=" parent hash;"; }
[ -z "$(attr "$T/r/original/model.h5" /provenance/parent_model_hash)" ] || { ok=0; why+=" train has a parent;"; }
sh=$(attr "$T/r/ga/model.h5" /provenance/split_hash)
[ ${#sh} -eq 16 ] && [ "$(attr "$T/r/original/model.h5" /provenance/split_hash)" = "$sh" ] || { ok=0; why+=" split hash;"; }
attr "$T/r/ga/model.h5" /provenance/dataset_id | grep -q "source=digits-csv" || { ok=0; why+=" dataset id;"; }
attr "$T/r/ga/model.h5" /config/run_config | grep -q "^method = ga" || { ok=0; why+=" unlearn run config;"; }
[ "$(jkey "$T/r/original/metrics.json" model_hash)" = "$orig_hash" ] || { ok=0; why+=" eval model_hash;"; }
[ "$(jkey "$T/r/ga/metrics.json" model_hash)" = "$ga_hash" ] && [ "$ga_hash" != "$orig_hash" ] || { ok=0; why+=" unlearn model_hash;"; }
[ "$(jkey "$T/rt-eval.json" method)" = retrain ] || { ok=0; why+=" eval of a retrain model says '$(jkey "$T/rt-eval.json" method)';"; }
[ $ok = 1 ] && echo "PASS provenance_recorded" || fail provenance_recorded "$why"

# 2. report: stale metrics (a metrics.json beside another model) and a copied seed
cp -r "$T/r" "$T/stale"
cp "$T/r/original/metrics.json" "$T/stale/ga/metrics.json"   # the GA folder now shows the original's numbers
cp -r "$T/r" "$T/copy"
cp -r "$T/copy/ga" "$T/copy/ga-seed2"                          # one run counted as two seeds
ok=1; why=""
$B report "$T/r" --no-plot > "$T/rep-ok.log" 2>&1 || { ok=0; why+=" a clean tree was refused;"; }
if $B report "$T/stale" --no-plot > "$T/rep-stale.log" 2>&1; then ok=0; why+=" stale metrics accepted;"; fi
grep -q "stale/ga/metrics.json evaluated model $orig_hash but the model.h5 beside it is $ga_hash" "$T/rep-stale.log" || { ok=0; why+=" stale message;"; }
if $B report "$T/copy" --no-plot > "$T/rep-copy.log" 2>&1; then ok=0; why+=" a copied seed accepted;"; fi
grep -q "a copy is not another seed" "$T/rep-copy.log" || { ok=0; why+=" copy message;"; }
$B report "$T/copy" --no-plot --keep-suspect > "$T/rep-keep.log" 2>&1 && grep -q "GA §" "$T/rep-keep.log" &&
    grep -q "§ SUSPECT" "$T/rep-keep.log" || { ok=0; why+=" --keep-suspect does not mark the row;"; }
[ $ok = 1 ] && echo "PASS report_refuses" || fail report_refuses "$why" "$T/rep-stale.log" "$T/rep-copy.log"

# 3. output guard
ok=1; why=""
before=$(md5sum "$T/r/ga/model.h5" "$T/r/ga/metrics.json")
for cmd in "train --config $CFG --data $T/d.h5 --epochs 1 --output $T/r/ga" \
           "unlearn --config $CFG --model $T/r/original/model.h5 --data $T/d.h5 --split $T/s.h5 --method ga --lr 10 --no-eval --output $T/r/ga" \
           "eval --model $T/r/original/model.h5 --data $T/d.h5 --split $T/s.h5 --output $T/r/ga"; do
    # shellcheck disable=SC2086
    if $B $cmd > "$T/guard.log" 2>&1; then ok=0; why+=" '${cmd%% *}' into a used folder succeeded;"; fi
    grep -q "holds another run's results" "$T/guard.log" && [ "$(grep -c error "$T/guard.log")" = 1 ] || { ok=0; why+=" '${cmd%% *}' message;"; }
done
[ "$before" = "$(md5sum "$T/r/ga/model.h5" "$T/r/ga/metrics.json")" ] || { ok=0; why+=" a refused run changed files;"; }
# --force with --no-eval: the old metrics.json must not stay beside the new model (the issue's stale UGradSL row)
cp -r "$T/r/ga" "$T/forced"
$B unlearn --config $CFG --model "$T/r/original/model.h5" --data "$T/d.h5" --split "$T/s.h5" --method ga --lr 1e-2 \
    --epochs 1 --no-eval --force --output "$T/forced" > "$T/force.log" 2>&1 || { ok=0; why+=" --force failed;"; }
[ -f "$T/forced/model.h5" ] && [ ! -f "$T/forced/metrics.json" ] || { ok=0; why+=" stale metrics.json kept by --force;"; }
[ $ok = 1 ] && echo "PASS output_guard" || fail output_guard "$why" "$T/guard.log" "$T/force.log"

# 4. lock: a second run into a folder in use fails at once
ok=1; why=""
$B train --config $CFG --data "$T/d.h5" --epochs 5000 --eval-every 0 --checkpoint-every 0 --output "$T/busy" > "$T/busy.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do [ -f "$T/busy/.lock" ] && grep -q "^epoch 1/" "$T/busy.log" 2>/dev/null && break; sleep 0.05; done
t0=$(date +%s)
if $B eval --model "$T/r/original/model.h5" --data "$T/d.h5" --split "$T/s.h5" --output "$T/busy" --force > "$T/lock.log" 2>&1; then
    ok=0; why+=" a second run into a locked folder succeeded;"
fi
[ $(( $(date +%s) - t0 )) -le 5 ] || { ok=0; why+=" the second run did not fail at once;"; }
grep -q "another run is writing into '$T/busy'" "$T/lock.log" && [ "$(wc -l < "$T/lock.log")" = 1 ] || { ok=0; why+=" lock message;"; }
kill -TERM $pid 2>/dev/null; wait $pid; rc=$?
[ $rc -eq 75 ] || [ $rc -eq 0 ] || { ok=0; why+=" the first run exited $rc;"; }
[ $ok = 1 ] && echo "PASS output_lock" || fail output_lock "$why" "$T/lock.log" "$T/busy.log"

# 5. temp files: none left; a dead process's is removed by the next run into the folder
ok=1; why=""
left=$(find "$T" -name '*.tmp.*' | head -3)
[ -z "$left" ] || { ok=0; why+=" left behind: $left;"; }
( exit 0 ) & dead=$!; wait $dead
touch "$T/r/original/model.h5.tmp.$dead"
$B eval --model "$T/r/original/model.h5" --data "$T/d.h5" --split "$T/s.h5" --output "$T/r/original" --force \
    --mia-bootstrap 0 > "$T/tmp.log" 2>&1 || { ok=0; why+=" eval --force failed;"; }
[ ! -e "$T/r/original/model.h5.tmp.$dead" ] || { ok=0; why+=" the stale temp file stayed;"; }
grep -q "removed '$T/r/original/model.h5.tmp.$dead'" "$T/tmp.log" || { ok=0; why+=" no note about it;"; }
[ $ok = 1 ] && echo "PASS tmp_files" || fail tmp_files "$why" "$T/tmp.log"

# 6. resume refuses changed options
ok=1; why=""
common=(--config $CFG --data "$T/d.h5" --split "$T/s.h5" --epochs 3)
$B train "${common[@]}" --output "$T/part" --stop-after-steps 20 > "$T/part.log" 2>&1
[ $? -eq 75 ] || { ok=0; why+=" --stop-after-steps did not exit 75;"; }
if $B train "${common[@]}" --on retain --lr 0.07 --batch 32 --output "$T/part" --resume "$T/part/checkpoint.h5" > "$T/res1.log" 2>&1; then
    ok=0; why+=" a changed resume succeeded;"
fi
grep -q "differs from the checkpoint's in 3 options: on (checkpoint: all, now: retain), batch (checkpoint: [0-9]*, now: 32), lr (checkpoint: .*, now: 0.07" "$T/res1.log" || { ok=0; why+=" diff message;"; }
$B split --data "$T/d.h5" --output "$T/s2.h5" --paradigm class --classes 4 > /dev/null 2>&1
if $B train --config $CFG --data "$T/d.h5" --split "$T/s2.h5" --epochs 3 --output "$T/part" --resume "$T/part/checkpoint.h5" > "$T/res2.log" 2>&1; then
    ok=0; why+=" a resume on another split succeeded;"
fi
grep -q "split (checkpoint: .*split contents (checkpoint: " "$T/res2.log" || { ok=0; why+=" split diff message;"; }
$B train "${common[@]}" --output "$T/part" --resume "$T/part/checkpoint.h5" > "$T/res3.log" 2>&1 || { ok=0; why+=" the same options were refused;"; }
[ $ok = 1 ] && echo "PASS resume_refuses" || fail resume_refuses "$why" "$T/res1.log" "$T/res2.log" "$T/res3.log"
