// cmd_split.c — placeholder until the owning issue lands; dies with a clear message.
#include "cmd/commands.h"
#include "common/util.h"
int cmd_split(int argc, char** argv) { (void)argc; (void)argv; ug_die("'split' is not implemented in this build yet"); }
