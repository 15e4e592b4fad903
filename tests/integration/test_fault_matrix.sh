#!/usr/bin/env bash
# The fast subset of the fault matrix (tools/fault-matrix.sh --fast; docs/RELIABILITY.md): truncated and
# byte-flipped dataset, split, checkpoint and metrics.json files.
#   fault_matrix_no_data_lost   no case loses data (the tool's exit status)
#   fault_matrix_refusals       every damaged file is refused with one line, except the known gap: a flipped
#                               pixel byte in a dataset (datasets carry no content checksum yet; RELIABILITY.md)
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
out=$(tools/fault-matrix.sh --fast --no-doc --out "$T/fm" 2>&1); rc=$?
if [ $rc -eq 0 ]; then echo "PASS fault_matrix_no_data_lost"; else echo "FAIL fault_matrix_no_data_lost: exit $rc"; fi
rows=$(grep -c '^| ' <<<"$out")
bad=$(grep '^| ' <<<"$out" | grep -v '^| case\|^|---' | grep -v '| OK |$' | grep -v 'one pixel byte flipped')
if [ "$rows" -ge 9 ] && [ -z "$bad" ]; then echo "PASS fault_matrix_refusals"
else echo "FAIL fault_matrix_refusals: $(head -c 300 <<<"${bad:-only $rows rows}")"; fi
