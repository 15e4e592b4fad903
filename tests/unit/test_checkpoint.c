// test_checkpoint.c — round trip (bit-identical), and every bad checkpoint ends with one clear error:
// missing, truncated, not HDF5, flipped byte (checksum), another architecture / width / class count,
// a final model where a resumable checkpoint is needed.  Failing loads run in a forked child.
#include <fcntl.h>
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/rng.h"
#include "common/util.h"
#include "harness.h"
#include "train/checkpoint.h"

static char g_dir[256];

static Model* make_model(Arch a, int width, int classes, uint64_t seed) {
    ModelConfig c = {a, width, classes, 16, 16, 3, 0, 0};
    Model* m = model_create(&c, BACKEND_REF);
    model_init(m, seed);
    for (int t = 0; t < m->num_tensors; t++)   // running stats away from their init values
        if (m->tensors[t].is_buffer)
            for (size_t i = 0; i < m->tensors[t].numel; i++)
                m->buffers[m->tensors[t].offset + i] += m->tensors[t].ndim ? 0.25f * (float)(i % 7) : 12.0f;
    return m;
}

// Runs checkpoint_load in a child; returns its exit status and the child's stderr in msg.
static int load_in_child(const char* path, Arch a, int width, int classes, int with_opt, char* msg, size_t cap) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        Model* m = make_model(a, width, classes, 1);
        Sgd s;
        SgdConfig cfg = {0.9, 5e-4, 0};
        sgd_init(&s, &cfg, m->num_params);
        checkpoint_load(path, m, with_opt ? &s : NULL, NULL);
        _exit(0);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t r;
    while (len + 1 < cap && (r = read(fds[0], msg + len, cap - 1 - len)) > 0) len += (size_t)r;
    msg[len] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void expect_error(const char* path, Arch a, int width, int classes, int with_opt, const char* needle) {
    char msg[4096];
    int rc = load_in_child(path, a, width, classes, with_opt, msg, sizeof msg);
    CHECK(rc != 0, "loading %s should fail (%s)", path, needle);
    CHECK(strstr(msg, needle) != NULL, "error for %s should mention '%s', got: %s", path, needle, msg);
}

static void test_round_trip(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/a.h5", g_dir);
    Model* m = make_model(ARCH_RESNET18, 4, 10, 3);
    Sgd s;
    SgdConfig cfg = {0.9, 5e-4, 1};
    sgd_init(&s, &cfg, m->num_params);
    for (size_t i = 0; i < m->num_params; i++) s.momentum_buf[i] = (float)i * 1e-3f;
    TrainState st = {3, 5, 77, 1234567890123ULL, 2, 0.05};
    checkpoint_save(path, m, &s, &st, "[train]\nepochs = 3\n");
    char tmpname[600];
    snprintf(tmpname, sizeof tmpname, "%s.tmp.%d", path, (int)getpid());
    CHECK(access(tmpname, F_OK) != 0, "no temp file left behind");
    CHECK(checkpoint_is_valid(path), "valid");

    ModelConfig rc;
    checkpoint_read_config(path, &rc);
    CHECK(model_config_equal(&rc, &m->cfg), "config round trip");
    Model* m2 = make_model(ARCH_RESNET18, 4, 10, 99);
    Sgd s2;
    sgd_init(&s2, &cfg, m2->num_params);
    TrainState st2;
    checkpoint_load(path, m2, &s2, &st2);
    CHECK(memcmp(m->params, m2->params, m->num_params * 4) == 0, "params bit-identical");
    CHECK(memcmp(m->buffers, m2->buffers, m->num_buffers * 4) == 0, "buffers bit-identical");
    CHECK(memcmp(s.momentum_buf, s2.momentum_buf, m->num_params * 4) == 0, "momentum bit-identical");
    CHECK(st2.epoch == 3 && st2.step_in_epoch == 5 && st2.global_step == 77 && st2.seed == 1234567890123ULL &&
          st2.world_size == 2 && st2.lr == 0.05, "state round trip");
    char* text = checkpoint_read_config_text(path);
    CHECK(strcmp(text, "[train]\nepochs = 3\n") == 0, "config text: %s", text);
    free(text);

    // torchvision layout: conv weight OIHW stored with its 4-D shape
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "model/layer2.0.downsample.0.weight", H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[4] = {0};
    CHECK_EQ_INT(H5Sget_simple_extent_dims(sp, dims, NULL), 4);
    CHECK(dims[0] == 8 && dims[1] == 4 && dims[2] == 1 && dims[3] == 1, "OIHW shape");
    H5Sclose(sp); H5Dclose(d); H5Fclose(f);

    sgd_free(&s); sgd_free(&s2);
    model_destroy(m); model_destroy(m2);
}

static void test_bad_checkpoints(void) {
    char good[512], path[600];
    snprintf(good, sizeof good, "%s/good.h5", g_dir);
    Model* m = make_model(ARCH_RESNET18, 4, 10, 3);
    Sgd s;
    SgdConfig cfg = {0.9, 5e-4, 0};
    sgd_init(&s, &cfg, m->num_params);
    checkpoint_save(good, m, &s, NULL, NULL);
    char msg[4096];
    CHECK_EQ_INT(load_in_child(good, ARCH_RESNET18, 4, 10, 1, msg, sizeof msg), 0);

    expect_error(good, ARCH_RESNET18, 8, 10, 0, "resnet18 w4 10 classes");      // width mismatch
    expect_error(good, ARCH_RESNET18, 4, 5, 0, "this run expects a resnet18 w4 5 classes");
    expect_error(good, ARCH_SMALL_CNN, 4, 10, 0, "holds a resnet18");
    snprintf(path, sizeof path, "%s/missing.h5", g_dir);
    expect_error(path, ARCH_RESNET18, 4, 10, 0, "does not exist");

    // truncated: the first half of the file
    size_t size = 0;
    char* bytes = ug_read_file(good, &size);
    snprintf(path, sizeof path, "%s/trunc.h5", g_dir);
    FILE* f = fopen(path, "wb");
    fwrite(bytes, 1, size / 2, f);
    fclose(f);
    expect_error(path, ARCH_RESNET18, 4, 10, 0, "not a readable HDF5 file");

    // not HDF5 at all
    snprintf(path, sizeof path, "%s/text.h5", g_dir);
    f = fopen(path, "wb");
    fputs("hello\n", f);
    fclose(f);
    expect_error(path, ARCH_RESNET18, 4, 10, 0, "not a readable HDF5 file");

    // one flipped byte in the middle of a weight: HDF5 reads it happily, the checksum does not
    hid_t h = H5Fopen(good, H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(h, "model/layer3.1.conv2.weight", H5P_DEFAULT);
    haddr_t off = H5Dget_offset(d);
    H5Dclose(d);
    H5Fclose(h);
    CHECK(off != HADDR_UNDEF && off + 100 < size, "dataset offset");
    bytes[off + 100] ^= 0x40;
    snprintf(path, sizeof path, "%s/flip.h5", g_dir);
    f = fopen(path, "wb");
    fwrite(bytes, 1, size, f);
    fclose(f);
    expect_error(path, ARCH_RESNET18, 4, 10, 0, "checksum mismatch");
    free(bytes);

    // a final model (no optimizer) cannot resume
    snprintf(path, sizeof path, "%s/final.h5", g_dir);
    checkpoint_save(path, m, NULL, NULL, NULL);
    CHECK_EQ_INT(load_in_child(path, ARCH_RESNET18, 4, 10, 0, msg, sizeof msg), 0);
    expect_error(path, ARCH_RESNET18, 4, 10, 1, "no optimizer state");
    sgd_free(&s);
    model_destroy(m);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(g_dir, sizeof g_dir, "/tmp/ugradsl_ckpt_XXXXXX");
    if (!mkdtemp(g_dir)) { perror("mkdtemp"); return 1; }
    TEST_CASE(test_round_trip);
    TEST_CASE(test_bad_checkpoints);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return th_end();
}
