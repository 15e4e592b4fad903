// commands.h — entry points of the subcommands.  argv[0] is the command name.  Return the exit code.
#pragma once
int cmd_pack(int argc, char** argv);
int cmd_split(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_train(int argc, char** argv);
int cmd_unlearn(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_report(int argc, char** argv);
int cmd_ulira(int argc, char** argv);
