#!/usr/bin/env bash
# The PyTorch bridges, on a small digits model trained by `ugradsl train`:
#   ckpt_to_torch    tools/ckpt_to_torch.py loads model.h5 into the torchvision-named twin with strict=True
#   torch_to_ckpt    tools/torch_to_ckpt.py writes it back: same arrays, and `ugradsl eval` accepts the file
#                    (config, tensor names/shapes and checksum all validated by checkpoint_load)
#   train_on_retain  `train --split S --on retain` trains on D_r only and records it in train.json
set -u
cd "$(dirname "$0")/../.."
BIN=bin/ugradsl
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
CSV=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
if [ ! -f "$CSV" ] || ! $PY -c "import torch, h5py" 2>/dev/null; then
    for n in ckpt_to_torch torch_to_ckpt train_on_retain; do echo "SKIP $n: needs python3-sklearn, python3-torch, python3-h5py"; done
    exit 0
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$BIN pack --from digits-csv --output "$T/d.h5" > "$T/log" 2>&1 && \
$BIN split --data "$T/d.h5" --output "$T/s.h5" --paradigm class --classes 3 >> "$T/log" 2>&1 && \
$BIN train --config inputs/digits_small_cnn.ini --data "$T/d.h5" --epochs 2 --output "$T/run" >> "$T/log" 2>&1 \
    || { echo "FAIL ckpt_to_torch: setup (pack/split/train) failed"; tail -5 "$T/log" >&2; exit 1; }

if $PY tools/ckpt_to_torch.py "$T/run/model.h5" --save "$T/m.pt" --check-batch 3 > "$T/c2t.log" 2>&1 &&
   grep -q "logits shape (3, 10)" "$T/c2t.log"; then
    echo "PASS ckpt_to_torch"
else
    echo "FAIL ckpt_to_torch"; tail -5 "$T/c2t.log" >&2
fi

if $PY tools/torch_to_ckpt.py "$T/m.pt" "$T/back.h5" --arch small_cnn --width 16 --classes 10 --in-size 8 \
       --in-channels 1 > "$T/t2c.log" 2>&1 &&
   $PY - "$T/run/model.h5" "$T/back.h5" <<'PYEOF' &&
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r")["model"], h5py.File(sys.argv[2], "r")["model"]
assert sorted(a) == sorted(b), "tensor names differ"
for k in a:
    assert np.asarray(a[k][()]).tobytes() == np.asarray(b[k][()]).tobytes(), k
PYEOF
   $BIN eval --model "$T/back.h5" --data "$T/d.h5" --split "$T/s.h5" --json "$T/m.json" --mia-bootstrap 0 \
       --no-add-mia > "$T/eval.log" 2>&1; then
    echo "PASS torch_to_ckpt"
else
    echo "FAIL torch_to_ckpt"; cat "$T/t2c.log" "$T/eval.log" 2>/dev/null | tail -n 8 >&2
fi

if $BIN train --config inputs/digits_small_cnn.ini --data "$T/d.h5" --split "$T/s.h5" --on retain --epochs 1 \
       --output "$T/rt" > "$T/rt.log" 2>&1; then
    n=$($PY -c "import json;d=json.load(open('$T/rt/train.json'));print(d['train_images'], d['on'])")
    want=$($PY -c "import h5py;print(h5py.File('$T/s.h5','r')['retain'].shape[0], 'retain')")
    if [ "$n" = "$want" ]; then echo "PASS train_on_retain"; else echo "FAIL train_on_retain: trained on '$n', want '$want'"; fi
else
    echo "FAIL train_on_retain"; tail -3 "$T/rt.log" >&2
fi
