// roc.c — exact ROC of a threshold attack (see roc.h).
#include "metrics/roc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

typedef struct {
    double s;
    int pos;
} Scored;

static int cmp_desc(const void* a, const void* b) {
    double x = ((const Scored*)a)->s, y = ((const Scored*)b)->s;
    return (x < y) - (x > y);
}

// The curve's vertices: one per distinct score, thresholds from high to low ("member when score >= t").
// Returns the vertex count; tp/fp hold the cumulative counts (caller frees).
static int64_t roc_vertices(const double* pos, int64_t np, const double* neg, int64_t nn, int64_t** tp_out,
                            int64_t** fp_out) {
    int64_t n = np + nn;
    Scored* v = ug_malloc(sizeof(Scored) * (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < np; i++) {
        UG_CHECK(!isnan(pos[i]), "ROC: NaN score");
        v[i] = (Scored){pos[i], 1};
    }
    for (int64_t i = 0; i < nn; i++) {
        UG_CHECK(!isnan(neg[i]), "ROC: NaN score");
        v[np + i] = (Scored){neg[i], 0};
    }
    qsort(v, (size_t)n, sizeof(Scored), cmp_desc);
    int64_t* tp = ug_malloc(sizeof(int64_t) * (size_t)(n + 1));
    int64_t* fp = ug_malloc(sizeof(int64_t) * (size_t)(n + 1));
    int64_t m = 0, t = 0, f = 0;
    tp[m] = fp[m] = 0;
    m++;
    for (int64_t i = 0; i < n; i++) {
        t += v[i].pos;
        f += !v[i].pos;
        if (i + 1 < n && v[i + 1].s == v[i].s) continue;   // tied scores move together
        tp[m] = t;
        fp[m] = f;
        m++;
    }
    free(v);
    *tp_out = tp;
    *fp_out = fp;
    return m;
}

static double tpr_at(const int64_t* tp, const int64_t* fp, int64_t m, int64_t np, int64_t nn, double max_fpr) {
    double best = 0;
    for (int64_t i = 0; i < m; i++)
        if ((double)fp[i] <= max_fpr * (double)nn + 1e-9 && (double)tp[i] / (double)np > best) best = (double)tp[i] / np;
    return best;
}

double roc_tpr_at(const double* pos, int64_t n_pos, const double* neg, int64_t n_neg, double max_fpr) {
    if (n_pos <= 0 || n_neg <= 0) return NAN;
    int64_t *tp, *fp;
    int64_t m = roc_vertices(pos, n_pos, neg, n_neg, &tp, &fp);
    double r = tpr_at(tp, fp, m, n_pos, n_neg, max_fpr);
    free(tp);
    free(fp);
    return r;
}

void roc_summarize(const double* pos, int64_t n_pos, const double* neg, int64_t n_neg, RocSummary* out) {
    memset(out, 0, sizeof *out);
    out->positives = n_pos;
    out->negatives = n_neg;
    out->fpr[0] = 0;
    for (int g = 1; g < ROC_GRID; g++) out->fpr[g] = (float)pow(10.0, -4.0 + 4.0 * (g - 1) / (ROC_GRID - 2));
    if (n_pos <= 0 || n_neg <= 0) {
        out->auc = out->tpr_at_1pct = out->tpr_at_01pct = NAN;
        for (int g = 0; g < ROC_GRID; g++) out->tpr[g] = NAN;
        return;
    }
    int64_t *tp, *fp;
    int64_t m = roc_vertices(pos, n_pos, neg, n_neg, &tp, &fp);
    // Trapezoids between vertices: a tied block contributes its diagonal, i.e. counts one half.
    double area = 0;
    for (int64_t i = 1; i < m; i++) area += (double)(fp[i] - fp[i - 1]) * (double)(tp[i] + tp[i - 1]) / 2;
    out->auc = area / ((double)n_pos * (double)n_neg);
    out->tpr_at_1pct = tpr_at(tp, fp, m, n_pos, n_neg, 0.01);
    out->tpr_at_01pct = tpr_at(tp, fp, m, n_pos, n_neg, 0.001);
    for (int g = 0; g < ROC_GRID; g++) out->tpr[g] = (float)tpr_at(tp, fp, m, n_pos, n_neg, out->fpr[g]);
    free(tp);
    free(fp);
}
