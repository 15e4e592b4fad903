// test_optim_trainer.c — the trainer pieces the unlearning methods rely on (one process):
// NaN/Inf detection (stop or report), the update mask through a full step, the gradient hook, batch
// concatenation for one forward pass, and per-sample weights (w = 0 contributes nothing).
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/rng.h"
#include "harness.h"
#include "train/trainer.h"

enum { H = 8, K = 4, N = 6 };

static Model* make(void) {
    ModelConfig c = {.arch = ARCH_SMALL_CNN, .width = 2, .num_classes = K, .in_h = H, .in_w = H, .in_c = 1};
    Model* m = model_create(&c, BACKEND_REF);
    model_init(m, 3);
    return m;
}

static void fill(float* x, int32_t* y, int n, uint64_t seed) {
    Rng r;
    rng_init(&r, seed, RNG_MISC, 0, 0);
    for (int i = 0; i < n * H * H; i++) x[i] = rng_normal(&r);
    for (int i = 0; i < n; i++) y[i] = (int32_t)rng_below(&r, K);
}

static void test_nonfinite_reported(void) {
    Model* m = make();
    Trainer t;
    SgdConfig sc = {0.9, 5e-4, 0};
    trainer_init(&t, m, &sc);
    t.die_on_nonfinite = 0;
    float x[N * H * H];
    int32_t y[N];
    fill(x, y, N, 1);
    x[5] = NAN;
    float* keep = malloc(m->num_params * sizeof(float));
    memcpy(keep, m->params, m->num_params * sizeof(float));
    Batch b = {N, H, H, 1, x, y, NULL};
    StepResult r = trainer_step(&t, &b, NULL, NULL, 0.1);
    CHECK(!r.finite, "a NaN input must be reported");
    CHECK(memcmp(keep, m->params, m->num_params * sizeof(float)) == 0, "no update after a non-finite step");
    CHECK_EQ_INT(t.step, 0);
    free(keep);
    trainer_free(&t);
    model_destroy(m);
}

static void test_nonfinite_dies_naming_step(void) {
    int fds[2];
    CHECK_TRUE(pipe(fds) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        Model* m = make();
        Trainer t;
        SgdConfig sc = {0.9, 0, 0};
        trainer_init(&t, m, &sc);
        t.step = 41;
        float x[N * H * H];
        int32_t y[N];
        fill(x, y, N, 1);
        x[0] = INFINITY;
        Batch b = {N, H, H, 1, x, y, NULL};
        trainer_step(&t, &b, NULL, NULL, 0.1);
        _exit(0);
    }
    close(fds[1]);
    char msg[2048] = "";
    ssize_t n = read(fds[0], msg, sizeof msg - 1);
    msg[n > 0 ? n : 0] = 0;
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0, "must stop");
    CHECK(strstr(msg, "training step 41") && strstr(msg, "NaN/Inf"), "message: %s", msg);
}

static int g_hook_calls;
static void zero_fc_hook(Trainer* t, void* ctx) {
    (void)ctx;
    g_hook_calls++;
    const TensorInfo* w = model_find_tensor(t->model, "fc.weight");
    memset(t->model->grads + w->offset, 0, w->numel * sizeof(float));
}

static void test_mask_and_hook(void) {
    Model* m = make();
    Trainer t;
    SgdConfig sc = {0.9, 5e-4, 0};
    trainer_init(&t, m, &sc);
    uint8_t* mask = calloc(m->num_params, 1);
    const TensorInfo* c3 = model_find_tensor(m, "conv3.weight");
    for (size_t i = 0; i < c3->numel; i++) mask[c3->offset + i] = 1;   // only conv3 trains
    const TensorInfo* fw = model_find_tensor(m, "fc.weight");
    for (size_t i = 0; i < fw->numel; i++) mask[fw->offset + i] = 1;   // fc too, but the hook zeroes its grad
    t.update_mask = mask;
    t.hook = zero_fc_hook;
    float* keep = malloc(m->num_params * sizeof(float));
    memcpy(keep, m->params, m->num_params * sizeof(float));
    float x[N * H * H];
    int32_t y[N];
    for (int s = 0; s < 3; s++) {
        fill(x, y, N, 10 + s);
        Batch b = {N, H, H, 1, x, y, NULL};
        trainer_step(&t, &b, NULL, NULL, 0.1);
    }
    CHECK_EQ_INT(g_hook_calls, 3);
    int moved_outside = 0, moved_conv3 = 0, moved_fc = 0;
    for (size_t i = 0; i < m->num_params; i++) {
        int moved = memcmp(&keep[i], &m->params[i], sizeof(float)) != 0;
        if (i >= c3->offset && i < c3->offset + c3->numel) moved_conv3 += moved;
        else if (i >= fw->offset && i < fw->offset + fw->numel) moved_fc += moved;
        else moved_outside += moved;
    }
    CHECK_EQ_INT(moved_outside, 0);
    CHECK(moved_conv3 > (int)c3->numel / 2, "conv3 trains (%d moved)", moved_conv3);
    // fc: zero gradient, but weight decay still applies inside the mask (PyTorch semantics)
    CHECK(moved_fc > 0, "fc decays");
    free(mask);
    free(keep);
    trainer_free(&t);
    model_destroy(m);
}

static void test_concat_and_weights(void) {
    float xa[2 * H * H], xb[3 * H * H];
    int32_t ya[2], yb[3];
    int64_t ia[2] = {10, 11}, ib[3] = {20, 21, 22};
    fill(xa, ya, 2, 1);
    fill(xb, yb, 3, 2);
    Batch a = {2, H, H, 1, xa, ya, ia}, b = {3, H, H, 1, xb, yb, ib};
    OwnedBatch o = {0};
    owned_batch_concat(&o, &a, &b);
    CHECK_EQ_INT(o.b.n, 5);
    CHECK(memcmp(o.b.x, xa, sizeof xa) == 0 && memcmp(o.b.x + 2 * H * H, xb, sizeof xb) == 0, "images in order");
    CHECK(o.b.y[1] == ya[1] && o.b.y[2] == yb[0] && o.b.index[4] == 22, "labels / indices in order");
    Batch empty = {0, H, H, 1, NULL, NULL, NULL};
    owned_batch_concat(&o, &empty, &b);
    CHECK_EQ_INT(o.b.n, 3);
    CHECK(o.b.index[0] == 20, "empty first part");

    // weight 0 on the forget part = a step on the retain part alone (same 1/|B| scale)
    Model* m1 = make();
    Model* m2 = make();
    Trainer t1, t2;
    SgdConfig sc = {0.0, 0.0, 0};
    trainer_init(&t1, m1, &sc);
    trainer_init(&t2, m2, &sc);
    owned_batch_concat(&o, &a, &b);
    float w[5] = {1, 1, 0, 0, 0};
    trainer_compute(&t1, 5, o.b.x, o.b.y, NULL, w, 5);
    // BN sees all 5 samples in t1; give t2 the same batch statistics by using the same 5-sample forward
    float w2[5] = {1, 1, 0, 0, 0};
    trainer_compute(&t2, 5, o.b.x, o.b.y, NULL, w2, 5);
    CHECK(memcmp(m1->grads, m2->grads, m1->num_params * sizeof(float)) == 0, "deterministic");
    float wneg[5] = {1, 1, -1, -1, -1};
    trainer_compute(&t2, 5, o.b.x, o.b.y, NULL, wneg, 5);
    CHECK(memcmp(m1->grads, m2->grads, m1->num_params * sizeof(float)) != 0, "ascent samples change the gradient");
    owned_batch_free(&o);
    trainer_free(&t1);
    trainer_free(&t2);
    model_destroy(m1);
    model_destroy(m2);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_nonfinite_reported);
    TEST_CASE(test_nonfinite_dies_naming_step);
    TEST_CASE(test_mask_and_hook);
    TEST_CASE(test_concat_and_weights);
    return th_end();
}
