// Self-adaptive alpha on a hand-built batch: distances and counts computed by hand.
#include "harness.h"
#include "nn/adaptive_alpha.h"

static void distances_by_hand(void) {
    float a[2] = {1, 0}, b[2] = {0, 1}, c[2] = {-1, 0}, d[2] = {2, 0};
    CHECK_CLOSE(alpha_distance(DIST_COSINE, a, b, 2), 0.5, 1e-12);   // orthogonal
    CHECK_CLOSE(alpha_distance(DIST_COSINE, a, c, 2), 1.0, 1e-12);   // opposite
    CHECK_CLOSE(alpha_distance(DIST_COSINE, a, d, 2), 0.0, 1e-12);   // same direction
    CHECK_CLOSE(alpha_distance(DIST_PIXEL, a, d, 2), 1.0 / 3.0, 1e-12);  // |a-d| = 1, |a|+|d| = 3
    CHECK_CLOSE(alpha_distance(DIST_PIXEL, a, c, 2), 1.0, 1e-12);
}

static void counts_by_hand(void) {
    // Retain features: directions at 0, 45, 90, 180 degrees.  Forget: 0 and 90 degrees.
    const float r = 0.70710678f;
    float retain[4 * 2] = {1, 0, r, r, 0, 1, -1, 0};
    float forget[2 * 2] = {1, 0, 0, 1};
    float alpha[2];
    // beta = 0.2: cosine distance (1-cos)/2 < 0.2  <=>  cos > 0.6.
    // forget 0 (0 deg): retain 0 deg (cos 1), 45 deg (cos .707) -> c = 2.  forget 1 (90 deg): 45, 90 -> c = 2.
    adaptive_alpha(alpha, forget, 2, retain, 4, 2, 4, DIST_COSINE, 0.2, ALPHA_LITERAL, 1.0);
    CHECK_CLOSE(alpha[0], 2.0 / 4, 1e-7);
    CHECK_CLOSE(alpha[1], 2.0 / 4, 1e-7);
    // beta = 0.6: cos > -0.2: forget 0 -> 0, 45, 90 (cos 0) -> 3; forget 1 -> 0, 45, 90 -> 3 (180: cos 0 > -0.2 too -> 4).
    adaptive_alpha(alpha, forget, 2, retain, 4, 2, 4, DIST_COSINE, 0.6, ALPHA_NEGATIVE, 2.0);
    CHECK_CLOSE(alpha[0], -2.0 * 3 / 4, 1e-7);
    CHECK_CLOSE(alpha[1], -2.0 * 4 / 4, 1e-7);
    // Global normalisation: same counts, n_forget_global = 8 halves alpha.
    adaptive_alpha(alpha, forget, 2, retain, 4, 2, 8, DIST_COSINE, 0.2, ALPHA_LITERAL, 1.0);
    CHECK_CLOSE(alpha[0], 2.0 / 8, 1e-7);
}

static void parse_names(void) {
    AlphaSign s;
    AlphaDistance d;
    CHECK_TRUE(alpha_sign_parse("negative", &s) && s == ALPHA_NEGATIVE);
    CHECK_TRUE(alpha_sign_parse("literal", &s) && s == ALPHA_LITERAL);
    CHECK_TRUE(!alpha_sign_parse("positive", &s));
    CHECK_TRUE(alpha_distance_parse("pixel", &d) && d == DIST_PIXEL);
    CHECK_TRUE(!alpha_distance_parse("l2", &d));
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(distances_by_hand);
    TEST_CASE(counts_by_hand);
    TEST_CASE(parse_names);
    return th_end();
}
