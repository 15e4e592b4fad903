// test_gpu_select.c — the rank -> GPU rule for every common binding, without a GPU.
#include <string.h>

#include "gpu/gpu_select.h"
#include "harness.h"

static int pick(int local, int size, int visible, const char* cvd, const char* slurm, const char* override, char* err) {
    GpuSelectInput in = {.local_rank = local, .local_size = size, .visible = visible, .cuda_visible_devices = cvd,
                         .slurm_localid = slurm, .override_device = override};
    return gpu_select(&in, err, 512);
}

static void test_bindings(void) {
    char err[512];
    // all 4 node GPUs visible to 4 ranks: rank k -> device k
    for (int r = 0; r < 4; r++) CHECK_EQ_INT(pick(r, 4, 4, NULL, NULL, NULL, err), r);
    // 2 ranks on a 4-GPU node
    CHECK_EQ_INT(pick(1, 2, 4, NULL, NULL, NULL, err), 1);
    // one GPU per task (--gpus-per-task=1 / --gpu-bind=single:1): every rank uses its device 0 (was: rank 3 -> dies)
    for (int r = 0; r < 4; r++) CHECK_EQ_INT(pick(r, 4, 1, "3", "3", NULL, err), 0);
    // site-set CUDA_VISIBLE_DEVICES=2,3 with 2 ranks on the node
    CHECK_EQ_INT(pick(1, 2, 2, "2,3", NULL, NULL, err), 1);
    // local rank unknown to MPI: SLURM_LOCALID
    CHECK_EQ_INT(pick(-1, 4, 4, NULL, "2", NULL, err), 2);
    // explicit override
    CHECK_EQ_INT(pick(0, 4, 4, NULL, NULL, "3", err), 3);
}

static void test_errors(void) {
    char err[512];
    CHECK_EQ_INT(pick(0, 1, 0, "", NULL, NULL, err), -1);
    CHECK(strstr(err, "no CUDA device is visible") && strstr(err, "--device cpu"), "no GPU: %s", err);
    CHECK_EQ_INT(pick(3, 4, 2, "0,1", NULL, NULL, err), -1);
    CHECK(strstr(err, "fewer GPUs than ranks") && strstr(err, "CUDA_VISIBLE_DEVICES=0,1"), "too few GPUs: %s", err);
    CHECK_EQ_INT(pick(1, 4, 2, NULL, NULL, NULL, err), -1);   // rank 1 would fit, but ranks 2, 3 would not: refuse on all
    CHECK_EQ_INT(pick(0, 4, 4, NULL, NULL, "4", err), -1);
    CHECK(strstr(err, "UG_GPU_DEVICE='4'"), "override out of range: %s", err);
    CHECK_EQ_INT(pick(0, 4, 4, NULL, NULL, "x", err), -1);
    CHECK_EQ_INT(pick(-1, 4, 4, NULL, NULL, NULL, err), -1);
    CHECK(strstr(err, "node-local rank is unknown"), "no local rank: %s", err);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_bindings);
    TEST_CASE(test_errors);
    return th_end();
}
