// svc.c — libsvm wrapper (see svc.h for why the samples are reordered).
#include "metrics/svc.h"

#include <libsvm/svm.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/util.h"

struct Svc {
    struct svm_model* model;
    struct svm_node* nodes;     // the support vectors point into this: it lives as long as the model
    int d;
    int constant;               // -1: a real model; 0/1: one-class data, predicts this label
    int first_label_is_zero;    // libsvm's label[0]: decision > 0 means label[0]
};

static void svc_quiet(const char* s) { (void)s; }
static void svc_set_quiet(void) { svm_set_print_string_function(svc_quiet); }
static pthread_once_t svc_quiet_once = PTHREAD_ONCE_INIT;   // fits may run on several threads at once

void svc_params_mia(SvcParams* p, int n_features) {
    p->C = 3;
    p->gamma = 1.0 / n_features;
    p->eps = 1e-3;
    p->cache_mb = 200;
    p->shrinking = 1;
}

static void fill_node(struct svm_node* dst, const double* x, int d) {
    for (int k = 0; k < d; k++) {
        dst[k].index = k + 1;
        dst[k].value = x[k];
    }
    dst[d].index = -1;
    dst[d].value = 0;
}

Svc* svc_fit(const double* x, const int* y, int64_t n, int d, const SvcParams* p) {
    UG_CHECK(n > 0 && d > 0, "SVC fit needs at least one sample and one feature (got %lld x %d)", (long long)n, d);
    UG_CHECK(n < 2147483647LL / (d + 1), "SVC fit: %lld samples is too many for libsvm", (long long)n);
    Svc* m = ug_calloc(1, sizeof *m);
    m->d = d;
    int64_t count[2] = {0, 0};
    for (int64_t i = 0; i < n; i++) {
        UG_CHECK(y[i] == 0 || y[i] == 1, "SVC fit: label %d is not 0/1", y[i]);
        count[y[i]]++;
    }
    if (count[0] == 0 || count[1] == 0) {
        m->constant = count[0] ? 0 : 1;
        return m;
    }
    m->constant = -1;
    m->first_label_is_zero = 1;
    pthread_once(&svc_quiet_once, svc_set_quiet);
    struct svm_problem prob;
    prob.l = (int)n;
    prob.y = ug_malloc(sizeof(double) * (size_t)n);
    prob.x = ug_malloc(sizeof(struct svm_node*) * (size_t)n);
    m->nodes = ug_malloc(sizeof(struct svm_node) * (size_t)n * (size_t)(d + 1));
    int64_t at = 0;
    for (int cls = 0; cls <= 1; cls++)     // class 0 first: libsvm then orders labels as scikit-learn does
        for (int64_t i = 0; i < n; i++) {
            if (y[i] != cls) continue;
            struct svm_node* node = m->nodes + at * (d + 1);
            fill_node(node, x + i * d, d);
            prob.x[at] = node;
            prob.y[at] = cls;
            at++;
        }
    struct svm_parameter par = {0};
    par.svm_type = C_SVC;
    par.kernel_type = RBF;
    par.gamma = p->gamma;
    par.C = p->C;
    par.eps = p->eps;
    par.cache_size = p->cache_mb;
    par.shrinking = p->shrinking;
    par.probability = 0;
    const char* err = svm_check_parameter(&prob, &par);
    UG_CHECK(!err, "libsvm rejected the SVC parameters: %s", err);
    m->model = svm_train(&prob, &par);
    UG_CHECK(m->model, "libsvm svm_train failed");
    int labels[2];
    svm_get_labels(m->model, labels);
    m->first_label_is_zero = labels[0] == 0;
    free(prob.y);
    free(prob.x);   // the model keeps pointers to nodes, not to this array
    return m;
}

double svc_decision(const Svc* m, const double* x) {
    if (m->constant >= 0) return m->constant ? 1.0 : -1.0;
    struct svm_node node[17];
    struct svm_node* nodes = m->d < 16 ? node : ug_malloc(sizeof(struct svm_node) * (size_t)(m->d + 1));
    fill_node(nodes, x, m->d);
    double dec = 0;
    svm_predict_values(m->model, nodes, &dec);
    if (nodes != node) free(nodes);
    return m->first_label_is_zero ? -dec : dec;
}

int svc_predict(const Svc* m, const double* x) {
    if (m->constant >= 0) return m->constant;
    // libsvm's vote: dec > 0 -> label[0], otherwise label[1] (a tie goes to label[1], as in scikit-learn).
    struct svm_node node[17];
    struct svm_node* nodes = m->d < 16 ? node : ug_malloc(sizeof(struct svm_node) * (size_t)(m->d + 1));
    fill_node(nodes, x, m->d);
    double label = svm_predict(m->model, nodes);
    if (nodes != node) free(nodes);
    return label > 0.5;
}


void svc_free(Svc* m) {
    if (!m) return;
    if (m->model) svm_free_and_destroy_model(&m->model);
    free(m->nodes);
    free(m);
}
