// test_loss_kl.c — SCRUB's distillation loss (src/nn/loss_kl.c): loss and gradient against PyTorch
// (tests/golden/kl_distill.txt, made by tools/golden_kl.py; `make golden` regenerates), the gradient against
// central differences with and without the CE term, zero for a student equal to its teacher, and the CPU
// executor's fused op (model_kl_loss_backward) against forward / kl_distill_loss / backward, bit for bit.
#include <stdio.h>
#include <string.h>

#include "nn/executor.h"
#include "nn/loss_kl.h"
#include "nn/ops.h"
#include "ops_check.h"

static Rng g_rng;

// ---- the golden file ----
typedef struct {
    char name[32];
    int N, K;
    long long n_global;
    double T, kl_weight, ce_weight;   // ce_weight < 0: no CE term
    float *student, *teacher;
    int32_t* labels;
    double loss;
    double* dlogits;
} GoldenCase;

static int read_floats(FILE* f, const char* tag, float* v, size_t n) {
    char word[32];
    if (fscanf(f, " %31s", word) != 1 || strcmp(word, tag)) return 0;
    for (size_t i = 0; i < n; i++)
        if (fscanf(f, "%f", &v[i]) != 1) return 0;
    return 1;
}

static int read_case(FILE* f, GoldenCase* c) {
    memset(c, 0, sizeof *c);
    if (fscanf(f, " case %31s %d %d %lf %lf %lf %lld", c->name, &c->N, &c->K, &c->T, &c->kl_weight, &c->ce_weight,
               &c->n_global) != 7 || c->N <= 0 || c->K <= 0)
        return 0;
    size_t nk = (size_t)c->N * c->K;
    c->student = ug_malloc(nk * sizeof(float));
    c->teacher = ug_malloc(nk * sizeof(float));
    c->labels = ug_malloc((size_t)c->N * sizeof(int32_t));
    c->dlogits = ug_malloc(nk * sizeof(double));
    if (!read_floats(f, "student", c->student, nk) || !read_floats(f, "teacher", c->teacher, nk)) return 0;
    if (fscanf(f, " labels") != 0) return 0;
    for (int i = 0; i < c->N; i++)
        if (fscanf(f, "%d", &c->labels[i]) != 1) return 0;
    if (fscanf(f, " loss %lf dlogits", &c->loss) != 1) return 0;
    for (size_t i = 0; i < nk; i++)
        if (fscanf(f, "%lf", &c->dlogits[i]) != 1) return 0;
    return 1;
}

static void free_case(GoldenCase* c) {
    free(c->student); free(c->teacher); free(c->labels); free(c->dlogits);
}

static void matches_pytorch(void) {
    const char* path = "tests/golden/kl_distill.txt";
    FILE* f = fopen(path, "r");
    CHECK(f != NULL, "cannot read %s (run from the repository root; `make golden` regenerates it)", path);
    if (!f) return;
    char header[512];
    int cases = 0, done = 0;
    CHECK(fgets(header, sizeof header, f) && header[0] == '#' && fscanf(f, " cases %d", &cases) == 1 && cases >= 3,
          "%s: bad header", path);
    for (int c = 0; c < cases; c++) {
        GoldenCase g;
        int ok = read_case(f, &g);
        CHECK(ok, "%s: case %d does not parse", path, c + 1);
        if (!ok) { free_case(&g); break; }
        size_t nk = (size_t)g.N * g.K;
        DistillLoss l = {.temperature = g.T, .kl_weight = g.kl_weight, .labels = g.ce_weight >= 0 ? g.labels : NULL,
                         .ce_weight = (float)g.ce_weight, .n_global = g.n_global};
        float* dl = ug_malloc(nk * sizeof(float));
        float* want = ug_malloc(nk * sizeof(float));
        for (size_t i = 0; i < nk; i++) want[i] = (float)g.dlogits[i];
        double loss = kl_distill_loss(g.N, g.K, g.student, g.teacher, &l, dl);
        CHECK(fabs(loss - g.loss) <= 1e-9 * (fabs(g.loss) + 1), "%s: loss %.17g, PyTorch %.17g", g.name, loss, g.loss);
        double e = oc_norm_err(dl, want, nk, 1e-6);
        CHECK(e < 1e-6, "%s: dlogits differ from PyTorch's by %.3g (normalised)", g.name, e);
        CHECK(fabs(g.loss) > 1e-3, "%s: the golden loss is ~0, the comparison is vacuous", g.name);
        free(dl); free(want); free_case(&g);
        done++;
    }
    fclose(f);
    CHECK(done == cases, "%s: %d of %d cases checked", path, done, cases);
}

// ---- finite differences ----
typedef struct { int N, K; float *zs, *zt; DistillLoss l; } KlCtx;

static double kl_loss(void* p) {
    KlCtx* c = p;
    return kl_distill_loss(c->N, c->K, c->zs, c->zt, &c->l, NULL);
}

static void gradient_case(const char* what, int with_ce, double T, double kl_weight) {
    enum { N = 5, K = 7 };
    int32_t y[N];
    for (int i = 0; i < N; i++) y[i] = (int32_t)rng_below(&g_rng, K);
    KlCtx c = {N, K, oc_rand(&g_rng, N * K, -4, 4), oc_rand(&g_rng, N * K, -4, 4),
               {.temperature = T, .kl_weight = kl_weight, .labels = with_ce ? y : NULL, .ce_weight = 0.8f,
                .n_global = 8}};
    float dl[N * K];
    kl_distill_loss(N, K, c.zs, c.zt, &c.l, dl);
    int checked = oc_gradcheck(what, kl_loss, &c, c.zs, dl, N * K, N * K, 1e-2, 1e-5, 2e-3, &g_rng);
    CHECK(checked == N * K, "%s: %d of %d coordinates checked", what, checked, N * K);
    CHECK(oc_dot(dl, dl, N * K) > 1e-8, "%s: a zero gradient, the check is vacuous", what);
    free(c.zs); free(c.zt);
}

static void gradient_against_differences(void) {
    gradient_case("kl only, ascent, T=4", 0, 4.0, -1.0);
    gradient_case("ce + kl, T=2", 1, 2.0, 0.5);
    gradient_case("ce + kl, T=1", 1, 1.0, 3.0);
}

// The teacher against itself: no KL, no gradient; the CE part alone is gls_xent's.
static void zero_for_the_teacher_itself(void) {
    enum { N = 4, K = 6 };
    float* z = oc_rand(&g_rng, N * K, -5, 5);
    float dl[N * K];
    DistillLoss l = {.temperature = 4, .kl_weight = -1, .n_global = N};
    CHECK_CLOSE(kl_distill_loss(N, K, z, z, &l, dl), 0.0, 1e-12);
    double worst = 0;
    for (int i = 0; i < N * K; i++) worst = fmax(worst, fabs(dl[i]));
    CHECK(worst < 1e-7, "equal logits: gradient %.3g, want 0", worst);
    int32_t y[N] = {0, 5, 2, 3};
    float w[N], dce[N * K];
    for (int i = 0; i < N; i++) w[i] = 0.5f;
    l = (DistillLoss){.temperature = 2, .kl_weight = 7, .labels = y, .ce_weight = 0.5f, .n_global = 10};
    double loss = kl_distill_loss(N, K, z, z, &l, dl);
    double ce = gls_xent(N, K, NULL, dce, z, y, NULL, w, 1.0f / 10) / 10;
    CHECK_CLOSE(loss, ce, 1e-12);
    CHECK(oc_norm_err(dl, dce, N * K, 1e-6) < 1e-6, "equal logits: the gradient is not the CE's alone");
    CHECK_CLOSE(kl_distill_loss(0, K, z, z, &l, dl), 0.0, 0.0);
    free(z);
}

// ---- the CPU executor's fused op ----
enum { EN = 5, EH = 8, EK = 4 };

static Model* small_model(uint64_t seed) {
    ModelConfig cfg = {.arch = ARCH_SMALL_CNN, .width = 4, .num_classes = EK, .in_h = EH, .in_w = EH, .in_c = 1};
    Model* m = model_create(&cfg, BACKEND_REF);
    model_init(m, seed);
    return m;
}

static void executor_equals_forward_loss_backward(void) {
    float* x = oc_rand(&g_rng, EN * EH * EH, -1, 1);
    int32_t y[EN];
    for (int i = 0; i < EN; i++) y[i] = (int32_t)rng_below(&g_rng, EK);
    for (int with_ce = 0; with_ce < 2; with_ce++) {
        Model *a = small_model(3), *b = small_model(3), *teacher = small_model(5);
        DistillLoss l = {.temperature = 4, .kl_weight = with_ce ? 0.3 : -1.0, .labels = with_ce ? y : NULL,
                         .ce_weight = 0.99f, .n_global = EN + 3};
        int32_t pred[EN];
        model_forward_resident(a, EN, x, 1);
        model_forward_resident(teacher, EN, x, 0);
        double got = model_kl_loss_backward(a, teacher, &l, pred);
        const float* zs = model_forward(b, EN, x, 1);
        float zs_copy[EN * EK], dl[EN * EK];
        memcpy(zs_copy, zs, sizeof zs_copy);
        const float* zt = model_forward(teacher, EN, x, 0);
        double want = kl_distill_loss(EN, EK, zs_copy, zt, &l, dl);
        model_backward(b, dl);
        CHECK(got == want, "%s: loss %.17g vs %.17g", with_ce ? "ce + kl" : "kl", got, want);
        CHECK(!memcmp(a->grads, b->grads, a->num_params * sizeof(float)), "%s: gradients differ",
              with_ce ? "ce + kl" : "kl");
        CHECK(oc_dot(a->grads, a->grads, a->num_params) > 0, "zero gradients: the comparison is vacuous");
        for (int i = 0; i < EN; i++)
            CHECK(pred[i] == ug_argmax(zs_copy + (size_t)i * EK, EK), "prediction %d: %d", i, (int)pred[i]);
        // an empty batch: zero gradients, loss 0, the teacher not read
        model_forward_resident(a, 0, x, 1);
        CHECK(model_kl_loss_backward(a, teacher, &l, NULL) == 0.0, "empty batch: loss not 0");
        CHECK(oc_dot(a->grads, a->grads, a->num_params) == 0, "empty batch: gradients not zero");
        model_destroy(a); model_destroy(b); model_destroy(teacher);
    }
    free(x);
}

// A teacher whose last forward saw other rows, or another model, is refused (the logits would not pair up).  The
// forwards run here; the child only makes the refused call (a child of a process with OpenMP threads must not
// start a parallel region).
typedef struct { Model *student, *teacher; } Pair;

static void refused_call(void* arg) {
    Pair* p = arg;
    DistillLoss l = {.temperature = 4, .kl_weight = -1, .n_global = EN};
    model_kl_loss_backward(p->student, p->teacher, &l, NULL);
}

static void mismatched_teacher_dies(void) {
    float* x = oc_rand(&g_rng, EN * EH * EH, -1, 1);
    Pair p = {small_model(3), small_model(5)};
    model_forward_resident(p.student, EN, x, 1);
    model_forward_resident(p.teacher, EN - 1, x, 0);
    CHECK(th_dies_with(refused_call, &p, "the teacher's last forward had 4 rows, the student's 5"),
          "a teacher with other rows was accepted");
    model_destroy(p.teacher);
    ModelConfig wider = p.student->cfg;
    wider.width = 8;
    p.teacher = model_create(&wider, BACKEND_REF);
    model_init(p.teacher, 5);
    model_forward_resident(p.teacher, EN, x, 0);
    CHECK(th_dies_with(refused_call, &p, "different models"), "another model as teacher was accepted");
    model_destroy(p.student); model_destroy(p.teacher);
    free(x);
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    rng_init(&g_rng, 17, RNG_MISC, 0, 0);
    TEST_CASE(matches_pytorch);
    TEST_CASE(gradient_against_differences);
    TEST_CASE(zero_for_the_teacher_itself);
    TEST_CASE(executor_equals_forward_loss_backward);
    TEST_CASE(mismatched_teacher_dies);
    return th_end();
}
