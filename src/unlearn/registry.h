// registry.h — one row per unlearning method (MethodDef): its name and summary, the stream of batches it
// reads, the sign of each loss term, its hooks in the generic loop, an optional own runner, its validator and
// its option rows.  Each method's file (ga.c, ugradsl.c, scrub.c, ...) defines its row; method_list.h lists
// them.  --help, validation, the method lists of error messages and docs/CLI.md are generated from the rows.
// Include graph of src/unlearn (an arrow points at what a header includes; none includes one that includes it back):
//   config.h -> adaptive_alpha.h, method_list.h;  registry.h -> config.h;  loop.h -> config.h;
//   baselines.h (the baselines' helpers, for their files and tests) -> config.h, registry.h;
//   method.h (the umbrella of the command) -> config.h, registry.h, loop.h.
// Method files include registry.h (+ loop.h, baselines.h as needed); loop.c reaches them only through the rows.
#pragma once
#include <stddef.h>
#include <stdio.h>

#include "common/opts.h"
#include "unlearn/config.h"

// Which batches the generic loop (loop.c) gives the method's steps.
typedef enum {
    STREAM_NONE = 0,            // no loop: retrain (`ugradsl train --on retain`), or an own runner with its own data
    STREAM_RETAIN,              // batches of D_r
    STREAM_FORGET,              // batches of D_f (the targets hook may relabel them)
    STREAM_PAIRED_BY_FORGET,    // B_r and B_f side by side, an epoch is a pass over D_f (D_r cycled)
    STREAM_PAIRED_BY_RETAIN,    // B_r and B_f side by side, an epoch is a pass over D_r (D_f cycled)
    STREAM_UNION_RELABELLED,    // one shuffled stream over D_r ∪ D_f, every forget sample with its fixed random label
} MethodStream;

// The per-sample loss of unlearn_step (step.c).
typedef enum {
    LOSS_NONE = 0,   // not a sequence of unlearn_step calls (retrain; an own runner with its own step: scrub, iu)
    LOSS_CE,         // CE with weight retain_sign on retain samples and forget_sign on forget samples
    LOSS_EQ8,        // Eq. 8: p·CE on B_r, -(1-p)·GLS(alpha) on B_f
} MethodLoss;

// Hooks of the generic loop; any may be NULL.  begin runs inside the timed region, before the first step, and
// returns the method's state (NULL allowed); the others get it back.  begin and end are collective.
typedef struct {
    void* (*begin)(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp);
    void (*epoch)(void* state, const UnlearnConfig* c, int epoch);        // before each epoch's first step
    void (*targets)(void* state, const UnlearnConfig* c, Batch* forget);  // forget-only streams: relabel a batch
    void (*end)(void* state, Trainer* t);                                 // after the last step: detach and free
} MethodHooks;

typedef void (*MethodRunner)(const UnlearnConfig* c, Trainer* t, Dataset* ds, const Split* sp, UnlearnResult* out);

// One option of a method: `--name METAVAR`, stored in UnlearnConfig at `offset`.  OPT_INT -> int, OPT_DOUBLE ->
// double (default def_num); OPT_STR -> char* (default def_str, NULL: none), or, when `parse` is set, a choice:
// the text (default def_str) is turned into the field by parse (0: not one of `choices`).
typedef struct {
    const char* name;
    OptType type;
    size_t offset;
    const char* metavar;
    double def_num;
    const char* def_str;
    const char* help;
    int (*parse)(const char* text, void* field);
    const char* choices;   // for the error message of a choice, e.g. "negative or literal"
} MethodOption;

// Option rows shared by the methods that point at the same group (ugradsl and ugradsl+; eu-k and cf-k).
typedef struct {
    const MethodOption* rows;
    int n;
} MethodOptionGroup;

typedef struct MethodDef {
    const char* name;             // --method NAME and [unlearn.NAME]
    MethodKind kind;
    const char* summary;          // one line for --help and the docs
    MethodStream stream;
    MethodLoss loss;
    int retain_sign, forget_sign; // +1 descent, -1 ascent, 0 no such term
    MethodHooks hooks;
    MethodRunner run;             // NULL: the generic loop (unlearn_loop)
    void (*validate)(const UnlearnConfig* c);   // the method's own checks (dies with one line); may be NULL
    const MethodOptionGroup* options;           // may be NULL
} MethodDef;

// ---- lookups ----
const MethodDef* method_find(const char* name);         // NULL when unknown
const MethodDef* method_def(MethodKind k);
const MethodDef* method_def_of(const UnlearnConfig* c);
int method_count(void);
const char* method_names(void);     // "retrain, ft, ga, ..." (error messages)
const char* method_choices(void);   // "retrain | ft | ga | ..." (--method help)

// 1 for the methods whose every sample is a descent term of weight 1 (FT, RL and the baselines built on them).
int method_descends(MethodKind k);
// 1 for the methods that step on D_f alone (GA, BE, BS).
int method_forget_only(MethodKind k);

// Checks a configuration (common options, then the method's validator); dies with a clear one-line error.
void unlearn_config_validate(const UnlearnConfig* c, int num_classes);

// ---- options ----
// Stores every method option's default in c.
void method_options_defaults(UnlearnConfig* c);
// The option rows of all methods, each once, as OptSpec rows pointing into c (choices into text[i]): fills at
// most cap rows of out and returns the count.  method_options_finish turns the choices' text into c's fields.
int method_options_specs(UnlearnConfig* c, OptSpec* out, char** text, int cap);
void method_options_finish(UnlearnConfig* c, char** text);
int method_options_total(void);     // rows over all groups (each group once)

// ---- help and docs (method_help.c) ----
// `ugradsl unlearn --help`: usage, the common options, one block per method group, the methods.  specs: every
// option of the command (common first, then the method rows as method_options_specs made them).
void method_print_help(FILE* f, const char* usage_line, const char* description, const OptSpec* specs,
                       int n_common);
// The generated method section of docs/CLI.md (`ugradsl unlearn --help-markdown`).
void method_print_markdown(FILE* f);
