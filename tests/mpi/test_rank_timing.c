// test_rank_timing.c — per-rank timings gathered to rank 0 and the straggler named on every rank, at np 1, 2, 3.
// Each rank feeds made-up timers that are a pure function of its rank; the last rank is the straggler.
#include <stdio.h>
#include <string.h>

#include "dist/dist.h"
#include "harness.h"
#include "train/rank_timing.h"

// Rank r: compute 1 + r, data 0.5; the last rank gets +10 s compute (the straggler), the others wait for it.
static TrainTimers made_up(int r, int world) {
    TrainTimers t = {1.0 + r, 0.25 * (r + 1), 0.5};
    if (r == world - 1) t.compute += 10;
    else t.allreduce += 9 - r;   // rank 0 waited longest: 9.25 s
    return t;
}

static void gathered_table_and_slowest(void) {
    TrainTimers mine = made_up(th_rank, th_world);
    char host[32];
    snprintf(host, sizeof host, "host%d", th_rank);
    RankTimingTable rt;
    rank_timing_gather(&mine, host, MPI_COMM_WORLD, &rt);
    CHECK_EQ_INT(rt.world, th_world);
    // every rank learns the straggler
    CHECK_EQ_INT(rt.slowest.rank, th_world - 1);
    char want[64];
    snprintf(want, sizeof want, "host%d", th_world - 1);
    CHECK(strcmp(rt.slowest.host, want) == 0, "slowest host '%s', want '%s'", rt.slowest.host, want);
    CHECK_CLOSE(rt.slowest.timers.compute, th_world + 10.0, 1e-12);
    CHECK_CLOSE(rt.others_allreduce_max, th_world > 1 ? 9.25 : 0.0, 1e-12);
    if (th_rank == 0) {
        CHECK_EQ_INT(rt.n, th_world);
        for (int r = 0; r < rt.n && rt.ranks; r++) {
            TrainTimers w = made_up(r, th_world);
            CHECK_EQ_INT(rt.ranks[r].rank, r);
            snprintf(want, sizeof want, "host%d", r);
            CHECK(strcmp(rt.ranks[r].host, want) == 0, "row %d host '%s'", r, rt.ranks[r].host);
            CHECK(rt.ranks[r].timers.compute == w.compute && rt.ranks[r].timers.allreduce == w.allreduce &&
                  rt.ranks[r].timers.data_wait == w.data_wait, "row %d timers differ", r);
        }
    } else {
        CHECK(rt.ranks == NULL && rt.n == 0, "non-root ranks get no table");
    }
    char line[256];
    rank_timing_describe(&rt, line, sizeof line);
    snprintf(want, sizeof want, "slowest rank %d (host%d)", th_world - 1, th_world - 1);
    CHECK(strstr(line, want) == line, "line '%s'", line);
    rank_timing_free(&rt);
    CHECK(rt.ranks == NULL, "freed");
}

// Data wait counts like compute (a rank starved by its loader also holds the others up); ties: lowest rank.
static void slowest_counts_data_wait_and_ties(void) {
    RankTiming rows[3];
    memset(rows, 0, sizeof rows);
    rows[0].timers = (TrainTimers){2.0, 0.0, 0.0};
    rows[1].timers = (TrainTimers){1.0, 5.0, 1.5};   // 2.5: the straggler despite less compute
    rows[2].timers = (TrainTimers){2.5, 0.0, 0.0};   // ties with rank 1: the first wins
    CHECK_EQ_INT(rank_timing_slowest(rows, 3), 1);
    CHECK_EQ_INT(rank_timing_slowest(rows, 1), 0);
    rows[2].timers.compute = 2.6;
    CHECK_EQ_INT(rank_timing_slowest(rows, 3), 2);
}

// A real host name (MPI_Get_processor_name) when none is given.
static void default_host_is_named(void) {
    TrainTimers zero = {0, 0, 0};
    RankTimingTable rt;
    rank_timing_gather(&zero, NULL, MPI_COMM_WORLD, &rt);
    CHECK(rt.slowest.host[0] != 0, "empty host name");
    CHECK_EQ_INT(rt.slowest.rank, 0);   // all equal: rank 0
    rank_timing_free(&rt);
}

int main(int argc, char** argv) {
    dist_init(&argc, &argv);
    th_begin(&argc, &argv, 1);
    th_run("gathered_table_and_slowest", gathered_table_and_slowest);
    th_run("slowest_counts_data_wait_and_ties", slowest_counts_data_wait_and_ties);
    th_run("default_host_is_named", default_host_is_named);
    return th_end();
}
