// method_help.c — `ugradsl unlearn --help` and the method section of docs/CLI.md, both from the registry rows.
#include <string.h>

#include "unlearn/registry.h"

static const OptSpec* spec_named(const OptSpec* specs, const char* name) {
    for (; specs->name; specs++)
        if (!strcmp(specs->name, name)) return specs;
    return NULL;
}

// "ugradsl, ugradsl+": the methods whose rows are the group g.
static void group_methods(FILE* f, const MethodOptionGroup* g) {
    int first = 1;
    for (int i = 0; i < method_count(); i++)
        if (method_def((MethodKind)i)->options == g) fprintf(f, "%s%s", first ? "" : ", ", method_def((MethodKind)i)->name), first = 0;
}

// Calls fn once per option group (each group once, in table order).
static int group_first_seen(int i) {
    const MethodOptionGroup* g = method_def((MethodKind)i)->options;
    if (!g) return 0;
    for (int j = 0; j < i; j++)
        if (method_def((MethodKind)j)->options == g) return 0;
    return 1;
}

void method_print_help(FILE* f, const char* usage_line, const char* description, const OptSpec* specs,
                       int n_common) {
    fprintf(f, "usage: ugradsl unlearn %s\n\n%s\n\noptions:\n", usage_line, description);
    for (int i = 0; i < n_common; i++) opts_print_option(f, &specs[i]);
    fprintf(f, "  %-28s %s\n", "--config FILE", "INI file; keys are option names (command line wins)");
    fprintf(f, "  %-28s %s\n", "--help", "show this help");
    fprintf(f, "  %-28s %s\n", "--help-markdown", "print the method section of docs/CLI.md (from the method registry)");
    for (int i = 0; i < method_count(); i++) {
        if (!group_first_seen(i)) continue;
        const MethodOptionGroup* g = method_def((MethodKind)i)->options;
        fprintf(f, "\noptions of ");
        group_methods(f, g);
        fprintf(f, ":\n");
        for (int r = 0; r < g->n; r++) {
            const OptSpec* s = spec_named(specs, g->rows[r].name);
            if (s) opts_print_option(f, s);
        }
    }
    fprintf(f, "\nmethods (--method NAME; [unlearn.NAME] sections apply to that method only):\n");
    for (int i = 0; i < method_count(); i++)
        fprintf(f, "  %-28s %s\n", method_def((MethodKind)i)->name, method_def((MethodKind)i)->summary);
}

// ---- markdown ----

static void md_text(FILE* f, const char* s) {   // a table cell: '|' escaped
    for (; *s; s++) {
        if (*s == '|') fputc('\\', f);
        fputc(*s, f);
    }
}

static const char* stream_text(const MethodDef* d) {
    switch (d->stream) {
    case STREAM_RETAIN: return "D_r";
    case STREAM_FORGET: return "D_f";
    case STREAM_PAIRED_BY_FORGET: return "B_r and B_f paired, an epoch is a pass over D_f";
    case STREAM_PAIRED_BY_RETAIN: return "B_r and B_f paired, an epoch is a pass over D_r";
    case STREAM_UNION_RELABELLED: return "D_r ∪ D_f, forget samples with a fixed random label";
    case STREAM_NONE: break;
    }
    return d->run ? "its own (see its runner)" : "none";
}

static const char* term_text(const MethodDef* d, int forget) {
    int sign = forget ? d->forget_sign : d->retain_sign;
    if (sign == 0) return "—";
    if (d->loss == LOSS_EQ8) return forget ? "ascent, weight 1-p, GLS(α)" : "descent, weight p";
    if (d->loss == LOSS_CE) return sign > 0 ? "descent (CE)" : "ascent (-CE)";
    return sign > 0 ? "descent (own step)" : "ascent (own step)";
}

static void md_default(FILE* f, const MethodOption* o) {
    if (o->parse || o->type == OPT_STR) fprintf(f, "%s", o->def_str ? o->def_str : "none");
    else if (o->type == OPT_INT) fprintf(f, "%d", (int)o->def_num);
    else fprintf(f, "%g", o->def_num);
}

void method_print_markdown(FILE* f) {
    fprintf(f, "### Methods\n\n");
    fprintf(f, "| `--method` | what it does | batches | retain term | forget term | runs in |\n");
    fprintf(f, "|---|---|---|---|---|---|\n");
    for (int i = 0; i < method_count(); i++) {
        const MethodDef* d = method_def((MethodKind)i);
        fprintf(f, "| `%s` | ", d->name);
        md_text(f, d->summary);
        fprintf(f, " | %s | %s | %s | %s |\n", stream_text(d), term_text(d, 0), term_text(d, 1),
                d->run ? "its own runner" : (d->stream == STREAM_NONE ? "`ugradsl train --on retain`" : "the generic loop"));
    }
    fprintf(f, "\n### Method options\n\n");
    fprintf(f, "Each block is read only by the methods it names; every option is accepted whatever the method,\n"
               "on the command line, in `[unlearn]` and in `[unlearn.METHOD]`.\n");
    for (int i = 0; i < method_count(); i++) {
        if (!group_first_seen(i)) continue;
        const MethodOptionGroup* g = method_def((MethodKind)i)->options;
        fprintf(f, "\n#### ");
        group_methods(f, g);
        fprintf(f, "\n\n| option | default | meaning |\n|---|---|---|\n");
        for (int r = 0; r < g->n; r++) {
            const MethodOption* o = &g->rows[r];
            fprintf(f, "| `--%s%s%s` | ", o->name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
            md_default(f, o);
            fprintf(f, " | ");
            md_text(f, o->help);
            fprintf(f, " |\n");
        }
    }
}
