#!/usr/bin/env bash
# docs/CLI.md is generated (tools/gen-cli-doc.sh): every command's --help and the method registry's tables.
#   cli_doc_current   the committed docs/CLI.md equals what the program prints now
set -u
cd "$(dirname "$0")/../.."
if out=$(tools/gen-cli-doc.sh --check 2>&1); then
    echo "PASS cli_doc_current"
else
    echo "FAIL cli_doc_current: docs/CLI.md is stale (run tools/gen-cli-doc.sh)"; printf '%s\n' "$out" | head -20 >&2
fi
