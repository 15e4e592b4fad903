#!/usr/bin/env bash
# tools/fault-matrix.sh — runs faults against the digits workflow and records, per case, what should happen,
# what did happen and whether data was lost (issue 18, deliverable 10; docs/RELIABILITY.md "Fault matrix").
#
#   tools/fault-matrix.sh [--fast] [--out DIR] [--no-doc]
#
# --fast: only the damaged-file cases (a few seconds: truncated and byte-flipped dataset (decoded and JPEG
# mode), split, checkpoint, metrics.json).  Otherwise also kill -9 of one rank, SIGTERM of a 2-rank run (+ resume) and a full disk (a
# 512 KiB tmpfs this script mounts and unmounts; root only, SKIP otherwise).  Writes the table between the
# fault-matrix markers of docs/RELIABILITY.md unless --no-doc; prints it too.  Needs bin/ugradsl (make).
# Exit status: 0 when every case ran and lost no data (a case whose observed behaviour differs from the
# expected one is reported as DIFFERS, not as a failure: the table is the record).
set -u
cd "$(dirname "$0")/.."
UG=$PWD/bin/ugradsl
PY=/usr/bin/python3
FAST=0; OUT=/tmp/fault-matrix.$$; DOC=1
while [ $# -gt 0 ]; do
    case $1 in
    --fast) FAST=1; shift ;;
    --out) OUT=$2; shift 2 ;;
    --no-doc) DOC=0; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "fault-matrix: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
[ -x "$UG" ] || { echo "fault-matrix: $UG not built (make)" >&2; exit 2; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 OMP_NUM_THREADS=1
MPI=(mpirun -np 2 --oversubscribe)
rm -rf "$OUT"; mkdir -p "$OUT"
MOUNTED=""
# The small tmpfs of the disk-full case is unmounted however the script ends (error, Ctrl-C, kill): lazily when
# a process still holds it, so that it never stays mounted.
cleanup() {
    if [ -n "$MOUNTED" ]; then umount "$MOUNTED" 2>/dev/null || umount -l "$MOUNTED" 2>/dev/null; MOUNTED=""; fi
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM HUP

ROWS=()   # "case|expected|observed|data lost|verdict"
lost_any=0
record() {   # record CASE EXPECTED OBSERVED LOST VERDICT
    ROWS+=("$1|$2|$3|$4|$5")
    [[ "$4" == none* ]] || lost_any=1
    printf '%-8s %s: %s\n' "$5" "$1" "$3"
}
# The first error line of a log, shortened (what a user sees).
first_error() { { grep -m1 '^ugradsl: error' "$1" || grep -m1 -iE 'error' "$1"; } | sed -E 's/^ugradsl: error: \[rank [0-9]+\] [^ ]+ //; s/\|/\//g' | cut -c1-140; }
tmp_left() { find "$1" -name '*.tmp*' 2>/dev/null | wc -l; }
# How a process ended: "exit N" or "signal NAME" (a crash of our code is a signal: always DIFFERS).
how() { local rc=$1; if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then echo "signal $(kill -l $((rc - 128)))"; else echo "exit $rc"; fi; }
flip_byte() {   # flip_byte FILE OFFSET
    $PY -c 'import sys; p, o = sys.argv[1], int(sys.argv[2]); b = bytearray(open(p, "rb").read()); b[o] ^= 0xFF; open(p, "wb").write(b)' "$1" "$2"
}
# File offset of the first byte of an HDF5 dataset's data
# (chunked: the first chunk, as stored, compressed or not).
h5_data_offset() {
    $PY -c 'import h5py, sys
d = h5py.File(sys.argv[1], "r")[sys.argv[2]].id
o = d.get_offset()
print(o if o is not None else d.get_chunk_info(0).byte_offset)' "$1" "$2"
}
# File offset of the first occurrence of a text (e.g. in the stored run config).
text_offset() { $PY -c 'import sys; print(open(sys.argv[1], "rb").read().find(sys.argv[2].encode()))' "$1" "$2"; }
model_equal() {   # the /model groups of two model files hold the same tensors (bit for bit)
    $PY - "$1" "$2" <<'EOF'
import h5py, sys, numpy as np
a, b = h5py.File(sys.argv[1], "r")["model"], h5py.File(sys.argv[2], "r")["model"]
same = sorted(a) == sorted(b) and all(np.array_equal(a[k][()], b[k][()]) for k in a)
sys.exit(0 if same else 1)
EOF
}

# ---- the workflow the faults hit: the digits set, a class-wise split, a short 2-rank training ----
echo "fault-matrix: setting up in $OUT"
CFG=inputs/demo-digits.ini
"$UG" pack --from digits-csv --output "$OUT/digits.h5" > "$OUT/setup.log" 2>&1 &&
"$UG" split --config "$CFG" --data "$OUT/digits.h5" --output "$OUT/split.h5" >> "$OUT/setup.log" 2>&1 &&
"${MPI[@]}" "$UG" train --config "$CFG" --data "$OUT/digits.h5" --split "$OUT/split.h5" --epochs 3 \
    --output "$OUT/base" >> "$OUT/setup.log" 2>&1 &&
"$UG" eval --model "$OUT/base/model.h5" --data "$OUT/digits.h5" --split "$OUT/split.h5" --method original \
    --output "$OUT/base" >> "$OUT/setup.log" 2>&1 ||
    { echo "fault-matrix: setup failed (see $OUT/setup.log)" >&2; tail -5 "$OUT/setup.log" >&2; exit 1; }
EXPECT_REFUSE="refused: exit 1, one-line error naming the file, no output written"

# damaged_case NAME FILE_KIND: runs CMD... (after --) on the damaged copy and classifies the outcome.
# A refusal (exit 1 with our error line) is the expected outcome; exit 0 is "accepted"; a signal is a crash.
damaged_case() {
    local name=$1 expected=$2 outdir=$3; shift 3
    local log=$OUT/$name.log
    timeout 300 "$@" > "$log" 2>&1; local rc=$?
    local err; err=$(first_error "$log")
    local observed verdict lost=none
    if [ $rc -eq 0 ]; then observed="accepted (exit 0)"; verdict=DIFFERS
    elif [ $rc -eq 1 ] && [ -n "$err" ]; then observed="refused: $(how $rc) ($(grep -c . "$log") lines of output): $err"; verdict=OK
    else observed="$(how $rc): ${err:-no error line}"; verdict=DIFFERS; fi
    [ -n "$outdir" ] && [ -e "$outdir/model.h5" ] && [ $rc -ne 0 ] && observed+="; a model.h5 was written"
    [ -n "$outdir" ] && [ "$(tmp_left "$outdir")" -gt 0 ] && observed+="; $(tmp_left "$outdir") *.tmp.* left"
    [[ "$expected" == accepted* ]] && [ $rc -eq 0 ] && verdict=OK
    record "$name" "$expected" "$observed" "$lost" "$verdict"
}

size_of() { stat -c %s "$1"; }

# Dataset: truncated at half; one pixel byte flipped (Fletcher-32 per chunk since issue 18); the labels' byte flipped.
cp "$OUT/digits.h5" "$OUT/ds-trunc.h5"; truncate -s $(( $(size_of "$OUT/digits.h5") / 2 )) "$OUT/ds-trunc.h5"
damaged_case "dataset truncated to half" "$EXPECT_REFUSE" "$OUT/r-ds-trunc" \
    "$UG" train --config "$CFG" --data "$OUT/ds-trunc.h5" --split "$OUT/split.h5" --epochs 1 --output "$OUT/r-ds-trunc"
cp "$OUT/digits.h5" "$OUT/ds-pixel.h5"; flip_byte "$OUT/ds-pixel.h5" $(( $(h5_data_offset "$OUT/digits.h5" train/images) + 100 ))
damaged_case "dataset: one pixel byte flipped" "refused: the chunk's checksum (Fletcher-32) fails; one line naming the file and re-pack" "$OUT/r-ds-pixel" \
    "$UG" train --config "$CFG" --data "$OUT/ds-pixel.h5" --split "$OUT/split.h5" --epochs 1 --output "$OUT/r-ds-pixel"
# JPEG mode: 10 classes of small grey JPEGs (PIL), packed as encoded bytes; one byte of the JPEG blob flipped.
if $PY - "$OUT/jtree" <<'EOF'
import os, random, sys
from PIL import Image
random.seed(1)
for split, count in (("train", 6), ("test", 2)):
    for c in range(10):
        d = os.path.join(sys.argv[1], split, "c%d" % c); os.makedirs(d, exist_ok=True)
        for i in range(count):
            im = Image.new("L", (8, 8)); im.putdata([random.randrange(256) for _ in range(64)]); im.save(os.path.join(d, "%d.jpg" % i), quality=90)
EOF
then
    "$UG" pack --from folder --input "$OUT/jtree" --output "$OUT/jpeg.h5" --mode jpeg --channels 1 >> "$OUT/setup.log" 2>&1 &&
    "$UG" split --config "$CFG" --data "$OUT/jpeg.h5" --output "$OUT/jsplit.h5" >> "$OUT/setup.log" 2>&1 &&
    cp "$OUT/jpeg.h5" "$OUT/ds-jpeg.h5" && flip_byte "$OUT/ds-jpeg.h5" $(( $(h5_data_offset "$OUT/jpeg.h5" train/jpeg) + 100 ))
    damaged_case "dataset (JPEG mode): one JPEG byte flipped" "refused: the chunk's checksum (Fletcher-32) fails; one line naming the file and re-pack" "$OUT/r-ds-jpeg" \
        "$UG" train --config "$CFG" --data "$OUT/ds-jpeg.h5" --split "$OUT/jsplit.h5" --epochs 1 --output "$OUT/r-ds-jpeg"
else
    record "dataset (JPEG mode): one JPEG byte flipped" "refused" "SKIP: no PIL for $PY to make the JPEGs" none SKIP
fi
cp "$OUT/digits.h5" "$OUT/ds-label.h5"; flip_byte "$OUT/ds-label.h5" $(( $(h5_data_offset "$OUT/digits.h5" train/labels) + 40 ))
damaged_case "dataset: one train label byte flipped" "refused: the labels' checksum fails (files packed before the checksums: the split's labels hash)" "$OUT/r-ds-label" \
    "$UG" train --config "$CFG" --data "$OUT/ds-label.h5" --split "$OUT/split.h5" --epochs 1 --output "$OUT/r-ds-label"

# Split: truncated; one index byte flipped in the forget set.
cp "$OUT/split.h5" "$OUT/split-trunc.h5"; truncate -s $(( $(size_of "$OUT/split.h5") / 2 )) "$OUT/split-trunc.h5"
damaged_case "split truncated to half" "$EXPECT_REFUSE" "$OUT/r-split-trunc" \
    "$UG" train --config "$CFG" --data "$OUT/digits.h5" --split "$OUT/split-trunc.h5" --epochs 1 --output "$OUT/r-split-trunc"
cp "$OUT/split.h5" "$OUT/split-flip.h5"; flip_byte "$OUT/split-flip.h5" $(( $(h5_data_offset "$OUT/split.h5" forget) + 8 * 5 + 1 ))
damaged_case "split: one forget-index byte flipped" "refused (invariants: sorted, disjoint, union)" "$OUT/r-split-flip" \
    "$UG" train --config "$CFG" --data "$OUT/digits.h5" --split "$OUT/split-flip.h5" --epochs 1 --output "$OUT/r-split-flip"

# Checkpoint: truncated; a weight byte flipped (checksum); a byte of the stored run config flipped.
cp "$OUT/base/checkpoint.h5" "$OUT/ck-trunc.h5"; truncate -s $(( $(size_of "$OUT/ck-trunc.h5") / 2 )) "$OUT/ck-trunc.h5"
damaged_case "checkpoint truncated to half" "$EXPECT_REFUSE" "$OUT/r-ck-trunc" \
    "$UG" eval --model "$OUT/ck-trunc.h5" --data "$OUT/digits.h5" --split "$OUT/split.h5" --output "$OUT/r-ck-trunc"
cp "$OUT/base/checkpoint.h5" "$OUT/ck-weight.h5"; flip_byte "$OUT/ck-weight.h5" $(( $(h5_data_offset "$OUT/ck-weight.h5" model/fc.weight) + 2 ))
damaged_case "checkpoint: one weight byte flipped" "refused: checksum mismatch" "$OUT/r-ck-weight" \
    "$UG" eval --model "$OUT/ck-weight.h5" --data "$OUT/digits.h5" --split "$OUT/split.h5" --output "$OUT/r-ck-weight"
# The flipped byte is in a value the resume's option comparison does not look at (eval-batch), and the resume
# uses the run's own options, so that only the checksum can refuse it.
cp "$OUT/base/checkpoint.h5" "$OUT/ck-config.h5"
off=$(text_offset "$OUT/ck-config.h5" "eval-batch = ")
if [ "$off" -ge 0 ]; then
    flip_byte "$OUT/ck-config.h5" $(( off + 13 ))
    damaged_case "checkpoint: a run_config byte flipped (--resume)" "refused: checksum covers the run config (issue 18 item 1)" "$OUT/r-ck-config" \
        "${MPI[@]}" "$UG" train --config "$CFG" --data "$OUT/digits.h5" --split "$OUT/split.h5" --epochs 3 \
        --resume "$OUT/ck-config.h5" --output "$OUT/r-ck-config"
else
    record "checkpoint: a run_config byte flipped (--resume)" "refused" "SKIP: no run_config text found" none SKIP
fi

# metrics.json: truncated, read back by report.
mkdir -p "$OUT/rep/original"; cp "$OUT/base/model.h5" "$OUT/rep/original/"
head -c $(( $(size_of "$OUT/base/metrics.json") / 2 )) "$OUT/base/metrics.json" > "$OUT/rep/original/metrics.json"
damaged_case "metrics.json truncated (report)" "refused, or the run skipped with a warning naming the file" "" \
    "$UG" report "$OUT/rep" --output "$OUT/rep"

if [ $FAST = 0 ]; then
    LONG=(--config "$CFG" --data "$OUT/digits.h5" --split "$OUT/split.h5" --epochs 300 --checkpoint-every-steps 20)
    # ranks_of PID: the rank processes mpirun started (its children).
    ranks_of() { pgrep -P "$1"; }
    wait_for_file() { for _ in $(seq 1 600); do [ -e "$1" ] && return 0; sleep 0.1; done; return 1; }

    # SIGTERM of every rank (as Slurm's preemption does), then --resume: the final model must equal the
    # model of an uninterrupted run.
    "${MPI[@]}" "$UG" train "${LONG[@]}" --output "$OUT/term" > "$OUT/term.log" 2>&1 &
    mp=$!
    wait_for_file "$OUT/term/checkpoint.h5"; sleep 1
    for p in $(ranks_of $mp); do kill -TERM "$p"; done
    wait $mp; rc=$?
    if [ $rc -eq 75 ]; then
        "${MPI[@]}" "$UG" train "${LONG[@]}" --resume "$OUT/term/checkpoint.h5" --output "$OUT/term" >> "$OUT/term.log" 2>&1; rc2=$?
        "${MPI[@]}" "$UG" train "${LONG[@]}" --output "$OUT/straight" > "$OUT/straight.log" 2>&1
        if [ $rc2 -eq 0 ] && model_equal "$OUT/term/model.h5" "$OUT/straight/model.h5"; then
            record "SIGTERM of a 2-rank train, then --resume" "exit 75 with a checkpoint; resume ends with the model of an uninterrupted run" \
                "exit 75; resume exit 0; final model bit-identical to the uninterrupted run; $(tmp_left "$OUT/term") *.tmp.* left" none OK
        else
            record "SIGTERM of a 2-rank train, then --resume" "exit 75; resume gives the uninterrupted run's model" \
                "exit 75; resume $(how $rc2); model $(model_equal "$OUT/term/model.h5" "$OUT/straight/model.h5" 2>/dev/null && echo equal || echo DIFFERENT)" \
                "$( [ $rc2 -eq 0 ] && echo none || echo 'the run (resume failed)')" DIFFERS
        fi
    else
        record "SIGTERM of a 2-rank train, then --resume" "exit 75 with a checkpoint" "$(how $rc): $(first_error "$OUT/term.log")" \
            "$( [ -e "$OUT/term/checkpoint.h5" ] && echo none || echo 'the run')" DIFFERS
    fi

    # kill -9 of one rank: the other must not hang; the last checkpoint stays loadable and resumable.
    "${MPI[@]}" "$UG" train "${LONG[@]}" --output "$OUT/kill" > "$OUT/kill.log" 2>&1 &
    mp=$!
    wait_for_file "$OUT/kill/checkpoint.h5"; sleep 1
    victim=$(ranks_of $mp | tail -1); t0=$(date +%s)
    kill -KILL "$victim"
    wait $mp; rc=$?; dt=$(( $(date +%s) - t0 ))
    obs="mpirun $(how $rc) ${dt}s after the kill; $(tmp_left "$OUT/kill") *.tmp.* left"
    [ -e "$OUT/kill/model.h5" ] && obs+="; model.h5 present"
    "${MPI[@]}" "$UG" train "${LONG[@]}" --resume "$OUT/kill/checkpoint.h5" --output "$OUT/kill" >> "$OUT/kill.log" 2>&1; rc2=$?
    obs+="; --resume from the last checkpoint: $(how $rc2)"
    verdict=OK; [ $rc -ne 0 ] && [ $dt -lt 60 ] && [ $rc2 -eq 0 ] || verdict=DIFFERS
    [ "$(tmp_left "$OUT/kill")" -gt 0 ] && verdict=DIFFERS
    record "kill -9 of rank 1 during train" "the run ends non-zero within seconds (no hang), no *.tmp.* left; resume from the last checkpoint completes" \
        "$obs" "$( [ $rc2 -eq 0 ] && echo 'none (steps since the last checkpoint are recomputed)' || echo 'the run')" $verdict

    # Disk full: a 512 KiB tmpfs as the output folder (a checkpoint of this model is ~200 KiB).
    if [ "$(id -u)" -eq 0 ] && mkdir -p "$OUT/full" && mount -t tmpfs -o size=512k tmpfs "$OUT/full" 2>/dev/null; then
        MOUNTED=$OUT/full
        dd if=/dev/zero of="$OUT/full/filler" bs=1k count=400 status=none 2>/dev/null
        timeout 300 "${MPI[@]}" "$UG" train --config "$CFG" --data "$OUT/digits.h5" --split "$OUT/split.h5" --epochs 2 \
            --output "$OUT/full/run" > "$OUT/full.log" 2>&1; rc=$?
        lines=$(grep -c . "$OUT/full.log")
        nospc=$(grep -c -i 'no space left' "$OUT/full.log")
        obs="$(how $rc); $lines lines of output; 'No space left on device' $( [ "$nospc" -gt 0 ] && echo named || echo 'NOT named'); $(tmp_left "$OUT/full") *.tmp.* left; first error: $(first_error "$OUT/full.log")"
        verdict=OK; { [ $rc -ne 0 ] && [ "$nospc" -gt 0 ] && [ "$(tmp_left "$OUT/full")" -eq 0 ] && [ "$lines" -lt 15 ]; } || verdict=DIFFERS
        lost=none
        [ -e "$OUT/full/run/model.h5" ] && ! $PY -c 'import h5py, sys; h5py.File(sys.argv[1], "r")' "$OUT/full/run/model.h5" 2>/dev/null \
            && lost="a damaged model.h5 left as the result"
        record "disk full (512 KiB tmpfs) during train" "non-zero exit, one line naming 'No space left on device', no *.tmp.* left, no partial model.h5" \
            "$obs" "$lost" $verdict
        cleanup
    else
        record "disk full (512 KiB tmpfs) during train" "non-zero exit naming ENOSPC" "SKIP: cannot mount a tmpfs here (needs root)" none SKIP
    fi
fi

# ---- the table ----
table() {
    echo "| case | expected | observed | data lost | verdict |"
    echo "|---|---|---|---|---|"
    for r in "${ROWS[@]}"; do echo "| ${r//|/ | } |"; done
}
T=$(table)
echo; echo "$T"
if [ $DOC = 1 ]; then
    DOCF=docs/RELIABILITY.md
    stamp="Last run: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $( [ $FAST = 1 ] && echo 'tools/fault-matrix.sh --fast' || echo 'tools/fault-matrix.sh')."
    $PY - "$DOCF" "$stamp" "$T" <<'EOF'
import sys, re
path, stamp, table = sys.argv[1:4]
text = open(path).read()
begin, end = "<!-- fault-matrix:begin -->", "<!-- fault-matrix:end -->"
block = begin + "\n" + stamp + "\n\n" + table + "\n" + end
text = re.sub(re.escape(begin) + ".*?" + re.escape(end), lambda m: block, text, flags=re.S) if begin in text else text + "\n" + block + "\n"
open(path, "w").write(text)
EOF
    echo "fault-matrix: table written to $DOCF"
fi
[ $lost_any -eq 0 ]
