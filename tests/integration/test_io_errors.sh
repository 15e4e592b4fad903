#!/usr/bin/env bash
# One-line causes for I/O failures: a dataset written to a full disk (a 64 KiB tmpfs) ends with one error line
# that names the system's cause ("No space left on device") and no HDF5 error stack; UG_DEBUG_HDF5=1 shows it.
#   io_disk_full        one line, errno text, no stack
#   io_disk_full_debug  UG_DEBUG_HDF5=1: the HDF5 stack is printed
set -u
cd "$(dirname "$0")/../.."
BIN=bin/ugradsl
CSV=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
if [ ! -f "$CSV" ]; then echo "SKIP io_disk_full: $CSV absent"; echo "SKIP io_disk_full_debug: $CSV absent"; exit 0; fi
T=$(mktemp -d)
if ! mount -t tmpfs -o size=64k tmpfs "$T" 2>/dev/null; then
    rmdir "$T"
    echo "SKIP io_disk_full: cannot mount a small tmpfs here (needs root)"
    echo "SKIP io_disk_full_debug: cannot mount a small tmpfs here (needs root)"
    exit 0
fi
trap 'umount "$T"; rmdir "$T"' EXIT
OMP_NUM_THREADS=1 $BIN pack --from digits-csv --output "$T/digits.h5" > /dev/null 2> "$T.err"; rc=$?
errors=$(grep -c "ugradsl: error" "$T.err"); lines=$(wc -l < "$T.err")
if [ $rc -ne 0 ] && [ "$errors" = 1 ] && [ "$lines" -le 2 ] && grep -q "No space left on device" "$T.err" && ! grep -q "HDF5-DIAG" "$T.err"; then
    echo "PASS io_disk_full ($(grep 'ugradsl: error' "$T.err" | cut -c1-160))"
else
    echo "FAIL io_disk_full: exit $rc, $lines stderr lines:"; head -5 "$T.err" | sed 's/^/    /'
fi
rm -f "$T"/*
UG_DEBUG_HDF5=1 OMP_NUM_THREADS=1 $BIN pack --from digits-csv --output "$T/digits.h5" > /dev/null 2> "$T.err"; rc=$?
if [ $rc -ne 0 ] && grep -q "HDF5-DIAG" "$T.err" && grep -q "No space left on device" "$T.err"; then echo "PASS io_disk_full_debug"
else echo "FAIL io_disk_full_debug: exit $rc, no HDF5 stack with UG_DEBUG_HDF5=1"; head -5 "$T.err" | sed 's/^/    /'; fi
rm -f "$T.err"
