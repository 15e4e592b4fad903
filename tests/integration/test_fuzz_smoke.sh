#!/usr/bin/env bash
# The fuzzing smoke of `make test` (issue 18): every libFuzzer harness of tests/fuzz for a few seconds from its
# committed corpus (docs/RELIABILITY.md has the long campaigns).  Builds the targets when clang is there;
# SKIP without clang.  Prints PASS/FAIL per target.
set -u
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${FUZZ_SMOKE_SECONDS:-10}
if ! command -v clang >/dev/null 2>&1; then
    echo "SKIP fuzz_smoke: clang not installed (make deps installs it)"
    exit 0
fi
if ! make --no-print-directory -j2 fuzz-build > /tmp/fuzz-smoke-build.log 2>&1; then
    echo "FAIL fuzz_smoke: make fuzz-build failed (log /tmp/fuzz-smoke-build.log)"
    tail -20 /tmp/fuzz-smoke-build.log >&2
    exit 1
fi
bash tests/fuzz/run.sh --smoke --time "$SECONDS_PER_TARGET"
exit 0   # the PASS/FAIL lines carry the result
