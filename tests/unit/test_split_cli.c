// `ugradsl split` end to end on generated datasets: the four paradigms write files that split_load accepts for
// their dataset, the same seed writes the same file, the JSON summary, and every bad input dies with a clear
// message (bad options, unknown class, fraction out of range, no coarse labels, a split from another dataset).
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/util.h"
#include "data/dataset.h"
#include "data/split.h"
#include "harness.h"

#define N_TRAIN 200
#define N_TEST 50
static char tmpdir[256], data_path[512], plain_path[512], other_path[512];
static char* NAMES[] = {"c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8", "c9"};

// with_extras: coarse labels (class / 2) and groups (i / 10); label_shift changes the train labels.
static void write_dataset(const char* path, int with_extras, int label_shift, const char* source) {
    DatasetInfo info;
    memset(&info, 0, sizeof info);
    info.mode = DS_DECODED;
    info.num_classes = 10;
    info.class_names = NAMES;
    info.height = info.width = 2;
    info.channels = 1;
    info.mean[0] = 0.5f;
    info.std[0] = 0.2f;
    info.num_coarse = with_extras ? 5 : 0;
    snprintf(info.source, sizeof info.source, "%s", source);
    uint8_t img[N_TRAIN * 4];
    int32_t labels[N_TRAIN], coarse[N_TRAIN], groups[N_TRAIN], test_labels[N_TEST];
    for (int i = 0; i < N_TRAIN; i++) {
        labels[i] = (i * 3 + label_shift) % 10;
        coarse[i] = labels[i] / 2;
        groups[i] = i / 10;
        for (int k = 0; k < 4; k++) img[i * 4 + k] = (uint8_t)(i + k);
    }
    for (int i = 0; i < N_TEST; i++) test_labels[i] = i % 10;
    DatasetWriter w;
    dataset_write_begin(&w, path, &info);
    dataset_write_split_decoded(&w, "train", N_TRAIN, img, labels, with_extras ? coarse : NULL, with_extras ? groups : NULL);
    dataset_write_split_decoded(&w, "test", N_TEST, img, test_labels, NULL, NULL);
    dataset_write_finish(&w);
}

// Runs `ugradsl split ARGS...` in this process (argv built from a NULL-terminated list).
static int run_split(const char** args) {
    char* argv[40];
    int argc = 0;
    argv[argc++] = (char*)"split";
    for (int k = 0; args[k]; k++) argv[argc++] = (char*)args[k];
    argv[argc] = NULL;
    return cmd_split(argc, argv);
}

static const char** death_args;
static void split_in_child(void) { run_split(death_args); }

static const char* load_split_path;
static const char* load_data_path;
static void load_in_child(void) {
    Dataset ds;
    dataset_open(&ds, load_data_path, MPI_COMM_NULL);
    Split s;
    split_load(load_split_path, &ds, &s);
}

// Runs fn in a child; expects a non-zero exit with `expect` in its stderr.
static void expect_death(void (*fn)(void), const char* expect) {
    char errpath[512];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", tmpdir);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(errpath, "w", stderr)) _exit(99);
        if (!freopen("/dev/null", "w", stdout)) _exit(99);
        fn();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    char* text = ug_read_file(errpath, NULL);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0, "expected failure mentioning '%s', got status %d", expect, status);
    CHECK(strstr(text, expect) != NULL, "stderr '%s' does not mention '%s'", text, expect);
    free(text);
}

static void load(const char* split_path, const char* dataset_path, Split* s) {
    Dataset ds;
    dataset_open(&ds, dataset_path, MPI_COMM_NULL);
    split_load(split_path, &ds, s);
    dataset_close(&ds);
}

static void test_paradigms(void) {
    char out[512], json[512];
    snprintf(out, sizeof out, "%s/class.h5", tmpdir);
    snprintf(json, sizeof json, "%s/class.json", tmpdir);
    const char* class_args[] = {"--data", data_path, "--output", out, "--paradigm", "class", "--classes", "3,5", "--seed", "7", "--json", json, NULL};
    CHECK_EQ_INT(run_split(class_args), 0);
    Split s;
    load(out, data_path, &s);
    CHECK_EQ_INT(s.paradigm, PARADIGM_CLASS);
    CHECK_EQ_INT(s.n_val, 20);                    // 10% of 20 per class
    CHECK_EQ_INT(s.n_forget, 36);                 // 2 classes × 18
    CHECK_EQ_INT(s.n_test_keep, 40);
    CHECK_EQ_INT(s.seed, 7);
    char* text = ug_read_file(json, NULL);
    CHECK(strstr(text, "\"n_forget\": 36") != NULL, "JSON summary: %s", text);
    free(text);
    // same seed → same file contents
    char again[512];
    snprintf(again, sizeof again, "%s/class2.h5", tmpdir);
    const char* again_args[] = {"--data", data_path, "--output", again, "--paradigm", "class", "--classes", "5,3", "--seed", "7", NULL};
    CHECK_EQ_INT(run_split(again_args), 0);
    Split t;
    load(again, data_path, &t);
    CHECK(t.n_val == s.n_val && !memcmp(t.val, s.val, (size_t)s.n_val * 8) && !memcmp(t.forget, s.forget, (size_t)s.n_forget * 8),
          "same seed, different split");
    size_t size_a = 0, size_b = 0;
    char* bytes_a = ug_read_file(out, &size_a);
    char* bytes_b = ug_read_file(again, &size_b);
    CHECK(size_a == size_b && !memcmp(bytes_a, bytes_b, size_a), "same split, different file bytes");
    free(bytes_a);
    free(bytes_b);
    split_free(&s);
    split_free(&t);

    snprintf(out, sizeof out, "%s/random.h5", tmpdir);
    const char* random_args[] = {"--data", data_path, "--output", out, "--paradigm", "random", "--fraction", "0.1", NULL};
    CHECK_EQ_INT(run_split(random_args), 0);
    load(out, data_path, &s);
    CHECK_EQ_INT(s.n_forget, 18);
    split_free(&s);

    snprintf(out, sizeof out, "%s/group.h5", tmpdir);
    const char* group_args[] = {"--data", data_path, "--output", out, "--paradigm", "group", "--coarse", "2", "--fine", "4", NULL};
    CHECK_EQ_INT(run_split(group_args), 0);
    load(out, data_path, &s);
    CHECK(s.coarse == 2 && s.fine == 4 && s.n_forget == 18, "group split: coarse %d fine %d forget %lld", s.coarse, s.fine, (long long)s.n_forget);
    split_free(&s);

    snprintf(out, sizeof out, "%s/identity.h5", tmpdir);
    const char* identity_args[] = {"--data", data_path, "--output", out, "--paradigm", "identity", "--groups", "1,4", "--val-fraction", "0", NULL};
    CHECK_EQ_INT(run_split(identity_args), 0);
    load(out, data_path, &s);
    CHECK(s.n_forget == 20 && s.n_val == 0 && s.num_groups_forgotten == 2, "identity split: forget %lld", (long long)s.n_forget);
    split_free(&s);
}

static void test_bad_inputs(void) {
    char out[512], class_out[512];
    snprintf(out, sizeof out, "%s/bad.h5", tmpdir);
    snprintf(class_out, sizeof class_out, "%s/class.h5", tmpdir);
    struct { const char* args[16]; const char* expect; } cases[] = {
        {{"--output", out, "--paradigm", "class", "--classes", "1", NULL}, "--data FILE is required"},
        {{"--data", data_path, "--output", out, "--paradigm", "classes", NULL}, "unknown --paradigm 'classes'"},
        {{"--data", data_path, "--output", out, "--paradigm", "random", "--classes", "1", "--fraction", "0.1", NULL}, "--classes applies to --paradigm class"},
        {{"--data", data_path, "--output", out, "--paradigm", "class", "--classes", "99", NULL}, "unknown class 99"},
        {{"--data", data_path, "--output", out, "--paradigm", "class", "--classes", "3,x", NULL}, "comma-separated integers"},
        {{"--data", data_path, "--output", out, "--paradigm", "class", NULL}, "give the classes"},
        {{"--data", data_path, "--output", out, "--paradigm", "random", "--fraction", "1.5", NULL}, "outside (0, 1)"},
        {{"--data", data_path, "--output", out, "--paradigm", "random", "--fraction", "0", NULL}, "outside (0, 1)"},
        {{"--data", data_path, "--output", out, "--paradigm", "random", "--fraction", "0.001", NULL}, "forget set would be empty"},
        {{"--data", plain_path, "--output", out, "--paradigm", "group", "--coarse", "1", "--fine", "2", NULL}, "needs coarse labels"},
        {{"--data", plain_path, "--output", out, "--paradigm", "identity", "--groups", "1", NULL}, "needs group ids"},
        {{"--data", data_path, "--output", out, "--paradigm", "identity", "--groups", "77", NULL}, "unknown group 77"},
        {{"--data", "/nonexistent/d.h5", "--output", out, "--paradigm", "class", "--classes", "1", NULL}, "does not exist"},
        {{"--data", data_path, "--output", data_path, "--paradigm", "class", "--classes", "1", NULL}, "must not be the dataset"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        death_args = cases[k].args;
        expect_death(split_in_child, cases[k].expect);
    }
    CHECK(!ug_file_exists(out), "a failed split left an output file");
    // a split made from another dataset is rejected when loaded
    load_split_path = class_out;
    load_data_path = other_path;
    expect_death(load_in_child, "other train labels");
    load_data_path = plain_path;
    expect_death(load_in_child, "source");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_split_cli.XXXXXX");
    if (!mkdtemp(tmpdir)) { perror("mkdtemp"); return 1; }
    snprintf(data_path, sizeof data_path, "%s/data.h5", tmpdir);
    snprintf(plain_path, sizeof plain_path, "%s/plain.h5", tmpdir);
    snprintf(other_path, sizeof other_path, "%s/other.h5", tmpdir);
    write_dataset(data_path, 1, 0, "test:split-cli");
    write_dataset(plain_path, 0, 0, "test:plain");
    write_dataset(other_path, 1, 1, "test:split-cli");   // same source and sizes, other labels
    TEST_CASE(test_paradigms);
    TEST_CASE(test_bad_inputs);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", tmpdir);
    return th_end();
}
