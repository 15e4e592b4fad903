#!/usr/bin/env bash
# ulira.sh — U-LiRA for unlearning methods (docs/METRICS.md §6): plan, K shadow runs as one Slurm array, then the
# likelihood-ratio test per method (an afterok job).  Run on the login node after `make`.
#   jobs/ulira.sh --out DIR --config FILE --data FILE --split FILE --methods "ga ugradsl" [--shadows K]
#                 [--pool N] [--seed N] [--forget df|in] [--args-dir DIR] [--local | --dry-run]
#                 [-- program options for train and unlearn]
#   --forget   what a shadow unlearns (`ugradsl ulira plan --forget`): df = its IN half of the pool and D_f outside
#              the pool, the experiment's forget-set size (default); in = its IN half only
#   --args-dir DIR  the experiment's sweep directory: each method unlearns with its chosen DIR/METHOD.args
#   --local    no Slurm: the shadows one after another in this shell, then the scoring (small runs, tests)
#   --dry-run  print what would be submitted; nothing is written
# Cost: K trainings + K x (methods) unlearnings + one scoring pass per method (K forward passes over the pool).
# Resumable: run the same command again; finished shadows and stages (DONE markers) are skipped.
set -euo pipefail
UG_ROOT=${UG_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$UG_ROOT/jobs/lib.sh"
mode=slurm
args=()
while [ $# -gt 0 ]; do
    case $1 in
    --local) mode=local; shift ;;
    --dry-run) mode=dry; shift ;;
    --) args+=("$@"); break ;;
    *) args+=("$1"); shift ;;
    esac
done
ug_parse_opts "${args[@]}"
ug_need out config data split methods
K=${opt_shadows:-8}; pool=${opt_pool:-500}; seed=${opt_seed:-1}
[[ "$K" =~ ^[0-9]+$ ]] && [ "$K" -ge 4 ] && [ $((K % 2)) -eq 0 ] || ug_die "--shadows must be an even number >= 4 (got $K)"
for f in "$opt_config" "$opt_data" "$opt_split"; do [ -r "$f" ] || ug_die "$f: not readable"; done
[ -x "$UG_BIN" ] || ug_die "$UG_BIN not found: build it first (make)"
shadow=(--out "$opt_out" --config "$opt_config" --data "$opt_data" --methods "$opt_methods" --seed "$seed")
[ -z "${opt_args_dir:-}" ] || shadow+=(--args-dir "$opt_args_dir")
[ ${#UG_EXTRA[@]} -eq 0 ] || shadow+=(-- "${UG_EXTRA[@]}")
score=(--out "$opt_out" --data "$opt_data" --methods "$opt_methods")
plan=("$UG_BIN" ulira plan --split "$opt_split" --output "$opt_out" --shadows "$K" --pool "$pool" --seed "$seed")
[ -z "${opt_forget:-}" ] || plan+=(--forget "$opt_forget")

if [ "$mode" = dry ]; then
    echo "plan:   ${plan[*]}"
    echo "array:  sbatch --array=0-$((K - 1)) <mpi-long flags> jobs/ulira.sbatch ${shadow[*]}"
    echo "score:  sbatch --dependency=afterok:<array job> <short flags> jobs/ulira-score.sbatch ${score[*]}"
    echo "cost:   $K trainings, $((K * $(wc -w <<<"$opt_methods"))) unlearnings, $(( $(wc -w <<<"$opt_methods") + 1 )) scoring passes"
    exit 0
fi
if [ -f "$opt_out/plan.txt" ]; then
    ug_note "$opt_out/plan.txt exists: reusing it (same pool and memberships)"
else
    "${plan[@]}"
fi
if [ "$mode" = local ]; then
    for ((k = 0; k < K; k++)); do SLURM_ARRAY_TASK_ID=$k bash "$UG_ROOT/jobs/ulira.sbatch" "${shadow[@]}"; done
    bash "$UG_ROOT/jobs/ulira-score.sbatch" "${score[@]}"
    exit 0
fi
ug_site_load
ug_site_check
mkdir -p "$opt_out/logs"
mapfile -t long < <(ug_sbatch_flags mpi-long 1 ulira-shadow "$opt_out/logs")
mapfile -t short < <(ug_sbatch_flags short 1 ulira-score "$opt_out/logs")
array=$(sbatch --parsable "${long[@]}" --array=0-$((K - 1)) "$UG_ROOT/jobs/ulira.sbatch" "${shadow[@]}") ||
    ug_die "sbatch of the shadow array failed"
array=${array%%;*}
job=$(sbatch --parsable "${short[@]}" --dependency=afterok:"$array" "$UG_ROOT/jobs/ulira-score.sbatch" "${score[@]}") ||
    ug_die "sbatch of the scoring job failed"
ug_note "U-LiRA: shadows array job $array (K = $K), scoring job ${job%%;*} -> $opt_out/ulira.md"
