// report.c — grouping, mean ± std, Avg. Gap and the three table formats of `ugradsl report`.
#include "metrics/report.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "common/json.h"
#include "common/util.h"
#include "metrics/json_read.h"

const char* const REPORT_VALUE_KEYS[REPORT_NUM_VALUES] = {"UA", "MIA", "RA", "TA", "add_MIA", "rte_s",
                                                          "startup_s", "epsilon", "MIA_lo", "MIA_hi",
                                                          "thr_auc", "thr_tpr_1e-2", "thr_tpr_1e-3"};
// Where each value lives in metrics.json.
static const char* const VALUE_PATHS[REPORT_NUM_VALUES] = {
    "metrics.UA", "metrics.MIA", "metrics.RA", "metrics.TA", "metrics.add_MIA", "timing.rte_s",
    "timing.startup_s", "metrics.epsilon", "mia.stability.bootstrap.lo", "mia.stability.bootstrap.hi",
    "mia.threshold.logit_confidence.forget_vs_test.auc",
    "mia.threshold.logit_confidence.forget_vs_test.tpr_at_fpr_1e-2",
    "mia.threshold.logit_confidence.forget_vs_test.tpr_at_fpr_1e-3"};
// These must be present (a number, or null for UA/MIA/TA of an empty set) in every metrics.json.
static const int REQUIRED[] = {RV_UA, RV_MIA, RV_RA, RV_TA};

static void copy_str(char* dst, size_t cap, const char* src) {   // truncating copy
    size_t n = src ? strlen(src) : 0;
    if (n >= cap) n = cap - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = 0;
}

int report_load_run(const char* path, RunMetrics* out, char* err, size_t err_cap) {
    memset(out, 0, sizeof *out);
    copy_str(out->path, sizeof out->path, path);
    FILE* f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_cap, "%s: cannot open (%s)", path, strerror(errno));
        return 0;
    }
    fclose(f);
    char* text = ug_read_file(path, NULL);
    Jv root;
    char perr[300];
    if (!jv_parse(text, &root, perr, sizeof perr)) {
        snprintf(err, err_cap, "%s: not valid JSON (%s); rerun `ugradsl eval` for this run or remove the file",
                 path, perr);
        free(text);
        return 0;
    }
    free(text);
    int ok = 0;
    const Jv* format = jv_get(&root, "format");
    const Jv* method = jv_get(&root, "method");
    if (!format || format->type != JV_STR || strcmp(format->str, "ugradsl-metrics") != 0) {
        snprintf(err, err_cap, "%s: not a ugradsl metrics file (no \"format\": \"ugradsl-metrics\")", path);
        goto done;
    }
    if (!method || method->type != JV_STR || !method->str[0]) {
        snprintf(err, err_cap, "%s: missing \"method\" (a string)", path);
        goto done;
    }
    copy_str(out->method, sizeof out->method, method->str);
    const Jv* split = jv_get(&root, "split");
    const Jv* split_name = jv_get(&root, "split_name");
    if (split_name && split_name->type == JV_STR) copy_str(out->split_name, sizeof out->split_name, split_name->str);
    if (split && split->type == JV_STR) copy_str(out->split, sizeof out->split, split->str);
    else copy_str(out->split, sizeof out->split, out->split_name);
    if (!out->split_name[0]) copy_str(out->split_name, sizeof out->split_name, out->split[0] ? out->split : "(none)");
    const Jv* seed = jv_get(&root, "seed");
    out->seed = seed && seed->type == JV_NUM ? (int64_t)seed->num : -1;
    const Jv* world = jv_get(&root, "world_size");
    out->world_size = world && world->type == JV_NUM ? (int)world->num : 0;
    const Jv* model_hash = jv_get(&root, "model_hash");
    if (model_hash && model_hash->type == JV_STR) copy_str(out->model_hash, sizeof out->model_hash, model_hash->str);
    out->copy_of = -1;
    const Jv* diverged = jv_get(&root, "diverged");
    out->diverged = diverged && diverged->type == JV_BOOL && diverged->boolean;
    const Jv* flip = jv_path(&root, "mia.stability.flip");
    out->mia_flip = flip && flip->type == JV_BOOL && flip->boolean;
    for (int k = 0; k < REPORT_NUM_VALUES; k++) {
        const Jv* v = jv_path(&root, VALUE_PATHS[k]);
        out->v[k] = v && v->type == JV_NUM ? v->num : NAN;
        if (v && v->type != JV_NUM && v->type != JV_NULL) {
            snprintf(err, err_cap, "%s: \"%s\" is not a number", path, VALUE_PATHS[k]);
            goto done;
        }
    }
    for (size_t i = 0; i < sizeof REQUIRED / sizeof REQUIRED[0]; i++)
        if (!jv_path(&root, VALUE_PATHS[REQUIRED[i]])) {
            snprintf(err, err_cap, "%s: missing \"%s\"", path, VALUE_PATHS[REQUIRED[i]]);
            goto done;
        }
    ok = 1;
done:
    jv_free(&root);
    return ok;
}

// ---- finding files ----

typedef struct {
    char** v;
    int n, cap;
} StrList;

static void list_push(StrList* l, const char* s) {
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = ug_realloc(l->v, sizeof(char*) * (size_t)l->cap);
    }
    l->v[l->n++] = ug_strdup(s);
}

static void walk(const char* dir, StrList* out, int depth) {
    if (depth > 32) return;   // symlink loops
    DIR* d = opendir(dir);
    if (!d) {
        ug_warn("report: cannot read directory %s (%s); skipped", dir, strerror(errno));
        return;
    }
    struct dirent* e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) walk(path, out, depth + 1);
        else if (S_ISREG(st.st_mode) && !strcmp(e->d_name, "metrics.json")) list_push(out, path);
    }
    closedir(d);
}

static int cmp_str(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

int report_find_files(char* const* roots, int n_roots, char*** paths, int* n_paths, char* err, size_t err_cap) {
    StrList found = {0};
    *paths = NULL;
    *n_paths = 0;
    for (int i = 0; i < n_roots; i++) {
        struct stat st;
        if (stat(roots[i], &st) != 0) {
            snprintf(err, err_cap, "%s: no such run directory or metrics file (%s)", roots[i], strerror(errno));
            goto fail;
        }
        if (S_ISDIR(st.st_mode)) {
            int before = found.n;
            walk(roots[i], &found, 0);
            if (found.n == before) {
                snprintf(err, err_cap, "%s: no metrics.json under this directory (run `ugradsl eval` or `unlearn` "
                                       "first)", roots[i]);
                goto fail;
            }
        } else {
            list_push(&found, roots[i]);
        }
    }
    // Canonical paths: the same file reached through two roots counts once.
    for (int i = 0; i < found.n; i++) {
        char real[PATH_MAX];
        if (realpath(found.v[i], real)) {
            free(found.v[i]);
            found.v[i] = ug_strdup(real);
        }
    }
    if (found.n > 1) qsort(found.v, (size_t)found.n, sizeof(char*), cmp_str);
    int kept = 0;
    for (int i = 0; i < found.n; i++) {
        if (kept > 0 && !strcmp(found.v[kept - 1], found.v[i])) { free(found.v[i]); continue; }
        found.v[kept++] = found.v[i];
    }
    *paths = found.v;
    *n_paths = kept;
    return 1;
fail:
    for (int i = 0; i < found.n; i++) free(found.v[i]);
    free(found.v);
    return 0;
}

// ---- provenance ----

int report_check_provenance(RunMetrics* runs, int n_runs, char* err, size_t err_cap) {
    int bad = 0;
    char mismatch[9000] = "", copy[9000] = "";
    for (int i = 0; i < n_runs; i++) {
        RunMetrics* r = &runs[i];
        r->model_mismatch = r->model_hash[0] && r->beside_hash[0] && strcmp(r->model_hash, r->beside_hash) != 0;
        r->copy_of = -1;
        for (int k = 0; k < i && r->model_hash[0]; k++)
            if (!strcmp(runs[k].model_hash, r->model_hash) && !strcmp(runs[k].split, r->split)) {
                r->copy_of = k;
                break;
            }
        if (r->model_mismatch && !mismatch[0])
            snprintf(mismatch, sizeof mismatch, "%s evaluated model %s but the model.h5 beside it is %s (stale "
                     "metrics: evaluate that model again)", r->path, r->model_hash, r->beside_hash);
        if (r->copy_of >= 0 && !copy[0])
            snprintf(copy, sizeof copy, "%s evaluated the same model (%s) as %s on the same split: a copy is not "
                     "another seed", r->path, r->model_hash, runs[r->copy_of].path);
        bad += r->model_mismatch || r->copy_of >= 0;
    }
    snprintf(err, err_cap, "%.4000s%s%.4000s", mismatch, mismatch[0] && copy[0] ? "; " : "", copy);
    return bad;
}

// ---- grouping ----

// A row label may name a variant of a method: "ugradsl+@adaptive-neg" (`ugradsl unlearn --label`).  Order and
// display name follow the base method (before '@'); the variant is shown after it.
static size_t base_len(const char* m) {
    const char* at = strchr(m, '@');
    return at ? (size_t)(at - m) : strlen(m);
}

// Table order: Retrain first (the reference), then the paper's order, then anything else alphabetically.
static int method_rank(const char* m) {
    static const char* order[] = {"retrain", "original", "ft", "ga", "rl", "l1-sparse", "l1_sparse", "iu", "be",
                                  "bs", "eu-k", "cf-k", "scrub", "salun", "ugradsl", "ugradsl+", NULL};
    size_t n = base_len(m);
    for (int i = 0; order[i]; i++)
        if (strlen(order[i]) == n && !strncasecmp(m, order[i], n)) return i;
    return 1000;
}

static int is_retrain(const char* m) { return !strcasecmp(m, "retrain"); }

// The table's name of a method or variant label: "UGradSL+ (adaptive-neg)".
static void display_method(const char* m, char* out, size_t cap) {
    static const struct { const char *key, *name; } names[] = {
        {"retrain", "Retrain"}, {"original", "Original"}, {"ft", "FT"}, {"ga", "GA"}, {"rl", "RL"},
        {"l1-sparse", "l1-sparse"}, {"iu", "IU"}, {"be", "BE"}, {"bs", "BS"}, {"eu-k", "EU-k"}, {"cf-k", "CF-k"},
        {"scrub", "SCRUB"}, {"salun", "SalUn"}, {"ugradsl", "UGradSL"}, {"ugradsl+", "UGradSL+"}, {NULL, NULL}};
    size_t n = base_len(m);
    const char* variant = m[n] == '@' ? m + n + 1 : NULL;
    for (int i = 0; names[i].key; i++)
        if (strlen(names[i].key) == n && !strncasecmp(m, names[i].key, n)) {
            if (variant) snprintf(out, cap, "%s (%s)", names[i].name, variant);
            else snprintf(out, cap, "%s", names[i].name);
            return;
        }
    snprintf(out, cap, "%s", m);
}

static const RunMetrics* g_sort_runs;
static int cmp_run_index(const void* a, const void* b) {
    const RunMetrics* x = &g_sort_runs[*(const int*)a];
    const RunMetrics* y = &g_sort_runs[*(const int*)b];
    int c = strcmp(x->split, y->split);
    if (c) return c;
    int rx = method_rank(x->method), ry = method_rank(y->method);
    if (rx != ry) return rx < ry ? -1 : 1;
    c = strcasecmp(x->method, y->method);
    if (c) return c;
    if (x->seed != y->seed) return x->seed < y->seed ? -1 : 1;
    return strcmp(x->path, y->path);
}

static void fill_row(ReportRow* row, const RunMetrics* runs, const int* idx, int n) {
    memset(row, 0, sizeof *row);
    copy_str(row->method, sizeof row->method, runs[idx[0]].method);
    copy_str(row->split, sizeof row->split, runs[idx[0]].split);
    copy_str(row->split_name, sizeof row->split_name, runs[idx[0]].split_name);
    row->runs = n;
    row->is_retrain = is_retrain(row->method);
    for (int i = 0; i < n; i++) {
        row->suspect_runs += runs[idx[i]].model_mismatch || runs[idx[i]].copy_of >= 0;
        row->diverged_runs += runs[idx[i]].diverged;
        row->mia_flip_runs += runs[idx[i]].mia_flip;
    }
    for (int k = 0; k < REPORT_NUM_VALUES; k++) {
        double sum = 0;
        int cnt = 0;
        for (int i = 0; i < n; i++)
            if (isfinite(runs[idx[i]].v[k])) { sum += runs[idx[i]].v[k]; cnt++; }
        row->n[k] = cnt;
        row->mean[k] = cnt ? sum / cnt : NAN;
        double ss = 0;
        for (int i = 0; i < n; i++)
            if (isfinite(runs[idx[i]].v[k])) ss += (runs[idx[i]].v[k] - row->mean[k]) * (runs[idx[i]].v[k] - row->mean[k]);
        row->std[k] = cnt > 1 ? sqrt(ss / (cnt - 1)) : cnt == 1 ? 0 : NAN;
    }
    row->avg_gap = row->avg_gap_4 = row->avg_gap_std = NAN;
}

static double gap_over(const ReportRow* row, const ReportRow* ref, const int* keys, int n_keys) {
    double sum = 0;
    int cnt = 0;
    for (int i = 0; i < n_keys; i++) {
        int k = keys[i];
        if (isfinite(row->mean[k]) && isfinite(ref->mean[k])) {
            sum += fabs(row->mean[k] - ref->mean[k]);
            cnt++;
        }
    }
    return cnt ? sum / cnt : NAN;
}

// The gap of one run to the Retrain row's means, over the keys both have (as gap_over for a row).
static double run_gap(const RunMetrics* run, const ReportRow* ref, const int* keys, int n_keys) {
    double sum = 0;
    int cnt = 0;
    for (int i = 0; i < n_keys; i++) {
        int k = keys[i];
        if (isfinite(run->v[k]) && isfinite(ref->mean[k])) {
            sum += fabs(run->v[k] - ref->mean[k]);
            cnt++;
        }
    }
    return cnt ? sum / cnt : NAN;
}

void report_build(const RunMetrics* runs, int n_runs, Report* out) {
    memset(out, 0, sizeof *out);
    if (n_runs <= 0) return;
    int* order = ug_malloc(sizeof(int) * (size_t)n_runs);
    for (int i = 0; i < n_runs; i++) order[i] = i;
    g_sort_runs = runs;
    qsort(order, (size_t)n_runs, sizeof(int), cmp_run_index);
    out->rows = ug_calloc((size_t)n_runs, sizeof(ReportRow));
    int* first = ug_malloc(sizeof(int) * (size_t)n_runs);   // each row's runs: order[first[r] .. + rows[r].runs)
    for (int i = 0; i < n_runs;) {
        int j = i + 1;
        const RunMetrics* a = &runs[order[i]];
        while (j < n_runs && !strcmp(runs[order[j]].split, a->split) && !strcasecmp(runs[order[j]].method, a->method))
            j++;
        for (int k = i + 1; k < j; k++)
            if (runs[order[k]].seed == runs[order[k - 1]].seed)
                ug_warn("report: %s and %s are both %s seed %lld on split %s; both are averaged",
                        runs[order[k - 1]].path, runs[order[k]].path, a->method, (long long)a->seed, a->split_name);
        first[out->n] = i;
        fill_row(&out->rows[out->n++], runs, order + i, j - i);
        i = j;
    }
    static const int GAP_KEYS[] = {RV_UA, RV_MIA, RV_RA, RV_TA, RV_ADD_MIA};
    for (int i = 0; i < out->n;) {   // per split
        int j = i;
        const ReportRow* ref = NULL;
        while (j < out->n && !strcmp(out->rows[j].split, out->rows[i].split)) {
            if (out->rows[j].is_retrain) ref = &out->rows[j];
            j++;
        }
        if (!ref) {
            out->splits_without_retrain++;
            ug_warn("report: no Retrain runs for split %s; Avg. Gap is null for its rows",
                    out->rows[i].split_name);
        }
        for (int k = i; k < j && ref; k++) {
            ReportRow* row = &out->rows[k];
            if (row->is_retrain) continue;
            row->avg_gap = gap_over(row, ref, GAP_KEYS, 5);
            row->avg_gap_4 = gap_over(row, ref, GAP_KEYS, 4);
            // spread over seeds: std (n-1) of each run's own gap to Retrain's means
            double sum = 0, ss = 0;
            int cnt = 0;
            for (int r = 0; r < row->runs; r++) {
                double x = run_gap(&runs[order[first[k] + r]], ref, GAP_KEYS, 5);
                if (isfinite(x)) { sum += x; cnt++; }
            }
            for (int r = 0; r < row->runs && cnt; r++) {
                double x = run_gap(&runs[order[first[k] + r]], ref, GAP_KEYS, 5);
                if (isfinite(x)) ss += (x - sum / cnt) * (x - sum / cnt);
            }
            row->avg_gap_std = cnt > 1 ? sqrt(ss / (cnt - 1)) : cnt == 1 ? 0 : NAN;
        }
        i = j;
    }
    free(first);
    free(order);
}

void report_free(Report* r) {
    free(r->rows);
    memset(r, 0, sizeof *r);
}

// ---- output ----

static void cell_pm(char* buf, size_t cap, double mean, double std, int runs_with_value) {
    if (!isfinite(mean)) snprintf(buf, cap, "—");
    else if (runs_with_value > 1) snprintf(buf, cap, "%.2f ± %.2f", mean, std);
    else snprintf(buf, cap, "%.2f", mean);
}

// MIA-Efficacy with its mean bootstrap interval: "12.34 ± 1.00 [3.00, 20.00]".
static void cell_mia(char* buf, size_t cap, const ReportRow* row) {
    char pm[64];
    cell_pm(pm, sizeof pm, row->mean[RV_MIA], row->std[RV_MIA], row->n[RV_MIA]);
    if (isfinite(row->mean[RV_MIA]) && isfinite(row->mean[RV_MIA_LO]) && isfinite(row->mean[RV_MIA_HI]))
        snprintf(buf, cap, "%s [%.2f, %.2f]", pm, row->mean[RV_MIA_LO], row->mean[RV_MIA_HI]);
    else snprintf(buf, cap, "%s", pm);
}

static void cell_threshold(char* buf, size_t cap, const ReportRow* row) {
    if (!isfinite(row->mean[RV_THR_AUC])) snprintf(buf, cap, "—");
    else snprintf(buf, cap, "%.3f · %.3f · %.3f", row->mean[RV_THR_AUC], row->mean[RV_THR_TPR_1E2],
                  row->mean[RV_THR_TPR_1E3]);
}

static int any_value(const Report* r, int a, int b, int k) {
    for (int i = a; i < b; i++)
        if (r->rows[i].n[k]) return 1;
    return 0;
}

void report_write_markdown(FILE* f, const Report* r) {
    for (int i = 0; i < r->n;) {
        int j = i;
        while (j < r->n && !strcmp(r->rows[j].split, r->rows[i].split)) j++;
        int add = any_value(r, i, j, RV_ADD_MIA), eps = any_value(r, i, j, RV_EPSILON);
        int ci = any_value(r, i, j, RV_MIA_LO), thr = any_value(r, i, j, RV_THR_AUC);
        fprintf(f, "### Split `%s`\n\n", r->rows[i].split_name);
        // With Add. MIA the gap follows the paper's Table 4; the 4-metric gap of Table 1 is shown beside it.
        fprintf(f, "| Method | UA | MIA-Efficacy%s | RA | TA |%s Avg. Gap |%s RTE (s) |%s%s Seeds |\n", ci ? " [95% CI]" : "",
                add ? " Add. MIA |" : "", add ? " Avg. Gap (4) |" : "", eps ? " ε |" : "",
                thr ? " Thr. AUC · TPR@1% · TPR@0.1% |" : "");
        fprintf(f, "|---|---:|---:|---:|---:|%s---:|%s---:|%s%s---:|\n", add ? "---:|" : "", add ? "---:|" : "",
                eps ? "---:|" : "", thr ? "---:|" : "");
        int flips = 0, diverged = 0, suspect = 0;
        for (int k = i; k < j; k++) {
            const ReportRow* row = &r->rows[k];
            char c[8][96];
            cell_pm(c[0], 96, row->mean[RV_UA], row->std[RV_UA], row->n[RV_UA]);
            cell_mia(c[1], 96, row);
            cell_pm(c[2], 96, row->mean[RV_RA], row->std[RV_RA], row->n[RV_RA]);
            cell_pm(c[3], 96, row->mean[RV_TA], row->std[RV_TA], row->n[RV_TA]);
            cell_pm(c[4], 96, row->mean[RV_ADD_MIA], row->std[RV_ADD_MIA], row->n[RV_ADD_MIA]);
            char gap4[64];
            if (isfinite(row->avg_gap)) snprintf(c[5], 96, "%.2f", row->avg_gap);
            else snprintf(c[5], 96, "%s", row->is_retrain ? "0 (ref)" : "—");
            if (isfinite(row->avg_gap_4)) snprintf(gap4, 64, "%.2f", row->avg_gap_4);
            else snprintf(gap4, 64, "%s", row->is_retrain ? "0 (ref)" : "—");
            cell_pm(c[6], 96, row->mean[RV_RTE], row->std[RV_RTE], row->n[RV_RTE]);
            cell_pm(c[7], 96, row->mean[RV_EPSILON], row->std[RV_EPSILON], row->n[RV_EPSILON]);
            flips += row->mia_flip_runs > 0;
            diverged += row->diverged_runs > 0;
            suspect += row->suspect_runs > 0;
            char name[160];
            display_method(row->method, name, sizeof name);
            fprintf(f, "| %s%s%s | %s | %s%s | %s | %s |", name, row->diverged_runs ? " ‡" : "",
                    row->suspect_runs ? " §" : "",
                    c[0], c[1], row->mia_flip_runs ? " †" : "", c[2], c[3]);
            if (add) fprintf(f, " %s |", c[4]);
            fprintf(f, " %s |", c[5]);
            if (add) fprintf(f, " %s |", gap4);
            fprintf(f, " %s |", c[6]);
            if (eps) fprintf(f, " %s |", c[7]);
            if (thr) {
                char t[96];
                cell_threshold(t, sizeof t, row);
                fprintf(f, " %s |", t);
            }
            fprintf(f, " %d |\n", row->runs);
        }
        fprintf(f, "\n");
        if (ci)
            fprintf(f, "[95%% CI]: 2.5–97.5 percentiles of MIA-Efficacy over bootstrap refits of the SVC (members and "
                       "non-members resampled; mean over runs); a wide interval means the number is an accident of "
                       "the attack's training sample, not a property of the model.\n");
        if (flips)
            fprintf(f, "† the MIA-Efficacy verdict (≥ 50 or not) flips under bootstrap resampling of the attack's "
                       "training samples in at least one run (see mia.stability in its metrics.json): do not read "
                       "forgetting from this row's MIA-Efficacy.\n");
        if (thr)
            fprintf(f, "Thr.: threshold attack on the logit-scaled confidence log(p/(1−p)), D_f vs the test set: AUC "
                       "(0.5 = D_f looks unseen) and TPR at 1%% / 0.1%% FPR, as fractions (docs/METRICS.md).\n");
        if (diverged) fprintf(f, "‡ at least one run of this method diverged (see diverged_reason in its metrics.json).\n");
        if (suspect)
            fprintf(f, "§ SUSPECT: at least one run's metrics.json does not match the model.h5 beside it, or evaluated "
                       "the same model as another run (a copy counted as a seed); see `ugradsl report` without "
                       "--keep-suspect.\n");
        if (ci || flips || thr || diverged || suspect) fprintf(f, "\n");
        i = j;
    }
    fprintf(f, "Numbers in percent (mean ± std over seeds, std with n-1); Avg. Gap = mean |metric − Retrain's| over "
               "UA, MIA-Efficacy, RA, TA%s; RTE = wall time of the unlearning phase alone.\n",
            r->n && any_value(r, 0, r->n, RV_ADD_MIA) ? " and Add. MIA where both rows have it (Avg. Gap (4): "
                                                        "without Add. MIA, as the paper's Table 1)" : "");
}

static void csv_num(FILE* f, double v) {
    if (isfinite(v)) fprintf(f, ",%.6g", v);
    else fputs(",", f);
}

static void csv_str(FILE* f, const char* s) {
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void report_write_csv(FILE* f, const Report* r) {
    fputs("split,method,runs", f);
    for (int k = 0; k < REPORT_NUM_VALUES; k++) fprintf(f, ",%s,%s_std", REPORT_VALUE_KEYS[k], REPORT_VALUE_KEYS[k]);
    fputs(",avg_gap,avg_gap_4,mia_flip_runs,diverged_runs,avg_gap_std,suspect_runs\n", f);
    for (int i = 0; i < r->n; i++) {
        const ReportRow* row = &r->rows[i];
        csv_str(f, row->split_name);
        fputc(',', f);
        csv_str(f, row->method);
        fprintf(f, ",%d", row->runs);
        for (int k = 0; k < REPORT_NUM_VALUES; k++) {
            csv_num(f, row->mean[k]);
            csv_num(f, row->std[k]);
        }
        csv_num(f, row->avg_gap);
        csv_num(f, row->avg_gap_4);
        fprintf(f, ",%d,%d", row->mia_flip_runs, row->diverged_runs);
        csv_num(f, row->avg_gap_std);
        fprintf(f, ",%d", row->suspect_runs);
        fputc('\n', f);
    }
}

void report_write_json(FILE* f, const Report* r) {
    JsonWriter j;
    json_begin(&j, f, 1);
    json_arr_open(&j, NULL);
    for (int i = 0; i < r->n; i++) {
        const ReportRow* row = &r->rows[i];
        json_obj_open(&j, NULL);
        json_str(&j, "method", row->method);
        for (int k = 0; k < REPORT_NUM_VALUES; k++) {
            char key[64];
            json_num(&j, REPORT_VALUE_KEYS[k], row->mean[k]);
            snprintf(key, sizeof key, "%s_std", REPORT_VALUE_KEYS[k]);
            json_num(&j, key, row->std[k]);
        }
        json_num(&j, "avg_gap", row->avg_gap);
        json_num(&j, "avg_gap_4", row->avg_gap_4);
        json_num(&j, "avg_gap_std", row->avg_gap_std);
        json_str(&j, "split", row->split);
        json_str(&j, "split_name", row->split_name);
        json_int(&j, "runs", row->runs);
        json_int(&j, "mia_flip_runs", row->mia_flip_runs);
        json_int(&j, "diverged_runs", row->diverged_runs);
        json_obj_close(&j);
    }
    json_arr_close(&j);
    json_end(&j);
}
