#!/usr/bin/env bash
# tools/cifar10_results.py on a made-up pair of run trees (metrics.json in the real format, DONE markers, a sweep):
#   json_format      cifar10-{classwise,random}.json have exactly report.json's keys; with bin/ugradsl built, the
#                    values equal what `ugradsl report` computes from the same runs
#   mean_std         hand-computed mean and std (n-1) of a row, and its Avg. Gap
#   claims_computed  UGradSL < GA, UGradSL+ < FT, RTE ratio, the α sign, GA's BN control: each verdict follows the numbers and
#                    flips when the numbers are swapped
#   mia_interval_flip  MIA shows its bootstrap interval, † (k/n) on the row whose run flips (GA seed 2 only), and
#                    the page says what † means under each table
#   missing_row      a run without DONE: exit 1, "not finished: N of M runs done", nothing written
#   partial          --partial writes everything, marked PARTIAL; no temp files left
set -u
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
TOOL=tools/cifar10_results.py
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
cases="json_format mean_std claims_computed mia_interval_flip missing_row partial stale_run"
if ! $PY -c "import matplotlib" 2>/dev/null; then
    for c in $cases; do echo "SKIP test_cifar10_results/$c: needs /usr/bin/python3 with matplotlib"; done; exit 0
fi
T=$(mktemp -d)
trap '[ -n "${UG_TEST_KEEP:-}" ] && echo "kept $T" >&2 || rm -rf "$T"' EXIT

# make_tree ROOT FLIP: two experiments; FLIP=1 swaps GA<->UGradSL, FT<->UGradSL+ and the two α signs.
make_tree() {
    $PY - "$1" "$2" <<'PYEOF'
import json, os, sys
root, flip = sys.argv[1], sys.argv[2] == "1"
# (UA, MIA, RA, TA, add_MIA, rte_s) per seed 1, 2; Retrain is the reference.
V = {
    "retrain": [(100, 100, 92, 86, 98, 1200), (100, 100, 92, 86, 98, 1300)],
    "ga": [(20, 10, 80, 75, 60, 30), (30, 20, 82, 77, 62, 32)],
    "ugradsl": [(90, 95, 90, 84, 95, 40), (92, 97, 91, 85, 96, 44)],
    "ft": [(10, 5, 91, 85, 55, 300), (12, 7, 91, 85, 57, 310)],
    "ugradsl+": [(99, 99, 91, 85, 97, 90), (99, 100, 91, 85, 97, 94)],
    "ugradsl@adaptive-neg": [(95, 96, 91, 85, 96, 41), (95, 96, 91, 85, 96, 42)],
    "ugradsl@adaptive-lit": [(50, 40, 85, 80, 70, 41), (52, 42, 85, 80, 70, 42)],
    "ugradsl+@adaptive-neg": [(98, 99, 91, 85, 97, 91), (98, 99, 91, 85, 97, 92)],
    "ugradsl+@adaptive-lit": [(60, 50, 88, 82, 75, 91), (62, 52, 88, 82, 75, 92)],
    "ga@bn-only": [(22, 12, 81, 76, 60, 30), (22, 12, 81, 76, 60, 30)],   # the control: 84% of GA's UA rise (a)
}
if flip:
    for a, b in (("ga", "ugradsl"), ("ft", "ugradsl+"), ("ugradsl@adaptive-neg", "ugradsl@adaptive-lit"),
                 ("ugradsl+@adaptive-neg", "ugradsl+@adaptive-lit")):
        V[a], V[b] = V[b], V[a]
    V["ugradsl"] = [v[:5] + (600,) for v in V["ugradsl"]]      # RTE half of Retrain's: not a small fraction

def metrics(exp, method, seed, v, d):
    split = f"{root}/{exp}/data/split.h5"
    m = {"format": "ugradsl-metrics", "format_version": 1, "method": method, "seed": seed, "world_size": 2,
         "split": split, "split_name": "split.h5", "model": f"{d}/model.h5", "dataset": f"{root}/{exp}/data/data.h5",
         "diverged": False, "diverged_reason": None,
         "timing": {"rte_s": v[5], "startup_s": 0.01, "compute_s": None, "allreduce_s": None, "data_wait_s": None,
                    "eval_s": 150.0},
         "metrics": {"UA": v[0], "MIA": v[1], "RA": v[2], "TA": v[3], "add_MIA": v[4], "VA": v[3] + 0.5,
                     "epsilon": None},
         "counts": {"retain": 40500, "forget": 4500, "test": 9000, "val": 4500},
         "accuracy": {"retain": v[2], "forget": 100 - v[0], "test": v[3], "val": v[3] + 0.5},
         "mia": {"feature": "confidence", "efficacy": v[1], "members": 9000, "nonmembers": 9000,
                 "stability": {"grid_step": 0.01, "bootstrap": {"resamples": 20, "seed": 1, "mean": v[1], "std": 0.4,
                               "lo": v[1] - 1, "hi": v[1] + 1, "min": v[1] - 1, "max": v[1] + 1, "flip_fraction": 0},
                               "flip": method == "ga" and seed == 2}},
         "add_mia": {"accuracy": v[4], "per_class": 4500, "folds": 2},
         "config": "[train]\narch = resnet18\n"}
    os.makedirs(d, exist_ok=True)
    json.dump(m, open(f"{d}/metrics.json", "w"), indent=2)
    open(f"{d}/DONE", "w").write("2026-11-27T09:00:00Z\n")

for exp in ("cifar10-classwise", "cifar10-random"):
    e = f"{root}/{exp}"
    metrics(exp, "original", 1, (6, 24, 91, 86, 55, None), f"{e}/original")
    for method, vals in V.items():
        for s, v in enumerate(vals, 1):
            metrics(exp, method, s, v, f"{e}/{method}/seed-{s}")
    os.makedirs(f"{e}/sweep/ga.d/set-1", exist_ok=True)   # a sweep trial run: never a row
    metrics(exp, "ga", 1, (0, 0, 0, 0, 0, 1), f"{e}/sweep/ga.d/set-1")
    open(f"{e}/sweep/ga.grid", "w").write("[grid]\ngrid = --lr 1e-5\ngrid = --lr 1e-4\ngrid = --lr 3e-6\n")
    open(f"{e}/sweep/ga.args", "w").write("--lr 1e-4\n")
    open(f"{e}/sweep/ga.md", "w").write("| set | gap |\n|---:|---:|\n| 1 | 9 |\n| 2 **chosen** | 5 |\n")
    open(f"{e}/sweep/ft.grid", "w").write("[grid]\ngrid = --lr 0.01\ngrid = --lr 0.03\n")
PYEOF
}

M="ga ga@bn-only ft ugradsl ugradsl@adaptive-neg ugradsl@adaptive-lit ugradsl+ ugradsl+@adaptive-neg ugradsl+@adaptive-lit"
run_tool() {   # run_tool TREE OUT [more options]: the tool's exit status; output in $T/tool.log
    local tree=$1 out=$2; shift 2
    $PY $TOOL --classwise "$tree/cifar10-classwise" --random "$tree/cifar10-random" --out "$out" \
        --methods "$M" --seeds "1 2" "$@" > "$T/tool.log" 2>&1
}

make_tree "$T/a" 0 && make_tree "$T/b" 1 || { for c in $cases; do echo "FAIL test_cifar10_results/$c: could not make the fake run trees"; done; exit 1; }
printf 'A reading of the verdicts.\n' > "$T/discussion.md"
run_tool "$T/a" "$T/outa" --discussion "$T/discussion.md"; rc_a=$?; cp "$T/tool.log" "$T/tool_a.log"
run_tool "$T/b" "$T/outb" --discussion ""; rc_b=$?
if [ $rc_a -ne 0 ] || [ $rc_b -ne 0 ]; then
    for c in $cases; do echo "FAIL test_cifar10_results/$c: tool exit $rc_a/$rc_b on complete trees: $(tail -n 2 "$T/tool_a.log" | tr '\n' ' ')"; done; exit 1
fi

# ---- json_format
why=$($PY - "$T/outa/cifar10-classwise.json" <<'PYEOF' 2>&1
import json, sys
rows = json.load(open(sys.argv[1]))
keys = ["method"]
for k in ["UA", "MIA", "RA", "TA", "add_MIA", "rte_s", "startup_s", "epsilon", "MIA_lo", "MIA_hi",
          "thr_auc", "thr_tpr_1e-2", "thr_tpr_1e-3"]:
    keys += [k, k + "_std"]
keys += ["avg_gap", "avg_gap_4", "avg_gap_std", "split", "split_name", "runs", "mia_flip_runs", "diverged_runs"]
assert isinstance(rows, list), "not a list"
names = [r["method"] for r in rows]
want = ["retrain", "original", "ft", "ga", "ga@bn-only", "ugradsl", "ugradsl@adaptive-lit", "ugradsl@adaptive-neg", "ugradsl+",
        "ugradsl+@adaptive-lit", "ugradsl+@adaptive-neg"]
assert names == want, f"rows {names}, want {want}"
for r in rows:
    assert list(r) == keys, f"{r['method']}: keys {list(r)}"
PYEOF
) || why=${why:-"check failed"}
if [ -z "$why" ] && [ -x bin/ugradsl ]; then
    # `ugradsl report` on the same run directories (not the sweep): the same numbers
    dirs=$(ls -d "$T"/a/cifar10-classwise/original "$T"/a/cifar10-classwise/*/seed-*)
    # shellcheck disable=SC2086
    if bin/ugradsl report --output "$T/rep" $dirs > "$T/rep.log" 2>&1; then
        why=$($PY - "$T/rep/report.json" "$T/outa/cifar10-classwise.json" <<'PYEOF' 2>&1
import json, sys
a = {r["method"]: r for r in json.load(open(sys.argv[1]))}
b = {r["method"]: r for r in json.load(open(sys.argv[2]))}
assert sorted(a) == sorted(b), f"methods {sorted(a)} vs {sorted(b)}"
for m in a:
    for k, v in a[m].items():
        w = b[m].get(k)
        if isinstance(v, (int, float)) and v is not None and not isinstance(v, bool):
            assert w is not None and abs(v - w) <= 1e-6 * max(1, abs(v)), f"{m} {k}: ugradsl report {v}, tool {w}"
        elif k not in ("split",):
            assert v == w, f"{m} {k}: ugradsl report {v!r}, tool {w!r}"
PYEOF
        ) || why=${why:-"comparison failed"}
    else
        why="ugradsl report failed: $(tail -n 2 "$T/rep.log" | tr '\n' ' ')"
    fi
fi
[ -x bin/ugradsl ] || echo "(json_format: bin/ugradsl not built: compared with report.json's key list only)"
[ -z "$why" ] && echo "PASS test_cifar10_results/json_format" || echo "FAIL test_cifar10_results/json_format: $(tail -n 1 <<<"$why")"

# ---- mean_std: GA UA 20, 30 -> 25 ± 7.0711; gap of GA = mean(|25-100|, |15-100|, |81-92|, |76-86|, |61-98|) = 43.6
why=$($PY - "$T/outa/cifar10-random.json" <<'PYEOF' 2>&1
import json, sys
r = {o["method"]: o for o in json.load(open(sys.argv[1]))}
ga = r["ga"]
def close(a, b, what): assert abs(a - b) < 1e-6, f"{what}: {a}, want {b}"
close(ga["UA"], 25.0, "GA UA"); close(ga["UA_std"], 7.0710678118654755, "GA UA_std")
close(ga["rte_s"], 31.0, "GA rte_s"); close(ga["avg_gap"], (75 + 85 + 11 + 10 + 37) / 5, "GA avg_gap")
close(ga["avg_gap_4"], (75 + 85 + 11 + 10) / 4, "GA avg_gap_4")
g1, g2 = (80 + 90 + 12 + 11 + 38) / 5, (70 + 80 + 10 + 9 + 36) / 5
close(ga["avg_gap_std"], abs(g1 - g2) / 2 ** 0.5, "GA avg_gap_std")
assert ga["runs"] == 2, f"GA runs {ga['runs']} (the sweep's trial run must not count)"
assert r["retrain"]["avg_gap"] is None and r["original"]["rte_s"] is None, "nulls"
PYEOF
) && echo "PASS test_cifar10_results/mean_std" || echo "FAIL test_cifar10_results/mean_std: $(tail -n 1 <<<"$why")"

# ---- claims_computed
why=""
A=$T/outa/cifar10.md; B=$T/outb/cifar10.md
for pat in "UGradSL's Avg. Gap below GA's: holds\." "UGradSL+'s Avg. Gap below FT's: holds\." \
           "UGradSL's RTE a small fraction of Retrain's: holds\." "Self-adaptive α for UGradSL: negative sign lower\." \
           "Self-adaptive α for UGradSL+: negative sign lower\." "What moves GA here: BN statistics\."; do
    [ "$(grep -c -- "$pat" "$A")" = 2 ] || why+="[a: want twice '$pat'] "
done
for pat in "UGradSL's Avg. Gap below GA's: does not hold\." "UGradSL+'s Avg. Gap below FT's: does not hold\." \
           "UGradSL's RTE a small fraction of Retrain's: does not hold\." "Self-adaptive α for UGradSL: literal sign lower\." \
           "Self-adaptive α for UGradSL+: literal sign lower\." "What moves GA here: weights\."; do
    [ "$(grep -c -- "$pat" "$B")" = 2 ] || why+="[b: want twice '$pat'] "
done
grep -q "exceeds the combined seed std" "$A" || why+="[no seed-std comparison] "
# the RTE ratio rescaled to the paper's Retrain length: ratio x (the config's [train] epochs) / 182 .. / 160
want=$($PY -c 'import json,sys; r={x["method"]: x for x in json.load(open(sys.argv[1]))}; q=100*r["ugradsl"]["rte_s"]/r["retrain"]["rte_s"]*int(sys.argv[2])
print(f"{q/182:.2f}-{q/160:.2f}%")' "$T/outa/cifar10-classwise.json" "$(sed -n 's/^epochs *= *//p' inputs/cifar10-classwise.ini | head -1)")
grep -q -- "scaled to the paper's length the ratio would be $want" "$A" || why+="[RTE ratio at the paper's Retrain length: want $want] "
# the ranking line names the lowest Avg. Gap of report.json first (the control and Retrain/original left out)
low=$($PY -c 'import json,sys; r=[x for x in json.load(open(sys.argv[1])) if x["avg_gap"] is not None and x["method"] not in ("retrain","original") and "bn-only" not in x["method"]]; print(min(r, key=lambda x: x["avg_gap"])["method"])' "$T/outa/cifar10-classwise.json")
lowname=$($PY -c 'import sys; sys.path.insert(0, "tools"); import cifar10_results as c; print(c.display(sys.argv[1]))' "$low")
grep -q -- "- Lowest Avg. Gaps here (of the rows finished): $lowname [0-9]" "$A" || why+="[ranking does not start with $lowname: $(grep 'Lowest Avg' "$A" | head -1)] "
grep -q "PARTIAL" "$A" && why+="[complete run marked PARTIAL] "
grep -q "chosen: \`--lr 1e-4\`" "$A" || why+="[GA's chosen value not shown] "
grep -q "chosen: \`--lr 1e-4\` — at the highest \`--lr\` the grid tried (3 values)" "$A" || why+="[GA's choice at the grid's edge not noted] "
grep -q "the original model itself (no unlearning; the limit of a learning rate going to 0) has gap [0-9.]* on the same measure" "$A" || why+="[no original gap for scale] "
[ -s "$T/outa/cifar10_avg_gap.png" ] || why+="[no chart] "
# the hand-written reading goes in as it is, naming its file; without one there is no such section
grep -A4 "^### Why, as we read it" "$A" | grep -q "^A reading of the verdicts\.$" || why+="[discussion file not included] "
grep -q "in $T/discussion.md;" "$A" || why+="[discussion file not named] "
grep -q "^### Why, as we read it" "$B" && why+="[a discussion section with --discussion ''] "
# a --discussion file that is not there: a clear error, a non-zero exit, nothing written
run_tool "$T/a" "$T/outd" --discussion "$T/no-such-discussion.md"; rc=$?
[ $rc -ne 0 ] || why+="[missing --discussion file accepted] "
grep -q "error: --discussion $T/no-such-discussion.md: cannot read it" "$T/tool.log" || why+="[missing --discussion file: no clear error] "
[ ! -e "$T/outd" ] || why+="[missing --discussion file: outputs written] "
[ -z "$why" ] && echo "PASS test_cifar10_results/claims_computed" || echo "FAIL test_cifar10_results/claims_computed: $why"

# ---- mia_interval_flip: interval = mean of the runs' lo / hi (GA random: MIA 10, 20 -> [14.00, 16.00])
why=""
A=$T/outa/cifar10.md
grep -q "^| GA | [0-9.]* ± [0-9.]* | 15.00 ± 7.07 \[14.00, 16.00\] † (1/2) |" "$A" || why+="[GA row: $(grep '^| GA |' "$A" | head -1)] "
grep "^| UGradSL |" "$A" | grep -q "†" && why+="[† on a row without flips] "
grep "^| UGradSL |" "$A" | grep -q "\[9[0-9.]*, 9[0-9.]*\]" || why+="[UGradSL row without interval: $(grep '^| UGradSL |' "$A" | head -1)] "
[ "$(grep -c '^MIA: MIA-Efficacy mean ± std over seeds.*† (k/n)' "$A")" = 2 ] || why+="[footnote not under both tables] "
$PY -c 'import json,sys; r={x["method"]: x for x in json.load(open(sys.argv[1]))}; assert r["ga"]["mia_flip_runs"] == 1 and r["ugradsl"]["mia_flip_runs"] == 0' \
    "$T/outa/cifar10-random.json" 2>/dev/null || why+="[mia_flip_runs in the JSON] "
[ -z "$why" ] && echo "PASS test_cifar10_results/mia_interval_flip" || echo "FAIL test_cifar10_results/mia_interval_flip: $why"

# ---- missing_row: ugradsl+ seed 2 of the random experiment has no DONE (still running)
rm "$T/a/cifar10-random/ugradsl+/seed-2/DONE"
run_tool "$T/a" "$T/outc"; rc=$?
why=""
[ $rc -eq 1 ] || why+="[exit $rc, want 1] "
grep -q "random 10%: not finished: 20 of 21 runs done; missing ugradsl+ seed 2" "$T/tool.log" || why+="[message: $(head -c 200 "$T/tool.log")] "
[ -z "$(ls -A "$T/outc" 2>/dev/null)" ] || why+="[wrote files without --partial] "
[ -z "$why" ] && echo "PASS test_cifar10_results/missing_row" || echo "FAIL test_cifar10_results/missing_row: $why"

# ---- partial
run_tool "$T/a" "$T/outd" --partial; rc=$?
D=$T/outd/cifar10.md
why=""
[ $rc -eq 0 ] || why+="[exit $rc] "
head -1 "$D" 2>/dev/null | grep -q "— PARTIAL$" || why+="[title not marked PARTIAL] "
grep -q "random 10%: not finished: 20 of 21 runs done" "$D" 2>/dev/null || why+="[no 'not finished: 20 of 21 runs done'] "
grep -q "class-wise (class 0): all 21 runs finished" "$D" 2>/dev/null || why+="[class-wise not complete] "
grep -q "^| UGradSL+ | .* | 1 (not finished: 1 of 2 runs done) |$" "$D" 2>/dev/null || why+="[row not marked] "
ls -A "$T/outd" | grep -q '^\.' && why+="[temp files left: $(ls -A "$T/outd" | tr '\n' ' ')] "
[ "$(ls "$T/outd" | tr '\n' ' ')" = "cifar10-classwise.json cifar10-random.json cifar10.md cifar10_avg_gap.png " ] || why+="[files: $(ls "$T/outd" | tr '\n' ' ')] "
[ -z "$why" ] && echo "PASS test_cifar10_results/partial" || echo "FAIL test_cifar10_results/partial: $why"

# ---- stale_run: a seed run that recorded other arguments (d/args) than its sweep chose is not used; one that
# recorded the chosen ones (whitespace aside) is
touch "$T/a/cifar10-random/ugradsl+/seed-2/DONE"
echo "--lr  1e-4" > "$T/b/cifar10-classwise/ga/seed-1/args"
echo "--lr 1e-5" > "$T/b/cifar10-classwise/ga/seed-2/args"
run_tool "$T/b" "$T/oute"; rc=$?
why=""
[ $rc -eq 1 ] || why+="[exit $rc, want 1] "
grep -q "ga/seed-2 was made with \`--lr 1e-5\` but the sweep chose \`--lr 1e-4\` (rerun \`make cifar10\`: its job moves the run to .*ga/superseded/ and makes it again)" "$T/tool.log" || why+="[message: $(head -c 300 "$T/tool.log")] "
grep -q "ga/seed-1 was made" "$T/tool.log" && why+="[the run with the chosen arguments was refused] "
grep -q "class-wise (class 0): not finished: 20 of 21 runs done; missing ga seed 2" "$T/tool.log" || why+="[not counted as missing] "
rm "$T/b/cifar10-classwise/ga/seed-2/args"
run_tool "$T/b" "$T/outf"; rc=$?
[ $rc -eq 0 ] || why+="[exit $rc once the stale record is gone] "
# the program's own record (metrics.json "options") is checked too: a run whose options contradict the choice is
# not used, one whose options agree is
setopt() { $PY -c 'import json,sys; p=sys.argv[1]; d=json.load(open(p)); d["options"]={"lr": float(sys.argv[2]), "method": "ga"}; json.dump(d, open(p, "w"))' "$1" "$2"; }
setopt "$T/b/cifar10-classwise/ga/seed-1/metrics.json" 0.5
run_tool "$T/b" "$T/outg"; rc=$?
[ $rc -eq 1 ] || why+="[options: exit $rc, want 1] "
grep -q "ga/seed-1 ran with lr 0.5 (chosen 1e-4) by its metrics.json options" "$T/tool.log" || why+="[options message: $(head -c 300 "$T/tool.log")] "
setopt "$T/b/cifar10-classwise/ga/seed-1/metrics.json" 1e-4
run_tool "$T/b" "$T/outh"; rc=$?
[ $rc -eq 0 ] || why+="[exit $rc with agreeing options] "
[ -z "$why" ] && echo "PASS test_cifar10_results/stale_run" || echo "FAIL test_cifar10_results/stale_run: $why"
