// test_mia_golden.c — our libsvm SVC reproduces scikit-learn's SVC (the MIA attack of the public code) on the
// stored features of tests/golden/mia_*.txt (made by tools/golden_mia.py; `make golden` regenerates).
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "metrics/svc.h"

typedef struct {
    int n_train, n_query;
    double* x_train;
    int* y_train;
    double* x_query;
    int* pred;
    double* decision;
} Golden;

static int load_golden(const char* path, Golden* g) {
    memset(g, 0, sizeof *g);
    FILE* f = fopen(path, "r");
    if (!f) return 0;
    char line[512];
    int ok = fgets(line, sizeof line, f) && line[0] == '#' && fscanf(f, " train %d", &g->n_train) == 1 &&
             g->n_train > 0;
    if (ok) {
        g->x_train = malloc(sizeof(double) * g->n_train);
        g->y_train = malloc(sizeof(int) * g->n_train);
        for (int i = 0; ok && i < g->n_train; i++) ok = fscanf(f, "%lf %d", &g->x_train[i], &g->y_train[i]) == 2;
    }
    ok = ok && fscanf(f, " query %d", &g->n_query) == 1 && g->n_query > 0;
    if (ok) {
        g->x_query = malloc(sizeof(double) * g->n_query);
        g->pred = malloc(sizeof(int) * g->n_query);
        g->decision = malloc(sizeof(double) * g->n_query);
        for (int i = 0; ok && i < g->n_query; i++)
            ok = fscanf(f, "%lf %d %lf", &g->x_query[i], &g->pred[i], &g->decision[i]) == 3;
    }
    fclose(f);
    return ok;
}

static void free_golden(Golden* g) {
    free(g->x_train);
    free(g->y_train);
    free(g->x_query);
    free(g->pred);
    free(g->decision);
}

static void check_case(const char* name) {
    char path[256];
    snprintf(path, sizeof path, "tests/golden/mia_%s.txt", name);
    Golden g;
    int loaded = load_golden(path, &g);
    CHECK(loaded, "cannot read %s (run from the repository root; `make golden` regenerates it)", path);
    if (!loaded) { free_golden(&g); return; }
    SvcParams p;
    svc_params_mia(&p, 1);
    Svc* m = svc_fit(g.x_train, g.y_train, g.n_train, 1, &p);
    int mismatches = 0, members = 0;
    double worst = 0;
    for (int i = 0; i < g.n_query; i++) {
        int pred = svc_predict(m, &g.x_query[i]);
        double dec = svc_decision(m, &g.x_query[i]);
        mismatches += pred != g.pred[i];
        members += pred;
        if (fabs(dec - g.decision[i]) > worst) worst = fabs(dec - g.decision[i]);
        // The predicted label must agree with the sign of our own decision value.
        CHECK(pred == (dec > 0), "query %d: prediction %d but decision %.6g", i, pred, dec);
    }
    CHECK_EQ_INT(mismatches, 0);
    CHECK(worst < 1e-5, "%s: decision values differ from scikit-learn by up to %.3g", name, worst);
    // Not a degenerate case: both labels occur among the golden predictions.
    int golden_members = 0;
    for (int i = 0; i < g.n_query; i++) golden_members += g.pred[i];
    CHECK(golden_members > 0 && golden_members < g.n_query, "%s: golden predictions are all one class", name);
    CHECK_EQ_INT(members, golden_members);
    svc_free(m);
    free_golden(&g);
}

static void svc_matches_sklearn_classwise(void) { check_case("classwise"); }
static void svc_matches_sklearn_random(void) { check_case("random"); }

// Swapping which class comes first in the input must not change the model (scikit-learn sorts the classes).
static void svc_input_order_does_not_matter(void) {
    Golden g;
    if (!load_golden("tests/golden/mia_random.txt", &g)) { free_golden(&g); SKIP("golden file missing"); }
    int n = g.n_train;
    double* x = malloc(sizeof(double) * n);
    int* y = malloc(sizeof(int) * n);
    int at = 0;
    for (int i = 0; i < n; i++) if (g.y_train[i] == 0) { x[at] = g.x_train[i]; y[at++] = 0; }
    for (int i = 0; i < n; i++) if (g.y_train[i] == 1) { x[at] = g.x_train[i]; y[at++] = 1; }
    SvcParams p;
    svc_params_mia(&p, 1);
    Svc* a = svc_fit(g.x_train, g.y_train, n, 1, &p);
    Svc* b = svc_fit(x, y, n, 1, &p);
    for (int i = 0; i < g.n_query; i++) CHECK_CLOSE(svc_decision(a, &g.x_query[i]), svc_decision(b, &g.x_query[i]), 0);
    svc_free(a);
    svc_free(b);
    free(x);
    free(y);
    free_golden(&g);
}

static void svc_one_class_predicts_it(void) {
    double x[3] = {0.1, 0.5, 0.9};
    int y[3] = {1, 1, 1};
    SvcParams p;
    svc_params_mia(&p, 1);
    Svc* m = svc_fit(x, y, 3, 1, &p);
    double q = 0.3;
    CHECK_EQ_INT(svc_predict(m, &q), 1);
    svc_free(m);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(svc_matches_sklearn_classwise);
    TEST_CASE(svc_matches_sklearn_random);
    TEST_CASE(svc_input_order_does_not_matter);
    TEST_CASE(svc_one_class_predicts_it);
    return th_end();
}
