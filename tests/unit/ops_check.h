// ops_check.h — helpers for the layer-op tests: random buffers, finite-difference gradient checks,
// normalised errors.  Header-only, included by test_gradcheck*.c, test_ops_fast*.c and test_loss_gls.c.
#pragma once
#include <math.h>
#include <stdlib.h>

#include "common/rng.h"
#include "common/util.h"
#include "harness.h"

static inline float* oc_rand(Rng* r, size_t n, float lo, float hi) {
    float* x = ug_malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) x[i] = lo + (hi - lo) * rng_uniform(r);
    return x;
}

static inline double oc_dot(const float* a, const float* b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

// max|a-b| / max(max|b|, floor): an error relative to the size of the reference output.
static inline double oc_norm_err(const float* a, const float* b, size_t n, double floor) {
    double m = 0.0, s = floor;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (!(d <= m)) m = d;                  // NaN makes the error NaN-large
        if (fabs(b[i]) > s) s = fabs(b[i]);
    }
    return m / s;
}

// A scalar function of the test's buffers.  Returns NAN when the perturbation crossed a kink
// (ReLU sign change, max-pool argmax change): that coordinate is skipped, not failed.
typedef double (*OcLoss)(void* ctx);

// Central differences on up to max_probe coordinates of x (all when n <= max_probe, else a random subset):
// passes when |numeric - analytic| <= atol + rtol*|analytic| for every probed, non-kink coordinate.
// The step actually taken is measured in float, so rounding of x±eps does not bias the quotient.
// Returns the number of coordinates checked (so a test can insist that not everything was skipped).
static inline int oc_gradcheck(const char* what, OcLoss f, void* ctx, float* x, const float* grad, size_t n,
                        int max_probe, double eps, double atol, double rtol, Rng* r) {
    int checked = 0, bad = 0;
    size_t probes = n <= (size_t)max_probe ? n : (size_t)max_probe;
    for (size_t t = 0; t < probes; t++) {
        size_t i = n <= (size_t)max_probe ? t : rng_below(r, (uint32_t)n);
        float v = x[i];
        float vp = (float)(v + eps), vm = (float)(v - eps);
        x[i] = vp;
        double lp = f(ctx);
        x[i] = vm;
        double lm = f(ctx);
        x[i] = v;
        if (isnan(lp) || isnan(lm)) continue;
        double num = (lp - lm) / ((double)vp - (double)vm);
        double ana = grad[i];
        checked++;
        if (!(fabs(num - ana) <= atol + rtol * fabs(ana))) {
            if (bad++ < 5)
                CHECK(0, "%s[%zu]: numeric %.7g vs analytic %.7g (|diff| %.3g, tol %.3g)", what, i, num, ana,
                      fabs(num - ana), atol + rtol * fabs(ana));
        }
    }
    if (bad > 5) CHECK(0, "%s: %d more coordinates out of tolerance", what, bad - 5);
    return checked;
}
