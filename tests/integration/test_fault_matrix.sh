#!/usr/bin/env bash
# The fast subset of the fault matrix (tools/fault-matrix.sh --fast; docs/RELIABILITY.md): truncated and
# byte-flipped dataset (decoded and JPEG mode), split, checkpoint and metrics.json files.
#   fault_matrix_no_data_lost   no case loses data (the tool's exit status)
#   fault_matrix_refusals       every damaged file is refused with one error line, a flipped pixel or JPEG byte
#                               included (the datasets' Fletcher-32 chunk checksums); the JPEG case is SKIP only
#                               where /usr/bin/python3 has no PIL to make its images
#   fault_matrix_pixel_flip     the pixel-byte case is there, OK, and its line says checksum and re-pack
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
out=$(tools/fault-matrix.sh --fast --no-doc --out "$T/fm" 2>&1); rc=$?
if [ $rc -eq 0 ]; then echo "PASS fault_matrix_no_data_lost"; else echo "FAIL fault_matrix_no_data_lost: exit $rc"; fi
rows=$(grep '^| ' <<<"$out" | grep -vc '^| case\|^|---')
bad=$(grep '^| ' <<<"$out" | grep -v '^| case\|^|---' | grep -v '| OK |$' | grep -v '^| dataset (JPEG mode).*| SKIP |$')
if [ "$rows" -ge 10 ] && [ -z "$bad" ]; then echo "PASS fault_matrix_refusals"
else echo "FAIL fault_matrix_refusals: $(head -c 300 <<<"${bad:-only $rows rows}")"; fi
pixel=$(grep '^| dataset: one pixel byte flipped |' <<<"$out")
if grep -q '| OK |$' <<<"$pixel" && grep -q 'fails its checksum' <<<"$pixel" && grep -q 're-pack' <<<"$pixel"; then
    echo "PASS fault_matrix_pixel_flip"
else echo "FAIL fault_matrix_pixel_flip: ${pixel:-no such row}"; fi
