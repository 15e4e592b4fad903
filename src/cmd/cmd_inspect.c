// cmd_inspect.c — placeholder until the owning issue lands; dies with a clear message.
#include "cmd/commands.h"
#include "common/util.h"
int cmd_inspect(int argc, char** argv) { (void)argc; (void)argv; ug_die("'inspect' is not implemented in this build yet"); }
