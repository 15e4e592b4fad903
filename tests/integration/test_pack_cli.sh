#!/usr/bin/env bash
# `ugradsl pack` / `inspect` from the command line: the digits default (1 and 2 ranks give the same file
# content), inspect's JSON, and the option errors (non-zero exit, one clear line, no output file left).
set -u
cd "$(dirname "$0")/../.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
U=bin/ugradsl
DIGITS=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz

if [ ! -f "$DIGITS" ]; then
    echo "SKIP test_pack_cli/digits: $DIGITS absent (python3-sklearn not installed)"
else
    ok=1
    $U pack --output "$T/d1.h5" --json "$T/p.json" > "$T/o1" 2> "$T/e1" || { ok=0; cat "$T/e1"; }
    mpirun -np 2 --oversubscribe $U pack --from digits-csv --output "$T/d2.h5" > /dev/null 2> "$T/e2" || { ok=0; cat "$T/e2"; }
    $U inspect "$T/d1.h5" --json "$T/i.json" > /dev/null 2>&1 || ok=0
    /usr/bin/python3 - "$T/i.json" "$T/p.json" <<'PY' || ok=0
import json, sys
d = json.load(open(sys.argv[1]))["dataset"]; p = json.load(open(sys.argv[2]))
s = d["splits"]
assert s["train"]["n"] + s["test"]["n"] == 1797, s
assert s["test"]["n"] == 359 and [d["height"], d["width"], d["channels"]] == [8, 8, 1], d
assert all(35 <= c <= 37 for c in s["test"]["class_counts"]), s["test"]["class_counts"]
assert p["splits"]["train"] == s["train"]["n"] and abs(p["mean"][0] - d["mean"][0]) < 1e-9, p
PY
    # same content at 1 and 2 ranks (h5dump ignores file-layout bytes that may differ)
    if command -v h5dump > /dev/null; then
        cmp <(h5dump "$T/d1.h5" | tail -n +2) <(h5dump "$T/d2.h5" | tail -n +2) > /dev/null || { ok=0; echo "np 1 and np 2 differ"; }
    fi
    [ $ok = 1 ] && echo "PASS test_pack_cli/digits" || echo "FAIL test_pack_cli/digits"
fi

# expect_error NAME MESSAGE CMD...: non-zero exit, MESSAGE on stderr, no output file
expect_error() {
    local name=$1 msg=$2; shift 2
    rm -f "$T/out.h5"
    if "$@" > /dev/null 2> "$T/err"; then echo "FAIL test_pack_cli/$name: exit 0"; return; fi
    if ! grep -qF -- "$msg" "$T/err"; then echo "FAIL test_pack_cli/$name: stderr lacks '$msg':"; cat "$T/err"; return; fi
    if [ -e "$T/out.h5" ]; then echo "FAIL test_pack_cli/$name: output file left behind"; return; fi
    echo "PASS test_pack_cli/$name"
}
expect_error no_output "--output FILE.h5 is required" $U pack --from digits-csv
expect_error unknown_from "unknown --from 'mnist'" $U pack --from mnist --input x --output "$T/out.h5"
expect_error jpeg_not_folder "apply to --from folder only" $U pack --from digits-csv --mode jpeg --output "$T/out.h5"
expect_error bad_mode "--mode must be decoded or jpeg" $U pack --from folder --input "$T" --mode png --output "$T/out.h5"
expect_error jpeg_resize "JPEG mode keeps the original bytes" $U pack --from folder --input "$T" --mode jpeg --resize 64 --output "$T/out.h5"
expect_error missing_folder "not found" $U pack --from folder --input "$T/nope" --output "$T/out.h5"
mkdir -p "$T/tree/train/cat" "$T/tree/train/dog"
echo "hello" > "$T/tree/train/cat/x.jpg"
expect_error empty_class "train/dog' has no images" mpirun -np 2 --oversubscribe $U pack --from folder --input "$T/tree" --output "$T/out.h5"
mkdir -p "$T/tree/train/dog" && cp "$T/tree/train/cat/x.jpg" "$T/tree/train/dog/y.jpg"
expect_error bad_image "bad image '$T/tree/train/cat/x.jpg': not a JPEG or PNG" mpirun -np 2 --oversubscribe $U pack --from folder --input "$T/tree" --output "$T/out.h5"
expect_error all_bad "no readable image" $U pack --from folder --input "$T/tree" --skip-bad --output "$T/out.h5"
expect_error cifar_missing "data_batch_1.bin' is missing" $U pack --from cifar10-bin --input "$T" --output "$T/out.h5"
expect_error inspect_missing "not found" $U inspect "$T/nope.h5"
expect_error inspect_not_h5 "is not an HDF5 file" $U inspect "$T/tree/train/cat/x.jpg"

# inspect on any HDF5 file (split files, checkpoints): generic listing with exact attribute values
if /usr/bin/python3 -c "import h5py" 2> /dev/null; then
    /usr/bin/python3 - "$T/generic.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["hash"] = np.uint64(13354262110179115912)
    f.attrs["name"] = "ckpt"   # h5py writes variable-length UTF-8 strings
    f.create_group("params").create_dataset("w", data=np.zeros((3, 4), np.float32)).attrs["layer"] = "conv1"
PY
    if $U inspect "$T/generic.h5" --json "$T/g.json" > "$T/g.txt" 2> "$T/g.err" \
        && grep -q '/params/w  float32 \[3,4\]' "$T/g.txt" && grep -q '@layer (string scalar) = "conv1"' "$T/g.txt" \
        && grep -q '"hash": "13354262110179115912"' "$T/g.json" && grep -q '"name": "ckpt"' "$T/g.json"; then
        echo "PASS test_pack_cli/inspect_generic"
    else
        echo "FAIL test_pack_cli/inspect_generic"; cat "$T/g.txt" "$T/g.err"
    fi
else
    echo "SKIP test_pack_cli/inspect_generic: h5py not installed for /usr/bin/python3"
fi
