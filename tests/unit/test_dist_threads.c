// test_dist_threads.c — the default thread count of a rank (dist_default_threads): Slurm's cores per task, else
// the affinity mask, divided by the node's ranks only when the mask is the whole node.
#include <sched.h>

#include "harness.h"
#include "dist/dist.h"

static void test_affinity_mask(void) {
    CHECK_EQ_INT(dist_default_threads(NULL, 2, 16, 1), 2);     // taskset -c 0,1 on a 16-core node
    CHECK_EQ_INT(dist_default_threads(NULL, 1, 16, 4), 1);     // bound to one core (mpirun --bind-to core)
    CHECK_EQ_INT(dist_default_threads(NULL, 16, 16, 4), 4);    // no binding: the node shared by 4 ranks
    CHECK_EQ_INT(dist_default_threads(NULL, 16, 16, 32), 1);   // more ranks than cores: at least 1
    CHECK_EQ_INT(dist_default_threads(NULL, 0, 8, 2), 4);      // mask unknown: the online cores / ranks
}

static void test_slurm(void) {
    CHECK_EQ_INT(dist_default_threads("4", 16, 16, 4), 4);     // --cpus-per-task 4
    CHECK_EQ_INT(dist_default_threads("8", 2, 16, 1), 2);      // never more than the mask allows
    CHECK_EQ_INT(dist_default_threads("", 2, 16, 1), 2);       // empty: ignored
    CHECK_EQ_INT(dist_default_threads("x", 16, 16, 2), 8);     // not a number: ignored
    CHECK_EQ_INT(dist_default_threads("0", 16, 16, 2), 8);
}

// The real mask of this process (run it under `taskset -c 0` to see 1).
static void test_this_process(void) {
    unsetenv("OMP_NUM_THREADS");
    unsetenv("SLURM_CPUS_PER_TASK");
    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_TRUE(sched_getaffinity(0, sizeof set, &set) == 0);
    int mask = CPU_COUNT(&set), online = (int)sysconf(_SC_NPROCESSORS_ONLN);
    int n = dist_set_threads(0);
    // one rank (g_dist before dist_init): the mask's cores, whether bound (taskset) or not
    CHECK(n == (mask < online ? mask : online), "threads %d, mask %d cores of %d", n, mask, online);
    CHECK_EQ_INT(dist_set_threads(3), 3);   // an explicit count wins
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(test_affinity_mask);
    TEST_CASE(test_slurm);
    TEST_CASE(test_this_process);
    return th_end();
}
