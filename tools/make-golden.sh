#!/usr/bin/env bash
# Regenerates the committed golden data under tests/golden with Debian's python3-torch / python3-sklearn.
# `make test` never runs this: it only reads the committed files.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
for g in tools/golden_*.py; do
    [ -f "$g" ] || continue
    echo "golden: $g"
    $PY "$g" tests/golden
done
