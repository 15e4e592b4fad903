// test_provenance.c — issue 18, deliverables 1-3 at the unit level:
//   checkpoint provenance round trip; the model hash does not depend on provenance or the optimizer; a flipped byte
//   in the stored run config or in a provenance attribute fails the checksum; a format-1 checkpoint (no provenance)
//   still loads and says so; the resume comparison lists every differing option; report_check_provenance marks
//   stale metrics and copied seeds; run_dir: lock, overwrite guard, --force, resume, eval, stale temp files.
#include <errno.h>
#include <hdf5.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/h5attr.h"
#include "common/run_dir.h"
#include "common/util.h"
#include "harness.h"
#include "metrics/report.h"
#include "train/checkpoint.h"
#include "train/provenance.h"

static char g_dir[256];

static Model* make_model(uint64_t seed) {
    ModelConfig c = {ARCH_SMALL_CNN, 4, 10, 8, 8, 1, 0, 0};
    Model* m = model_create(&c, BACKEND_REF);
    model_init(m, seed);
    return m;
}

static const Provenance PROV = {.method = "ga@probe", .parent_hash = "0123456789abcdef", .split_hash = "fedcba9876543210",
                                .split_path = "/x/split.h5", .dataset_id = "source=test; classes=10",
                                .dataset_path = "/x/d.h5", .config_text = "[unlearn]\nepochs = 3\nlr = 0.01\n"};

static void child_load(void* arg) {
    Model* m = make_model(9);
    checkpoint_load((const char*)arg, m, NULL, NULL);
    _exit(0);
}

// Copies src to dst with the first occurrence of `from` replaced by `to` (same length): a flipped byte.
static int copy_flipped(const char* src, const char* dst, const char* from, const char* to) {
    size_t n = 0;
    char* bytes = ug_read_file(src, &n);
    size_t k = strlen(from);
    int done = 0;
    for (size_t i = 0; i + k <= n && !done; i++)
        if (!memcmp(bytes + i, from, k)) { memcpy(bytes + i, to, k); done = 1; }
    FILE* f = fopen(dst, "wb");
    fwrite(bytes, 1, n, f);
    fclose(f);
    free(bytes);
    return done;
}

static void test_checkpoint_provenance(void) {
    char path[512], plain[512], bad[512], msg[4096];
    snprintf(path, sizeof path, "%s/prov.h5", g_dir);
    snprintf(plain, sizeof plain, "%s/plain.h5", g_dir);
    Model* m = make_model(3);
    checkpoint_save_with(path, m, NULL, NULL, &PROV);
    checkpoint_save(plain, m, NULL, NULL, NULL);
    char h[MODEL_HASH_CHARS], h_file[MODEL_HASH_CHARS], h_plain[MODEL_HASH_CHARS];
    checkpoint_model_hash(m, h);
    CHECK(strlen(h) == 16, "16 hex digits: %s", h);
    CHECK(checkpoint_read_model_hash(path, h_file) && !strcmp(h, h_file), "recorded %s, computed %s", h_file, h);
    CHECK(checkpoint_read_model_hash(plain, h_plain) && !strcmp(h, h_plain), "provenance does not change the hash");
    Model* other = make_model(4);
    char h_other[MODEL_HASH_CHARS];
    checkpoint_model_hash(other, h_other);
    CHECK(strcmp(h, h_other) != 0, "another model, another hash");
    model_destroy(other);

    CheckpointProvenance p;
    checkpoint_read_provenance(path, &p);
    CHECK_EQ_INT(p.format_version, CHECKPOINT_FORMAT_VERSION);
    CHECK(!strcmp(p.method, "ga@probe") && !strcmp(p.parent_hash, "0123456789abcdef") &&
          !strcmp(p.split_hash, "fedcba9876543210") && !strcmp(p.split_path, "/x/split.h5") &&
          !strcmp(p.dataset_id, "source=test; classes=10") && !strcmp(p.dataset_path, "/x/d.h5") &&
          !strcmp(p.model_hash, h), "provenance round trip: method %s parent %s", p.method, p.parent_hash);
    CHECK_EQ_INT(th_run_child(child_load, path, msg, sizeof msg), 0);

    // a flipped byte in the run config, then in the method: the checksum covers both
    snprintf(bad, sizeof bad, "%s/config-flip.h5", g_dir);
    CHECK(copy_flipped(path, bad, "epochs = 3", "epochs = 4"), "config text found in the file");
    CHECK(th_run_child(child_load, bad, msg, sizeof msg) != 0 && strstr(msg, "checksum mismatch"),
          "a flipped run-config byte must fail: %s", msg);
    snprintf(bad, sizeof bad, "%s/method-flip.h5", g_dir);
    CHECK(copy_flipped(path, bad, "ga@probe", "ga@probX"), "method found in the file");
    CHECK(th_run_child(child_load, bad, msg, sizeof msg) != 0 && strstr(msg, "checksum mismatch"),
          "a flipped method byte must fail: %s", msg);
    model_destroy(m);
}

// A format-1 file as older builds wrote it: no /provenance, no model_hash, checksum of the tensors only.
static void test_format1_loads(void) {
    char path[512], msg[4096];
    snprintf(path, sizeof path, "%s/v1.h5", g_dir);
    Model* m = make_model(5);
    checkpoint_save(path, m, NULL, NULL, "[train]\nmethod = retrain\n");
    char h[MODEL_HASH_CHARS];
    checkpoint_model_hash(m, h);   // FNV-1a of params + buffers: exactly the format-1 checksum without momentum
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    CHECK(f >= 0, "reopen");
    H5Adelete(f, "format_version");
    H5Adelete(f, "checksum");
    H5Adelete(f, "model_hash");
    H5Ldelete(f, "provenance", H5P_DEFAULT);
    h5attr_write_i64(f, "format_version", 1);
    h5attr_write_i64(f, "checksum", (int64_t)strtoull(h, NULL, 16));
    H5Fclose(f);
    CHECK_EQ_INT(th_run_child(child_load, path, msg, sizeof msg), 0);
    CheckpointProvenance p;
    checkpoint_read_provenance(path, &p);
    CHECK(p.format_version == 1 && !p.method[0] && !p.model_hash[0], "format 1: nothing recorded");
    char got[MODEL_HASH_CHARS];
    CHECK(!checkpoint_read_model_hash(path, got), "format 1 has no recorded model hash");
    // format 1: the run config was outside the checksum (accepted then; format 2 refuses it, above)
    model_destroy(m);
}

static void test_config_diff(void) {
    static const char* const keys[] = {"data", "on", "lr", "epochs", "milestones", NULL};
    static const char* const paths[] = {"data", NULL};
    char out[1024];
    const char* a = "[train]\ndata = /etc/hostname\non = all\nlr = 0.10000000000000001\nepochs = 30\n";
    CHECK_EQ_INT(provenance_config_diff(a, a, keys, paths, out, sizeof out), 0);
    const char* b = "[train]\ndata = /etc/../etc/hostname\non = retain\nlr = 0.050000000000000003\nepochs = 30\n"
                    "milestones = 10,20\n";
    int n = provenance_config_diff(a, b, keys, paths, out, sizeof out);
    CHECK_EQ_INT(n, 3);
    CHECK(strstr(out, "on (checkpoint: all, now: retain)") && strstr(out, "lr (checkpoint: 0.10000000000000001") &&
          strstr(out, "milestones (checkpoint: -, now: 10,20)") && !strstr(out, "data") && !strstr(out, "epochs"),
          "differences: %s", out);
}

static void test_report_provenance(void) {
    RunMetrics r[4];
    memset(r, 0, sizeof r);
    const char* paths[4] = {"/a/metrics.json", "/b/metrics.json", "/c/metrics.json", "/d/metrics.json"};
    const char* hashes[4] = {"1111", "2222", "1111", "3333"};
    for (int i = 0; i < 4; i++) {
        snprintf(r[i].path, sizeof r[i].path, "%s", paths[i]);
        snprintf(r[i].split, sizeof r[i].split, "%s", i == 3 ? "/other-split.h5" : "/split.h5");
        snprintf(r[i].model_hash, sizeof r[i].model_hash, "%s", hashes[i]);
        snprintf(r[i].beside_hash, sizeof r[i].beside_hash, "%s", i == 1 ? "9999" : hashes[i]);
    }
    char err[9000];
    CHECK_EQ_INT(report_check_provenance(r, 4, err, sizeof err), 2);
    CHECK(r[1].model_mismatch && !r[0].model_mismatch && !r[2].model_mismatch, "the stale run is /b");
    CHECK(r[2].copy_of == 0 && r[0].copy_of == -1 && r[3].copy_of == -1, "the copy is /c (of /a)");
    CHECK(strstr(err, "/b/metrics.json evaluated model 2222 but the model.h5 beside it is 9999") &&
          strstr(err, "/c/metrics.json evaluated the same model (1111) as /a/metrics.json"), "%s", err);
    // the same model on another split is no copy; runs without hashes (older files) are not judged
    snprintf(r[3].model_hash, sizeof r[3].model_hash, "1111");
    snprintf(r[3].beside_hash, sizeof r[3].beside_hash, "1111");
    r[1].beside_hash[0] = 0;
    r[2].model_hash[0] = 0;
    CHECK_EQ_INT(report_check_provenance(r, 4, err, sizeof err), 0);
}

// ---- run_dir ----

typedef struct {
    const char* dir;
    RunDirPolicy p;
} ClaimArg;

static void child_claim(void* arg) {
    const ClaimArg* a = arg;
    RunDir rd;
    run_dir_claim(&rd, "test", a->dir, &a->p);
    _exit(0);
}

static void touch(const char* dir, const char* name) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE* f = fopen(p, "w");
    if (f) fclose(f);
}

static int exists_in(const char* dir, const char* name) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void test_run_dir_lock(void) {
    char dir[512], msg[4096];
    snprintf(dir, sizeof dir, "%s/locked/run", g_dir);
    RunDir rd;
    run_dir_claim(&rd, "test", dir, &(RunDirPolicy){0});
    CHECK(rd.fd >= 0, "claimed");
    ClaimArg a = {dir, {0}};
    int rc = th_run_child(child_claim, &a, msg, sizeof msg);
    CHECK(rc != 0 && strstr(msg, "another run is writing into"), "a second run must fail at once: rc %d %s", rc, msg);
    run_dir_release(&rd);
    CHECK_EQ_INT(th_run_child(child_claim, &a, msg, sizeof msg), 0);   // free again
}

static void test_run_dir_guard(void) {
    char dir[512], msg[4096], ckpt[600];
    snprintf(dir, sizeof dir, "%s/guard", g_dir);
    ug_mkdir_p(dir);
    touch(dir, "model.h5");
    touch(dir, "metrics.json");
    ClaimArg a = {dir, {0}};
    int rc = th_run_child(child_claim, &a, msg, sizeof msg);
    CHECK(rc != 0 && strstr(msg, "holds another run's results (model.h5, metrics.json)") && strstr(msg, "--force"),
          "refused: rc %d %s", rc, msg);
    // eval of the model in this folder: refused while a metrics.json is there, allowed without one
    snprintf(ckpt, sizeof ckpt, "%s/model.h5", dir);
    a.p = (RunDirPolicy){.model = ckpt};
    CHECK(th_run_child(child_claim, &a, msg, sizeof msg) != 0, "eval: a metrics.json is there");
    unlink(strcat(strcpy(msg, dir), "/metrics.json"));
    touch(dir, "train.json");
    CHECK_EQ_INT(th_run_child(child_claim, &a, msg, sizeof msg), 0);
    a.p = (RunDirPolicy){.model = "/nonexistent/model.h5"};
    CHECK(th_run_child(child_claim, &a, msg, sizeof msg) != 0, "eval of another model into this folder: refused");
    // --resume of this folder's checkpoint: allowed, its metrics.json (an earlier model's) goes
    touch(dir, "checkpoint.h5");
    touch(dir, "metrics.json");
    snprintf(ckpt, sizeof ckpt, "%s/checkpoint.h5", dir);
    a.p = (RunDirPolicy){.resume = ckpt};
    CHECK_EQ_INT(th_run_child(child_claim, &a, msg, sizeof msg), 0);
    CHECK(!exists_in(dir, "metrics.json") && exists_in(dir, "model.h5"), "resume keeps the run, drops metrics.json");
    a.p = (RunDirPolicy){.resume = "/nonexistent/checkpoint.h5"};
    CHECK(th_run_child(child_claim, &a, msg, sizeof msg) != 0, "resume of another folder's checkpoint: refused");
    // --force: every earlier result goes (none stays beside the new model)
    touch(dir, "metrics.json");
    a.p = (RunDirPolicy){.force = 1};
    CHECK_EQ_INT(th_run_child(child_claim, &a, msg, sizeof msg), 0);
    CHECK(!exists_in(dir, "model.h5") && !exists_in(dir, "metrics.json") && !exists_in(dir, "train.json") &&
          !exists_in(dir, "checkpoint.h5"), "--force removed the earlier results");
}

static void test_run_dir_stale_tmp(void) {
    char dir[512], name[128];
    snprintf(dir, sizeof dir, "%s/tmpfiles", g_dir);
    ug_mkdir_p(dir);
    pid_t dead = fork();   // a pid that is surely gone: a reaped child
    if (dead == 0) _exit(0);
    waitpid(dead, NULL, 0);
    snprintf(name, sizeof name, "model.h5.tmp.%d", (int)dead);
    touch(dir, name);
    char mine[128], alive[128];
    snprintf(mine, sizeof mine, "metrics.json.tmp.%d", (int)getpid());
    touch(dir, mine);
    snprintf(alive, sizeof alive, "metrics.json.tmp.%d", (int)getppid());   // a live process: not ours to remove
    touch(dir, alive);
    touch(dir, "notes.tmp.txt");
    RunDir rd;
    run_dir_claim(&rd, "test", dir, &(RunDirPolicy){0});
    CHECK(!exists_in(dir, name), "the dead process's temp file is removed");
    CHECK(exists_in(dir, mine) && exists_in(dir, alive) && exists_in(dir, "notes.tmp.txt"), "others are kept");
    run_dir_release(&rd);
    CHECK(!exists_in(dir, mine), "release removes this process's own temp files");
    CHECK(exists_in(dir, alive), "a live process's temp file stays");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    snprintf(g_dir, sizeof g_dir, "/tmp/ugradsl_prov_XXXXXX");
    if (!mkdtemp(g_dir)) { perror("mkdtemp"); return 1; }
    TEST_CASE(test_checkpoint_provenance);
    TEST_CASE(test_format1_loads);
    TEST_CASE(test_config_diff);
    TEST_CASE(test_report_provenance);
    TEST_CASE(test_run_dir_lock);
    TEST_CASE(test_run_dir_guard);
    TEST_CASE(test_run_dir_stale_tmp);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
    return th_end();
}
