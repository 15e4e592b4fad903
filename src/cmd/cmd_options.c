// cmd_options.c — the shared option rows (see cmd_options.h).
#include "cmd/cmd_options.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "gpu/gpu_setup.h"

static OptSpec row(const char* name, OptType type, void* dest, const char* metavar, const char* help) {
    return (OptSpec){name, type, dest, metavar, help, 0};
}

OptSpec opt_data(char** dest) {
    return row("data", OPT_STR, dest, "FILE", "the packed dataset (HDF5, from `ugradsl pack`)");
}

OptSpec opt_split(char** dest, const char* help) {
    return row("split", OPT_STR, dest, "FILE", help ? help : "the forget/retain split (`ugradsl split`)");
}

OptSpec opt_model(char** dest, const char* help) {
    return row("model", OPT_STR, dest, "FILE", help ? help : "a model (model.h5 or checkpoint.h5 of `ugradsl train`)");
}

OptSpec opt_json(char** dest, const char* help) {
    return row("json", OPT_STR, dest, "FILE", help ? help : "also write the result to FILE");
}

OptSpec opt_seed(int64_t* dest, const char* help) {
    return row("seed", OPT_INT64, dest, "N", help ? help : "seed");
}

void runtime_opts_init(RuntimeOpts* r) {
    r->device = ug_strdup("cpu");
    r->precision = ug_strdup("fp32");
    r->backend = ug_strdup("fast");
    r->threads = 0;
}

void runtime_opts_free(RuntimeOpts* r) {
    free(r->device);
    free(r->precision);
    free(r->backend);
    memset(r, 0, sizeof *r);
}

OptSpec opt_device(char** dest) {
    return row("device", OPT_STR, dest, "DEV", "cpu | cuda (one rank per GPU; docs/GPU.md)");
}

OptSpec opt_precision(char** dest) {
    return row("precision", OPT_STR, dest, "P",
               "fp32 | bf16 (--device cuda: bf16 activations and convolutions, fp32 master weights; docs/GPU.md)");
}

OptSpec opt_backend(char** dest) {
    return row("backend", OPT_STR, dest, "NAME", "fast (oneDNN / OpenBLAS) | ref (plain C reference, slow)");
}

OptSpec opt_threads(int* dest) {
    return row("threads", OPT_INT, dest, "N", "threads per rank (0: cores / ranks on this node)");
}

int runtime_device(const RuntimeOpts* r, const char* command) {
    return device_parse(r->device, r->precision, command);
}

Backend runtime_backend(const RuntimeOpts* r, const char* command) {
    UG_CHECK(!strcmp(r->backend, "fast") || !strcmp(r->backend, "ref"), "%s: --backend must be fast or ref", command);
    return !strcmp(r->backend, "ref") ? BACKEND_REF : BACKEND_FAST;
}

void mia_opts_init(MiaOpts* o) {
    o->mia_bootstrap = 20;
    o->no_add_mia = 0;
    o->no_mia_extras = 0;
}

void mia_opts_apply(const MiaOpts* o, MetricsOptions* mo) {
    mo->mia_bootstrap = o->mia_bootstrap;
    mo->mia_extras = !o->no_mia_extras;
    mo->add_mia = !o->no_add_mia;
}

OptSpec opt_mia_bootstrap(int* dest, const char* help) {
    return row("mia-bootstrap", OPT_INT, dest, "N",
               help ? help : "bootstrap resamples for the MIA stability interval (0 = off)");
}
