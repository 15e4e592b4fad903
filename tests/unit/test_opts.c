// test_opts.c — the option parser's checks: ranges, integer overflow, unknown and misspelled INI sections (with
// the nearest name), duplicated keys; and what must keep working (shared sections, [sweep.*] grids, NaN alpha).
#include "harness.h"
#include "common/opts.h"
#include "common/util.h"

static int g_int;
static double g_momentum, g_lr, g_alpha;
static int64_t g_seed;
static char* g_method;

static char g_tmp[] = "/tmp/test_opts_XXXXXX";

static OptSpec* specs(void) {
    static OptSpec s[8];
    s[0] = (OptSpec){"epochs", OPT_INT, &g_int, "N", "epochs", 0};
    s[1] = (OptSpec){"momentum", OPT_DOUBLE, &g_momentum, "M", "momentum", 0};
    s[2] = (OptSpec){"lr", OPT_DOUBLE, &g_lr, "LR", "lr", 0};
    s[3] = (OptSpec){"seed", OPT_INT64, &g_seed, "N", "seed", 0};
    s[4] = (OptSpec){"method", OPT_STR, &g_method, "NAME", "method", 0};
    s[5] = (OptSpec){"alpha", OPT_DOUBLE, &g_alpha, "A", "alpha", 0};
    s[6] = (OptSpec){NULL, 0, NULL, NULL, NULL, 0};
    return s;
}

static void parse(const char* command, int argc, char** argv) {
    int np;
    char** pos;
    g_int = 1; g_momentum = 0.9; g_lr = 0.1; g_seed = 1; g_method = NULL; g_alpha = 0;
    opts_parse(command, "", "", specs(), argc, argv, &np, &pos);
    free(pos);
}

static void parse_args(void* arg) {
    char** a = arg;
    int n = 0;
    while (a[n]) n++;
    parse("unlearn", n, a);
}

static const char* write_ini(const char* name, const char* text) {
    static char path[256];
    snprintf(path, sizeof path, "%s/%s", g_tmp, name);
    FILE* f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static void parse_ini(void* path) {
    char* argv[] = {"unlearn", "--config", path, NULL};
    parse("unlearn", 3, argv);
}

static const char* const SECTIONS[] = {"unlearn.ugradsl", "unlearn.ugradsl+", "unlearn.ga", NULL};

static void test_ranges(void) {
    char* momentum5[] = {"unlearn", "--momentum", "5", NULL};
    CHECK_TRUE(th_dies_with(parse_args, momentum5, "--momentum: '5' is outside [0, 1)"));
    char* momentum_neg[] = {"unlearn", "--momentum=-1", NULL};
    CHECK_TRUE(th_dies_with(parse_args, momentum_neg, "--momentum: '-1' is outside [0, 1)"));
    char* lr0[] = {"unlearn", "--lr", "0", NULL};
    CHECK_TRUE(th_dies_with(parse_args, lr0, "--lr: '0' is outside (0, inf)"));
    char* epochs0[] = {"unlearn", "--epochs", "0", NULL};
    CHECK_TRUE(th_dies_with(parse_args, epochs0, "--epochs: '0' is outside [1, inf)"));
    char* alpha_nan[] = {"unlearn", "--alpha", "nan", "--momentum", "0", NULL};
    parse("unlearn", 5, alpha_nan);   // NaN is a value of --alpha (self-adaptive); 0 is in [0, 1)
    CHECK_TRUE(isnan(g_alpha) && g_momentum == 0);
    char* lr_nan[] = {"unlearn", "--lr", "nan", NULL};
    CHECK_TRUE(th_dies_with(parse_args, lr_nan, "--lr: 'nan' is outside"));
}

static void test_overflow(void) {
    char* big[] = {"unlearn", "--epochs", "99999999999", NULL};
    CHECK_TRUE(th_dies_with(parse_args, big, "'99999999999' is out of range"));
    char* big64[] = {"unlearn", "--seed", "99999999999999999999999", NULL};
    CHECK_TRUE(th_dies_with(parse_args, big64, "is out of range"));
    char* bigd[] = {"unlearn", "--lr", "1e999", NULL};
    CHECK_TRUE(th_dies_with(parse_args, bigd, "is out of range"));
}

static void test_sections(void) {
    opts_register_sections(SECTIONS);
    const char* typo = write_ini("typo.ini", "[unlearn]\nlr = 0.5\n[unlearn.ugradls]\nlr = 0.2\n");
    CHECK_TRUE(th_dies_with(parse_ini, (void*)typo, "unknown section [unlearn.ugradls]; did you mean [unlearn.ugradsl]?"));
    const char* trian = write_ini("trian.ini", "[trian]\nepochs = 3\n");
    CHECK_TRUE(th_dies_with(parse_ini, (void*)trian, "unknown section [trian]; did you mean [train]?"));
    const char* train_sub = write_ini("train_sub.ini", "[train.ga]\nepochs = 3\n");
    CHECK_TRUE(th_dies_with(parse_ini, (void*)train_sub, "`train` has no [train.NAME] sections"));
    // what stays valid: other commands' sections, shared ones, registered methods, the job scripts' sweep grids
    const char* ok = write_ini("ok.ini", "[pack]\nfrom = x\n[data]\nlr = 0.3\n[train]\nbogus = 1\n[unlearn.ga]\n"
                               "epochs = 4\n[sweep.ga@bn-only]\ngrid = --lr 1\ngrid = --lr 2\n");
    char* argv[] = {"unlearn", "--config", (char*)ok, "--method", "ga", NULL};
    parse("unlearn", 5, argv);
    CHECK_TRUE(g_lr == 0.3 && g_int == 4);
}

static void test_duplicates(void) {
    const char* dup = write_ini("dup.ini", "[unlearn]\nlr = 0.5\nepochs = 2\nlr = 0.1\n");
    CHECK_TRUE(th_dies_with(parse_ini, (void*)dup, "key 'lr' given twice in [unlearn]"));
    const char* again = write_ini("again.ini", "[unlearn]\nlr = 0.5\n[pack]\nx = 1\n[unlearn]\nlr = 0.1\n");
    CHECK_TRUE(th_dies_with(parse_ini, (void*)again, "key 'lr' given twice in [unlearn]"));
    const char* inini = write_ini("range.ini", "[unlearn]\nmomentum = 1\n");
    CHECK_TRUE(th_dies_with(parse_ini, (void*)inini, "--momentum: '1' is outside [0, 1) (config"));
}

static void no_range(void* arg) {
    static int x;
    OptSpec s[] = {{"no-such-numeric-option", OPT_INT, &x, "N", "", 0}, {NULL, 0, NULL, NULL, NULL, 0}};
    char* argv[] = {"t", NULL};
    int np;
    char** pos;
    opts_parse("t", "", "", s, 1, argv, &np, &pos);
}

static void test_every_numeric_option_has_a_range(void) {
    CHECK_TRUE(th_dies_with(no_range, NULL, "internal error: option --no-such-numeric-option has no range"));
    const char* names[] = {"momentum", "weight-decay", "eval-batch", "clip-norm", "threads", "epochs", "batch", NULL};
    for (int i = 0; names[i]; i++) CHECK(opts_has_range(names[i]), "%s", names[i]);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    UG_CHECK(mkdtemp(g_tmp), "mkdtemp");
    TEST_CASE(test_ranges);
    TEST_CASE(test_overflow);
    TEST_CASE(test_sections);
    TEST_CASE(test_duplicates);
    TEST_CASE(test_every_numeric_option_has_a_range);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_tmp);
    return th_end();
}
