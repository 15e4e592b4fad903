#include "common/opts.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

const char* const UG_COMMANDS[] = {"pack", "split", "inspect", "train", "unlearn", "eval", "report", "sweep", NULL};

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
        if (errno || end == value || *end || v < -2147483647L || v > 2147483647L)
            ug_die("%s: option --%s expects an integer, got '%s' (%s)", command, s->name, value, where);
        *(int*)s->dest = (int)v;
        break;
    }
    case OPT_INT64: {
        long long v = strtoll(value, &end, 10);
        if (errno || end == value || *end)
            ug_die("%s: option --%s expects an integer, got '%s' (%s)", command, s->name, value, where);
        *(int64_t*)s->dest = (int64_t)v;
        break;
    }
    case OPT_DOUBLE: {
        double v = strtod(value, &end);
        if (errno || end == value || *end)
            ug_die("%s: option --%s expects a number, got '%s' (%s)", command, s->name, value, where);
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
    for (char* line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lineno++;
        char* s = trim(line);
        if (!*s || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            char* close = strchr(s, ']');
            if (!close) ug_die("%s: config '%s' line %d: section header without ']'", command, path, lineno);
            *close = 0;
            snprintf(section, sizeof section, "%s", trim(s + 1));
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
    free(text);
}

static void print_help(const char* command, const char* usage_line, const char* description, OptSpec* specs) {
    printf("usage: ugradsl %s %s\n\n%s\n\noptions:\n", command, usage_line, description);
    for (OptSpec* s = specs; s->name; s++) {
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
        printf("  %-28s %s%s\n", left, s->help, def);
    }
    printf("  %-28s %s\n", "--config FILE", "INI file; keys are option names (command line wins)");
    printf("  %-28s %s\n", "--help", "show this help");
}

void opts_parse(const char* command, const char* usage_line, const char* description,
                OptSpec* specs, int argc, char** argv, int* npos, char*** pos) {
    int nspecs = 0;
    while (specs[nspecs].name) nspecs++;
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
