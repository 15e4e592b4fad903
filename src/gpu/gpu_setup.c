// gpu_setup.c — `--device cpu|cuda` for the commands (see gpu_setup.h).
#include "gpu/gpu_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dist/dist.h"
#include "gpu/gpu_model.h"
#ifdef UG_HAVE_CUDA
#include "gpu/gpu_dist.h"
#endif

static int env_flag(const char* name, int dflt) {
    const char* v = getenv(name);
    if (!v || !*v) return dflt;
    UG_CHECK(!strcmp(v, "0") || !strcmp(v, "1"), "environment: %s must be 0 or 1 (got '%s')", name, v);
    return v[0] == '1';
}

int device_parse(const char* s, const char* cmd) {
    if (!strcmp(s, "cpu")) return 0;
    if (!strcmp(s, "cuda")) return 1;
    ug_die("%s: --device must be cpu or cuda (got '%s')", cmd, s);
}

void device_attach(Model* m, int device) {
    if (device == 0) return;
    // Every rank checks before any of them touches CUDA, so a rank without a GPU never leaves the others waiting.
    int ok = gpu_available();
    if (!dist_all_ok(ok))
        ug_die("--device cuda: a rank has no usable GPU (here: %s); run with --device cpu, or one rank per GPU",
               ok ? "has one" : gpu_unavailable_reason());
    GpuModelOptions o = {.device = g_dist.local_rank, .tf32 = env_flag("UG_TF32", 1),
                         .deterministic = env_flag("UG_DETERMINISTIC", 0)};
    void* comm = NULL;
#ifdef UG_HAVE_CUDA
    static GpuComm* shared;   // one communicator per process, shared by every model on the GPU
    if (g_dist.world > 1 && !shared) shared = gpu_comm_init_mpi(g_dist.comm, g_dist.local_rank, g_dist.local_world);
    comm = shared;
#endif
    gpu_model_attach(m, &o, comm);
}

const char* device_describe(const Model* m) {
    static char buf[300];
    if (!m->gpu) return "cpu";
    snprintf(buf, sizeof buf, "cuda:%d (%s, TF32 %s)", g_dist.local_rank, gpu_model_device_name(m),
             env_flag("UG_TF32", 1) ? "on" : "off");
    return buf;
}
