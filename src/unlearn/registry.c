// registry.c — the table of method rows (method_list.h), lookups, validation and the option rows.
#include "unlearn/registry.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

#define METHOD_ROW(KIND, DEF) extern const MethodDef DEF;
#include "unlearn/method_list.h"
#undef METHOD_ROW

// Indexed by MethodKind: the enum and this table come from the same list.
static const MethodDef* const METHODS[] = {
#define METHOD_ROW(KIND, DEF) [KIND] = &DEF,
#include "unlearn/method_list.h"
#undef METHOD_ROW
};

int method_count(void) { return METHOD_COUNT; }

const MethodDef* method_def(MethodKind k) {
    UG_CHECK((int)k >= 0 && k < METHOD_COUNT && METHODS[k]->kind == k, "unlearn: no method of kind %d", (int)k);
    return METHODS[k];
}

const MethodDef* method_def_of(const UnlearnConfig* c) { return method_def(c->method); }

const MethodDef* method_find(const char* name) {
    for (int i = 0; i < METHOD_COUNT; i++)
        if (!strcmp(METHODS[i]->name, name)) return METHODS[i];
    return NULL;
}

static const char* joined(char* buf, size_t cap, const char* sep) {
    if (buf[0]) return buf;
    size_t len = 0;
    for (int i = 0; i < METHOD_COUNT; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? sep : "", METHODS[i]->name);
    UG_CHECK(len < cap, "unlearn: the method names do not fit %zu characters", cap);
    return buf;
}

const char* method_names(void) {
    static char buf[512];
    return joined(buf, sizeof buf, ", ");
}

const char* method_choices(void) {
    static char buf[512];
    return joined(buf, sizeof buf, " | ");
}

int method_descends(MethodKind k) {
    const MethodDef* d = method_def(k);
    return d->loss == LOSS_CE && d->retain_sign >= 0 && d->forget_sign >= 0;
}

int method_forget_only(MethodKind k) { return method_def(k)->stream == STREAM_FORGET; }

void unlearn_config_validate(const UnlearnConfig* c, int num_classes) {
    UG_CHECK(c->epochs >= 1, "unlearn: --epochs must be >= 1 (got %d)", c->epochs);
    UG_CHECK(c->lr > 0 && isfinite(c->lr), "unlearn: --lr must be a positive number (got %g)", c->lr);
    UG_CHECK(c->batch >= 1, "unlearn: --batch must be >= 1 (got %d)", c->batch);
    // The Eq. 8 options are checked whatever the method (as ever): a bad value in [unlearn] is caught by any run.
    UG_CHECK(c->p >= 0 && c->p <= 1, "unlearn: --p must be in [0, 1] (got %g): it weighs descent on D_r against "
             "ascent on D_f", c->p);
    UG_CHECK(isnan(c->alpha) || c->alpha <= 1, "unlearn: --alpha must be <= 1 (got %g); negative values are "
             "negative label smoothing", c->alpha);
    UG_CHECK(c->beta >= 0 && c->beta <= 1, "unlearn: --beta (distance threshold) must be in [0, 1] (got %g)", c->beta);
    UG_CHECK(c->alpha_scale > 0, "unlearn: --alpha-scale must be > 0 (got %g)", c->alpha_scale);
    UG_CHECK(num_classes >= 2, "unlearn: the model has %d classes; need at least 2", num_classes);
    const MethodDef* d = method_def_of(c);
    if (d->validate) d->validate(c);
}

// ---- option rows ----

// Each group once, in table order: the groups that an earlier method already listed are skipped.
static int group_is_new(int i) {
    const MethodOptionGroup* g = METHODS[i]->options;
    if (!g) return 0;
    for (int j = 0; j < i; j++)
        if (METHODS[j]->options == g) return 0;
    return 1;
}

int method_options_total(void) {
    int n = 0;
    for (int i = 0; i < METHOD_COUNT; i++)
        if (group_is_new(i)) n += METHODS[i]->options->n;
    return n;
}

void method_options_defaults(UnlearnConfig* c) {
    for (int i = 0; i < METHOD_COUNT; i++) {
        if (!group_is_new(i)) continue;
        for (int r = 0; r < METHODS[i]->options->n; r++) {
            const MethodOption* o = &METHODS[i]->options->rows[r];
            void* field = (char*)c + o->offset;
            if (o->parse) UG_CHECK(o->parse(o->def_str, field), "unlearn: bad default '%s' of --%s", o->def_str, o->name);
            else if (o->type == OPT_INT) *(int*)field = (int)o->def_num;
            else if (o->type == OPT_DOUBLE) *(double*)field = o->def_num;
            else if (o->type == OPT_STR) *(char**)field = o->def_str ? ug_strdup(o->def_str) : NULL;
            else ug_die("unlearn: option --%s has a type the method rows do not support", o->name);
        }
    }
}

// The row behind spec j of method_options_specs (same walk).
static const MethodOption* row_at(int j) {
    for (int i = 0; i < METHOD_COUNT; i++) {
        if (!group_is_new(i)) continue;
        if (j < METHODS[i]->options->n) return &METHODS[i]->options->rows[j];
        j -= METHODS[i]->options->n;
    }
    return NULL;
}

int method_options_specs(UnlearnConfig* c, OptSpec* out, char** text, int cap) {
    int n = method_options_total();
    UG_CHECK(n <= cap, "unlearn: %d method options, room for %d", n, cap);
    for (int j = 0; j < n; j++) {
        const MethodOption* o = row_at(j);
        void* dest = (char*)c + o->offset;
        if (o->parse) {
            text[j] = ug_strdup(o->def_str);
            dest = &text[j];
        }
        out[j] = (OptSpec){o->name, o->parse ? OPT_STR : o->type, dest, o->metavar, o->help, 0};
    }
    return n;
}

void method_options_finish(UnlearnConfig* c, char** text) {
    for (int j = 0, n = method_options_total(); j < n; j++) {
        const MethodOption* o = row_at(j);
        if (!o->parse) continue;
        UG_CHECK(o->parse(text[j], (char*)c + o->offset), "unlearn: --%s must be %s (got '%s')", o->name, o->choices,
                 text[j]);
    }
}
