// adaptive_alpha.h — the self-adaptive smooth rate of UGradSL (METHOD.md §2, Algorithm 1).
//
// For each forget sample f_i of the paired batch: c_i = #{ retain r_j in the batch : d(r_j, f_i) < beta },
// with a distance d in [0,1], then
//   literal:  alpha_i = c_i / n_forget                 (Algorithm 1 as printed; alpha_i >= 0)
//   negative: alpha_i = -scale * c_i / n_forget        (§3.3's reading: NLS, denser retain neighbourhood ->
//                                                      stronger negative smoothing)
// n_forget is the global |B_f| (= |B_r|): the retain side holds the whole global retain batch so that
// alpha does not depend on the number of ranks.
#pragma once

typedef enum { ALPHA_LITERAL = 0, ALPHA_NEGATIVE = 1 } AlphaSign;
typedef enum { DIST_COSINE = 0, DIST_PIXEL = 1 } AlphaDistance;

int alpha_sign_parse(const char* s, AlphaSign* out);          // "literal" | "negative"
int alpha_distance_parse(const char* s, AlphaDistance* out);  // "cosine" | "pixel"

// cosine: d = (1 - cos(a,b)) / 2.   pixel: d = |a-b| / (|a| + |b|)  (in [0,1] by the triangle inequality).
double alpha_distance(AlphaDistance kind, const float* a, const float* b, int dim);

// forget [n_forget_local, dim], retain [n_retain, dim] -> alpha [n_forget_local].
void adaptive_alpha(float* alpha, const float* forget, int n_forget_local, const float* retain, int n_retain,
                    int dim, int n_forget_global, AlphaDistance kind, double beta, AlphaSign sign, double scale);
