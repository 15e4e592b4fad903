// rank_timing.h — where a data-parallel run spent its time, rank by rank, and which rank held the others up.
//
// In a synchronous step every rank waits in the gradient all-reduce for the slowest one, so a straggler (a slow
// node or a delayed rank) shows as large compute + data-wait on ONE rank and large all-reduce waits on the
// others.  rank_timing_gather collects every rank's TrainTimers and host name to rank 0 (one MPI_Gather) and
// names the straggler on every rank (one MPI_Bcast), so all ranks can log the same line.
#pragma once
#include <mpi.h>
#include <stddef.h>

#include "train/trainer.h"

#define RANK_HOST_MAX 64

typedef struct {
    int rank;
    char host[RANK_HOST_MAX];
    TrainTimers timers;
} RankTiming;

typedef struct {
    RankTiming* ranks;            // [n] in rank order on the root; NULL elsewhere
    int n;                        // the world size on the root; 0 elsewhere
    // on every rank:
    int world;
    RankTiming slowest;           // the rank with the largest compute + data_wait (lowest rank on ties)
    double others_allreduce_max;  // the largest all-reduce wait among the other ranks (0 at world 1)
} RankTimingTable;

// Collective over comm.  host NULL: this machine's name (MPI_Get_processor_name).  Root is rank 0.
void rank_timing_gather(const TrainTimers* mine, const char* host, MPI_Comm comm, RankTimingTable* out);
void rank_timing_free(RankTimingTable* t);
// The index in rows[0..n) of the straggler: largest compute + data_wait, the first of equals.  Pure.
int rank_timing_slowest(const RankTiming* rows, int n);
// "slowest rank 1 (node2): compute 3.1 s, data 0.2 s; all-reduce wait on the others up to 2.9 s"
void rank_timing_describe(const RankTimingTable* t, char* buf, size_t cap);
