# Sourced by the integration tests (test_train_digits.sh, test_signal_resume.sh): the bit-identity check of two
# checkpoints.  Needs $PY (Debian's python3 with h5py and numpy).
# same_params A.h5 B.h5: 0 when /model and /optimizer arrays are bit-identical
same_params() {
    $PY - "$1" "$2" <<'PYEOF'
import sys, h5py, numpy as np
a, b = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
bad = []
for g in ("model", "optimizer"):
    for k in a[g]:
        x, y = np.asarray(a[g][k][()]), np.asarray(b[g][k][()])
        if x.shape != y.shape or x.tobytes() != y.tobytes():
            bad.append(g + "/" + k)
if bad:
    print("differ:", ", ".join(bad[:5]), "(%d)" % len(bad), file=sys.stderr)
    sys.exit(1)
PYEOF
}
