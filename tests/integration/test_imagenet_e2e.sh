#!/usr/bin/env bash
# Issue 20, CI size: ImageNet and Tiny-ImageNet as distributed, end to end at 2 ranks.
#   tiny_e2e         Tiny-ImageNet layout (tools/make-imagenet-fixture.py tiny) -> pack -> random split -> train
#                    (ResNet-18 w16, 1 epoch) -> unlearn ugradsl -> eval -> report: TA from val/ (the test split)
#   no_eval_split_is_error  a dataset packed without val/ (no test split): eval and unlearn exit non-zero with one
#                    line naming the dataset, and write nothing
#   imagenet_pack    ImageNet layout (flat val/ + devkit ground truth + meta.mat, CMYK / grey / PNG-named-.JPEG
#                    files) -> pack --mode jpeg at 2 ranks: 10 classes, test = val (50), no val split, the
#                    wnids and their words stored, the PNG re-encoded
#   imagenet_train_jpeg  class-wise split, then `train` straight from the JPEG-mode file at 2 ranks (ImageNet stem,
#                    224x224 crops decoded on the fly, width 16 for speed)
#   imagenet_unlearn_eval_jpeg  eval, unlearn ugradsl and report on the same JPEG-mode file: TA from val/
set -u
cd "$(dirname "$0")/../.."
PY=/usr/bin/python3
UG=bin/ugradsl
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
MPI=(mpirun -np 2 --oversubscribe)
if ! $PY -c "import numpy, PIL" 2>/dev/null; then
    for n in tiny_e2e imagenet_pack imagenet_unlearn_eval_jpeg imagenet_train_jpeg; do echo "SKIP $n: numpy/PIL missing for the fixture"; done
    exit 0
fi
fail() { echo "FAIL $1: $2"; [ -f "${3:-}" ] && tail -5 "$3" | sed 's/^/    /'; }
t0=$(date +%s)

# ---- Tiny-ImageNet
tiny_ok=0
if $PY tools/make-imagenet-fixture.py tiny "$T/tiny" > "$T/tiny-fx.log" 2>&1 &&
   "${MPI[@]}" $UG pack --from folder --input "$T/tiny" --output "$T/tiny.h5" > "$T/tiny-pack.log" 2>&1 &&
   $UG split --data "$T/tiny.h5" --output "$T/tiny-split.h5" --paradigm random --fraction 0.1 --val-fraction 0.1 --seed 1 > "$T/tiny-split.log" 2>&1 &&
   "${MPI[@]}" $UG train --data "$T/tiny.h5" --split "$T/tiny-split.h5" --output "$T/tr/original" --arch resnet18 --width 16 \
       --epochs 1 --batch 64 --lr 0.05 --seed 1 > "$T/tiny-train.log" 2>&1 &&
   "${MPI[@]}" $UG eval --model "$T/tr/original/model.h5" --data "$T/tiny.h5" --split "$T/tiny-split.h5" --output "$T/tr/original" \
       --mia-bootstrap 0 --no-add-mia --no-mia-extras > "$T/tiny-eval0.log" 2>&1 &&
   "${MPI[@]}" $UG unlearn --method ugradsl --data "$T/tiny.h5" --split "$T/tiny-split.h5" --model "$T/tr/original/model.h5" \
       --output "$T/tr/ugradsl" --epochs 1 --lr 1e-3 --p 0.85 --alpha -0.5 --batch 32 --seed 1 > "$T/tiny-unlearn.log" 2>&1 &&
   $UG report "$T/tr" --no-plot > "$T/tiny-report.log" 2>&1; then
    $PY - "$T/tr/report.json" "$T/tiny-pack.log" <<'PYEOF'
import json, sys
rows = {r["method"]: r for r in json.load(open(sys.argv[1]))}
pack = open(sys.argv[2]).read()
p = []
if "train 200, val 0, test 50" not in pack: p.append("pack did not give train 200 / test 50 (val as test): " + pack.strip().splitlines()[-3])
for m in ("original", "ugradsl"):
    if m not in rows: p.append("report lacks " + m)
    elif rows[m].get("TA") is None: p.append("%s TA is null (no test split?)" % m)
print("PASS tiny_e2e" if not p else "FAIL tiny_e2e: " + "; ".join(p))
PYEOF
else
    fail tiny_e2e "a step failed" "$(ls -t "$T"/tiny-*.log | head -1)"
fi

# ---- no evaluation split: eval and unlearn refuse with one line naming the dataset, write nothing
if [ -d "$T/tiny/train" ]; then
    mkdir -p "$T/noval" && cp -r "$T/tiny/train" "$T/tiny/wnids.txt" "$T/noval/" 2>/dev/null
    [ -f "$T/tiny/words.txt" ] && cp "$T/tiny/words.txt" "$T/noval/"
    if $UG pack --from folder --input "$T/noval" --output "$T/noval.h5" > "$T/noval-pack.log" 2>&1 &&
       $UG split --data "$T/noval.h5" --output "$T/noval-split.h5" --paradigm random --fraction 0.1 --seed 1 > "$T/noval-split.log" 2>&1; then
        $UG eval --model "$T/tr/original/model.h5" --data "$T/noval.h5" --split "$T/noval-split.h5" --output "$T/nv" > "$T/noval-eval.log" 2>&1
        rc_eval=$?
        $UG unlearn --method ga --model "$T/tr/original/model.h5" --data "$T/noval.h5" --split "$T/noval-split.h5" --output "$T/nv2" > "$T/noval-unlearn.log" 2>&1
        rc_unl=$?
        if [ $rc_eval -ne 0 ] && [ $rc_unl -ne 0 ] && grep -q "has no evaluation (test) split" "$T/noval-eval.log" &&
           grep -q "has no evaluation (test) split" "$T/noval-unlearn.log" && [ ! -e "$T/nv/metrics.json" ] && [ ! -e "$T/nv2/model.h5" ]; then
            echo "PASS no_eval_split_is_error"
        else
            fail no_eval_split_is_error "eval rc $rc_eval, unlearn rc $rc_unl (want non-zero, one line, nothing written)" "$T/noval-eval.log"
        fi
    else
        fail no_eval_split_is_error "pack/split of the train-only copy failed" "$T/noval-pack.log"
    fi
else
    echo "SKIP no_eval_split_is_error: no Tiny-ImageNet fixture"
fi
# ---- ImageNet
if ! $PY tools/make-imagenet-fixture.py imagenet "$T/in" > "$T/in-fx.log" 2>&1 ||
   ! "${MPI[@]}" $UG pack --from folder --input "$T/in" --output "$T/in.h5" --mode jpeg --json "$T/in-pack.json" > "$T/in-pack.log" 2>&1; then
    fail imagenet_pack "fixture or pack failed" "$T/in-pack.log"
    for n in imagenet_unlearn_eval_jpeg imagenet_train_jpeg; do echo "SKIP $n: no packed ImageNet fixture"; done
    exit 0
fi
$PY - "$T/in.h5" "$T/in-pack.json" <<'PYEOF'
import json, sys
import h5py
f = h5py.File(sys.argv[1], "r")
r = json.load(open(sys.argv[2]))
p = []
names = [n.decode() for n in f.attrs["class_names"]]
if names != sorted(names) or len(names) != 10 or names[0] != "n01440764": p.append("class names %s" % names[:3])
words = [w.decode() for w in f.attrs.get("class_descriptions", [])]
if len(words) != 10 or words[0] != "tench, Tinca tinca": p.append("class_descriptions %s" % words[:2])
if "val" in f: p.append("a val split remains (val/ must become test)")
if "test" not in f or f["test/labels"].shape[0] != 50: p.append("test split is not the 50 val images")
if r.get("png_reencoded") != 1: p.append("png_reencoded %s, expected 1" % r.get("png_reencoded"))
print("PASS imagenet_pack" if not p else "FAIL imagenet_pack: " + "; ".join(p))
PYEOF
# The user's path: train, unlearn and eval all straight from the JPEG-mode file (on-the-fly decode; train
# RandomResizedCrop(224) + flip, eval Resize(256) + CenterCrop(224)), then the report.
if $UG split --data "$T/in.h5" --output "$T/s.h5" --paradigm class --classes 0 --val-fraction 0.1 --seed 1 > "$T/in-split.log" 2>&1 &&
   "${MPI[@]}" $UG train --data "$T/in.h5" --split "$T/s.h5" --output "$T/ir/original" --arch resnet18 --imagenet-stem --width 16 \
       --epochs 1 --batch 32 --lr 0.05 --eval-batch 32 --seed 1 > "$T/in-train.log" 2>&1; then
    if grep -q "224x224x3 imagenet-stem" "$T/in-train.log"; then echo "PASS imagenet_train_jpeg"
    else fail imagenet_train_jpeg "the model is not a 224x224 ImageNet-stem ResNet" "$T/in-train.log"; fi
else
    fail imagenet_train_jpeg "train from the JPEG-mode file failed" "$T/in-train.log"
fi
if [ -f "$T/ir/original/model.h5" ] &&
   "${MPI[@]}" $UG eval --model "$T/ir/original/model.h5" --data "$T/in.h5" --split "$T/s.h5" --output "$T/ir/original" \
       --batch 16 --mia-bootstrap 0 --no-add-mia --no-mia-extras > "$T/in-eval0.log" 2>&1 &&
   "${MPI[@]}" $UG unlearn --method ugradsl --data "$T/in.h5" --split "$T/s.h5" --model "$T/ir/original/model.h5" \
       --output "$T/ir/ugradsl" --epochs 1 --lr 1e-3 --p 0.85 --alpha -0.5 --batch 16 --eval-batch 32 --seed 1 > "$T/in-unlearn.log" 2>&1 &&
   $UG report "$T/ir" --no-plot > "$T/in-report.log" 2>&1; then
    $PY - "$T/ir/report.json" <<'PYEOF'
import json, sys
rows = {r["method"]: r for r in json.load(open(sys.argv[1]))}
p = [m + (" missing" if m not in rows else " TA null") for m in ("original", "ugradsl") if rows.get(m, {}).get("TA") is None]
print("PASS imagenet_unlearn_eval_jpeg" if not p else "FAIL imagenet_unlearn_eval_jpeg: " + "; ".join(p))
PYEOF
else
    fail imagenet_unlearn_eval_jpeg "a step failed" "$(ls -t "$T"/in*.log | head -1)"
fi
echo "# test_imagenet_e2e: $(( $(date +%s) - t0 )) s"
