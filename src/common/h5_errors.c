// h5_errors.c — one-line causes for failed HDF5 calls (H5_CHECK in util.h): the call, the innermost HDF5 error
// and errno's text; HDF5's own stack only with UG_DEBUG_HDF5=1.  Apart from util.c so that code without HDF5
// (the GPU tests' standalone build, make gpu-standalone) links util.c alone.
#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"

static int hdf5_debug(void) {
    const char* v = getenv("UG_DEBUG_HDF5");
    return v && *v && strcmp(v, "0") != 0;
}

void ug_hdf5_errors_init(void) {
    if (!hdf5_debug()) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

// The innermost error of the HDF5 stack (the one nearest the system call): its text often carries the errno.
static herr_t innermost_error(unsigned n, const H5E_error2_t* e, void* out) {
    if (n == 0 && e->desc) snprintf(out, 256, "%s", e->desc);
    return 0;
}

void ug_h5_die(const char* file, int line, const char* expr) {
    int err = errno;   // H5_CHECK cleared it before the call: set now, it is this call's system cause
    char inner[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, innermost_error, inner);
    if (hdf5_debug()) H5Eprint2(H5E_DEFAULT, stderr);
    char cause[400] = "";
    if (err && !strstr(inner, strerror(err)))
        snprintf(cause, sizeof cause, "%s%s%s", inner, *inner ? ": " : "", strerror(err));
    else
        snprintf(cause, sizeof cause, "%s", *inner ? inner : "no detail");
    ug_die_at(file, line, "HDF5 call failed: %s: %s%s", expr, cause,
              hdf5_debug() ? " (HDF5 error stack above)" : " (UG_DEBUG_HDF5=1 prints the HDF5 error stack)");
}
