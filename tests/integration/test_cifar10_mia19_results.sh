#!/usr/bin/env bash
# tools/cifar10_mia19_results.py on a made-up run tree of tools/cifar10_mia19.sh (metrics.json in the real format,
# DONE markers, classes 1/3/8, U-LiRA results, issue-8 rows), no ../shared and no bin/ugradsl needed:
#   table_values    the class-wise GA row: UA, MIA with its interval and † (1/3), threshold AUC and TPRs, Avg. Gap
#                   (hand-computed), seeds; the same numbers in cifar10-mia19.json; the machine time of the finished
#                   jobs per tree
#   flips           † only on the row whose run flips, the legend under both tables; the threshold attack's power on
#                   kept data; a run evaluated without issue 19's member draw is named in a warning
#   old_vs_new      issue 8's MIA (with its own †) beside the new one, Avg. Gap old and new, issue 8's verdict
#                   beside the new one and CHANGED where the new numbers turn it round
#   class_verdicts  per class: the table against that class's Retrain and VERDICT lines that follow the numbers
#                   (class 1 holds, class 3 does not, class 8 cannot be judged: its UGradSL has not finished)
#   ulira           two U-LiRA runs, the --forget df one first: each table `train` first, K and pool, the cost
#                   from train.json and the shadow logs, the 0.1% FPR caveat; the IN-half run carries the
#                   forget-set-size caveat; the df run counts no training (linked), shows no FT row, and says
#                   whether its `train` row equals the first run's (a differing one is flagged)
#   rte_not_quiet   --rte-not-quiet WHY: every RTE verdict "not judged" with WHY (never CHANGED, never "not as on
#                   class 0"), the flag on the Generated line and in the machine notes, the Avg. Gap verdicts as
#                   without it; an empty WHY is an error; with --rte-quiet-since, the RTE verdicts judged from the
#                   runs that started after it alone ("not judged" where there are none); a bad time is an error
#   partial         missing runs: PARTIAL title and banner naming them, rows marked; once all is there, no PARTIAL;
#                   an empty tree still gives a page; a missing --runs is an error; no temp files left
set -u
cd "$(dirname "$0")/../.." || exit 1
PY=/usr/bin/python3
TOOL=tools/cifar10_mia19_results.py
T=test_cifar10_mia19_results
cases="table_values flips old_vs_new class_verdicts ulira rte_not_quiet partial"
if ! $PY -c "import json" 2>/dev/null; then for c in $cases; do echo "SKIP $T/$c: needs /usr/bin/python3"; done; exit 0; fi
TMP=$(mktemp -d)
trap '[ -n "${UG_TEST_KEEP:-}" ] && echo "kept $TMP" >&2 || rm -rf "$TMP"' EXIT

$PY - "$TMP/runs" "$TMP" <<'PYEOF' || { for c in $cases; do echo "FAIL $T/$c: could not make the fake run tree"; done; exit 1; }
import json, os, sys
runs, tmp = sys.argv[1], sys.argv[2]
M6 = ["ft", "ga", "ugradsl", "ugradsl+", "ugradsl@adaptive-neg", "ugradsl+@adaptive-neg"]
# (UA, MIA, RA, TA, add_MIA, rte_s, thr_auc, tpr_1e-2, tpr_1e-3) per seed; Retrain is the reference
MAIN = {
    "retrain": [(100, 100, 92, 86, 98, 1200, .30, .001, 0), (100, 100, 92, 86, 98, 1300, .30, .001, 0),
                (100, 100, 92, 86, 98, 1250, .30, .001, 0)],
    "ga": [(20, 10, 80, 75, 60, 30, .60, .05, .01), (30, 20, 82, 77, 62, 32, .70, .07, .02),
           (25, 15, 81, 76, 61, 31, .65, .06, .015)],
    "ugradsl": [(90, 95, 90, 84, 95, 40, .35, .002, 0)] * 3,
    "ft": [(95, 99, 91, 85, 96, 300, .32, .002, 0)] * 3,
    "ugradsl+": [(99, 99, 91, 85, 97, 90, .31, .001, 0)] * 3,
    "ugradsl@adaptive-neg": [(95, 96, 91, 85, 96, 41, .33, .001, 0)] * 3,
    "ugradsl+@adaptive-neg": [(98, 99, 91, 85, 97, 91, .31, .001, 0)] * 3,
}
C1 = {"retrain": (100, 100, 90, 85, 97, 1000), "ga": (30, 20, 80, 75, 60, 30), "ugradsl": (95, 96, 89, 84, 95, 40),
      "ugradsl+": (99, 99, 89, 84, 96, 90), "ft": (90, 95, 90, 85, 90, 300),
      "ugradsl@adaptive-neg": (96, 97, 89, 84, 95, 41), "ugradsl+@adaptive-neg": (99, 99, 89, 84, 96, 91)}
C3 = dict(C1, ga=C1["ugradsl"], ugradsl=C1["ga"])   # GA and UGradSL swapped: "UGradSL below GA" does not hold
C8 = {k: v for k, v in C1.items() if k != "ugradsl"}  # UGradSL not finished

def write(exp, method, seed, v, d, flip=False):
    v = tuple(v) + (None,) * (9 - len(v))
    m = {"format": "ugradsl-metrics", "format_version": 1, "method": method, "seed": seed, "world_size": 2,
         "split": f"{runs}/{exp}/data/split.h5", "split_name": "split.h5", "diverged": False, "diverged_reason": None,
         "timing": {"rte_s": v[5], "startup_s": 0.01, "eval_s": 150.0},
         "metrics": {"UA": v[0], "MIA": v[1], "RA": v[2], "TA": v[3], "add_MIA": v[4], "VA": v[3], "epsilon": None},
         "counts": {"retain": 40500, "forget": 4500, "test": 9000, "val": 4500},
         "mia": {"feature": "confidence", "efficacy": v[1], "members": 9000, "nonmembers": 9000,
                 "member_sampling": {"method": "stratified-random", "seed": seed},
                 "threshold": {"logit_confidence": {"forget_vs_test": {"auc": v[6], "tpr_at_fpr_1e-2": v[7],
                                                                      "tpr_at_fpr_1e-3": v[8]},
                                                   "members_vs_test": {"auc": 0.55 if method == "original" else 0.52}}}
                 if v[6] is not None else None,
                 "stability": {"bootstrap": {"lo": v[1] - 1, "hi": v[1] + 1}, "flip": flip}}}
    os.makedirs(d, exist_ok=True)
    json.dump(m, open(f"{d}/metrics.json", "w"))
    open(f"{d}/DONE", "w").write(f"2026-12-06T0{seed}:00:00Z\n")

for exp in ("cifar10-classwise", "cifar10-random"):
    write(exp, "original", 1, (6, 24, 91, 86, 55, None, .80, .10, .02), f"{runs}/{exp}/original")
    for method, vals in MAIN.items():
        for s, v in enumerate(vals, 1):
            write(exp, method, s, v, f"{runs}/{exp}/{method}/seed-{s}", flip=(method == "ga" and s == 2))
for c, table in ((1, C1), (3, C3), (8, C8)):
    exp = f"cifar10-classwise-c{c}"
    write(exp, "original", 1, (5, 20, 91, 86, 55), f"{runs}/{exp}/original")
    for method, v in table.items():
        write(exp, method, 1, v, f"{runs}/{exp}/{method}/seed-1")
os.makedirs(f"{runs}/cifar10-classwise-c8/ugradsl/seed-1")          # started, not finished
p = f"{runs}/cifar10-classwise-c3/ft/seed-1/metrics.json"            # evaluated before issue 19's member draw
m = json.load(open(p)); del m["mia"]["member_sampling"]; json.dump(m, open(p, "w"))

u = f"{runs}/cifar10-random/ulira"
os.makedirs(f"{u}/logs")
open(f"{u}/plan.txt", "w").write("ulira-plan 1\nK 8\npool 500\nseed 1\nsplit x\n")
for m, acc, auc, t2, t3 in (("train", .62, .70, .08, .010), ("ft", .52, .55, .02, .003), ("ga", .55, .60, .04, .005),
                            ("ugradsl", .51, .53, .015, .002), ("ugradsl+", .50, .51, .012, .001)):
    json.dump({"format": "ugradsl-ulira", "method": m, "K": 8, "pool": 500, "seed": 1, "pairs": 4000,
               "accuracy": acc, "auc": auc, "tpr_at_fpr_1e-2": t2, "tpr_at_fpr_1e-3": t3},
              open(f"{u}/ulira-{m}.json" + (".later" if m.startswith("ugradsl") else ""), "w"))
for k, w in ((0, 1200.0), (1, 1260.0)):
    os.makedirs(f"{u}/shadow-{k}/train")
    json.dump({"wall_s": w}, open(f"{u}/shadow-{k}/train/train.json", "w"))
open(f"{u}/logs/ulira-shadow-101.out", "w").write(
    "unlearn: ga done in 99.00 s (RTE; compute 1 s)\n"           # interrupted attempt, requeued: not counted
    "unlearn: ga done in 30.00 s (RTE; compute 1 s)\nunlearn: ft done in 300.00 s (RTE; compute 1 s)\n")
open(f"{u}/logs/ulira-shadow-102.out", "w").write("unlearn: ga done in 36.00 s (RTE; compute 1 s)\n")
# the same shadows, linked, forgetting the experiment's forget-set size (stage ulira-df): FT not rerun
ud = f"{runs}/cifar10-random/ulira-df"
os.makedirs(f"{ud}/logs")
open(f"{ud}/plan.txt", "w").write("ulira-plan 2\nK 8\npool 500\nseed 1\nsplit x\nforget df\n")
for m, acc, auc, t2, t3 in (("train", .62, .70, .08, .010), ("ga", .56, .61, .05, .006),
                            ("ugradsl", .53, .55, .02, .003), ("ugradsl+", .52, .54, .02, .002)):
    json.dump({"format": "ugradsl-ulira", "method": m, "K": 8, "pool": 500, "seed": 1, "pairs": 4000, "forget": "df",
               "accuracy": acc, "auc": auc, "tpr_at_fpr_1e-2": t2, "tpr_at_fpr_1e-3": t3},
              open(f"{ud}/ulira-{m}.json" + (".later" if m.startswith("ugradsl") else ""), "w"))
os.makedirs(f"{ud}/shadow-0/train")                                  # linked: its time is the first run's
json.dump({"wall_s": 1200.0}, open(f"{ud}/shadow-0/train/train.json", "w"))
open(f"{ud}/logs/ulira-shadow-201.out", "w").write("unlearn: ga done in 42.00 s (RTE; compute 1 s)\n")

# issue 8's rows (report.json format), GA flipping in all three runs then
for key, exp in (("classwise", "cifar10-classwise"), ("random", "cifar10-random")):
    rows = [{"method": "retrain", "UA": 100, "MIA": 100, "MIA_std": 0, "MIA_lo": 100, "MIA_hi": 100, "RA": 92,
             "TA": 86, "avg_gap": None, "avg_gap_std": None, "rte_s": 1200, "runs": 3, "mia_flip_runs": 0},
            {"method": "ga", "UA": 24, "MIA": 19.16, "MIA_std": 1.76, "MIA_lo": 13.06, "MIA_hi": 60.07, "RA": 81,
             "TA": 77, "avg_gap": 26.72, "avg_gap_std": 0.29, "rte_s": 30, "runs": 3, "mia_flip_runs": 3},
            {"method": "ugradsl", "UA": 100, "MIA": 100, "MIA_std": 0, "MIA_lo": 82.5, "MIA_hi": 100, "RA": 89,
             "TA": 83, "avg_gap": 1.87, "avg_gap_std": 0.12, "rte_s": 40, "runs": 3, "mia_flip_runs": 1},
            {"method": "ft", "UA": 96, "MIA": 99.9, "MIA_std": 0.1, "MIA_lo": 99.8, "MIA_hi": 100, "RA": 92.7,
             "TA": 85.7, "avg_gap": 10.0, "avg_gap_std": 0.5, "rte_s": 400, "runs": 3, "mia_flip_runs": 0}]
    json.dump(rows, open(f"{tmp}/old-{key}.json", "w"))
PYEOF

run_tool() {   # run_tool OUT: the tool's exit status; output in $TMP/tool.log
    $PY $TOOL --runs "$TMP/runs" --out "$1" --old-classwise "$TMP/old-classwise.json" \
        --old-random "$TMP/old-random.json" > "$TMP/tool.log" 2>&1
}
rm "$TMP/runs/cifar10-random/ugradsl+/seed-3/DONE"     # still running
run_tool "$TMP/outp"; rc=$?
P=$TMP/outp/cifar10-mia19.md
if [ $rc -ne 0 ] || [ ! -s "$P" ]; then
    for c in $cases; do echo "FAIL $T/$c: tool exit $rc: $(tail -n 3 "$TMP/tool.log" | tr '\n' ' ')"; done; exit 1
fi
# section FILE HEADING: from HEADING to the next heading of its level or higher
section() {
    awk -v s="$2" 'BEGIN { match(s, /^#+/); level = RLENGTH }
        index($0, s) == 1 { on = 1; print; next }
        on && match($0, /^#+ /) && RLENGTH - 1 <= level { exit } on' "$1"
}

# ---- table_values: GA class-wise UA 20, 30, 25 -> 25.00 ± 5.00; MIA 15.00 ± 5.00 [14.00, 16.00] † (1/3); Thr. AUC
# 0.650 ± 0.050; TPR@1% 0.060 ± 0.010; TPR@0.1% 0.015 ± 0.005; RA 81.00 ± 1.00; Avg. Gap (75+85+11+10+37)/5 = 43.60
why=""
CW=$(section "$P" "## Results: class-wise (class 0)")
grep -qF "| GA | 25.00 ± 5.00 | 15.00 ± 5.00 [14.00, 16.00] † (1/3) | 0.650 ± 0.050 | 0.060 ± 0.010 | 0.015 ± 0.005 | 81.00 ± 1.00 | 76.00 ± 1.00 | 61.00 ± 1.00 | 43.60 ± " <<<"$CW" ||
    why+="[GA row: $(grep '^| GA |' <<<"$CW" | head -1)] "
grep -q "^| GA | .* | 0.52 ± 0.02 | 3 |$" <<<"$CW" || why+="[GA RTE (min) / seeds: $(grep '^| GA |' <<<"$CW" | head -1)] "
grep -q "^| Retrain | 100.00 ± 0.00 | .* | 0 (ref) | 20.83 ± 0.83 | 3 |$" <<<"$CW" || why+="[Retrain row: $(grep '^| Retrain |' <<<"$CW" | head -1)] "
grep -q "^| Original | 6.00 | 24.00 \[23.00, 25.00\] | 0.800 | 0.100 | 0.020 |" <<<"$CW" || why+="[Original row] "
why+=$($PY - "$TMP/outp/cifar10-mia19.json" <<'PYEOF' 2>&1
import json, sys
d = json.load(open(sys.argv[1]))
r = {o["method"]: o for o in d["experiments"]["classwise"]["rows"]}
ga = r["ga"]
def close(a, b, what):
    if a is None or abs(a - b) > 1e-9: print(f"[json {what}: {a}, want {b}]")
close(ga["UA"], 25, "GA UA"); close(ga["UA_std"], 5, "GA UA_std"); close(ga["avg_gap"], 43.6, "GA avg_gap")
close(ga["thr_auc"], .65, "GA thr_auc"); close(ga["thr_tpr_1e-3"], .015, "GA thr_tpr_1e-3")
if ga["seeds"] != [1, 2, 3] or ga["mia_flip_runs"] != 1: print(f"[json GA seeds/flips {ga['seeds']} {ga['mia_flip_runs']}]")
close(ga["issue8"]["MIA"], 19.16, "GA issue8 MIA")
if r["retrain"]["avg_gap"] is not None: print("[json: Retrain's avg_gap not null]")
PYEOF
)
if [ -x bin/ugradsl ]; then
    # `ugradsl report` on the same class-wise runs gives the same numbers (rows as src/metrics/report.c)
    # shellcheck disable=SC2046
    if bin/ugradsl report --no-plot --output "$TMP/rep" $(ls -d "$TMP"/runs/cifar10-classwise/original "$TMP"/runs/cifar10-classwise/*/seed-*) > "$TMP/rep.log" 2>&1; then
        why+=$($PY - "$TMP/rep/report.json" "$TMP/outp/cifar10-mia19.json" <<'PYEOF' 2>&1
import json, sys
a = {r["method"]: r for r in json.load(open(sys.argv[1]))}
b = {r["method"]: r for r in json.load(open(sys.argv[2]))["experiments"]["classwise"]["rows"]}
if sorted(a) != sorted(b): print(f"[report methods {sorted(a)} vs {sorted(b)}]")
for m in a:
    for k in ("UA", "MIA", "MIA_lo", "MIA_hi", "RA", "TA", "add_MIA", "avg_gap", "rte_s", "thr_auc", "thr_tpr_1e-2",
              "thr_tpr_1e-3", "mia_flip_runs", "runs"):
        v, w = a[m].get(k), b.get(m, {}).get(k)
        if (v is None) != (w is None) or (v is not None and abs(v - w) > 1e-6 * max(1, abs(v))):
            print(f"[{m} {k}: ugradsl report {v}, tool {w}]")
PYEOF
        )
    else
        why+="[ugradsl report failed: $(tail -n 2 "$TMP/rep.log" | tr '\n' ' ')] "
    fi
else
    echo "($T/table_values: bin/ugradsl not built: not compared with \`ugradsl report\`)"
fi
# machine time: RTE + eval_s 150 per finished run (no train.json in these trees): class-wise 5529 + 22 x 150 s = 2.45 h;
# random without UGradSL+ seed 3 (not DONE) 2.39 h; class 1 and 3 1592 + 7 x 150 = 0.78 h; class 8 without UGradSL
# 0.72 h; U-LiRA 1200 + 1260 s of shadow training + 366 s of unlearning (last attempts) 0.79 h; 7.90 h in all
grep -qF -- "- Machine time of the finished jobs so far: 7.9 h (class-wise (class 0) 2.5 h; random 10% 2.4 h; class 1 0.8 h; class 3 0.8 h; class 8 0.7 h; U-LiRA 0.8 h)" "$P" ||
    why+="[machine time: $(grep -o 'Machine time of the finished jobs so far: [^)]*)' "$P")] "
[ -z "$why" ] && echo "PASS $T/table_values" || echo "FAIL $T/table_values: $why"

# ---- flips
why=""
main=$(awk '/^\| Method \| UA \|/{on=1} on && !/^\|/{exit} on' <<<"$CW")
[ "$(grep -c "^| " <<<"$main")" = 9 ] || why+="[main table: $(grep -c "^| " <<<"$main") lines, want a header and 8 rows] "
grep "^| " <<<"$main" | grep -v "^| GA |" | grep -q "†" && why+="[† on a row without flips in the main table] "
[ "$(grep -c '^MIA: MIA-Efficacy mean ± std over seeds.*† (k/n)' "$P")" = 2 ] || why+="[MIA legend not under both tables] "
[ "$(grep -c '^Thr.: the threshold attack on the logit-scaled confidence' "$P")" = 2 ] || why+="[threshold legend not under both tables] "
grep -q "^Threshold attack's power on kept data (logit confidence, drawn D_r members vs test, AUC): the original 0.550; 0.520–0.550 over the 22 finished runs\." <<<"$CW" ||
    why+="[attack power line: $(grep "^Threshold attack's power" <<<"$CW")] "
grep -q "^- class 3: ft/seed-1: no mia.member_sampling in metrics.json, so evaluated with the first-N member draw" "$P" ||
    why+="[no warning for a run evaluated with the old member draw] "
[ "$(grep -c "no mia.member_sampling" "$P")" = 1 ] || why+="[old-draw warning on runs that have the new draw] "
[ -z "$why" ] && echo "PASS $T/flips" || echo "FAIL $T/flips: $why"

# ---- old_vs_new
why=""
OV=$(awk '/^### class-wise \(class 0\): issue 8 vs now/{on=1} on && /^## /{exit} on' "$P")
grep -qF "| GA | 19.16 ± 1.76 [13.06, 60.07] † (3/3) | 15.00 ± 5.00 [14.00, 16.00] † (1/3) | 26.72 ± 0.29 | 43.60 ± " <<<"$OV" ||
    why+="[GA old/new: $(grep '^| GA |' <<<"$OV" | head -1)] "
grep -q "^| GA | .* | 1.00 |$" <<<"$OV" || why+="[GA max |Δ| of UA, RA, TA (|25-24|, |81-81|, |76-77|) not 1.00] "
grep -q "^| UGradSL+ | — | 99.00 ± 0.00 \[98.00, 100.00\] | — |" <<<"$OV" || why+="[a row without issue-8 numbers: $(grep '^| UGradSL+ |' <<<"$OV" | head -1)] "
# a verdict that the new numbers turn round is marked (UGradSL 1.87 < FT 10.0 then; 4.40 > 2.00 now), one that
# stays is not
grep -q "^- \*\*UGradSL's Avg. Gap below FT's: does not hold\.\*\* (issue-8 numbers: holds; CHANGED) " <<<"$OV" || why+="[changed verdict not marked] "
[ "$(grep -c "CHANGED" <<<"$OV")" = 1 ] || why+="[CHANGED on $(grep -c "CHANGED" <<<"$OV") verdicts, want 1] "
grep -q "^- \*\*UGradSL's Avg. Gap below GA's: holds\.\*\* (issue-8 numbers: holds) " <<<"$OV" || why+="[issue 8's verdict beside the new one] "
# an "issue 8" file with threshold-attack values (which issue 8 did not have) is named in a warning on the page
$PY -c 'import json,sys; r=json.load(open(sys.argv[1])); r[1]["thr_auc"]=0.6; json.dump(r, open(sys.argv[2], "w"))' \
    "$TMP/old-random.json" "$TMP/new-random.json"
$PY $TOOL --runs "$TMP/runs" --out "$TMP/outw" --old-classwise "$TMP/old-classwise.json" --old-random "$TMP/new-random.json" > "$TMP/w.log" 2>&1 ||
    why+="[exit $? with a post-issue-19 old file] "
grep -q "^- $TMP/new-random.json has threshold-attack values, which issue 8's evaluations did not have" "$TMP/outw/cifar10-mia19.md" 2>/dev/null ||
    why+="[no warning for an old file with threshold values] "
grep -q "warning: $TMP/old-classwise.json" "$TMP/w.log" && why+="[warning for the real issue-8 file] "
[ -z "$why" ] && echo "PASS $T/old_vs_new" || echo "FAIL $T/old_vs_new: $why"

# ---- class_verdicts: class 1: UGradSL gap (5+4+1+1+2)/5 = 2.60, GA (70+80+10+10+37)/5 = 41.40
why=""
C=$(section "$P" "## Classes 1, 3 and 8")
grep -q "^| UGradSL | 95.00 | 96.00 \[95.00, 97.00\] | 89.00 | 84.00 | 2.60 | 1 |$" <<<"$C" || why+="[class 1 UGradSL row] "
grep -q "^- VERDICT class 1: \*\*UGradSL's Avg. Gap below GA's: holds, but not beyond the seed spread\.\*\* UGradSL 2.60 (1 seed) vs GA 41.40 (1 seed)" <<<"$C" ||
    why+="[class 1 UGradSL < GA: $(grep 'VERDICT class 1: .*below GA' <<<"$C")] "
grep -q "^- \*\*UGradSL's Avg. Gap below GA's: .*UGradSL [0-9.]* ± 0.00 (3 seeds) vs GA [0-9.]* ± [0-9.]* (3 seeds)" "$TMP/outp/cifar10-mia19.md" ||
    why+="[three seeds: mean ± std (3 seeds)] "
grep -q "^- VERDICT class 3: \*\*UGradSL's Avg. Gap below GA's: does not hold\.\*\* UGradSL 41.40 " <<<"$C" || why+="[class 3 UGradSL < GA] "
grep -q "^- VERDICT class 8: \*\*UGradSL's Avg. Gap below GA's: cannot be judged\.\*\* no Avg. Gap for UGradSL" <<<"$C" || why+="[class 8 cannot be judged] "
grep -q "^- VERDICT class 1: \*\*UGradSL+ at least as close to Retrain as UGradSL: holds" <<<"$C" || why+="[class 1 UGradSL+ vs UGradSL] "
grep -q "^- VERDICT class 1: \*\*UGradSL's RTE a small fraction of Retrain's: holds\.\*\* UGradSL 0.67 min vs Retrain 16.67 min" <<<"$C" || why+="[class 1 RTE] "
grep -q "^- VERDICT class 0: \*\*UGradSL's Avg. Gap below GA's: holds" <<<"$C" || why+="[class 0 reference verdict] "
grep -q "^### Class 0 (reference: seed 1 of the class-wise experiment)" <<<"$C" || why+="[class 0 reference table] "
# class 0 is seed 1 only: GA UA 20 (not the 3-seed mean 25)
awk '/^### Class 0/{on=1} /^### Class 1/{on=0} on' <<<"$C" | grep -q "^| GA | 20.00 | 10.00 \[9.00, 11.00\] † (0/1)\?" &&
    why+="[class 0: a flip that is not seed 1's] "
awk '/^### Class 0/{on=1} /^### Class 1/{on=0} on' <<<"$C" | grep -q "^| GA | 20.00 | 10.00 \[9.00, 11.00\] | 80.00 | 75.00 |" || why+="[class 0 GA row is not seed 1's] "
grep -q "^- UGradSL's Avg. Gap below GA's — class 0: holds, but not beyond the seed spread; class 1: holds, but not beyond the seed spread; class 3: does not hold; class 8: cannot be judged\. \*\*Not as on class 0: class 3\.\*\*$" <<<"$C" ||
    why+="[summary line: $(grep "^- UGradSL's Avg. Gap below GA's —" <<<"$C")] "
grep "^- UGradSL+'s Avg. Gap below FT's —" <<<"$C" | grep -q "Not as on class 0" && why+="[a claim that holds on every class marked] "
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); v={x["claim"]: x["verdict"] for x in d["classes"]["3"]["verdicts"]}; assert v["UGradSL'"'"'s Avg. Gap below GA'"'"'s"] == "does not hold", v' \
    "$TMP/outp/cifar10-mia19.json" 2>/dev/null || why+="[class verdicts in the JSON] "
# one seed on each side and UGradSL+ farther from Retrain: "does not hold", never "within the seed spread" (no spread)
out=$($PY - 2>&1 <<'PYEOF'
import sys
sys.path.insert(0, "tools")
import cifar10_mia19_results as t
row = lambda m, g, n: {"method": m, "avg_gap": g, "avg_gap_std": 0.0 if n == 1 else 0.1, "_runs": [None] * n}
v, text = t.close_claim([row("ugradsl+", 2.24, 1), row("ugradsl", 1.96, 1)], "ugradsl+", "ugradsl")
assert v == "does not hold" and "only one seed" in text, (v, text)
v, _ = t.close_claim([row("ugradsl+", 2.00, 3), row("ugradsl", 1.96, 3)], "ugradsl+", "ugradsl")
assert v == "does not hold, but within the seed spread", v
PYEOF
) || why+="[close claim: $(tail -1 <<<"$out")] "
[ -z "$why" ] && echo "PASS $T/class_verdicts" || echo "FAIL $T/class_verdicts: $why"

# ---- ulira (ugradsl, ugradsl+ not scored yet in the partial tree)
why=""
S=$(section "$P" "## U-LiRA")
U=$(section "$P" "### Shadows forget their IN half of the pool only")
UD=$(section "$P" "### Shadows forget the experiment's forget-set size")
[ "$(grep '^### ' <<<"$S" | head -1 | cut -c1-51)" = "### Shadows forget the experiment's forget-set size" ] || why+="[the --forget df run is not first] "
[ "$(grep -c '^### ' <<<"$S")" = 2 ] || why+="[not two U-LiRA runs] "
first=$(grep "^| [a-zA-Z]" <<<"$U" | sed -n 2p)
[ "$first" = "| train | 62.00 | 0.700 | 0.080 | 0.010 | 4000 | +0.200 |" ] || why+="[first row: $first] "
grep -q "^| GA | 55.00 | 0.600 | 0.040 | 0.005 | 4000 | +0.100, 50% |$" <<<"$U" || why+="[GA row: $(grep '^| GA |' <<<"$U")] "
grep -q "^| UGradSL | — | — | — | — | not finished | — |$" <<<"$U" || why+="[unscored method not marked] "
grep -q "K = 8 shadow models, a pool of 500 samples" <<<"$U" || why+="[K and pool] "
# the fixture's random runs forget 4500 and the pool's IN half is 250: the dose caveat names both and 18x
grep -q "Forget-set size: each shadow unlearns only its IN half (about 250 samples), 1/18 of the experiment's D_f (4500)" <<<"$U" ||
    why+="[forget-set size caveat: $(grep 'Forget-set' <<<"$U")] "
grep -q "Cost: 2 shadow trainings, 0.68 h in all (20.5 min each, train.json wall_s: a resumed training counts its last attempt only); FT 1 unlearnings, 5.0 min; GA 2 unlearnings, 1.1 min" <<<"$U" ||
    why+="[cost: $(grep 'Cost' <<<"$U")] "
grep -q "Caveat (docs/METRICS.md §6): 4000 pairs, about 2000 negatives: 0.1% FPR allows at most 2 false positives, so TPR there rests on the 2 highest-scored negatives;" <<<"$U" ||
    why+="[0.1% FPR caveat: $(grep Caveat <<<"$U")] "
# the --forget df run: its own rows, no small-forget-set caveat, the linked trainings checked and not counted again
grep -q "^| GA | 56.00 | 0.610 | 0.050 | 0.006 | 4000 | +0.110, 55% |$" <<<"$UD" || why+="[df GA row: $(grep '^| GA |' <<<"$UD")] "
grep -q "^| FT |" <<<"$UD" && why+="[df run shows an FT row it did not run] "
grep -q "each shadow unlearns its IN half of the pool together with D_f outside the pool (4250 samples on average" <<<"$UD" ||
    why+="[df forget-set line: $(grep 'Forget-set' <<<"$UD")] "
grep -q "1/18 of the experiment" <<<"$UD" && why+="[df run carries the small-forget-set caveat] "
grep -q "linked .*: its \`train\` row equals that run's to the digit.  Not rerun here: FT (it never touches D_f" <<<"$UD" ||
    why+="[linked trainings: $(grep 'linked' <<<"$UD")] "
grep -q "Cost: trainings linked from the other run (counted there); GA 1 unlearnings, 0.7 min" <<<"$UD" ||
    why+="[df cost: $(grep 'Cost' <<<"$UD")] "
# a df `train` row unlike the first run's says the linked models are not the same
$PY - "$TMP/runs" <<'PYEOF2'
import json, shutil, sys
r = sys.argv[1]; shutil.copytree(r, r + "-diff")
p = r + "-diff/cifar10-random/ulira-df/ulira-train.json"; d = json.load(open(p)); d["auc"] = 0.71; json.dump(d, open(p, "w"))
PYEOF2
$PY $TOOL --runs "$TMP/runs-diff" --out "$TMP/outdiff" > /dev/null 2>&1
grep -q "its \`train\` row differs from that run's: the linked models or the scoring are not the same" "$TMP/outdiff/cifar10-mia19.md" 2>/dev/null ||
    why+="[a differing df train row is not flagged] "
[ -z "$why" ] && echo "PASS $T/ulira" || echo "FAIL $T/ulira: $why"

# ---- rte_not_quiet
why=""
$PY $TOOL --runs "$TMP/runs" --out "$TMP/outq" --old-classwise "$TMP/old-classwise.json" --old-random "$TMP/old-random.json" \
    --rte-not-quiet "the make-test loop ran beside it" > "$TMP/q.log" 2>&1 || why+="[exit $? with --rte-not-quiet] "
Q=$TMP/outq/cifar10-mia19.md
[ "$(grep -c "RTE a small fraction of Retrain's: not judged: timed beside other work\.\*\* .*Not judged: the make-test loop ran beside it" "$Q" 2>/dev/null)" = 5 ] ||
    why+="[RTE verdicts not judged with the reason: $(grep -c "RTE a small fraction of Retrain's: not judged" "$Q" 2>/dev/null) lines, want 5 (2 experiments, classes 0 1 3; class 8 has no UGradSL)] "
grep "RTE a small fraction" "$Q" 2>/dev/null | grep -q "CHANGED\|Not as on class 0" && why+="[an RTE verdict marked CHANGED or not as on class 0] "
grep -q "^Generated .* --rte-not-quiet 'the make-test loop ran beside it'\` from the run" "$Q" 2>/dev/null || why+="[flag not on the Generated line] "
grep -q "^- RTE: not a quiet-machine timing (the make-test loop ran beside it)" "$Q" 2>/dev/null || why+="[no machine note] "
diff <(grep "Avg. Gap below\|as close to Retrain" "$P" | sed 's/^Generated.*//') <(grep "Avg. Gap below\|as close to Retrain" "$Q") > /dev/null ||
    why+="[Avg. Gap verdicts differ with the flag] "
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); v={x["claim"]: x["verdict"] for x in d["classes"]["1"]["verdicts"]}; assert v["UGradSL'"'"'s RTE a small fraction of Retrain'"'"'s"].startswith("not judged"), v' \
    "$TMP/outq/cifar10-mia19.json" 2>/dev/null || why+="[JSON RTE verdict] "
$PY $TOOL --runs "$TMP/runs" --out "$TMP/outq2" --rte-not-quiet " " > "$TMP/q2.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "error: --rte-not-quiet needs a reason" "$TMP/q2.log" && [ ! -e "$TMP/outq2" ] ||
    why+="[empty reason: exit $rc, $(head -c 200 "$TMP/q2.log")] "
# --rte-quiet-since: seeds 2-3 (DONE 02:00 and 03:00) started after 01:30, seed 1 and the classes (DONE 01:00) before
$PY $TOOL --runs "$TMP/runs" --out "$TMP/outs" --old-classwise "$TMP/old-classwise.json" --old-random "$TMP/old-random.json" \
    --rte-not-quiet "the loop" --rte-quiet-since 2026-12-06T01:30:00Z > "$TMP/s.log" 2>&1 || why+="[exit $? with --rte-quiet-since] "
S=$TMP/outs/cifar10-mia19.md
[ "$(grep -c "^- \*\*UGradSL's RTE a small fraction of Retrain's: holds\.\*\* .* UGradSL 0.67 min vs Retrain 21.25 min (2 runs with an RTE).*Quiet-machine runs only (started at or after 2026-12-06T01:30:00Z: 2 of UGradSL, 2 of Retrain); the runs before: the loop" "$S" 2>/dev/null)" = 2 ] ||
    why+="[quiet runs: $(grep "^- \*\*UGradSL's RTE" "$S" 2>/dev/null | head -1 | cut -c1-300)] "
[ "$(grep -c "^- VERDICT class [0-9]: \*\*UGradSL's RTE a small fraction of Retrain's: not judged: .*Not judged: the loop; no run of UGradSL or Retrain with an RTE started at or after 2026-12-06T01:30:00Z" "$S" 2>/dev/null)" = 3 ] ||
    why+="[classes (all before): $(grep -c "VERDICT class .*RTE.*not judged" "$S" 2>/dev/null) not judged, want 3] "
grep -q "^Generated .* --rte-not-quiet 'the loop' --rte-quiet-since 2026-12-06T01:30:00Z\` from the run" "$S" 2>/dev/null || why+="[--rte-quiet-since not on the Generated line] "
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["rte_quiet_since"] == "2026-12-06T01:30:00Z" and d["rte_not_quiet"] == "the loop", d.get("rte_quiet_since")' \
    "$TMP/outs/cifar10-mia19.json" 2>/dev/null || why+="[JSON rte_quiet_since] "
$PY $TOOL --runs "$TMP/runs" --out "$TMP/outs2" --rte-not-quiet x --rte-quiet-since yesterday > "$TMP/s2.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "error: --rte-quiet-since 'yesterday': not a UTC time" "$TMP/s2.log" && [ ! -e "$TMP/outs2" ] ||
    why+="[bad time: exit $rc, $(head -c 200 "$TMP/s2.log")] "
$PY $TOOL --runs "$TMP/runs" --out "$TMP/outs3" --rte-quiet-since 2026-12-06T01:30:00Z > "$TMP/s3.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "error: --rte-quiet-since needs --rte-not-quiet" "$TMP/s3.log" && [ ! -e "$TMP/outs3" ] ||
    why+="[without --rte-not-quiet: exit $rc, $(head -c 200 "$TMP/s3.log")] "
[ -z "$why" ] && echo "PASS $T/rte_not_quiet" || echo "FAIL $T/rte_not_quiet: $why"

# ---- partial
why=""
head -1 "$P" | grep -q " — PARTIAL$" || why+="[title not PARTIAL] "
grep -q "^- random 10%: 21 of 22 runs done; missing UGradSL+ seed 3$" "$P" || why+="[banner: random] "
grep -q "^- class-wise (class 0): 22 of 22 runs done$" "$P" || why+="[banner: class-wise] "
grep -q "^- class 8: 7 of 8 runs done; missing UGradSL seed 1$" "$P" || why+="[banner: class 8] "
grep -q "^- U-LiRA (ulira): 3 of 5 results; missing ugradsl, ugradsl+$" "$P" || why+="[banner: U-LiRA] "
grep -q "^- U-LiRA (ulira-df): 2 of 4 results; missing ugradsl, ugradsl+$" "$P" || why+="[banner: U-LiRA ulira-df] "
section "$P" "## Results: random 10%" | grep -q "^| UGradSL+ | .* | 2 (not finished: 2 of 3 runs done) |$" || why+="[row not marked] "
$PY -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["partial"] is True and d["missing"]["random"] == [["ugradsl+", "3"]], d["missing"]' \
    "$TMP/outp/cifar10-mia19.json" 2>/dev/null || why+="[JSON partial/missing] "
[ "$(ls -A "$TMP/outp" | tr '\n' ' ')" = "cifar10-mia19.json cifar10-mia19.md " ] || why+="[files: $(ls -A "$TMP/outp" | tr '\n' ' ')] "
# everything landed: no PARTIAL anywhere
touch "$TMP/runs/cifar10-random/ugradsl+/seed-3/DONE"
rm -r "$TMP/runs/cifar10-classwise-c8/ugradsl"
cp -r "$TMP/runs/cifar10-classwise-c1/ugradsl" "$TMP/runs/cifar10-classwise-c8/ugradsl"
for d in ulira ulira-df; do for m in ugradsl ugradsl+; do
    mv "$TMP/runs/cifar10-random/$d/ulira-$m.json.later" "$TMP/runs/cifar10-random/$d/ulira-$m.json"
done; done
run_tool "$TMP/outc"; rc=$?
[ $rc -eq 0 ] || why+="[complete tree: exit $rc] "
grep -q "PARTIAL" "$TMP/outc/cifar10-mia19.md" && why+="[complete tree marked PARTIAL] "
grep -q "^| UGradSL+ | 50.00 | 0.510 |" "$TMP/outc/cifar10-mia19.md" || why+="[U-LiRA UGradSL+ row once scored] "
# an empty tree still gives a page (everything missing); no tree at all is an error that writes nothing
mkdir "$TMP/empty"
$PY $TOOL --runs "$TMP/empty" --out "$TMP/oute" --old-classwise "" --old-random "" > "$TMP/e.log" 2>&1 || why+="[empty tree: exit $?] "
grep -q "^- class-wise (class 0): 0 of 22 runs done; missing Retrain seed 1" "$TMP/oute/cifar10-mia19.md" 2>/dev/null || why+="[empty tree banner] "
# no U-LiRA plan yet: K and the pool as the driver will run them
k="$(sed -n 's/^ULIRA_SHADOWS=//p' tools/cifar10_mia19.sh) $(sed -n 's/^ULIRA_POOL=//p' tools/cifar10_mia19.sh)"
grep -q "^- K = ${k% *} shadow models, a pool of ${k#* } samples of D_f (planned: tools/cifar10_mia19.sh);" "$TMP/oute/cifar10-mia19.md" 2>/dev/null ||
    why+="[planned K and pool ($k) not shown before the plan] "
$PY $TOOL --runs "$TMP/none" --out "$TMP/outn" > "$TMP/n.log" 2>&1; rc=$?
[ $rc -eq 2 ] || why+="[missing --runs: exit $rc, want 2] "
grep -q "error: --runs $TMP/none: no such directory" "$TMP/n.log" || why+="[missing --runs: message $(head -c 200 "$TMP/n.log")] "
[ ! -e "$TMP/outn" ] || why+="[missing --runs wrote $TMP/outn] "
[ -z "$why" ] && echo "PASS $T/partial" || echo "FAIL $T/partial: $why"
