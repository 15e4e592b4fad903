#!/usr/bin/env bash
# test_ulira_digits.sh — U-LiRA end to end on the digits default (class-wise, class 3), K = 4 shadows, pool 60:
#   plan          plan.txt: every pool sample IN in exactly K/2 shadows; each shadow split forgets its IN half and
#                 D_f outside the pool (--forget df, the default) and holds the OUT half in val (never trained on);
#                 --forget in: the same pool and memberships, forget = the IN half only, D_f outside the pool in
#                 retain (so retain ∪ forget is the same set); a version-1 plan (no forget line) is still read;
#                 a bad --shadows or --forget is refused
#   dry_run       jobs/ulira.sh --dry-run names the plan, the array of K tasks, the afterok scoring job, the cost,
#                 and writes nothing
#   local_run     jobs/ulira.sh --local: shadows trained and unlearned (ga), ulira-{train,ga}.json with every
#                 (shadow, sample) pair scored and the forget mode, ulira.md saying what a shadow unlearned; the
#                 attack has power on the shadows before unlearning
#   report_roc    `ugradsl report` on an evaluated shadow: MIA with its [95% CI], the threshold-attack column and
#                 its footnote, roc.png; tools/plot_roc.py also draws the U-LiRA curves
#   resumable     the same command again skips every finished stage and gives the same numbers
set -u
cd "$(dirname "$0")/../.."
T=test_ulira_digits
cases="plan dry_run local_run resumable report_roc"
UG=bin/ugradsl
if [ ! -x "$UG" ]; then for c in $cases; do echo "SKIP $T/$c: bin/ugradsl not built"; done; exit 0; fi
if ! /usr/bin/python3 -c "import sklearn" 2>/dev/null; then
    for c in $cases; do echo "SKIP $T/$c: digits need /usr/bin/python3 with sklearn"; done; exit 0
fi
TMP=$(mktemp -d)
trap '[ -n "${UG_TEST_KEEP:-}" ] && echo "kept $TMP" >&2 || rm -rf "$TMP"' EXIT
export OMP_NUM_THREADS=1
for v in $(env | sed -n 's/^\(SLURM_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
CFG=inputs/demo-digits.ini
if ! { $UG pack --from digits-csv --output "$TMP/digits.h5" && $UG split --config "$CFG" --data "$TMP/digits.h5" --output "$TMP/split.h5"; } > "$TMP/setup.log" 2>&1; then
    for c in $cases; do echo "FAIL $T/$c: pack/split failed: $(tail -n 2 "$TMP/setup.log" | tr '\n' ' ')"; done; exit 1
fi
D=$TMP/ulira
ARGS=(--out "$D" --config "$CFG" --data "$TMP/digits.h5" --split "$TMP/split.h5" --methods ga --shadows 4 --pool 60 --seed 2)

# ---- dry_run (first: nothing exists yet)
why=""
out=$(jobs/ulira.sh "${ARGS[@]}" --dry-run 2>&1) || why+="[exit $?: $out] "
grep -q "^plan: .*ulira plan --split $TMP/split.h5 --output $D --shadows 4 --pool 60 --seed 2" <<<"$out" || why+="[no plan line] "
grep -q "^array: *sbatch --array=0-3 .*jobs/ulira.sbatch" <<<"$out" || why+="[no array line] "
grep -q "^score: *sbatch --dependency=afterok:" <<<"$out" || why+="[no afterok scoring line] "
grep -q "^cost: *4 trainings, 4 unlearnings, 2 scoring passes" <<<"$out" || why+="[cost: $(grep cost <<<"$out")] "
[ ! -e "$D" ] || why+="[dry run wrote $D] "
jobs/ulira.sh "${ARGS[@]/4/3}" --dry-run > /dev/null 2>&1 && why+="[odd --shadows accepted by the driver] "
[ -z "$why" ] && echo "PASS $T/dry_run" || echo "FAIL $T/dry_run: $why"

# ---- plan
why=""
$UG ulira plan --split "$TMP/split.h5" --output "$TMP/bad" --shadows 5 > "$TMP/bad.log" 2>&1 && why+="[--shadows 5 accepted] "
grep -q "must be even" "$TMP/bad.log" || why+="[no clear error for --shadows 5: $(tail -n 1 "$TMP/bad.log")] "
$UG ulira plan --split "$TMP/split.h5" --output "$TMP/bad" --forget all > "$TMP/bad2.log" 2>&1 && why+="[--forget all accepted] "
grep -q "\-\-forget must be df or in" "$TMP/bad2.log" || why+="[no clear error for --forget all: $(tail -n 1 "$TMP/bad2.log")] "
pool_lines() { grep -E '^[0-9]+ [01]+$' "$1"; }
if $UG ulira plan --split "$TMP/split.h5" --output "$D" --shadows 4 --pool 60 --seed 2 > "$TMP/plan.log" 2>&1 &&
   $UG ulira plan --split "$TMP/split.h5" --output "$TMP/plan-in" --shadows 4 --pool 60 --seed 2 --forget in > "$TMP/plan-in.log" 2>&1; then
    grep -qx "forget df" "$D/plan.txt" || why+="[default plan does not record 'forget df'] "
    grep -qx "forget in" "$TMP/plan-in/plan.txt" || why+="[--forget in not recorded] "
    bad=$(pool_lines "$D/plan.txt" | awk '{ n = gsub(/1/, "1", $2); if (n != 2 || length($2) != 4) print $1 }' | head -3)
    [ -z "$bad" ] || why+="[pool samples without exactly 2 of 4 IN: $bad] "
    [ "$(pool_lines "$D/plan.txt" | wc -l)" = 60 ] || why+="[pool is not 60] "
    cmp -s <(pool_lines "$D/plan.txt") <(pool_lines "$TMP/plan-in/plan.txt") || why+="[--forget changed the pool or memberships] "
    for k in 0 1 2 3; do
        $UG inspect "$D/shadow-$k/split.h5" > "$TMP/insp$k.txt" 2>&1 || why+="[inspect shadow $k failed] "
    done
    $UG inspect "$TMP/plan-in/shadow-0/split.h5" > "$TMP/insp-in0.txt" 2>&1 || why+="[inspect --forget in shadow 0 failed] "
    count() { sed -n "s|^  /$2  int64 \\[\\([0-9]*\\)\\]|\\1|p" "$1"; }
    $UG inspect "$TMP/split.h5" > "$TMP/insp.txt" 2>&1
    f0=$(count "$TMP/insp0.txt" forget); v0=$(count "$TMP/insp0.txt" val); r0=$(count "$TMP/insp0.txt" retain)
    fi0=$(count "$TMP/insp-in0.txt" forget); vi0=$(count "$TMP/insp-in0.txt" val); ri0=$(count "$TMP/insp-in0.txt" retain)
    vx=$(count "$TMP/insp.txt" val); fx=$(count "$TMP/insp.txt" forget); rx=$(count "$TMP/insp.txt" retain)
    in0=$(pool_lines "$D/plan.txt" | awk 'substr($2, 1, 1) == "1"' | wc -l)
    [ -n "$fx" ] && [ "$f0" = $((in0 + fx - 60)) ] && [ "$r0" = "$rx" ] ||
        why+="[df shadow 0 forgets $f0 / retains $r0, want $in0 + $((fx - 60)) / $rx] "
    [ "$fi0" = "$in0" ] && [ "$ri0" = $((rx + fx - 60)) ] || why+="[in shadow 0 forgets $fi0 / retains $ri0, want $in0 / $((rx + fx - 60))] "
    [ -n "$vx" ] && [ "$v0" = $((vx + 60 - in0)) ] && [ "$vi0" = "$v0" ] || why+="[shadow 0 val $v0 / $vi0, want $vx + $((60 - in0))] "
    # a plan written before the forget line (version 1) is still a plan: score gets past the header
    mkdir -p "$TMP/v1"
    { echo "ulira-plan 1"; sed -n '2,5p' "$TMP/plan-in/plan.txt"; pool_lines "$TMP/plan-in/plan.txt"; } > "$TMP/v1/plan.txt"
    $UG ulira score --data "$TMP/digits.h5" --plan "$TMP/v1" --method ga > "$TMP/v1.log" 2>&1
    grep -q "bad header" "$TMP/v1.log" && why+="[a version-1 plan is refused: $(tail -n 1 "$TMP/v1.log")] "
    grep -q "shadow-0" "$TMP/v1.log" || why+="[version-1 plan: score did not get to the shadows: $(tail -n 1 "$TMP/v1.log")] "
else
    why+="[plan failed: $(tail -n 2 "$TMP/plan.log" "$TMP/plan-in.log" | tr '\n' ' ')] "
fi
[ -z "$why" ] && echo "PASS $T/plan" || echo "FAIL $T/plan: $why"

# ---- local_run
why=""
t0=$(date +%s)
jobs/ulira.sh "${ARGS[@]}" --local > "$TMP/run.log" 2>&1 || why+="[exit $?: $(tail -n 3 "$TMP/run.log" | tr '\n' ' ')] "
echo "($T: local run took $(( $(date +%s) - t0 )) s)"
if [ -z "$why" ]; then
    why+=$(/usr/bin/python3 - "$D" <<'PYEOF' 2>&1
import json, sys
d = sys.argv[1]
out = []
for m in ("train", "ga"):
    r = json.load(open(f"{d}/ulira-{m}.json"))
    if r["format"] != "ugradsl-ulira" or r["K"] != 4 or r["pool"] != 60: out.append(f"[{m}: header {r}]")
    if r["pairs"] != 240: out.append(f"[{m}: {r['pairs']} pairs, want 4 x 60]")
    if r.get("forget") != "df": out.append(f"[{m}: forget {r.get('forget')}, want df (the default plan)]")
    for k in ("accuracy", "auc", "tpr_at_fpr_1e-2", "tpr_at_fpr_1e-3"):
        if not (isinstance(r[k], (int, float)) and 0 <= r[k] <= 1): out.append(f"[{m}: {k} = {r[k]}]")
    if len(r["roc"]["fpr"]) != len(r["roc"]["tpr"]): out.append(f"[{m}: roc arrays]")
t = json.load(open(f"{d}/ulira-train.json"))
if not t["auc"] > 0.55: out.append(f"[no attack power before unlearning: AUC {t['auc']}]")
print("".join(out))
PYEOF
)
    grep -q "^| train | 4 | 240 |" "$D/ulira.md" && grep -q "^| ga | 4 | 240 |" "$D/ulira.md" || why+="[ulira.md rows] "
    grep -q "K = 4 shadows" "$D/ulira.md" || why+="[ulira.md does not state K] "
    grep -q "that half together with D_f outside the pool" "$D/ulira.md" || why+="[ulira.md does not say what a shadow unlearned] "
    cp "$D/ulira-ga.json" "$TMP/first-ga.json"
fi
[ -z "$why" ] && echo "PASS $T/local_run" || echo "FAIL $T/local_run: $why"

# ---- resumable
why=""
jobs/ulira.sh "${ARGS[@]}" --local > "$TMP/run2.log" 2>&1 || why+="[exit $?] "
n_skip=$(grep -c "DONE exists: already unlearned" "$TMP/run2.log")
[ "$n_skip" = 4 ] || why+="[skipped $n_skip of 4 unlearnings] "
grep -q "ulira-plan\|plan.txt exists: reusing it" "$TMP/run2.log" || why+="[plan not reused] "
grep -q " train --config" "$TMP/run2.log" && why+="[a shadow trained again] "
cmp -s "$D/ulira-ga.json" "$TMP/first-ga.json" || why+="[numbers changed on the rerun] "
[ -z "$why" ] && echo "PASS $T/resumable" || echo "FAIL $T/resumable: $why"

# ---- report_roc
why=""
if $UG eval --model "$D/shadow-0/ga/model.h5" --data "$TMP/digits.h5" --split "$TMP/split.h5" --method ga \
        --output "$TMP/rep/ga" > "$TMP/eval.log" 2>&1 && $UG report "$TMP/rep" > "$TMP/rep.log" 2>&1; then
    grep -q "^| GA | .* \[[0-9.]*, [0-9.]*\]" "$TMP/rep/report.md" || why+="[no MIA interval: $(grep '^| GA' "$TMP/rep/report.md")] "
    grep -q "^\[95% CI\]: " "$TMP/rep/report.md" || why+="[no interval footnote] "
    grep -q "^Thr\.: threshold attack on the logit-scaled confidence" "$TMP/rep/report.md" || why+="[no threshold footnote] "
    /usr/bin/python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["mia"]; t=m["threshold"]["logit_confidence"]["forget_vs_test"]
assert 0 <= t["auc"] <= 1 and len(t["roc"]["fpr"]) == 121, t["auc"]
s=m["member_sampling"]; assert s["drawn"] == m["members"] == sum(s["per_class"]) and s["per_class"][3] == 0, s' \
        "$TMP/rep/ga/metrics.json" 2>/dev/null || why+="[metrics.json threshold / member_sampling keys] "
    if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
        [ -s "$TMP/rep/roc.png" ] || why+="[no roc.png] "
        /usr/bin/python3 tools/plot_roc.py "$TMP/ulira.png" "$D"/ulira-*.json && [ -s "$TMP/ulira.png" ] || why+="[plot_roc.py on U-LiRA results] "
    fi
else
    why+="[eval/report failed: $(tail -n 2 "$TMP/eval.log" "$TMP/rep.log" | tr '\n' ' ')] "
fi
[ -z "$why" ] && echo "PASS $T/report_roc" || echo "FAIL $T/report_roc: $why"
