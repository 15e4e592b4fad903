// ugradsl.c — UGradSL and UGradSL+ (Eq. 8): p·CE on B_r minus (1-p)·GLS(alpha) on B_f, alpha fixed or
// self-adaptive (adaptive_alpha.c).  The two differ only in what an epoch is.  Their option rows are the
// Eq. 8 group; unlearn_config_validate checks them for every method (a bad [unlearn] value fails any run).
#include <math.h>
#include <stddef.h>

#include "unlearn/registry.h"

static int parse_sign(const char* text, void* field) { return alpha_sign_parse(text, (AlphaSign*)field); }
static int parse_distance(const char* text, void* field) { return alpha_distance_parse(text, (AlphaDistance*)field); }

static const MethodOption EQ8_ROWS[] = {
    {"p", OPT_DOUBLE, offsetof(UnlearnConfig, p), "P", 0.5, NULL,
     "weight of descent on D_r in Eq. 8, in [0,1] (ascent on D_f gets 1-p)", NULL, NULL},
    {"alpha", OPT_DOUBLE, offsetof(UnlearnConfig, alpha), "A", NAN, NULL,
     "fixed smooth rate (<= 1, negative = NLS); nan = self-adaptive", NULL, NULL},
    {"alpha-sign", OPT_STR, offsetof(UnlearnConfig, alpha_sign), "S", 0, "negative",
     "self-adaptive convention: negative (-s·c_i/|B_f|) | literal (c_i/|B_f|)", parse_sign, "negative or literal"},
    {"alpha-distance", OPT_STR, offsetof(UnlearnConfig, alpha_distance), "D", 0, "cosine",
     "self-adaptive distance: cosine (penultimate features) | pixel", parse_distance, "cosine or pixel"},
    {"beta", OPT_DOUBLE, offsetof(UnlearnConfig, beta), "B", 0.5, NULL, "self-adaptive distance threshold in [0,1]",
     NULL, NULL},
    {"alpha-scale", OPT_DOUBLE, offsetof(UnlearnConfig, alpha_scale), "S", 1.0, NULL, "s of the negative convention",
     NULL, NULL},
};
static const MethodOptionGroup EQ8_OPTIONS = {EQ8_ROWS, sizeof EQ8_ROWS / sizeof *EQ8_ROWS};

const MethodDef method_ugradsl = {
    .name = "ugradsl",
    .kind = METHOD_UGRADSL,
    .summary = "Eq. 8, an epoch is a pass over D_f",
    .stream = STREAM_PAIRED_BY_FORGET,
    .loss = LOSS_EQ8,
    .retain_sign = +1,
    .forget_sign = -1,
    .options = &EQ8_OPTIONS,
};

const MethodDef method_ugradsl_plus = {
    .name = "ugradsl+",
    .kind = METHOD_UGRADSL_PLUS,
    .summary = "Eq. 8, an epoch is a pass over D_r",
    .stream = STREAM_PAIRED_BY_RETAIN,
    .loss = LOSS_EQ8,
    .retain_sign = +1,
    .forget_sign = -1,
    .options = &EQ8_OPTIONS,
};
