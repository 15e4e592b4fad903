// attack_ulira.c — leave-one-shadow-out likelihood-ratio test (see attack_ulira.h).
#include "metrics/attack_ulira.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define ULIRA_MIN_SIGMA 1e-6   // identical references (e.g. saturated outputs) must not divide by zero

static double log_normal(double x, double mu, double sigma) {
    double z = (x - mu) / sigma;
    return -0.5 * z * z - log(sigma);
}

int ulira_lrt(const double* phi, const uint8_t* in, int K, int64_t n, UliraResult* out) {
    memset(out, 0, sizeof *out);
    out->K = K;
    out->pool = n;
    out->accuracy = out->sigma_in = out->sigma_out = NAN;
    UG_CHECK(K >= 3, "U-LiRA needs at least 3 shadow models (got %d)", K);
    double* pos = ug_malloc(sizeof(double) * (size_t)(K * n + 1));
    double* neg = ug_malloc(sizeof(double) * (size_t)(K * n + 1));
    double* mu_in = ug_malloc(sizeof(double) * (size_t)(n + 1));
    double* mu_out = ug_malloc(sizeof(double) * (size_t)(n + 1));
    int64_t np = 0, nn = 0, correct = 0;
    // The variances: pooled over every (shadow, sample) around the sample's IN / OUT mean over all K shadows,
    // once.  Not left-one-out: a fallback for a side without degrees of freedom among the K-1 references would
    // depend on the target's own membership (with K/2 IN per sample, an IN target leaves K/2-1 IN references),
    // and that asymmetry alone separates IN from OUT at small K.  The pooled estimate over n samples hardly
    // depends on one target's values.
    double ss_in = 0, ss_out = 0;
    int64_t df_in = 0, df_out = 0;
    for (int64_t i = 0; i < n; i++) {
        double s_in = 0, s_out = 0;
        int c_in = 0, c_out = 0;
        for (int k = 0; k < K; k++) {
            double v = phi[(int64_t)k * n + i];
            if (in[(int64_t)k * n + i]) { s_in += v; c_in++; }
            else { s_out += v; c_out++; }
        }
        for (int k = 0; k < K; k++) {
            double v = phi[(int64_t)k * n + i];
            if (in[(int64_t)k * n + i]) ss_in += (v - s_in / c_in) * (v - s_in / c_in);
            else ss_out += (v - s_out / c_out) * (v - s_out / c_out);
        }
        df_in += c_in > 1 ? c_in - 1 : 0;
        df_out += c_out > 1 ? c_out - 1 : 0;
    }
    double sig_in = df_in ? sqrt(ss_in / (double)df_in) : NAN;
    double sig_out = df_out ? sqrt(ss_out / (double)df_out) : NAN;
    if (isnan(sig_in)) sig_in = sig_out;   // one side without spread anywhere: share the other's
    if (isnan(sig_out)) sig_out = sig_in;
    if (!(sig_in >= ULIRA_MIN_SIGMA)) sig_in = ULIRA_MIN_SIGMA;
    if (!(sig_out >= ULIRA_MIN_SIGMA)) sig_out = ULIRA_MIN_SIGMA;
    out->sigma_in = sig_in;
    out->sigma_out = sig_out;
    for (int t = 0; t < K; t++) {
        // Per-example means over the reference shadows (all but the target), the same number m on each side:
        // the first m IN and the first m OUT in shadow order.  With unequal counts the side with fewer references
        // has the noisier mean, so Lambda would lean against the target's own side (an IN target leaves K/2-1 IN
        // references against K/2 OUT ones) and the test would "separate" IN from OUT on noise alone.
        for (int64_t i = 0; i < n; i++) {
            int c_in = 0, c_out = 0;
            for (int k = 0; k < K; k++) {
                if (k == t) continue;
                if (in[(int64_t)k * n + i]) c_in++;
                else c_out++;
            }
            int m = c_in < c_out ? c_in : c_out;
            double s_in = 0, s_out = 0;
            int u_in = 0, u_out = 0;
            for (int k = 0; k < K; k++) {
                if (k == t) continue;
                double v = phi[(int64_t)k * n + i];
                if (in[(int64_t)k * n + i]) { if (u_in < m) { s_in += v; u_in++; } }
                else if (u_out < m) { s_out += v; u_out++; }
            }
            mu_in[i] = m ? s_in / m : NAN;
            mu_out[i] = m ? s_out / m : NAN;
        }
        for (int64_t i = 0; i < n; i++) {
            if (isnan(mu_in[i]) || isnan(mu_out[i])) continue;
            double v = phi[(int64_t)t * n + i];
            double lambda = log_normal(v, mu_in[i], sig_in) - log_normal(v, mu_out[i], sig_out);
            int member = in[(int64_t)t * n + i] != 0;
            if (member) pos[np++] = lambda;
            else neg[nn++] = lambda;
            correct += (lambda >= 0) == member;
        }
    }
    out->pairs = np + nn;
    if (out->pairs) out->accuracy = (double)correct / (double)out->pairs;
    roc_summarize(pos, np, neg, nn, &out->roc);
    free(pos);
    free(neg);
    free(mu_in);
    free(mu_out);
    return out->pairs > 0;
}
