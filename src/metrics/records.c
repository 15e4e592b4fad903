// records.c — per-sample records from logits, canonical sort, and the rank-0 gather.
#include "metrics/records.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char* sample_set_name(int set) {
    static const char* names[] = {"retain", "forget", "test", "val"};
    return set >= 0 && set < SET_COUNT ? names[set] : "unknown";
}

// -log(max(p, 1e-30)), as `_log_value` of the public MIA code.
static double neg_log_clamped(double p) { return -log(p > 1e-30 ? p : 1e-30); }

void records_from_logits(SampleRecord* out, const float* logits, int N, int K, const int32_t* labels,
                         const int64_t* index, SampleSet set) {
    double* prob = ug_malloc(sizeof(double) * (size_t)(K > 0 ? K : 1));
    for (int i = 0; i < N; i++) {
        const float* z = logits + (size_t)i * K;
        int y = labels[i];
        UG_CHECK(y >= 0 && y < K, "sample %lld has label %d but the model has %d classes (model/dataset mismatch?)",
                 (long long)index[i], y, K);
        int argmax = ug_argmax(z, K);
        double zmax = z[argmax], sum = 0;
        for (int k = 0; k < K; k++) sum += exp((double)z[k] - zmax);
        double log_sum = log(sum);
        double entropy = 0, m_entropy = 0;
        for (int k = 0; k < K; k++) {
            prob[k] = exp((double)z[k] - zmax) / sum;
            entropy += prob[k] * neg_log_clamped(prob[k]);
            // Modified entropy: -(1-p_y) log p_y - sum_{k != y} p_k log(1 - p_k).
            if (k == y) m_entropy += (1 - prob[k]) * neg_log_clamped(prob[k]);
            else m_entropy += prob[k] * neg_log_clamped(1 - prob[k]);
        }
        SampleRecord* r = &out[i];
        memset(r, 0, sizeof *r);
        r->index = index[i];
        r->label = y;
        r->pred = argmax;
        r->prob_true = (float)prob[y];
        r->entropy = (float)entropy;
        r->m_entropy = (float)m_entropy;
        r->loss = (float)(log_sum - ((double)z[y] - zmax));   // log-sum-exp form: exact for tiny p_y
        r->set = (int8_t)set;
    }
    free(prob);
}

static int cmp_record(const void* a, const void* b) {
    const SampleRecord* x = a;
    const SampleRecord* y = b;
    if (x->set != y->set) return x->set < y->set ? -1 : 1;
    if (x->index != y->index) return x->index < y->index ? -1 : 1;
    return 0;
}

void records_sort(SampleRecord* recs, int64_t n) {
    if (n > 1) qsort(recs, (size_t)n, sizeof *recs, cmp_record);
}

void records_gather(const SampleRecord* mine, int64_t n, int root, MPI_Comm comm, RecordSet* out) {
    int rank, world;
    MPI_CHECK(MPI_Comm_rank(comm, &rank));
    MPI_CHECK(MPI_Comm_size(comm, &world));
    out->recs = NULL;
    out->n = 0;
    // One derived type per record keeps counts in records (not bytes), so int counts reach 2^31 records.
    MPI_Datatype rec_type;
    MPI_CHECK(MPI_Type_contiguous((int)sizeof(SampleRecord), MPI_BYTE, &rec_type));
    MPI_CHECK(MPI_Type_commit(&rec_type));
    long long my_count = n;
    long long* counts64 = rank == root ? ug_malloc(sizeof(long long) * (size_t)world) : NULL;
    MPI_CHECK(MPI_Gather(&my_count, 1, MPI_LONG_LONG, counts64, 1, MPI_LONG_LONG, root, comm));
    int* counts = NULL;
    int* displs = NULL;
    int ok = 1;
    if (rank == root) {
        counts = ug_malloc(sizeof(int) * (size_t)world);
        displs = ug_malloc(sizeof(int) * (size_t)world);
        long long total = 0;
        for (int r = 0; r < world; r++) {
            if (total + counts64[r] > 2147483647LL) ok = 0;
            counts[r] = (int)counts64[r];
            displs[r] = (int)total;
            total += counts64[r];
        }
        out->n = total;
        out->recs = ug_malloc(sizeof(SampleRecord) * (size_t)(total > 0 ? total : 1));
    }
    MPI_CHECK(MPI_Bcast(&ok, 1, MPI_INT, root, comm));
    UG_CHECK(ok, "evaluation gathered more than 2^31 per-sample records on rank %d; evaluate in parts", root);
    MPI_CHECK(MPI_Gatherv(mine, (int)n, rec_type, rank == root ? out->recs : NULL, counts, displs, rec_type, root,
                          comm));
    MPI_CHECK(MPI_Type_free(&rec_type));
    int dup = 0;
    if (rank == root) {
        records_sort(out->recs, out->n);
        for (int64_t i = 1; i < out->n && !dup; i++)
            dup = out->recs[i].set == out->recs[i - 1].set && out->recs[i].index == out->recs[i - 1].index;
    }
    MPI_CHECK(MPI_Bcast(&dup, 1, MPI_INT, root, comm));
    UG_CHECK(!dup, "evaluation records: a sample was evaluated twice (overlapping shards); this is a sharding bug");
    free(counts64);
    free(counts);
    free(displs);
}

int64_t records_range(const RecordSet* rs, SampleSet set, int64_t* begin) {
    int64_t lo = 0, hi = rs->n;
    while (lo < hi) {   // first record with set >= `set`
        int64_t mid = lo + (hi - lo) / 2;
        if (rs->recs[mid].set < (int)set) lo = mid + 1;
        else hi = mid;
    }
    int64_t end = lo;
    while (end < rs->n && rs->recs[end].set == (int)set) end++;
    *begin = lo;
    return end - lo;
}
