#include "nn/adaptive_alpha.h"

#include <math.h>
#include <string.h>

int alpha_sign_parse(const char* s, AlphaSign* out) {
    if (!strcmp(s, "literal")) { *out = ALPHA_LITERAL; return 1; }
    if (!strcmp(s, "negative")) { *out = ALPHA_NEGATIVE; return 1; }
    return 0;
}

int alpha_distance_parse(const char* s, AlphaDistance* out) {
    if (!strcmp(s, "cosine")) { *out = DIST_COSINE; return 1; }
    if (!strcmp(s, "pixel")) { *out = DIST_PIXEL; return 1; }
    return 0;
}

double alpha_distance(AlphaDistance kind, const float* a, const float* b, int dim) {
    double na = 0, nb = 0, dot = 0, diff = 0;
    for (int k = 0; k < dim; k++) {
        na += (double)a[k] * a[k];
        nb += (double)b[k] * b[k];
        dot += (double)a[k] * b[k];
        double d = (double)a[k] - b[k];
        diff += d * d;
    }
    na = sqrt(na);
    nb = sqrt(nb);
    if (kind == DIST_COSINE) {
        if (na == 0 || nb == 0) return 0.5;   // undefined direction: halfway
        double c = dot / (na * nb);
        if (c > 1) c = 1;
        if (c < -1) c = -1;
        return (1 - c) / 2;
    }
    if (na + nb == 0) return 0;
    double d = sqrt(diff) / (na + nb);
    return d > 1 ? 1 : d;
}

void adaptive_alpha(float* alpha, const float* forget, int n_forget_local, const float* retain, int n_retain,
                    int dim, int n_forget_global, AlphaDistance kind, double beta, AlphaSign sign, double scale) {
    for (int i = 0; i < n_forget_local; i++) {
        int count = 0;
        for (int j = 0; j < n_retain; j++)
            if (alpha_distance(kind, retain + (size_t)j * dim, forget + (size_t)i * dim, dim) < beta) count++;
        double a = n_forget_global > 0 ? (double)count / n_forget_global : 0;
        alpha[i] = (float)(sign == ALPHA_LITERAL ? a : -scale * a);
    }
}
