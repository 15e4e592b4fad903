#!/usr/bin/env bash
# The layering of docs/ARCHITECTURE.md, checked on the sources (a room may include only the rooms listed for it).
#   layers_src       every `#include "room/..."` in src/ is allowed by the table below
#   layers_kernels   kernels/ includes no src/ header (only its own ug_* headers)
set -u
cd "$(dirname "$0")/../.."
# room: the rooms it may include (besides itself).  Keep in step with docs/ARCHITECTURE.md.
declare -A ALLOWED=(
    [common]=""
    [dist]="common"
    [data]="common"
    [nn]="common dist"
    [gpu]="common dist nn"
    [train]="common dist data nn gpu"
    [metrics]="common dist data nn"
    [unlearn]="common dist data nn train"
    [cmd]="common dist data nn gpu train metrics unlearn"
)
bad=()
for room in "${!ALLOWED[@]}"; do
    while IFS= read -r hit; do
        file=${hit%%:*}; inc=${hit#*#include \"}; dep=${inc%%/*}
        [ "$dep" = "$room" ] && continue
        [[ " ${ALLOWED[$room]} " == *" $dep "* ]] || bad+=("$file includes $dep/ (room $room may include: ${ALLOWED[$room]:-nothing})")
    done < <(grep -rHE '^#include "[a-z_]+/' "src/$room" 2>/dev/null)
done
if [ ${#bad[@]} -eq 0 ]; then echo "PASS layers_src"; else echo "FAIL layers_src: ${bad[0]} (+$(( ${#bad[@]} - 1 )) more)"; printf '  %s\n' "${bad[@]}" >&2; fi
k=$(grep -rhoE '^#include "[^"]+"' kernels | grep -v '"ug_' || true)
if [ -z "$k" ]; then echo "PASS layers_kernels"; else echo "FAIL layers_kernels: $(echo $k | head -c 200)"; fi
