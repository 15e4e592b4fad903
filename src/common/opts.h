// opts.h — long options, INI config files, --help.
// Each command declares a table of options.  Values come from, in increasing priority:
//   the default already stored in the destination, the config file (--config FILE), the command line.
// Config files are INI: keys equal option names (without --).  A key applies to command C when it is in
// a section named [C], or in a shared section ([data], [model], [common]).  Sections named after another command
// are ignored.  [C.M] applies when the command's --method equals M.  Typos are errors: a key of an applicable
// section that the command does not know; a key given twice in one section; a section that is none of a command,
// a shared section, a registered [C.M] (opts_register_sections) or [sweep.*] (the job scripts' grids) — with the
// nearest known name.  Every numeric option has a checked range (OPT_RANGES in opts.c, by option name; a numeric
// option without one is an internal error); an integer too large for its type is "out of range".
#pragma once
#include <stdint.h>
#include <stdio.h>

#include "common/json.h"

typedef enum { OPT_STR, OPT_INT, OPT_INT64, OPT_DOUBLE, OPT_FLAG } OptType;

typedef struct {
    const char* name;      // long option name without "--"
    OptType type;
    void* dest;            // char** for OPT_STR (strdup'd), int*, int64_t*, double*, int* for OPT_FLAG
    const char* metavar;   // e.g. "FILE"; NULL for flags
    const char* help;
    int set;               // output: 1 when given on the command line or in the config
} OptSpec;

// Parses argv (argv[0] is the command name).  Positional arguments are returned in *pos (NULL-terminated,
// count in *npos).  --help prints usage (with defaults) and exits 0.  Errors die with a one-line message.
void opts_parse(const char* command, const char* usage_line, const char* description,
                OptSpec* specs, int argc, char** argv, int* npos, char*** pos);

// Writes every option's effective value (default, config or command line) as the JSON object `key`: strings (null
// when unset), numbers, flags as booleans.  What exactly produced a run, beside the config text.
void opts_write_json(JsonWriter* j, const char* key, const OptSpec* specs);

// Sets option `name` from text as `--name value` on the command line would (same parsing and errors, marks it
// set).  For a command that runs another's options table with some values fixed (Retrain runs train's recipe).
void opts_set(const char* command, OptSpec* specs, const char* name, const char* value);

// One line of --help for option s (name, metavar, help, the default now in its destination).
void opts_print_option(FILE* f, const OptSpec* s);

// True when option `name` was set by config or command line.
int opts_was_set(const OptSpec* specs, const char* name);

// The valid [command.NAME] sections (NULL-terminated, e.g. "unlearn.ga"; kept, not copied): registered by the
// program at start from the method registry, so that common/ needs no unlearn header.  Unregistered: not checked.
void opts_register_sections(const char* const* names);
// 1 when the numeric option `name` has a checked range.
int opts_has_range(const char* name);

// The names of all subcommands (used to decide which INI sections are "shared").
extern const char* const UG_COMMANDS[];
