// cmd_report.c — `ugradsl report RUN_DIR...`: the paper's Table 1 from metrics.json files (docs/METRICS.md).
// Rank 0 does the work; other ranks (if launched under mpirun) just return.
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd/cmd_options.h"
#include "cmd/commands.h"
#include "common/atomic_file.h"
#include "common/opts.h"
#include "common/util.h"
#include "metrics/report.h"
#include "train/checkpoint.h"

// Exit status of tools/plot_report.py when matplotlib cannot be imported.
#define PLOT_NO_MATPLOTLIB 3

static void write_table(const char* path, const Report* r, void (*writer)(FILE*, const Report*)) {
    AtomicFile af;
    atomic_open(&af, path);
    writer(af.f, r);
    UG_CHECK(!ferror(af.f), "writing %s failed (disk full?)", path);
    atomic_commit(&af);
}

// The plot script: --plot-script, else $UGRADSL_TOOLS/plot_report.py, else <binary dir>/../tools/, else ./tools/.
static int find_plot_script(const char* given, char* out, size_t cap) {
    if (given) {
        snprintf(out, cap, "%s", given);
        return ug_file_exists(out);
    }
    const char* env = getenv("UGRADSL_TOOLS");
    if (env) {
        snprintf(out, cap, "%s/plot_report.py", env);
        if (ug_file_exists(out)) return 1;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = 0;
        char* slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(out, cap, "%.3000s/../tools/plot_report.py", exe);
            if (ug_file_exists(out)) return 1;
        }
    }
    snprintf(out, cap, "tools/plot_report.py");
    return ug_file_exists(out);
}

// Runs python on the script; returns its exit status (or -1 when it could not run).
static int run_plot(const char* python, const char* script, const char* json_path, const char* png_path) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        execl(python, python, script, json_path, png_path, (char*)NULL);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// ROC curves of the threshold attacks (tools/plot_roc.py beside the plot script): python SCRIPT OUT_PNG FILE...
static int run_roc_plot(const char* python, const char* script, const char* png_path, char** files, int n_files) {
    char** argv = ug_calloc((size_t)n_files + 4, sizeof(char*));
    argv[0] = (char*)python;
    argv[1] = (char*)script;
    argv[2] = (char*)png_path;
    for (int i = 0; i < n_files; i++) argv[3 + i] = files[i];
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execv(python, argv);
        _exit(127);
    }
    free(argv);
    if (pid < 0) return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int cmd_report(int argc, char** argv) {
    char* output = NULL;
    char* json_path = NULL;
    char* plot_script = NULL;
    char* python = ug_strdup("/usr/bin/python3");
    int no_plot = 0, keep_suspect = 0;
    OptSpec specs[] = {
        {"output", OPT_STR, &output, "DIR", "where report.md, report.csv, report.json, report.png go "
                                            "(default: the first RUN_DIR)", 0},
        opt_json(&json_path, "report.json path (default: DIR/report.json)"),
        {"no-plot", OPT_FLAG, &no_plot, NULL, "skip the PNG bar chart", 0},
        {"plot-script", OPT_STR, &plot_script, "FILE", "plot script (default: tools/plot_report.py)", 0},
        {"python", OPT_STR, &python, "FILE", "python with matplotlib for the chart", 0},
        {"keep-suspect", OPT_FLAG, &keep_suspect, NULL, "keep runs whose metrics.json does not match the model.h5 "
         "beside it, or that copy another run's model, marked § (default: refuse them)", 0},
        {NULL, 0, NULL, NULL, NULL, 0},
    };
    int npos = 0;
    char** pos = NULL;
    opts_parse("report", "RUN_DIR... [--output DIR] [--json FILE]",
               "Gathers the metrics.json files under each RUN_DIR (recursively), groups them by (split, method), "
               "averages over seeds and prints the paper's table with Avg. Gap against Retrain.",
               specs, argc, argv, &npos, &pos);
    if (ug_rank() != 0) {
        free(pos);
        return 0;
    }
    UG_CHECK(npos >= 1, "report: give at least one RUN_DIR (a directory holding metrics.json files); see --help");
    char err[8192];
    char** files = NULL;
    int n_files = 0;
    if (!report_find_files(pos, npos, &files, &n_files, err, sizeof err)) ug_die("report: %s", err);
    RunMetrics* runs = ug_calloc((size_t)n_files, sizeof(RunMetrics));
    for (int i = 0; i < n_files; i++)
        if (!report_load_run(files[i], &runs[i], err, sizeof err)) ug_die("report: %s", err);
    for (int i = 0; i < n_files; i++) {   // the model the metrics sit beside (its recorded model hash)
        char beside[PATH_MAX + 16];
        snprintf(beside, sizeof beside, "%s", files[i]);
        char* slash = strrchr(beside, '/');
        snprintf(slash ? slash + 1 : beside, sizeof beside - (size_t)(slash ? slash + 1 - beside : 0), "model.h5");
        if (ug_file_exists(beside)) checkpoint_read_model_hash(beside, runs[i].beside_hash);
    }
    int suspect = report_check_provenance(runs, n_files, err, sizeof err);
    if (suspect && !keep_suspect)
        ug_die("report: %s (%d suspect run%s; --keep-suspect keeps them, marked §)", err, suspect,
               suspect == 1 ? "" : "s");
    if (suspect) ug_warn("report: %d suspect run%s kept and marked §: %s", suspect, suspect == 1 ? "" : "s", err);
    Report rep;
    report_build(runs, n_files, &rep);

    char out_dir[PATH_MAX];
    struct stat st;
    if (output) snprintf(out_dir, sizeof out_dir, "%s", output);
    else if (stat(pos[0], &st) == 0 && S_ISDIR(st.st_mode)) snprintf(out_dir, sizeof out_dir, "%s", pos[0]);
    else snprintf(out_dir, sizeof out_dir, ".");
    ug_mkdir_p(out_dir);
    char md[PATH_MAX + 16], csv[PATH_MAX + 16], js[PATH_MAX + 16], png[PATH_MAX + 16];
    snprintf(md, sizeof md, "%s/report.md", out_dir);
    snprintf(csv, sizeof csv, "%s/report.csv", out_dir);
    snprintf(png, sizeof png, "%s/report.png", out_dir);
    if (json_path) snprintf(js, sizeof js, "%s", json_path);
    else snprintf(js, sizeof js, "%s/report.json", out_dir);

    report_write_markdown(stdout, &rep);
    fflush(stdout);
    write_table(md, &rep, report_write_markdown);
    write_table(csv, &rep, report_write_csv);
    write_table(js, &rep, report_write_json);
    ug_log("report: %d runs, %d rows -> %s, %s, %s", n_files, rep.n, md, csv, js);

    if (!no_plot) {
        char script[PATH_MAX];
        if (!find_plot_script(plot_script, script, sizeof script)) {
            ug_warn("report: PNG skipped: plot script not found (%s); the tables are complete", script);
        } else {
            int rc = run_plot(python, script, js, png);
            if (rc == 0) ug_log("report: chart -> %s", png);
            else if (rc == PLOT_NO_MATPLOTLIB)
                ug_warn("report: PNG skipped: matplotlib is not available to %s; the tables are complete", python);
            else
                ug_warn("report: PNG skipped: %s %s exited with status %d; the tables are complete", python, script, rc);
            char roc_script[PATH_MAX + 16], roc_png[PATH_MAX + 16];
            snprintf(roc_script, sizeof roc_script, "%s", script);
            char* slash = strrchr(roc_script, '/');
            snprintf(slash ? slash + 1 : roc_script, sizeof roc_script - (size_t)(slash ? slash + 1 - roc_script : 0),
                     "plot_roc.py");
            snprintf(roc_png, sizeof roc_png, "%s/roc.png", out_dir);
            if (ug_file_exists(roc_script) && run_roc_plot(python, roc_script, roc_png, files, n_files) == 0)
                ug_log("report: ROC curves -> %s", roc_png);
        }
    }
    report_free(&rep);
    free(runs);
    for (int i = 0; i < n_files; i++) free(files[i]);
    free(files);
    free(pos);
    free(output);
    free(json_path);
    free(plot_script);
    free(python);
    return 0;
}
