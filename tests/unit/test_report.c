// test_report.c — `ugradsl report`: finding files, grouping, mean ± std, Avg. Gap, bad/missing files, outputs.
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/commands.h"
#include "common/util.h"
#include "harness.h"
#include "metrics/json_read.h"
#include "metrics/metrics.h"
#include "metrics/report.h"

static char g_tmp[256];

static void write_text(const char* rel, const char* text) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_tmp, rel);
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = 0;
    ug_mkdir_p(dir);
    FILE* f = fopen(path, "w");
    if (!f) { fprintf(stderr, "cannot write %s\n", path); exit(1); }
    fputs(text, f);
    fclose(f);
}

// A minimal metrics.json; add < 0 writes null for Add. MIA.
static void write_run(const char* rel, const char* method, int seed, const char* split, double ua, double mia,
                      double ra, double ta, double add, double rte) {
    char add_s[32], text[2048];
    if (add < 0) snprintf(add_s, sizeof add_s, "null");
    else snprintf(add_s, sizeof add_s, "%g", add);
    snprintf(text, sizeof text,
             "{\"format\": \"ugradsl-metrics\", \"format_version\": 1, \"method\": \"%s\", \"seed\": %d,\n"
             " \"world_size\": 2, \"split\": \"/data/%s.h5\", \"split_name\": \"%s.h5\", \"diverged\": false,\n"
             " \"timing\": {\"rte_s\": %g, \"startup_s\": 0.5},\n"
             " \"metrics\": {\"UA\": %g, \"MIA\": %g, \"RA\": %g, \"TA\": %g, \"add_MIA\": %s, \"epsilon\": null}}\n",
             method, seed, split, split, rte, ua, mia, ra, ta, add_s);
    write_text(rel, text);
}

static void make_tmp(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/ug_test_report_XXXXXX");
    if (!mkdtemp(g_tmp)) { perror("mkdtemp"); exit(1); }
}

static void remove_tmp(void) {
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_tmp);
}

static void write_table1_runs(void) {
    write_run("retrain/s1/metrics.json", "retrain", 1, "cls0", 90, 80, 100, 90, 50, 100);
    write_run("retrain/s2/metrics.json", "retrain", 2, "cls0", 94, 80, 98, 92, 52, 110);
    write_run("ga/s1/metrics.json", "ga", 1, "cls0", 100, 60, 90, 85, -1, 1);
    write_run("ga/s2/metrics.json", "ga", 2, "cls0", 98, 70, 90, 86, -1, 2);
    write_run("ga/deep/s3/metrics.json", "ga", 3, "cls0", 96, 80, 90, 87, -1, 3);
    write_run("ugradsl/s1/metrics.json", "ugradsl", 1, "cls0", 93, 79, 98, 90, 55, 4);
    write_run("other/ga/metrics.json", "ga", 1, "rand10", 10, 20, 30, 40, -1, 5);   // a split without Retrain
    write_text("notes.txt", "not a metrics file");
}

static Report load_report(char** roots, int n_roots, int* n_files_out) {
    char err[4096] = "";
    char** files;
    int n_files;
    Report rep = {0};
    int ok = report_find_files(roots, n_roots, &files, &n_files, err, sizeof err);
    CHECK(ok, "find: %s", err);
    if (!ok) return rep;
    RunMetrics* runs = calloc((size_t)n_files, sizeof(RunMetrics));
    for (int i = 0; i < n_files; i++) CHECK(report_load_run(files[i], &runs[i], err, sizeof err), "load: %s", err);
    report_build(runs, n_files, &rep);
    for (int i = 0; i < n_files; i++) free(files[i]);
    free(files);
    free(runs);
    *n_files_out = n_files;
    return rep;
}

static const ReportRow* row_of(const Report* r, const char* split_name, const char* method) {
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->rows[i].split_name, split_name) && !strcmp(r->rows[i].method, method)) return &r->rows[i];
    return NULL;
}

static void grouping_mean_std_gap(void) {
    make_tmp();
    write_table1_runs();
    char* roots[2] = {g_tmp, g_tmp};   // the same directory twice: files count once
    int n_files = 0;
    Report rep = load_report(roots, 2, &n_files);
    CHECK_EQ_INT(n_files, 7);
    CHECK_EQ_INT(rep.n, 4);
    CHECK_EQ_INT(rep.splits_without_retrain, 1);
    CHECK(rep.n == 4 && !strcmp(rep.rows[0].method, "retrain"), "Retrain row first");
    const ReportRow* rt = row_of(&rep, "cls0.h5", "retrain");
    const ReportRow* ga = row_of(&rep, "cls0.h5", "ga");
    const ReportRow* us = row_of(&rep, "cls0.h5", "ugradsl");
    const ReportRow* other = row_of(&rep, "rand10.h5", "ga");
    CHECK(rt && ga && us && other, "rows present");
    if (!(rt && ga && us && other)) { report_free(&rep); remove_tmp(); return; }
    CHECK_EQ_INT(rt->runs, 2);
    CHECK_EQ_INT(ga->runs, 3);
    CHECK_CLOSE(rt->mean[RV_UA], 92, 1e-12);
    CHECK_CLOSE(rt->std[RV_UA], sqrt(8.0), 1e-12);   // (2^2 + 2^2) / (2 - 1)
    CHECK_CLOSE(rt->mean[RV_RA], 99, 1e-12);
    CHECK_CLOSE(rt->mean[RV_ADD_MIA], 51, 1e-12);
    CHECK_CLOSE(rt->mean[RV_RTE], 105, 1e-12);
    CHECK(isnan(rt->avg_gap), "Retrain's own gap is null");
    CHECK_CLOSE(ga->mean[RV_UA], 98, 1e-12);
    CHECK_CLOSE(ga->std[RV_UA], 2, 1e-12);
    CHECK_CLOSE(ga->mean[RV_MIA], 70, 1e-12);
    CHECK_CLOSE(ga->std[RV_MIA], 10, 1e-12);
    CHECK_CLOSE(ga->std[RV_RA], 0, 0);
    CHECK(isnan(ga->mean[RV_ADD_MIA]) && ga->n[RV_ADD_MIA] == 0, "GA has no Add. MIA");
    CHECK_CLOSE(ga->mean[RV_RTE], 2, 1e-12);
    // GA: (|98-92| + |70-80| + |90-99| + |86-91|) / 4; Add. MIA absent for GA -> not in its gap
    CHECK_CLOSE(ga->avg_gap, 7.5, 1e-12);
    CHECK_CLOSE(ga->avg_gap_4, 7.5, 1e-12);
    // UGradSL: gaps 1, 1, 1, 1 and Add. MIA |55 - 51| = 4
    CHECK_CLOSE(us->avg_gap, 8.0 / 5, 1e-12);
    CHECK_CLOSE(us->avg_gap_4, 1.0, 1e-12);
    CHECK_CLOSE(us->std[RV_UA], 0, 0);   // one seed
    CHECK(isnan(other->avg_gap), "no Retrain for the split -> null gap");
    report_free(&rep);
    remove_tmp();
}

static void outputs_are_well_formed(void) {
    make_tmp();
    write_table1_runs();
    char* roots[1] = {g_tmp};
    int n_files = 0;
    Report rep = load_report(roots, 1, &n_files);
    char path[512];
    snprintf(path, sizeof path, "%s/out.json", g_tmp);
    FILE* f = fopen(path, "w");
    report_write_json(f, &rep);
    fclose(f);
    char* text = ug_read_file(path, NULL);
    Jv root;
    char err[256];
    int parsed = jv_parse(text, &root, err, sizeof err);
    CHECK(parsed, "report.json does not parse: %s", err);
    if (parsed) {
        CHECK(root.type == JV_ARR && root.n == 4, "an array of 4 rows");
        static const char* keys[] = {"method", "UA", "MIA", "RA", "TA", "avg_gap", "rte_s", "UA_std", "MIA_std",
                                     "RA_std", "TA_std", "rte_s_std", "add_MIA", "split"};
        for (int i = 0; i < root.n; i++)
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
                CHECK(jv_get(&root.items[i], keys[k]) != NULL, "row %d lacks %s", i, keys[k]);
        const Jv* first = &root.items[0];
        CHECK(jv_get(first, "avg_gap")->type == JV_NULL, "Retrain avg_gap is null");
        CHECK(!strcmp(jv_get(first, "method")->str, "retrain"), "first row is retrain");
        CHECK(jv_get(&root.items[1], "avg_gap")->type == JV_NUM, "GA avg_gap is a number");
        jv_free(&root);
    }
    free(text);
    snprintf(path, sizeof path, "%s/out.md", g_tmp);
    f = fopen(path, "w");
    report_write_markdown(f, &rep);
    fclose(f);
    text = ug_read_file(path, NULL);
    CHECK(strstr(text, "| GA | 98.00 ± 2.00 | 70.00 ± 10.00 | 90.00 ± 0.00 | 86.00 ± 1.00 | — | 7.50 | 7.50 |") != NULL,
          "GA row in Markdown:\n%s", text);
    CHECK(strstr(text, "| Retrain |") && strstr(text, "| UGradSL |"), "method display names");
    CHECK(strstr(text, "Seeds |\n|---|") != NULL, "header row then separator row");
    CHECK(strstr(text, "| UGradSL | 93.00 | 79.00 | 98.00 | 90.00 | 55.00 | 1.60 | 1.00 |") != NULL, "UGradSL gaps");
    free(text);
    snprintf(path, sizeof path, "%s/out.csv", g_tmp);
    f = fopen(path, "w");
    report_write_csv(f, &rep);
    fclose(f);
    text = ug_read_file(path, NULL);
    CHECK(!strncmp(text, "split,method,runs,UA,UA_std,MIA,MIA_std", 39), "CSV header: %.60s", text);
    int lines = 0;
    for (char* p = text; *p; p++) lines += *p == '\n';
    CHECK_EQ_INT(lines, 5);
    free(text);
    report_free(&rep);
    remove_tmp();
}

static void bad_and_missing_files(void) {
    make_tmp();
    char err[4096];
    RunMetrics rm;
    write_text("broken/metrics.json", "{\"format\": \"ugradsl-metrics\", \"method\": \"ga\", \"metrics\": {\"UA\": 1,,}");
    char path[512];
    snprintf(path, sizeof path, "%s/broken/metrics.json", g_tmp);
    CHECK(!report_load_run(path, &rm, err, sizeof err), "truncated JSON accepted");
    CHECK(strstr(err, path) && strstr(err, "not valid JSON") && strstr(err, "line 1"), "message: %s", err);
    write_text("noua/metrics.json",
               "{\"format\": \"ugradsl-metrics\", \"method\": \"ga\", \"metrics\": {\"MIA\": 1, \"RA\": 2, \"TA\": 3}}");
    snprintf(path, sizeof path, "%s/noua/metrics.json", g_tmp);
    CHECK(!report_load_run(path, &rm, err, sizeof err), "missing UA accepted");
    CHECK(strstr(err, "missing \"metrics.UA\"") != NULL, "message: %s", err);
    write_text("other/metrics.json", "{\"hello\": 1}");
    snprintf(path, sizeof path, "%s/other/metrics.json", g_tmp);
    CHECK(!report_load_run(path, &rm, err, sizeof err), "foreign JSON accepted");
    CHECK(strstr(err, "not a ugradsl metrics file") != NULL, "message: %s", err);
    write_text("strua/metrics.json", "{\"format\": \"ugradsl-metrics\", \"method\": \"ga\", "
                                     "\"metrics\": {\"UA\": \"high\", \"MIA\": 1, \"RA\": 2, \"TA\": 3}}");
    snprintf(path, sizeof path, "%s/strua/metrics.json", g_tmp);
    CHECK(!report_load_run(path, &rm, err, sizeof err), "string UA accepted");
    CHECK(strstr(err, "\"metrics.UA\" is not a number") != NULL, "message: %s", err);
    snprintf(path, sizeof path, "%s/absent/metrics.json", g_tmp);
    CHECK(!report_load_run(path, &rm, err, sizeof err), "absent file accepted");
    CHECK(strstr(err, "cannot open") != NULL, "message: %s", err);

    char** files;
    int n;
    char missing[512];
    snprintf(missing, sizeof missing, "%s/no_such_dir", g_tmp);
    char* roots[1] = {missing};
    CHECK(!report_find_files(roots, 1, &files, &n, err, sizeof err), "missing dir accepted");
    CHECK(strstr(err, "no such run directory") != NULL, "message: %s", err);
    char empty[512];
    snprintf(empty, sizeof empty, "%s/empty", g_tmp);
    ug_mkdir_p(empty);
    roots[0] = empty;
    CHECK(!report_find_files(roots, 1, &files, &n, err, sizeof err), "empty dir accepted");
    CHECK(strstr(err, "no metrics.json") != NULL, "message: %s", err);
    remove_tmp();
}

// metrics_write_json output is what report_load_run reads.
static void metrics_json_round_trip(void) {
    make_tmp();
    SampleRecord r[30];
    memset(r, 0, sizeof r);
    for (int i = 0; i < 30; i++) {
        r[i].set = (int8_t)(i < 10 ? SET_RETAIN : i < 20 ? SET_FORGET : SET_TEST);
        r[i].index = i;
        r[i].pred = i % 3 == 0;
        r[i].prob_true = i < 10 ? 0.95f : i < 20 ? 0.05f + 0.001f * i : 0.3f;
    }
    RecordSet rs = {r, 30};
    MetricsOptions o;
    metrics_options_default(&o);
    o.mia_bootstrap = 3;
    Metrics m;
    metrics_compute(&rs, &o, &m);
    RunInfo run;
    run_info_init(&run);
    run.method = "ugradsl+";
    run.seed = 4;
    run.rte_s = 12.5;
    run.split_name = "digits-c3";
    char path[512];
    snprintf(path, sizeof path, "%s/run/metrics.json", g_tmp);
    ug_mkdir_p(strcat(strcpy((char[512]){0}, g_tmp), "/run"));
    metrics_write_json(path, &m, &o, &run);
    RunMetrics rm;
    char err[1024];
    CHECK(report_load_run(path, &rm, err, sizeof err), "%s", err);
    CHECK(!strcmp(rm.method, "ugradsl+"), "method %s", rm.method);
    CHECK(!strcmp(rm.split_name, "digits-c3"), "split_name %s", rm.split_name);
    CHECK_EQ_INT(rm.seed, 4);
    CHECK_CLOSE(rm.v[RV_UA], m.UA, 1e-8);
    CHECK_CLOSE(rm.v[RV_RA], m.RA, 1e-8);
    CHECK_CLOSE(rm.v[RV_TA], m.TA, 1e-8);
    CHECK_CLOSE(rm.v[RV_MIA], m.MIA, 1e-8);
    CHECK_CLOSE(rm.v[RV_RTE], 12.5, 0);
    CHECK(isnan(rm.v[RV_STARTUP]), "null startup");
    remove_tmp();
}

// cmd_report prints the table on stdout; keep the harness's PASS/FAIL lines clean.
static int run_report_quietly(int argc, char** argv) {
    fflush(stdout);
    int saved = dup(1);
    FILE* null = fopen("/dev/null", "w");
    dup2(fileno(null), 1);
    int rc = cmd_report(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    fclose(null);
    return rc;
}

static int has_matplotlib(void) {
    return system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") == 0;
}

static void command_end_to_end(void) {
    make_tmp();
    write_table1_runs();
    char out[512], js[512], md[1024], png[1024];
    snprintf(out, sizeof out, "%s/report_out", g_tmp);
    snprintf(js, sizeof js, "%s/custom.json", g_tmp);
    char* argv1[] = {"report", g_tmp, "--output", out, "--json", js, "--python", "/nonexistent/python3",
                     "--plot-script", "tools/plot_report.py", NULL};
    CHECK_EQ_INT(run_report_quietly(10, argv1), 0);   // python missing -> PNG skipped, tables still written
    snprintf(md, sizeof md, "%s/report.md", out);
    CHECK(ug_file_exists(md), "report.md written");
    CHECK(ug_file_exists(js), "--json path written");
    snprintf(png, sizeof png, "%s/report.png", out);
    CHECK(!ug_file_exists(png), "no PNG without python");
    if (!has_matplotlib()) { remove_tmp(); SKIP("no matplotlib for /usr/bin/python3: chart not checked"); }
    // A python that cannot import matplotlib (site-packages off): the script exits 3, the report still succeeds.
    char wrapper[600];
    snprintf(wrapper, sizeof wrapper, "%s/python-no-mpl", g_tmp);
    FILE* w = fopen(wrapper, "w");
    fputs("#!/bin/sh\nexec /usr/bin/python3 -S \"$@\"\n", w);
    fclose(w);
    chmod(wrapper, 0755);
    char* argv3[] = {"report", g_tmp, "--output", out, "--python", wrapper, "--plot-script", "tools/plot_report.py", NULL};
    CHECK_EQ_INT(run_report_quietly(8, argv3), 0);
    CHECK(!ug_file_exists(png), "no PNG without matplotlib");
    char* argv2[] = {"report", g_tmp, "--output", out, "--plot-script", "tools/plot_report.py", NULL};
    CHECK_EQ_INT(run_report_quietly(6, argv2), 0);
    CHECK(ug_file_exists(png), "report.png written by tools/plot_report.py");
    remove_tmp();
}

// Variant labels (`unlearn --label ugradsl+@adaptive-neg`) are rows of their own, ordered by their base method
// and displayed as "UGradSL+ (adaptive-neg)"; avg_gap_std is the spread of each run's own gap over seeds.
static void variants_and_gap_std(void) {
    make_tmp();
    write_table1_runs();
    write_run("v1/s1/metrics.json", "ugradsl+@adaptive-neg", 1, "cls0", 92, 80, 99, 91, 51, 4);
    write_run("v2/s1/metrics.json", "ugradsl@adaptive-lit", 1, "cls0", 93, 79, 98, 90, 55, 4);
    write_run("v3/s1/metrics.json", "zz-custom", 1, "cls0", 93, 79, 98, 90, 55, 4);
    char* roots[1] = {g_tmp};
    int n_files = 0;
    Report rep = load_report(roots, 1, &n_files);
    CHECK_EQ_INT(rep.n, 7);
    const char* want[] = {"retrain", "ga", "ugradsl", "ugradsl@adaptive-lit", "ugradsl+@adaptive-neg", "zz-custom"};
    for (int i = 0; i < 6 && i < rep.n; i++) CHECK(!strcmp(rep.rows[i].method, want[i]), "row %d is %s, want %s", i, rep.rows[i].method, want[i]);
    const ReportRow* ga = row_of(&rep, "cls0.h5", "ga");
    const ReportRow* v = row_of(&rep, "cls0.h5", "ugradsl+@adaptive-neg");
    CHECK(ga && v, "rows present");
    // GA's own gaps to Retrain's means (92 80 99 91): 43/4, 30/4, 17/4 -> mean 7.5, std 3.25
    if (ga) CHECK_CLOSE(ga->avg_gap_std, 3.25, 1e-12);
    if (v) { CHECK_CLOSE(v->avg_gap, 0, 1e-12); CHECK_CLOSE(v->avg_gap_std, 0, 0); }
    char path[512];
    snprintf(path, sizeof path, "%s/out.md", g_tmp);
    FILE* f = fopen(path, "w");
    report_write_markdown(f, &rep);
    fclose(f);
    char* text = ug_read_file(path, NULL);
    CHECK(strstr(text, "| UGradSL+ (adaptive-neg) | 92.00 |") && strstr(text, "| UGradSL (adaptive-lit) |") &&
          strstr(text, "| zz-custom |"), "variant display names:\n%s", text);
    free(text);
    snprintf(path, sizeof path, "%s/out.json", g_tmp);
    f = fopen(path, "w");
    report_write_json(f, &rep);
    fclose(f);
    text = ug_read_file(path, NULL);
    CHECK(strstr(text, "\"avg_gap_std\": 3.25") != NULL, "avg_gap_std in report.json:\n%.600s", text);
    free(text);
    report_free(&rep);
    remove_tmp();
}

int main(int argc, char** argv) {
    th_begin(&argc, &argv, 0);
    TEST_CASE(grouping_mean_std_gap);
    TEST_CASE(outputs_are_well_formed);
    TEST_CASE(variants_and_gap_std);
    TEST_CASE(bad_and_missing_files);
    TEST_CASE(metrics_json_round_trip);
    TEST_CASE(command_end_to_end);
    return th_end();
}
