#!/usr/bin/env bash
# tools/cifar10.sh (`make cifar10`) refuses bad input at once with one clear line and a non-zero exit, before it
# touches data or Slurm:
#   unknown_argument   an unknown option names itself and the help
#   tar_needs_value    --tar without a file
#   missing_archive    no data/cifar10-jpeg and the archive given does not exist: names it and what to give
#                      (SKIP where data/cifar10-jpeg is already extracted, as on the dev machine)
set -u
cd "$(dirname "$0")/../.."
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
check() {   # check NAME PATTERN CMD...
    local name=$1 pat=$2; shift 2
    local out rc
    out=$(timeout -k 5 60 "$@" 2>&1); rc=$?
    if [ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q -- "$pat" <<<"$out" && [ "$(grep -c . <<<"$out")" -eq 1 ]; then
        echo "PASS test_cifar10_cli/$name"
    else
        echo "FAIL test_cifar10_cli/$name: rc $rc, output: $(tr '\n' ' ' <<<"$out" | head -c 300)"
    fi
}
if [ ! -x bin/ugradsl ]; then
    for n in unknown_argument tar_needs_value missing_archive; do echo "SKIP test_cifar10_cli/$n: bin/ugradsl not built"; done
    exit 0
fi
check unknown_argument "unknown argument '--fast' (tools/cifar10.sh --help)" bash tools/cifar10.sh --fast
check tar_needs_value "cifar10: error: --tar needs a file" bash tools/cifar10.sh --tar
if [ -d data/cifar10-jpeg ]; then
    echo "SKIP test_cifar10_cli/missing_archive: data/cifar10-jpeg is already extracted here"
else
    check missing_archive "no data/cifar10-jpeg and no archive $T/none.tar.gz (give --tar FILE" \
        bash tools/cifar10.sh --dry-run --tar "$T/none.tar.gz"
fi
