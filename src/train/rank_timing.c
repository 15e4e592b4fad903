// rank_timing.c — per-rank timings gathered to rank 0 and the straggler named on every rank (see rank_timing.h).
#include "train/rank_timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

int rank_timing_slowest(const RankTiming* rows, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (rows[i].timers.compute + rows[i].timers.data_wait > rows[best].timers.compute + rows[best].timers.data_wait)
            best = i;
    return best;
}

static void this_host(char out[RANK_HOST_MAX]) {
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    MPI_CHECK(MPI_Get_processor_name(name, &len));
    size_t n = len < 0 ? 0 : (size_t)len < RANK_HOST_MAX - 1 ? (size_t)len : RANK_HOST_MAX - 1;   // cut long names
    memcpy(out, name, n);
    out[n] = 0;
}

void rank_timing_gather(const TrainTimers* mine, const char* host, MPI_Comm comm, RankTimingTable* out) {
    memset(out, 0, sizeof *out);
    int rank, world;
    MPI_CHECK(MPI_Comm_rank(comm, &rank));
    MPI_CHECK(MPI_Comm_size(comm, &world));
    RankTiming me;
    memset(&me, 0, sizeof me);   // no stray bytes in the padding that travels
    me.rank = rank;
    me.timers = *mine;
    if (host) snprintf(me.host, sizeof me.host, "%s", host);
    else this_host(me.host);
    RankTiming* all = NULL;
    if (rank == 0) {
        all = calloc((size_t)world, sizeof *all);
        UG_CHECK(all, "out of memory (%d rank timings)", world);
    }
    // a plain struct as bytes: every rank runs the same binary
    MPI_CHECK(MPI_Gather(&me, (int)sizeof me, MPI_BYTE, all, (int)sizeof me, MPI_BYTE, 0, comm));
    // what every rank learns: the straggler, and how long the others waited for it
    struct { RankTiming slowest; double others_allreduce_max; } shared;
    memset(&shared, 0, sizeof shared);
    if (rank == 0) {
        int s = rank_timing_slowest(all, world);
        shared.slowest = all[s];
        for (int i = 0; i < world; i++)
            if (i != s && all[i].timers.allreduce > shared.others_allreduce_max)
                shared.others_allreduce_max = all[i].timers.allreduce;
        out->ranks = all;
        out->n = world;
    }
    MPI_CHECK(MPI_Bcast(&shared, (int)sizeof shared, MPI_BYTE, 0, comm));
    out->world = world;
    out->slowest = shared.slowest;
    out->others_allreduce_max = shared.others_allreduce_max;
}

void rank_timing_free(RankTimingTable* t) {
    free(t->ranks);
    memset(t, 0, sizeof *t);
}

void rank_timing_describe(const RankTimingTable* t, char* buf, size_t cap) {
    snprintf(buf, cap, "slowest rank %d (%s): compute %.1f s, data %.1f s; all-reduce wait on the others up to %.1f s",
             t->slowest.rank, t->slowest.host, t->slowest.timers.compute, t->slowest.timers.data_wait,
             t->others_allreduce_max);
}
