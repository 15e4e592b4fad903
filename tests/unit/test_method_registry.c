// test_method_registry.c — the method registry: one consistent row per method, the predicates step.c relies on
// (unchanged from before the registry), every option with its old default, the validators, and docs/CLI.md's
// generated method section being current.
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unlearn/method.h"

static void rows_match_kinds_and_names(void) {
    CHECK_EQ_INT(method_count(), METHOD_COUNT);
    for (int i = 0; i < METHOD_COUNT; i++) {
        const MethodDef* d = method_def((MethodKind)i);
        CHECK(d->kind == (MethodKind)i, "row %d has kind %d", i, (int)d->kind);
        CHECK(d->name && d->summary && d->summary[0], "row %d lacks a name or summary", i);
        CHECK(method_find(d->name) == d, "method_find('%s') does not give its row", d->name);
        // A row is run somehow: by the generic loop (a stream), its own runner, or the command (retrain).
        CHECK(d->stream != STREAM_NONE || d->run || d->kind == METHOD_RETRAIN, "%s: no stream and no runner", d->name);
        CHECK(!d->hooks.targets || d->stream == STREAM_FORGET, "%s: a targets hook on a stream that is not D_f", d->name);
    }
    CHECK(method_find("gradient-ascent") == NULL, "an unknown name resolves");
    // The list of error messages, as before the registry.
    CHECK(!strcmp(method_names(), "retrain, ft, ga, rl, ugradsl, ugradsl+, l1-sparse, eu-k, cf-k, scrub, salun, be, "
                  "bs, iu"), "method_names: %s", method_names());
    CHECK(!strcmp(method_choices(), "retrain | ft | ga | rl | ugradsl | ugradsl+ | l1-sparse | eu-k | cf-k | scrub | "
                  "salun | be | bs | iu"), "method_choices: %s", method_choices());
}

// The truth tables of the hard-coded predicates that the rows replaced (baselines.c before the registry).
static void predicates_unchanged(void) {
    const MethodKind descends[] = {METHOD_FT, METHOD_RL, METHOD_L1_SPARSE, METHOD_EU_K, METHOD_CF_K, METHOD_SALUN,
                                   METHOD_BE, METHOD_BS};
    const MethodKind forget_only[] = {METHOD_GA, METHOD_BE, METHOD_BS};
    for (int k = 0; k < METHOD_COUNT; k++) {
        int want_d = 0, want_f = 0;
        for (size_t i = 0; i < sizeof descends / sizeof *descends; i++) want_d |= descends[i] == (MethodKind)k;
        for (size_t i = 0; i < sizeof forget_only / sizeof *forget_only; i++) want_f |= forget_only[i] == (MethodKind)k;
        CHECK(method_descends((MethodKind)k) == want_d, "method_descends(%s)", method_def((MethodKind)k)->name);
        CHECK(method_forget_only((MethodKind)k) == want_f, "method_forget_only(%s)", method_def((MethodKind)k)->name);
    }
    CHECK_TRUE(method_def(METHOD_GA)->forget_sign == -1 && method_def(METHOD_GA)->retain_sign == 0);
    CHECK_TRUE(method_def(METHOD_UGRADSL)->loss == LOSS_EQ8 && method_def(METHOD_UGRADSL_PLUS)->loss == LOSS_EQ8);
    CHECK_TRUE(method_def(METHOD_UGRADSL)->stream == STREAM_PAIRED_BY_FORGET);
    CHECK_TRUE(method_def(METHOD_UGRADSL_PLUS)->stream == STREAM_PAIRED_BY_RETAIN);
    CHECK_TRUE(method_def(METHOD_RL)->stream == STREAM_UNION_RELABELLED && method_def(METHOD_SALUN)->stream ==
               STREAM_UNION_RELABELLED);
    CHECK_TRUE(method_def(METHOD_SCRUB)->run && method_def(METHOD_IU)->run && method_def(METHOD_BE)->run);
}

// Every method option of `ugradsl unlearn` before the registry, with its default, type and no duplicate.
static void options_keep_names_and_defaults(void) {
    UnlearnConfig c;
    memset(&c, 0, sizeof c);
    method_options_defaults(&c);
    CHECK_TRUE(c.p == 0.5 && isnan(c.alpha) && c.alpha_sign == ALPHA_NEGATIVE && c.alpha_distance == DIST_COSINE);
    CHECK_TRUE(c.beta == 0.5 && c.alpha_scale == 1.0);
    CHECK_TRUE(c.k == 1 && c.l1_alpha == 1e-4 && c.mask_fraction == 0.5 && c.mask_file == NULL);
    CHECK_TRUE(c.scrub_t == 4 && c.scrub_gamma == 0.99 && c.scrub_alpha == 0.001 && c.scrub_max_epochs == 2);
    CHECK_TRUE(c.iu_samples == 1000 && c.iu_scale == 1 && c.iu_damping == 1 && c.bs_step == 0.1);
    const char* names[] = {"p", "alpha", "alpha-sign", "alpha-distance", "beta", "alpha-scale", "k", "l1-alpha",
                           "mask-fraction", "mask-file", "scrub-t", "scrub-gamma", "scrub-alpha", "scrub-max-epochs",
                           "iu-samples", "iu-scale", "iu-damping", "bs-step"};
    const OptType types[] = {OPT_DOUBLE, OPT_DOUBLE, OPT_STR, OPT_STR, OPT_DOUBLE, OPT_DOUBLE, OPT_INT, OPT_DOUBLE,
                             OPT_DOUBLE, OPT_STR, OPT_DOUBLE, OPT_DOUBLE, OPT_DOUBLE, OPT_INT, OPT_INT, OPT_DOUBLE,
                             OPT_DOUBLE, OPT_DOUBLE};
    const int n_want = (int)(sizeof names / sizeof *names);
    OptSpec specs[64];
    char* text[64] = {0};
    int n = method_options_specs(&c, specs, text, 64);
    CHECK_EQ_INT(n, n_want);
    CHECK_EQ_INT(method_options_total(), n_want);
    for (int w = 0; w < n_want; w++) {
        int found = 0;
        for (int i = 0; i < n; i++)
            if (!strcmp(specs[i].name, names[w])) {
                found++;
                CHECK(specs[i].type == types[w], "--%s: type", names[w]);
            }
        CHECK(found == 1, "--%s appears %d times", names[w], found);
    }
    // A choice goes through its text: --alpha-sign literal lands in the enum field.
    for (int i = 0; i < n; i++)
        if (!strcmp(specs[i].name, "alpha-sign")) {
            CHECK(!strcmp(*(char**)specs[i].dest, "negative"), "alpha-sign default text");
            free(*(char**)specs[i].dest);
            *(char**)specs[i].dest = strdup("literal");
        }
    method_options_finish(&c, text);
    CHECK_TRUE(c.alpha_sign == ALPHA_LITERAL);
    for (int i = 0; i < n; i++) free(text[i]);
}

static UnlearnConfig valid_config(MethodKind k) {
    UnlearnConfig c;
    memset(&c, 0, sizeof c);
    method_options_defaults(&c);
    c.method = k;
    c.epochs = 1;
    c.lr = 0.1;
    c.batch = 8;
    return c;
}

static void validate_scrub_t0(void* arg) {
    UnlearnConfig c = valid_config(METHOD_SCRUB);
    c.scrub_t = 0;
    unlearn_config_validate(&c, 10);
}
static void validate_bs_step0(void* arg) {
    UnlearnConfig c = valid_config(METHOD_BS);
    c.bs_step = 0;
    unlearn_config_validate(&c, 10);
}
static void validate_k0(void* arg) {
    UnlearnConfig c = valid_config(*(MethodKind*)arg);
    c.k = 0;
    unlearn_config_validate(&c, 10);
}
static void validate_p2(void* arg) {
    UnlearnConfig c = valid_config(METHOD_GA);
    c.p = 2;   // the Eq. 8 options are checked whatever the method
    unlearn_config_validate(&c, 10);
}

// Each method's validator runs for its own method only.
static void validators_are_per_method(void) {
    for (int k = 0; k < METHOD_COUNT; k++) {
        UnlearnConfig c = valid_config((MethodKind)k);
        unlearn_config_validate(&c, 10);   // the defaults are valid for every method
    }
    UnlearnConfig ga = valid_config(METHOD_GA);
    ga.scrub_t = 0, ga.bs_step = 0, ga.k = 0, ga.iu_samples = 0, ga.mask_fraction = 2;
    unlearn_config_validate(&ga, 10);      // GA reads none of them
    CHECK_TRUE(th_dies_with(validate_scrub_t0, NULL, "--scrub-t"));
    CHECK_TRUE(th_dies_with(validate_bs_step0, NULL, "--bs-step"));
    MethodKind eu = METHOD_EU_K, cf = METHOD_CF_K;
    CHECK_TRUE(th_dies_with(validate_k0, &eu, "--k must be >= 1"));
    CHECK_TRUE(th_dies_with(validate_k0, &cf, "--k must be >= 1"));
    CHECK_TRUE(th_dies_with(validate_p2, NULL, "--p must be in [0, 1]"));
}

// docs/CLI.md holds `ugradsl unlearn --help-markdown` between its markers, byte for byte.
static void cli_doc_is_current(void) {
    const char* begin = "<!-- BEGIN generated by `ugradsl unlearn --help-markdown`";
    const char* end = "<!-- END generated by `ugradsl unlearn --help-markdown` -->";
    FILE* f = fopen("docs/CLI.md", "rb");
    if (!f) SKIP("docs/CLI.md not found (run from the repository root, as tests/run_tests.sh does)");
    static char doc[1 << 20];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = 0;
    char* b = strstr(doc, begin);
    char* e = b ? strstr(b, end) : NULL;
    CHECK(b && e, "docs/CLI.md lacks the generated method section markers");
    if (!b || !e) return;
    b = strchr(b, '\n') + 1;   // the section starts on the line after the BEGIN marker
    *e = 0;
    char* gen = NULL;
    size_t gen_n = 0;
    FILE* mf = open_memstream(&gen, &gen_n);
    method_print_markdown(mf);
    fclose(mf);
    char want[1 << 16];
    snprintf(want, sizeof want, "\n%s\n", gen);   // a blank line on each side of the generated text
    CHECK(!strcmp(b, want), "docs/CLI.md's method section is stale: put the output of `bin/ugradsl unlearn "
          "--help-markdown` between its markers");
    free(gen);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(rows_match_kinds_and_names);
    TEST_CASE(predicates_unchanged);
    TEST_CASE(options_keep_names_and_defaults);
    TEST_CASE(validators_are_per_method);
    TEST_CASE(cli_doc_is_current);
    return th_end();
}
