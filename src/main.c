// ugradsl — machine unlearning with gradient ascent and negative label smoothing (UGradSL / UGradSL+).
// One program, subcommands; each has --help.
#include <stdio.h>
#include <string.h>

#include "cmd/commands.h"
#include "common/opts.h"
#include "common/util.h"
#include "dist/dist.h"
#include "train/trainer.h"
#include "unlearn/registry.h"

typedef struct {
    const char* name;
    int (*run)(int argc, char** argv);
    const char* summary;
} Command;

static const Command COMMANDS[] = {
    {"pack", cmd_pack, "pack an image folder, CIFAR binaries or the digits CSV into one HDF5 dataset"},
    {"split", cmd_split, "make forget/retain split files (class-wise, random, group, identity) and the val hold-out"},
    {"inspect", cmd_inspect, "show what an HDF5 dataset, split or checkpoint file holds"},
    {"train", cmd_train, "train the original model, or Retrain on the retain set"},
    {"unlearn", cmd_unlearn, "run an unlearning method (ugradsl, ugradsl+, ga, ft, rl, retrain, ...)"},
    {"eval", cmd_eval, "UA / RA / TA / MIA of a model on a split; writes metrics.json"},
    {"report", cmd_report, "gather metrics.json files into the paper's table (Markdown, CSV, JSON, PNG)"},
    {"ulira", cmd_ulira, "U-LiRA: plan shadow splits, then the likelihood-ratio test of unlearned shadows"},
    {NULL, NULL, NULL},
};

// The [unlearn.METHOD] section names of config files, from the method registry (opts_register_sections).
static void register_config_sections(void) {
    static char names[64][80];
    static const char* list[65];
    int n = 0;
    for (int i = 0; i < method_count() && n < 64; i++) {
        snprintf(names[n], sizeof names[n], "unlearn.%s", method_def((MethodKind)i)->name);
        list[n] = names[n];
        n++;
    }
    list[n] = NULL;
    opts_register_sections(list);
}

static void usage(FILE* f) {
    fprintf(f, "usage: ugradsl <command> [options]   (ugradsl <command> --help for its options)\n\ncommands:\n");
    for (const Command* c = COMMANDS; c->name; c++) fprintf(f, "  %-9s %s\n", c->name, c->summary);
}

int main(int argc, char** argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    for (const Command* c = COMMANDS; c->name; c++) {
        if (strcmp(argv[1], c->name) != 0) continue;
        // The commands that checkpoint or stop cleanly on SIGTERM / SIGUSR1 catch them from the very start: a
        // signal during start-up (MPI, data, model) is then a stop request seen at the first step, never the
        // default action (death with exit 128+N).  The other commands keep the default (die at once).
        if (!strcmp(c->name, "train") || !strcmp(c->name, "unlearn")) trainer_install_signal_handlers();
        register_config_sections();
        ug_hdf5_errors_init();   // one-line HDF5 errors (H5_CHECK); the stack only with UG_DEBUG_HDF5=1
        dist_init(&argc, &argv);
        int rc = c->run(argc - 1, argv + 1);
        dist_finalize();
        return rc;
    }
    fprintf(stderr, "ugradsl: error: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
