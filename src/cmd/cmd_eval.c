// cmd_eval.c — placeholder until the owning issue lands; dies with a clear message.
#include "cmd/commands.h"
#include "common/util.h"
int cmd_eval(int argc, char** argv) { (void)argc; (void)argv; ug_die("'eval' is not implemented in this build yet"); }
