// cmd_options.h — the option rows every command repeats, defined once (name, type, metavar, help).
// A command builds its table from its own rows and these, in the order its --help shows them:
//     OptSpec specs[] = {opt_data(&data), opt_split(&split, NULL), ..., DEVICE_OPT_ROWS(&rt), OPT_END};
// Each row points at the caller's variable; the value stored there before opts_parse is the default (so a
// command keeps its own default, e.g. --seed).  `help` NULL takes the shared text; a command passes its own only
// where the option means something particular to it.
#pragma once
#include <stdint.h>

#include "common/opts.h"
#include "metrics/metrics.h"
#include "nn/model.h"

#define OPT_END {NULL, 0, NULL, NULL, NULL, 0}

// Inputs and outputs.
OptSpec opt_data(char** dest);
OptSpec opt_split(char** dest, const char* help);
OptSpec opt_model(char** dest, const char* help);
OptSpec opt_json(char** dest, const char* help);
OptSpec opt_seed(int64_t* dest, const char* help);

// Where and how it computes: --device, --precision (every command that runs a model), --backend, --threads.
typedef struct {
    char* device;      // cpu | cuda
    char* precision;   // fp32 | bf16
    char* backend;     // fast | ref
    int threads;       // per rank; 0: cores / ranks on this node
} RuntimeOpts;

void runtime_opts_init(RuntimeOpts* r);   // cpu, fp32, fast, 0
void runtime_opts_free(RuntimeOpts* r);
OptSpec opt_device(char** dest);
OptSpec opt_precision(char** dest);
OptSpec opt_backend(char** dest);
OptSpec opt_threads(int* dest);
#define DEVICE_OPT_ROWS(r) opt_device(&(r)->device), opt_precision(&(r)->precision)
#define COMPUTE_OPT_ROWS(r) opt_backend(&(r)->backend), opt_threads(&(r)->threads)

// Checks --device / --precision (device_parse: dies with one line) and returns the device (0 cpu, 1 cuda, ...).
int runtime_device(const RuntimeOpts* r, const char* command);
// Checks --backend; dies with one line when it is neither fast nor ref.
Backend runtime_backend(const RuntimeOpts* r, const char* command);

// The membership-inference options of an evaluation (eval, unlearn): bootstrap resamples, Add. MIA, the extra
// attacks.  Defaults: 20, on, on.
typedef struct {
    int mia_bootstrap;
    int no_add_mia;
    int no_mia_extras;
} MiaOpts;

void mia_opts_init(MiaOpts* o);
// Copies them into the evaluation's options: mia_bootstrap, mia_extras = !no_mia_extras, add_mia = !no_add_mia.
void mia_opts_apply(const MiaOpts* o, MetricsOptions* mo);
OptSpec opt_mia_bootstrap(int* dest, const char* help);
#define MIA_OPT_ROWS(o, bootstrap_help) opt_mia_bootstrap(&(o)->mia_bootstrap, bootstrap_help), \
    (OptSpec){"no-add-mia", OPT_FLAG, &(o)->no_add_mia, NULL, "skip Add. MIA", 0}, \
    (OptSpec){"no-mia-extras", OPT_FLAG, &(o)->no_mia_extras, NULL, \
              "skip the entropy / modified-entropy / correctness attacks", 0}
