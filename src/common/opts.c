#include "common/opts.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char* const UG_COMMANDS[] = {"pack", "split", "inspect", "train", "unlearn", "eval", "report", "sweep", NULL};

// Shared sections: keys any command may take (opts.h).  A section that is neither one of these, a command, a
// registered [command.METHOD] nor [sweep.*] (the job scripts' grids) is a typo: an error.
static const char* const SHARED_SECTIONS[] = {"data", "model", "common", NULL};
static const char* const* g_sub_sections;   // "unlearn.ga", ... (opts_register_sections); NULL: not checked

void opts_register_sections(const char* const* names) { g_sub_sections = names; }

// The checked range of every numeric option, by name (the same name means the same thing in every command).
// lo/hi with open ends; nan_ok: NaN is a value of the option (alpha: self-adaptive).
typedef struct {
    const char* name;
    double lo, hi;
    char lo_open, hi_open, nan_ok;
} OptRange;
#define INF_ HUGE_VAL
static const OptRange OPT_RANGES[] = {
    {"alpha", -INF_, 1, 1, 0, 1},          {"alpha-scale", 0, INF_, 0, 1, 0},   {"batch", 1, INF_, 0, 1, 0},
    {"beta", 0, 1, 0, 0, 0},               {"bs-step", 0, INF_, 0, 1, 0},       {"cache", -1, 1, 0, 0, 0},
    {"channels", 1, 3, 0, 0, 0},           {"checkpoint-every", 0, INF_, 0, 1, 0},
    {"checkpoint-every-steps", 0, INF_, 0, 1, 0},                               {"classes", 0, INF_, 0, 1, 0},
    {"clip-norm", 0, INF_, 0, 1, 0},       {"coarse", 0, INF_, 0, 1, 0},        {"count", 1, INF_, 0, 1, 0},
    {"epochs", 1, INF_, 0, 1, 0},          {"eval-batch", 1, INF_, 0, 1, 0},    {"eval-every", 0, INF_, 0, 1, 0},
    {"fine", 0, INF_, 0, 1, 0},            {"fraction", 0, 1, 1, 1, 0},         {"gamma", 0, INF_, 1, 1, 0},
    {"group-fraction", 0, 1, 1, 1, 0},     {"iu-damping", 0, INF_, 1, 1, 0},    {"iu-samples", 1, INF_, 0, 1, 0},
    {"iu-scale", -INF_, INF_, 1, 1, 0},    {"jpeg-quality", 1, 100, 0, 0, 0},   {"k", 0, INF_, 0, 1, 0},
    {"l1-alpha", 0, INF_, 0, 1, 0},        {"lr", 0, INF_, 1, 1, 0},            {"mask-fraction", 0, 1, 1, 0, 0},
    {"mia-bootstrap", 0, INF_, 0, 1, 0},   {"momentum", 0, 1, 0, 1, 0},         {"p", 0, 1, 0, 0, 0},
    {"pad", 0, INF_, 0, 1, 0},             {"pool", 2, INF_, 0, 1, 0},          {"resize", 0, INF_, 0, 1, 0},        {"scrub-alpha", 0, INF_, 0, 1, 0},
    {"scrub-gamma", 0, INF_, 0, 1, 0},     {"scrub-max-epochs", 0, INF_, 0, 1, 0},
    {"scrub-t", 0, INF_, 1, 1, 0},         {"seed", 0, INF_, 0, 1, 0},          {"shadows", 4, 256, 0, 0, 0},          {"stop-after-steps", 0, INF_, 0, 1, 0},
    {"stop-forget-acc", -1, 100, 0, 0, 0}, {"test-fraction", 0, 1, 1, 1, 0},    {"threads", 0, 4096, 0, 0, 0},
    {"val-fraction", 0, 1, 0, 1, 0},       {"warmup-epochs", 0, INF_, 0, 1, 0}, {"weight-decay", 0, INF_, 0, 1, 0},
    {"width", 0, INF_, 0, 1, 0},
    {NULL, 0, 0, 0, 0, 0},
};

static const OptRange* find_range(const char* name) {
    for (const OptRange* r = OPT_RANGES; r->name; r++)
        if (strcmp(r->name, name) == 0) return r;
    return NULL;
}

int opts_has_range(const char* name) { return find_range(name) != NULL; }

static void format_bound(char* buf, size_t cap, double v) {
    if (isinf(v)) snprintf(buf, cap, "%sinf", v < 0 ? "-" : "");
    else snprintf(buf, cap, "%g", v);
}

// Dies unless v lies in the option's range (message: the interval, the value, where it came from).
static void check_range(const char* command, const OptSpec* s, double v, const char* text, const char* where) {
    const OptRange* r = find_range(s->name);
    if (!r) ug_die("%s: internal error: option --%s has no range (add it to OPT_RANGES in src/common/opts.c)",
                   command, s->name);
    if (isnan(v) && r->nan_ok) return;
    int ok = !isnan(v) && (r->lo_open ? v > r->lo : v >= r->lo) && (r->hi_open ? v < r->hi : v <= r->hi);
    if (ok) return;
    char lo[32], hi[32];
    format_bound(lo, sizeof lo, r->lo);
    format_bound(hi, sizeof hi, r->hi);
    ug_die("%s: option --%s: '%s' is outside %c%s, %s%c (%s)", command, s->name, text, r->lo_open ? '(' : '[', lo, hi,
           r->hi_open ? ')' : ']', where);
}

static int is_command(const char* s, size_t len) {
    for (int i = 0; UG_COMMANDS[i]; i++)
        if (strlen(UG_COMMANDS[i]) == len && strncmp(UG_COMMANDS[i], s, len) == 0) return 1;
    return 0;
}

static OptSpec* find_spec(OptSpec* specs, const char* name) {
    for (OptSpec* s = specs; s->name; s++)
        if (strcmp(s->name, name) == 0) return s;
    return NULL;
}

void opts_write_json(JsonWriter* j, const char* key, const OptSpec* specs) {
    json_obj_open(j, key);
    for (const OptSpec* s = specs; s->name; s++) {
        switch (s->type) {
        case OPT_STR: json_str(j, s->name, *(char* const*)s->dest); break;
        case OPT_INT: json_int(j, s->name, *(const int*)s->dest); break;
        case OPT_INT64: json_int(j, s->name, *(const int64_t*)s->dest); break;
        case OPT_DOUBLE: json_num(j, s->name, *(const double*)s->dest); break;
        case OPT_FLAG: json_bool(j, s->name, *(const int*)s->dest); break;
        }
    }
    json_obj_close(j);
}

int opts_was_set(const OptSpec* specs, const char* name) {
    for (const OptSpec* s = specs; s->name; s++)
        if (strcmp(s->name, name) == 0) return s->set;
    return 0;
}

static void set_value(const char* command, OptSpec* s, const char* value, const char* where) {
    char* end = NULL;
    errno = 0;
    switch (s->type) {
    case OPT_STR:
        *(char**)s->dest = ug_strdup(value);
        break;
    case OPT_INT: {
        long v = strtol(value, &end, 10);
        if (end == value || *end)
            ug_die("%s: option --%s expects an integer, got '%s' (%s)", command, s->name, value, where);
        if (errno == ERANGE || v < INT_MIN || v > INT_MAX)
            ug_die("%s: option --%s: '%s' is out of range (%s)", command, s->name, value, where);
        check_range(command, s, (double)v, value, where);
        *(int*)s->dest = (int)v;
        break;
    }
    case OPT_INT64: {
        long long v = strtoll(value, &end, 10);
        if (end == value || *end)
            ug_die("%s: option --%s expects an integer, got '%s' (%s)", command, s->name, value, where);
        if (errno == ERANGE) ug_die("%s: option --%s: '%s' is out of range (%s)", command, s->name, value, where);
        check_range(command, s, (double)v, value, where);
        *(int64_t*)s->dest = (int64_t)v;
        break;
    }
    case OPT_DOUBLE: {
        double v = strtod(value, &end);
        if (end == value || *end)
            ug_die("%s: option --%s expects a number, got '%s' (%s)", command, s->name, value, where);
        if (errno == ERANGE && fabs(v) > 1) ug_die("%s: option --%s: '%s' is out of range (%s)", command, s->name, value, where);
        check_range(command, s, v, value, where);
        *(double*)s->dest = v;
        break;
    }
    case OPT_FLAG:
        if (!value || !*value || !strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes"))
            *(int*)s->dest = 1;
        else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no"))
            *(int*)s->dest = 0;
        else
            ug_die("%s: option --%s is a flag (true/false), got '%s' (%s)", command, s->name, value, where);
        break;
    }
    s->set = 1;
}

void opts_set(const char* command, OptSpec* specs, const char* name, const char* value) {
    OptSpec* s = find_spec(specs, name);
    if (!s) ug_die("%s: unknown option '--%s' (see 'ugradsl %s --help')", command, name, command);
    set_value(command, s, value, "command line");
}

static size_t edit_distance(const char* a, const char* b) {
    size_t la = strlen(a), lb = strlen(b);
    size_t* row = ug_malloc((lb + 1) * sizeof(size_t));
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

static void consider(const char* name, const char* candidate, const char** best, size_t* best_d) {
    size_t d = edit_distance(name, candidate);
    if (d < *best_d) *best_d = d, *best = candidate;
}

// The nearest known section name (NULL when none is close: more than a third of the name differs).
static const char* nearest_section(const char* name) {
    const char* best = NULL;
    size_t best_d = (size_t)-1;
    for (int i = 0; UG_COMMANDS[i]; i++) consider(name, UG_COMMANDS[i], &best, &best_d);
    for (int i = 0; SHARED_SECTIONS[i]; i++) consider(name, SHARED_SECTIONS[i], &best, &best_d);
    for (int i = 0; g_sub_sections && g_sub_sections[i]; i++) consider(name, g_sub_sections[i], &best, &best_d);
    return best && best_d <= 1 + strlen(name) / 3 ? best : NULL;
}

static int in_list(const char* const* list, const char* name) {
    for (int i = 0; list && list[i]; i++)
        if (strcmp(list[i], name) == 0) return 1;
    return 0;
}

// 1 when some registered sub-section starts with "head.".
static int has_sub_sections(const char* head, size_t len) {
    for (int i = 0; g_sub_sections && g_sub_sections[i]; i++)
        if (strncmp(g_sub_sections[i], head, len) == 0 && g_sub_sections[i][len] == '.') return 1;
    return 0;
}

// Dies when a section name is not one the program knows (see SHARED_SECTIONS), with the nearest known name.
static void check_section(const char* command, const char* path, int lineno, const char* section) {
    const char* dot = strchr(section, '.');
    size_t head = dot ? (size_t)(dot - section) : strlen(section);
    if (!dot && is_command(section, head)) return;
    if (!dot && in_list(SHARED_SECTIONS, section)) return;
    if (dot && head == 5 && strncmp(section, "sweep", 5) == 0) return;   // the job scripts' grids (docs/SLURM.md)
    if (dot && is_command(section, head)) {
        if (!g_sub_sections) return;                 // no registered list (a test parsing alone): not checked
        if (in_list(g_sub_sections, section)) return;
        if (!has_sub_sections(section, head))
            ug_die("%s: config '%s' line %d: section [%s]: `%.*s` has no [%.*s.NAME] sections", command, path, lineno,
                   section, (int)head, section, (int)head, section);
    }
    const char* near = nearest_section(section);
    char hint[160] = "";
    if (near) snprintf(hint, sizeof hint, "; did you mean [%s]?", near);
    ug_die("%s: config '%s' line %d: unknown section [%s]%s (sections: a command, [command.METHOD], [data], [model], "
           "[common])", command, path, lineno, section, hint);
}

// Keys seen so far in the file, as "section\nkey" (a key given twice in one section is an error).
typedef struct {
    char** keys;
    int n, cap;
} SeenKeys;

static void check_duplicate(SeenKeys* seen, const char* command, const char* path, int lineno, const char* section,
                            const char* key) {
    char buf[600];
    snprintf(buf, sizeof buf, "%s\n%s", section, key);
    for (int i = 0; i < seen->n; i++)
        if (strcmp(seen->keys[i], buf) == 0)
            ug_die("%s: config '%s' line %d: key '%s' given twice in [%s] (keep one)", command, path, lineno, key,
                   *section ? section : "(no section)");
    if (seen->n == seen->cap) {
        seen->cap = seen->cap ? 2 * seen->cap : 32;
        seen->keys = ug_realloc(seen->keys, (size_t)seen->cap * sizeof(char*));
    }
    seen->keys[seen->n++] = ug_strdup(buf);
}

static char* trim(char* s) {
    while (isspace((unsigned char)*s)) s++;
    char* e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1])) *--e = 0;
    return s;
}

// Applies an INI file.  `method` selects [command.method] sections (may be NULL).
static void apply_config(const char* command, OptSpec* specs, const char* path, const char* method,
                         int only_unset_from_cli[]) {
    size_t size;
    char* text = ug_read_file(path, &size);
    char section[256] = "";
    int applies = 1, lineno = 0;
    SeenKeys seen = {NULL, 0, 0};
    for (char* line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        char* s = trim(line);
        if (!*s || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            char* close = strchr(s, ']');
            if (!close) ug_die("%s: config '%s' line %d: section header without ']'", command, path, lineno);
            *close = 0;
            snprintf(section, sizeof section, "%s", trim(s + 1));
            check_section(command, path, lineno, section);
            const char* dot = strchr(section, '.');
            size_t head = dot ? (size_t)(dot - section) : strlen(section);
            if (!is_command(section, head)) applies = 1;                       // shared section
            else if (strncmp(section, command, head) != 0 || strlen(command) != head) applies = 0;
            else if (!dot) applies = 1;
            else applies = method && strcmp(dot + 1, method) == 0;
            continue;
        }
        char* eq = strchr(s, '=');
        if (!eq) ug_die("%s: config '%s' line %d: expected 'key = value'", command, path, lineno);
        *eq = 0;
        char* key = trim(s);
        char* value = trim(eq + 1);
        char* hash = strstr(value, " #");  // inline comment
        if (hash) *hash = 0, value = trim(value);
        if (strncmp(section, "sweep.", 6) != 0)   // [sweep.*] repeats `grid =` by design (docs/SLURM.md)
            check_duplicate(&seen, command, path, lineno, section, key);
        if (!applies) continue;
        OptSpec* spec = find_spec(specs, key);
        if (!spec) {
            // Shared sections may hold keys for other commands; only a command's own sections must be exact.
            const char* dot = strchr(section, '.');
            size_t head = dot ? (size_t)(dot - section) : strlen(section);
            if (is_command(section, head))
                ug_die("%s: config '%s' line %d: unknown key '%s' in [%s] (see 'ugradsl %s --help')",
                       command, path, lineno, key, section, command);
            continue;
        }
        if (only_unset_from_cli[spec - specs]) continue;   // command line wins
        char where[512];
        snprintf(where, sizeof where, "config %s line %d", path, lineno);
        set_value(command, spec, value, where);
    }
    for (int i = 0; i < seen.n; i++) free(seen.keys[i]);
    free(seen.keys);
    free(text);
}

void opts_print_option(FILE* f, const OptSpec* s) {
    char left[96];
    snprintf(left, sizeof left, "--%s%s%s", s->name, s->metavar ? " " : "", s->metavar ? s->metavar : "");
    char def[128] = "";
    switch (s->type) {
    case OPT_STR: if (*(char**)s->dest) snprintf(def, sizeof def, " [default: %s]", *(char**)s->dest); break;
    case OPT_INT: snprintf(def, sizeof def, " [default: %d]", *(int*)s->dest); break;
    case OPT_INT64: snprintf(def, sizeof def, " [default: %lld]", (long long)*(int64_t*)s->dest); break;
    case OPT_DOUBLE: snprintf(def, sizeof def, " [default: %g]", *(double*)s->dest); break;
    case OPT_FLAG: break;
    }
    fprintf(f, "  %-28s %s%s\n", left, s->help, def);
}

static void print_help(const char* command, const char* usage_line, const char* description, OptSpec* specs) {
    printf("usage: ugradsl %s %s\n\n%s\n\noptions:\n", command, usage_line, description);
    for (OptSpec* s = specs; s->name; s++) opts_print_option(stdout, s);
    printf("  %-28s %s\n", "--config FILE", "INI file; keys are option names (command line wins)");
    printf("  %-28s %s\n", "--help", "show this help");
}

void opts_parse(const char* command, const char* usage_line, const char* description,
                OptSpec* specs, int argc, char** argv, int* npos, char*** pos) {
    int nspecs = 0;
    while (specs[nspecs].name) nspecs++;
    for (int i = 0; i < nspecs; i++)   // every numeric option has a checked range (OPT_RANGES)
        if (specs[i].type != OPT_STR && specs[i].type != OPT_FLAG && !find_range(specs[i].name))
            ug_die("%s: internal error: option --%s has no range (add it to OPT_RANGES in src/common/opts.c)",
                   command, specs[i].name);
    int* from_cli = ug_calloc((size_t)nspecs + 1, sizeof(int));
    char** positional = ug_calloc((size_t)argc + 1, sizeof(char*));
    int np = 0;
    const char* config = NULL;
    // Pass 1: command line.
    for (int i = 1; i < argc; i++) {
        char* a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(command, usage_line, description, specs);
            exit(0);
        }
        if (strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (a[0] == '-' && a[1] && strcmp(a, "-") != 0)
                ug_die("%s: unknown option '%s' (options are long: --name; see --help)", command, a);
            positional[np++] = a;
            continue;
        }
        char name[128];
        const char* value = NULL;
        const char* eq = strchr(a + 2, '=');
        if (eq) {
            snprintf(name, sizeof name, "%.*s", (int)(eq - a - 2), a + 2);
            value = eq + 1;
        } else {
            snprintf(name, sizeof name, "%s", a + 2);
        }
        if (strcmp(name, "config") == 0) {
            if (!value) { if (i + 1 >= argc) ug_die("%s: --config needs a FILE", command); value = argv[++i]; }
            config = value;
            continue;
        }
        OptSpec* s = find_spec(specs, name);
        if (!s && strncmp(name, "no-", 3) == 0 && (s = find_spec(specs, name + 3)) && s->type == OPT_FLAG) {
            *(int*)s->dest = 0;
            s->set = 1;
            from_cli[s - specs] = 1;
            continue;
        }
        if (!s) ug_die("%s: unknown option '--%s' (see 'ugradsl %s --help')", command, name, command);
        if (s->type != OPT_FLAG && !value) {
            if (i + 1 >= argc) ug_die("%s: option --%s needs a value (%s)", command, name, s->metavar ? s->metavar : "VALUE");
            value = argv[++i];
        }
        set_value(command, s, value ? value : "", "command line");
        from_cli[s - specs] = 1;
    }
    // Pass 2: config file, for options not given on the command line.
    if (config) {
        if (!ug_file_exists(config)) ug_die("%s: config file '%s' not found (check the path)", command, config);
        const char* method = NULL;
        OptSpec* m = find_spec(specs, "method");
        // The method may itself come from the config: apply once without method sections, then with them.
        apply_config(command, specs, config, NULL, from_cli);
        if (m && m->type == OPT_STR && *(char**)m->dest) method = *(char**)m->dest;
        if (method) apply_config(command, specs, config, method, from_cli);
    }
    positional[np] = NULL;
    *npos = np;
    *pos = positional;
    free(from_cli);
}
