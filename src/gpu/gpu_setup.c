// gpu_setup.c — `--device cpu|cuda` for the commands (see gpu_setup.h).
#include "gpu/gpu_setup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "dist/dist.h"
#include "gpu/gpu_model.h"
#include "gpu/gpu_select.h"
#ifdef UG_HAVE_CUDA
#include "gpu/gpu_dist.h"
#endif

static int g_device = -1;   // this rank's CUDA device once chosen (pick_device)

// This rank's GPU under whatever binding the site uses (gpu_select: all GPUs visible, one per task, a site-set
// CUDA_VISIBLE_DEVICES, UG_GPU_DEVICE).  Every rank decides before any of them stops, so none is left waiting.
static int pick_device(void) {
    if (g_device >= 0) return g_device;
    int visible = 0;
#ifdef UG_HAVE_CUDA
    visible = gpu_count();
#endif
    GpuSelectInput in = {.local_rank = g_dist.local_rank, .local_size = g_dist.local_world, .visible = visible,
                         .cuda_visible_devices = getenv("CUDA_VISIBLE_DEVICES"),
                         .slurm_localid = getenv("SLURM_LOCALID"), .override_device = getenv("UG_GPU_DEVICE")};
    char err[256] = "";
    int d = gpu_select(&in, err, sizeof err);
    if (!dist_all_ok(d >= 0)) {
        if (d < 0) ug_die("--device cuda: %s", err);
        ug_die("--device cuda: another rank could not pick a GPU (see its message)");
    }
    return g_device = d;
}

static int env_flag(const char* name, int dflt) {
    const char* v = getenv(name);
    if (!v || !*v) return dflt;
    UG_CHECK(!strcmp(v, "0") || !strcmp(v, "1"), "environment: %s must be 0 or 1 (got '%s')", name, v);
    return v[0] == '1';
}

static double env_mb(const char* name, double dflt) {
    const char* v = getenv(name);
    if (!v || !*v) return dflt;
    char* end;
    double x = strtod(v, &end);
    UG_CHECK(*end == 0 && x > 0 && x < 1e6, "environment: %s must be a size in MiB > 0 (got '%s')", name, v);
    return x;
}

int device_parse(const char* s, const char* precision, const char* cmd) {
    int bf16 = 0;
    if (precision && strcmp(precision, "fp32")) {
        if (strcmp(precision, "bf16")) ug_die("%s: --precision must be fp32 or bf16 (got '%s')", cmd, precision);
        bf16 = 1;
    }
    if (!strcmp(s, "cpu")) {
        if (bf16) ug_die("%s: --precision bf16 needs --device cuda (the CPU path is fp32)", cmd);
        return DEVICE_CPU;
    }
    if (!strcmp(s, "cuda")) return bf16 ? DEVICE_CUDA_BF16 : DEVICE_CUDA;
    ug_die("%s: --device must be cpu or cuda (got '%s')", cmd, s);
}

void device_attach(Model* m, int device) {
    if (device == 0) return;
    // Every rank checks before any of them touches CUDA, so a rank without a GPU never leaves the others waiting.
    int ok = gpu_available();
    if (!dist_all_ok(ok))
        ug_die("--device cuda: a rank has no usable GPU (here: %s); run with --device cpu, or one rank per GPU",
               ok ? "has one" : gpu_unavailable_reason());
    GpuModelOptions o = {.device = pick_device(), .tf32 = env_flag("UG_TF32", 1),
                         .deterministic = env_flag("UG_DETERMINISTIC", 0), .bf16 = device == DEVICE_CUDA_BF16,
                         .overlap = env_flag("UG_GPU_OVERLAP", 0), .bucket_mb = env_mb("UG_GPU_BUCKET_MB", 25)};
    void* comm = NULL;
#ifdef UG_HAVE_CUDA
    static GpuComm* shared;   // one communicator per process, shared by every model on the GPU
    if (g_dist.world > 1 && !shared) shared = gpu_comm_init_mpi(g_dist.comm, o.device);
    comm = shared;
#endif
    gpu_model_attach(m, &o, comm);
}

const char* device_describe(const Model* m) {
    static char buf[300];
    if (!model_on_device(m)) return "cpu";
    snprintf(buf, sizeof buf, "cuda:%d (%s, %s)", g_device, gpu_model_device_name(m),
             gpu_model_is_bf16(m) ? "bf16 mixed precision" : env_flag("UG_TF32", 1) ? "TF32 on" : "TF32 off");
    return buf;
}
