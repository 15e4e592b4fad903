// gpu_select.c — the rank -> CUDA device rule (see gpu_select.h).  No CUDA calls: the caller passes the count.
#include "gpu/gpu_select.h"

#include <stdio.h>
#include <stdlib.h>

static int parse_int(const char* s, int* out) {
    if (!s || !*s) return 0;
    char* end = NULL;
    long v = strtol(s, &end, 10);
    if (*end || v < 0 || v > 1000000) return 0;
    *out = (int)v;
    return 1;
}

// What CUDA_VISIBLE_DEVICES says, for messages.
static const char* cvd_text(const GpuSelectInput* in) {
    return in->cuda_visible_devices ? in->cuda_visible_devices : "(unset)";
}

int gpu_select(const GpuSelectInput* in, char* err, size_t errcap) {
    int local = in->local_rank;
    if (local < 0 && !parse_int(in->slurm_localid, &local)) {
        snprintf(err, errcap, "the node-local rank is unknown (no MPI shared-memory rank, SLURM_LOCALID '%s')",
                 in->slurm_localid ? in->slurm_localid : "(unset)");
        return -1;
    }
    if (in->visible <= 0) {
        snprintf(err, errcap, "no CUDA device is visible to this rank (CUDA_VISIBLE_DEVICES=%s); request GPUs for the job "
                 "(e.g. --gpus-per-node) or run with --device cpu", cvd_text(in));
        return -1;
    }
    if (in->override_device && *in->override_device) {
        int d = -1;
        if (!parse_int(in->override_device, &d) || d >= in->visible) {
            snprintf(err, errcap, "UG_GPU_DEVICE='%s' is not a device ordinal 0..%d of the %d visible (CUDA_VISIBLE_DEVICES=%s)",
                     in->override_device, in->visible - 1, in->visible, cvd_text(in));
            return -1;
        }
        return d;
    }
    if (in->visible == 1) return 0;   // one GPU per task: the task's own, whatever its number on the node
    int size = in->local_size > 0 ? in->local_size : 1;
    if (local < in->visible && in->visible >= size) return local;   // all the node's GPUs visible: one per rank
    snprintf(err, errcap, "node-local rank %d of %d sees %d GPUs (CUDA_VISIBLE_DEVICES=%s): fewer GPUs than ranks on the "
             "node; run one rank per GPU (--ntasks-per-node=%d), bind one GPU per task (--gpus-per-task=1), or set "
             "UG_GPU_DEVICE", local, size, in->visible, cvd_text(in), in->visible);
    return -1;
}
