// Split logic on generated label arrays: invariants of the four paradigms, determinism, bad input, and the
// split file's round trip (write, read, damaged files rejected).
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/util.h"
#include "data/split.h"
#include "harness.h"

// 1,000 train samples, 10 classes (100 each, interleaved), coarse = class / 2, groups = i / 20 (50 groups);
// 200 test samples, 10 classes.
#define N_TRAIN 1000
#define N_TEST 200
static int32_t labels[N_TRAIN], coarse[N_TRAIN], groups[N_TRAIN], test_labels[N_TEST];

static SplitInputs make_inputs(void) {
    for (int i = 0; i < N_TRAIN; i++) {
        labels[i] = (i * 7) % 10;
        coarse[i] = labels[i] / 2;
        groups[i] = i / 20;
    }
    for (int i = 0; i < N_TEST; i++) test_labels[i] = i % 10;
    SplitInputs in = {10, N_TRAIN, labels, coarse, groups, N_TEST, test_labels};
    return in;
}

static SplitParams params(Paradigm p) {
    SplitParams sp = {0};
    sp.paradigm = p;
    sp.seed = 42;
    sp.val_fraction = 0.1;
    sp.coarse = sp.fine = -1;
    return sp;
}

static int sorted_unique(const int64_t* a, int64_t n) {
    for (int64_t k = 1; k < n; k++) if (a[k] <= a[k - 1]) return 0;
    return 1;
}

// The partition invariants every split must satisfy.
static void check_partition(const Split* s, const SplitInputs* in) {
    CHECK(sorted_unique(s->val, s->n_val), "val not sorted");
    CHECK(sorted_unique(s->forget, s->n_forget), "forget not sorted");
    CHECK(sorted_unique(s->retain, s->n_retain), "retain not sorted");
    CHECK(sorted_unique(s->test_keep, s->n_test_keep), "test_keep not sorted");
    CHECK_EQ_INT(s->n_val + s->n_forget + s->n_retain, in->n_train);
    int seen[N_TRAIN] = {0};
    for (int64_t k = 0; k < s->n_val; k++) seen[s->val[k]]++;
    for (int64_t k = 0; k < s->n_forget; k++) seen[s->forget[k]]++;
    for (int64_t k = 0; k < s->n_retain; k++) seen[s->retain[k]]++;
    int bad = 0;
    for (int i = 0; i < N_TRAIN; i++) bad += seen[i] != 1;
    CHECK(bad == 0, "%d train indices not in exactly one of val/forget/retain", bad);
    // 10% of each class held out: 10 of 100 per class
    int per_class[10] = {0};
    for (int64_t k = 0; k < s->n_val; k++) per_class[labels[s->val[k]]]++;
    for (int c = 0; c < 10; c++) CHECK(per_class[c] == 10, "class %d has %d val samples, expected 10", c, per_class[c]);
    CHECK(s->n_forget > 0, "empty forget");
    CHECK_EQ_INT(s->labels_hash, split_labels_hash(labels, N_TRAIN));
}

static void test_class_wise(void) {
    SplitInputs in = make_inputs();
    SplitParams p = params(PARADIGM_CLASS);
    int32_t classes[] = {5, 3};
    p.classes = classes;
    p.num_classes_forgotten = 2;
    Split s;
    char err[256] = "";
    CHECK(split_make(&p, &in, "gen", &s, err, sizeof err), "%s", err);
    check_partition(&s, &in);
    CHECK_EQ_INT(s.n_forget, 180);  // 2 classes × (100 - 10 held out)
    for (int64_t k = 0; k < s.n_forget; k++) CHECK(labels[s.forget[k]] == 3 || labels[s.forget[k]] == 5, "wrong class");
    for (int64_t k = 0; k < s.n_retain; k++) CHECK(labels[s.retain[k]] != 3 && labels[s.retain[k]] != 5, "forgotten class in retain");
    CHECK_EQ_INT(s.n_test_keep, 160);
    for (int64_t k = 0; k < s.n_test_keep; k++) CHECK(test_labels[s.test_keep[k]] != 3 && test_labels[s.test_keep[k]] != 5, "test_keep");
    CHECK_EQ_INT(s.n_val_keep, 80);
    CHECK_EQ_INT(s.num_classes_forgotten, 2);
    CHECK(s.classes[0] == 3 && s.classes[1] == 5, "classes recorded sorted");
    split_free(&s);
}

static void test_random(void) {
    SplitInputs in = make_inputs();
    SplitParams p = params(PARADIGM_RANDOM);
    p.fraction = 0.1;
    Split s, t, u;
    char err[256] = "";
    CHECK(split_make(&p, &in, "gen", &s, err, sizeof err), "%s", err);
    check_partition(&s, &in);
    CHECK_EQ_INT(s.n_forget, 90);    // 10% of the 900 non-validation samples
    CHECK_EQ_INT(s.n_test_keep, N_TEST);
    int classes_hit = 0, hit[10] = {0};
    for (int64_t k = 0; k < s.n_forget; k++) hit[labels[s.forget[k]]] = 1;
    for (int c = 0; c < 10; c++) classes_hit += hit[c];
    CHECK(classes_hit >= 8, "random forget set spans only %d classes", classes_hit);
    // determinism: same seed, same split; another seed, another split
    CHECK(split_make(&p, &in, "gen", &t, err, sizeof err), "%s", err);
    CHECK(t.n_forget == s.n_forget && memcmp(t.forget, s.forget, (size_t)s.n_forget * 8) == 0, "same seed differs");
    CHECK(memcmp(t.val, s.val, (size_t)s.n_val * 8) == 0, "same seed, val differs");
    p.seed = 43;
    CHECK(split_make(&p, &in, "gen", &u, err, sizeof err), "%s", err);
    CHECK(memcmp(u.forget, s.forget, (size_t)s.n_forget * 8) != 0, "another seed gives the same forget set");
    CHECK(memcmp(u.val, s.val, (size_t)s.n_val * 8) != 0, "another seed gives the same val set");
    split_free(&s); split_free(&t); split_free(&u);
    // exact count
    p.fraction = 0;
    p.count = 37;
    CHECK(split_make(&p, &in, "gen", &s, err, sizeof err), "%s", err);
    check_partition(&s, &in);
    CHECK_EQ_INT(s.n_forget, 37);
    split_free(&s);
    // no validation hold-out
    p.val_fraction = 0;
    CHECK(split_make(&p, &in, "gen", &s, err, sizeof err), "%s", err);
    CHECK_EQ_INT(s.n_val, 0);
    CHECK_EQ_INT(s.n_forget + s.n_retain, N_TRAIN);
    split_free(&s);
}

static void test_group(void) {
    SplitInputs in = make_inputs();
    SplitParams p = params(PARADIGM_GROUP);
    p.coarse = 1;
    p.fine = 3;   // classes 2 and 3 make coarse class 1
    Split s;
    char err[256] = "";
    CHECK(split_make(&p, &in, "gen", &s, err, sizeof err), "%s", err);
    check_partition(&s, &in);
    CHECK_EQ_INT(s.n_forget, 90);
    for (int64_t k = 0; k < s.n_forget; k++) CHECK(labels[s.forget[k]] == 3 && coarse[s.forget[k]] == 1, "wrong sample");
    CHECK_EQ_INT(s.n_test_keep, N_TEST);
    CHECK(s.coarse == 1 && s.fine == 3, "coarse/fine recorded");
    split_free(&s);
}

static void test_identity(void) {
    SplitInputs in = make_inputs();
    SplitParams p = params(PARADIGM_IDENTITY);
    int32_t ids[] = {7, 2};
    p.groups = ids;
    p.num_groups_forgotten = 2;
    Split s;
    char err[256] = "";
    CHECK(split_make(&p, &in, "gen", &s, err, sizeof err), "%s", err);
    check_partition(&s, &in);
    int64_t expect = 0;
    for (int i = 0; i < N_TRAIN; i++) expect += (groups[i] == 2 || groups[i] == 7);
    int64_t in_val = 0;
    for (int64_t k = 0; k < s.n_val; k++) in_val += (groups[s.val[k]] == 2 || groups[s.val[k]] == 7);
    CHECK_EQ_INT(s.n_forget, expect - in_val);
    for (int64_t k = 0; k < s.n_forget; k++) CHECK(groups[s.forget[k]] == 2 || groups[s.forget[k]] == 7, "wrong group");
    for (int64_t k = 0; k < s.n_retain; k++) CHECK(groups[s.retain[k]] != 2 && groups[s.retain[k]] != 7, "group in retain");
    split_free(&s);
    // fraction of groups: 10% of 50 = 5 groups, each fully forgotten (outside val)
    p.num_groups_forgotten = 0;
    p.group_fraction = 0.1;
    CHECK(split_make(&p, &in, "gen", &s, err, sizeof err), "%s", err);
    check_partition(&s, &in);
    CHECK_EQ_INT(s.num_groups_forgotten, 5);
    for (int64_t k = 0; k < s.n_retain; k++)
        for (int g = 0; g < s.num_groups_forgotten; g++) CHECK(groups[s.retain[k]] != s.groups[g], "forgotten group in retain");
    split_free(&s);
}

// Each bad input must fail with a message containing `expect`.
static void expect_error(const SplitParams* p, const SplitInputs* in, const char* expect) {
    Split s;
    char err[256] = "";
    int ok = split_make(p, in, "gen", &s, err, sizeof err);
    CHECK(!ok, "expected failure '%s'", expect);
    CHECK(strstr(err, expect) != NULL, "error '%s' does not mention '%s'", err, expect);
    CHECK(s.forget == NULL && s.retain == NULL, "failed split keeps arrays");
    if (ok) split_free(&s);
}

static void test_bad_inputs(void) {
    SplitInputs in = make_inputs();
    SplitParams p = params(PARADIGM_CLASS);
    expect_error(&p, &in, "give the classes");
    int32_t unknown[] = {10}, negative[] = {-1}, twice[] = {4, 4}, all[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
    p.classes = unknown; p.num_classes_forgotten = 1;
    expect_error(&p, &in, "unknown class 10");
    p.classes = negative;
    expect_error(&p, &in, "unknown class -1");
    p.classes = twice; p.num_classes_forgotten = 2;
    expect_error(&p, &in, "listed twice");
    p.classes = all; p.num_classes_forgotten = 10;
    expect_error(&p, &in, "retain set is empty");
    // a class with no training samples: forget set empty
    int32_t sparse_labels[N_TRAIN];
    for (int i = 0; i < N_TRAIN; i++) sparse_labels[i] = i % 9;
    SplitInputs sparse = in;
    sparse.labels = sparse_labels;
    int32_t nine[] = {9};
    p.classes = nine; p.num_classes_forgotten = 1;
    expect_error(&p, &sparse, "forget set is empty");

    p = params(PARADIGM_RANDOM);
    expect_error(&p, &in, "exactly one of --fraction or --count");
    p.fraction = 0.1; p.count = 5;
    expect_error(&p, &in, "exactly one");
    p.count = 0;
    double bad_fractions[] = {1.0, 1.5, -0.2};
    for (int k = 0; k < 3; k++) { p.fraction = bad_fractions[k]; expect_error(&p, &in, "outside (0, 1)"); }
    p.fraction = 1e-6;
    expect_error(&p, &in, "forget set would be empty");
    p.fraction = 0; p.count = 900;
    expect_error(&p, &in, "would take every one");
    p.count = -3;
    expect_error(&p, &in, "must be positive");
    p.count = 5; p.val_fraction = 1.0;
    expect_error(&p, &in, "--val-fraction");

    p = params(PARADIGM_GROUP);
    SplitInputs no_coarse = in;
    no_coarse.coarse_labels = NULL;
    p.coarse = 1; p.fine = 3;
    expect_error(&p, &no_coarse, "needs coarse labels");
    p.fine = 5;
    expect_error(&p, &in, "not inside coarse class 1");
    p.fine = 12;
    expect_error(&p, &in, "unknown fine class 12");
    p.coarse = 9; p.fine = 3;
    expect_error(&p, &in, "unknown coarse class 9");
    p.coarse = -1;
    expect_error(&p, &in, "give --coarse");

    p = params(PARADIGM_IDENTITY);
    SplitInputs no_groups = in;
    no_groups.groups = NULL;
    int32_t ids[] = {3}, unknown_ids[] = {999};
    p.groups = ids; p.num_groups_forgotten = 1;
    expect_error(&p, &no_groups, "needs group ids");
    p.groups = unknown_ids;
    expect_error(&p, &in, "unknown group 999");
    p.groups = ids; p.group_fraction = 0.1;
    expect_error(&p, &in, "exactly one of --groups");
    p.num_groups_forgotten = 0; p.group_fraction = 1.0;
    expect_error(&p, &in, "outside (0, 1)");
    p.group_fraction = 0.001;
    expect_error(&p, &in, "forget set would be empty");

    int32_t out_of_range[N_TRAIN];
    memcpy(out_of_range, labels, sizeof labels);
    out_of_range[17] = 10;
    SplitInputs bad_labels = in;
    bad_labels.labels = out_of_range;
    p = params(PARADIGM_RANDOM);
    p.count = 5;
    expect_error(&p, &bad_labels, "outside 0..9");
}

static char tmpdir[256];

static void test_file_round_trip(void) {
    SplitInputs in = make_inputs();
    SplitParams p = params(PARADIGM_CLASS);
    int32_t classes[] = {1};
    p.classes = classes;
    p.num_classes_forgotten = 1;
    Split s, r;
    char err[256] = "", path[512];
    CHECK(split_make(&p, &in, "gen:round-trip", &s, err, sizeof err), "%s", err);
    snprintf(path, sizeof path, "%s/class.h5", tmpdir);
    split_write(path, &s);
    split_read(path, &r);
    CHECK_EQ_INT(r.format_version, SPLIT_FORMAT_VERSION);
    CHECK_EQ_INT(r.paradigm, PARADIGM_CLASS);
    CHECK_EQ_INT(r.seed, 42);
    CHECK_CLOSE(r.val_fraction, 0.1, 0);
    CHECK(strcmp(r.source, "gen:round-trip") == 0, "source '%s'", r.source);
    CHECK_EQ_INT(r.num_classes, 10);
    CHECK_EQ_INT(r.n_train, N_TRAIN);
    CHECK_EQ_INT(r.n_test, N_TEST);
    CHECK_EQ_INT(r.labels_hash, s.labels_hash);
    CHECK(r.num_classes_forgotten == 1 && r.classes[0] == 1, "classes");
    CHECK(r.num_groups_forgotten == 0 && r.coarse == -1, "unused fields");
    CHECK(r.n_val == s.n_val && !memcmp(r.val, s.val, (size_t)s.n_val * 8), "val");
    CHECK(r.n_forget == s.n_forget && !memcmp(r.forget, s.forget, (size_t)s.n_forget * 8), "forget");
    CHECK(r.n_retain == s.n_retain && !memcmp(r.retain, s.retain, (size_t)s.n_retain * 8), "retain");
    CHECK(r.n_val_keep == s.n_val_keep && !memcmp(r.val_keep, s.val_keep, (size_t)s.n_val_keep * 8), "val_keep");
    CHECK(r.n_test_keep == s.n_test_keep && !memcmp(r.test_keep, s.test_keep, (size_t)s.n_test_keep * 8), "test_keep");
    split_free(&r);
    // empty val round-trips too (zero-length arrays)
    split_free(&s);
    p.val_fraction = 0;
    CHECK(split_make(&p, &in, "gen", &s, err, sizeof err), "%s", err);
    split_write(path, &s);
    split_read(path, &r);
    CHECK_EQ_INT(r.n_val, 0);
    CHECK_EQ_INT(r.n_forget, s.n_forget);
    split_free(&r);
    split_free(&s);
}

// Runs fn in a child process; expects it to die (exit 1) with `expect` in its stderr.
static void expect_death(void (*fn)(const char*), const char* arg, const char* expect) {
    int fds[2];
    CHECK(pipe(fds) == 0, "pipe");
    fflush(stdout); fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn(arg);
        _exit(0);
    }
    close(fds[1]);
    char buf[4096] = "";
    size_t len = 0;
    ssize_t got;
    while ((got = read(fds[0], buf + len, sizeof buf - 1 - len)) > 0) len += (size_t)got;
    buf[len] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1, "expected exit 1 for '%s', status %d", arg, status);
    CHECK(strstr(buf, expect) != NULL, "message '%s' does not mention '%s'", buf, expect);
}

static void read_and_free(const char* path) {
    Split s;
    split_read(path, &s);
    split_free(&s);
}

static void test_damaged_files(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/missing.h5", tmpdir);
    expect_death(read_and_free, path, "does not exist");
    snprintf(path, sizeof path, "%s/text.h5", tmpdir);
    FILE* f = fopen(path, "w");
    fputs("not hdf5\n", f);
    fclose(f);
    expect_death(read_and_free, path, "not an HDF5 file");
    // a split whose forget set overlaps retain
    SplitInputs in = make_inputs();
    SplitParams p = params(PARADIGM_RANDOM);
    p.count = 10;
    Split s;
    char err[256];
    CHECK(split_make(&p, &in, "gen", &s, err, sizeof err), "%s", err);
    s.forget[0] = s.retain[0];
    int64_t tmp = s.forget[0];
    // keep it sorted so the overlap check (not the sort check) fires
    for (int64_t k = 0; k + 1 < s.n_forget && s.forget[k] > s.forget[k + 1]; k++) {
        s.forget[k] = s.forget[k + 1];
        s.forget[k + 1] = tmp;
    }
    snprintf(path, sizeof path, "%s/overlap.h5", tmpdir);
    split_write(path, &s);
    expect_death(read_and_free, path, "val/forget/retain (damaged file)");
    split_free(&s);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_split.XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    TEST_CASE(test_class_wise);
    TEST_CASE(test_random);
    TEST_CASE(test_group);
    TEST_CASE(test_identity);
    TEST_CASE(test_bad_inputs);
    TEST_CASE(test_file_round_trip);
    TEST_CASE(test_damaged_files);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return th_end();
}
