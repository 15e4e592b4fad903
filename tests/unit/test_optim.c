// test_optim.c — SGD against PyTorch's update rule written out by hand, the update mask, clipping, schedules.
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "nn/optim.h"
#include "train/schedule.h"

// torch.optim.SGD, step by step in float with PyTorch's rounding order.
static void torch_sgd(float* p, float* buf, const float* g, int n, int steps, float lr, float mu, float wd, int nesterov) {
    for (int s = 0; s < steps; s++)
        for (int i = 0; i < n; i++) {
            float d = g[s * n + i];
            d = d + wd * p[i];
            if (mu != 0) {
                if (s == 0) buf[i] = d;
                else buf[i] = mu * buf[i] + d;
                d = nesterov ? d + mu * buf[i] : buf[i];
            }
            p[i] = p[i] - lr * d;
        }
}

static void check_against_torch(float mu, float wd, int nesterov) {
    enum { N = 37, STEPS = 4 };
    float g[STEPS * N], p0[N], pt[N], bt[N] = {0};
    for (int i = 0; i < N; i++) p0[i] = pt[i] = 0.1f * (float)(i - 18);
    for (int i = 0; i < STEPS * N; i++) g[i] = 0.01f * (float)((i * 37) % 23 - 11);
    torch_sgd(pt, bt, g, N, STEPS, 0.05f, mu, wd, nesterov);
    Sgd s;
    SgdConfig cfg = {mu, wd, nesterov};
    sgd_init(&s, &cfg, N);
    for (int k = 0; k < STEPS; k++) sgd_step(&s, p0, g + k * N, NULL, 0.05f);
    CHECK(memcmp(p0, pt, sizeof p0) == 0, "params differ from torch.optim.SGD (mu %g wd %g nesterov %d)", mu, wd, nesterov);
    if (mu != 0) CHECK(memcmp(s.momentum_buf, bt, sizeof bt) == 0, "momentum buffer differs");
    sgd_free(&s);
}

static void test_sgd_matches_torch(void) {
    check_against_torch(0.9f, 5e-4f, 0);
    check_against_torch(0.9f, 5e-4f, 1);
    check_against_torch(0.0f, 1e-2f, 0);
    check_against_torch(0.5f, 0.0f, 0);
}

static void test_sgd_mask(void) {
    enum { N = 100 };
    float p[N], g[N], keep[N];
    uint8_t mask[N];
    for (int i = 0; i < N; i++) { p[i] = keep[i] = 1.0f + i; g[i] = 0.5f; mask[i] = (i % 3) == 0; }
    Sgd s;
    SgdConfig cfg = {0.9, 5e-4, 0};
    sgd_init(&s, &cfg, N);
    for (int k = 0; k < 3; k++) sgd_step(&s, p, g, mask, 0.1f);
    int moved_masked = 0, still_unmasked = 0;
    for (int i = 0; i < N; i++) {
        if (!mask[i]) moved_masked += memcmp(&p[i], &keep[i], sizeof(float)) != 0 || s.momentum_buf[i] != 0.0f;
        else still_unmasked += p[i] == keep[i];
    }
    CHECK_EQ_INT(moved_masked, 0);
    CHECK_EQ_INT(still_unmasked, 0);
    sgd_free(&s);
}

static void test_clip_and_norm(void) {
    float g[4] = {3, 4, 0, 0};
    double n = grad_norm(g, 4);
    CHECK_CLOSE(n, 5.0, 1e-12);
    double c = grad_clip(g, 4, n, 1.0);
    CHECK_CLOSE(c, 1.0 / (5.0 + 1e-6), 1e-12);
    CHECK_CLOSE(grad_norm(g, 4), 1.0, 1e-6);
    CHECK_CLOSE(grad_clip(g, 4, grad_norm(g, 4), 10.0), 1.0, 0);   // below the limit: untouched
    g[2] = NAN;
    CHECK(!isfinite(grad_norm(g, 4)), "NaN gives a non-finite norm");
    g[2] = INFINITY;
    CHECK(!isfinite(grad_norm(g, 4)), "Inf gives a non-finite norm");
    // blocked accumulation gives the same value as a serial double sum on a large buffer
    size_t big = 300000;
    float* x = malloc(big * sizeof(float));
    double ref = 0;
    for (size_t i = 0; i < big; i++) { x[i] = (float)((i % 1000) * 1e-3); ref += (double)x[i] * x[i]; }
    CHECK_CLOSE(grad_norm(x, big), sqrt(ref), 1e-9 * sqrt(ref));
    free(x);
}

static void test_schedules(void) {
    Schedule s = {0};
    s.base_lr = 0.1;
    s.gamma = 0.1;
    s.steps_per_epoch = 10;
    s.total_steps = 100;
    s.kind = SCHED_CONSTANT;
    CHECK_CLOSE(sched_lr(&s, 0), 0.1, 0);
    CHECK_CLOSE(sched_lr(&s, 99), 0.1, 0);
    s.kind = SCHED_MULTISTEP;
    sched_parse_milestones(&s, "3,6");
    CHECK_EQ_INT(s.num_milestones, 2);
    CHECK_CLOSE(sched_lr(&s, 29), 0.1, 1e-15);
    CHECK_CLOSE(sched_lr(&s, 30), 0.01, 1e-15);
    CHECK_CLOSE(sched_lr(&s, 60), 0.001, 1e-15);
    s.kind = SCHED_COSINE;
    CHECK_CLOSE(sched_lr(&s, 0), 0.1, 1e-15);
    CHECK_CLOSE(sched_lr(&s, 50), 0.05, 1e-12);
    CHECK_CLOSE(sched_lr(&s, 100), 0.0, 1e-15);
    s.warmup_steps = 10;
    CHECK_CLOSE(sched_lr(&s, 0), 0.01, 1e-15);   // (0+1)/10 of the cosine value at its start
    CHECK_CLOSE(sched_lr(&s, 9), 0.1, 1e-15);
    CHECK_CLOSE(sched_lr(&s, 55), 0.05, 1e-12);  // cosine over the 90 steps after warm-up
    SchedKind k;
    CHECK(sched_parse_kind("cosine", &k) && k == SCHED_COSINE, "parse");
    CHECK(!sched_parse_kind("linear-ish", &k), "unknown name rejected");
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_sgd_matches_torch);
    TEST_CASE(test_sgd_mask);
    TEST_CASE(test_clip_and_norm);
    TEST_CASE(test_schedules);
    return th_end();
}
