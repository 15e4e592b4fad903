// cmd_train.c — placeholder until the owning issue lands; dies with a clear message.
#include "cmd/commands.h"
#include "common/util.h"
int cmd_train(int argc, char** argv) { (void)argc; (void)argv; ug_die("'train' is not implemented in this build yet"); }
