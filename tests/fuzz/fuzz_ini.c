// fuzz_ini — the INI config parser (common/opts.c) through opts_parse("--config FILE"), as every command reads it
// (the parser reads a file, so the input is written to a temp file).  The option table has the keys of inputs/*.ini
// with their types, so the seeds are accepted and values go through every conversion.  Odd-sized inputs give
// --method on the command line, even-sized ones let the config choose it ([unlearn.M] sections either way).
#include "common/opts.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const char* path = fuzz_write_temp(data, size, ".ini");
    char* strs[16] = {0};
    int ints[16] = {0}, flags[4] = {0};
    int64_t seed = 0;
    double nums[16] = {0};
    OptSpec specs[] = {
        {"data", OPT_STR, &strs[0], "FILE", "", 0},       {"method", OPT_STR, &strs[1], "NAME", "", 0},
        {"grid", OPT_STR, &strs[2], "G", "", 0},          {"args", OPT_STR, &strs[3], "A", "", 0},
        {"lr-schedule", OPT_STR, &strs[4], "S", "", 0},   {"arch", OPT_STR, &strs[5], "A", "", 0},
        {"paradigm", OPT_STR, &strs[6], "P", "", 0},      {"input", OPT_STR, &strs[7], "I", "", 0},
        {"from", OPT_STR, &strs[8], "F", "", 0},          {"device", OPT_STR, &strs[9], "D", "", 0},
        {"classes", OPT_STR, &strs[10], "C", "", 0},      {"mode", OPT_STR, &strs[11], "M", "", 0},
        {"milestones", OPT_STR, &strs[12], "M", "", 0},
        {"epochs", OPT_INT, &ints[0], "N", "", 0},        {"batch", OPT_INT, &ints[1], "N", "", 0},
        {"eval-every", OPT_INT, &ints[2], "N", "", 0},    {"warmup-epochs", OPT_INT, &ints[3], "N", "", 0},
        {"k", OPT_INT, &ints[4], "N", "", 0},             {"checkpoint-every", OPT_INT, &ints[5], "N", "", 0},
        {"width", OPT_INT, &ints[6], "N", "", 0},         {"scrub-max-epochs", OPT_INT, &ints[7], "N", "", 0},
        {"iu-samples", OPT_INT, &ints[8], "N", "", 0},    {"eval-batch", OPT_INT, &ints[9], "N", "", 0},
        {"checkpoint-every-steps", OPT_INT, &ints[10], "N", "", 0},
        {"seed", OPT_INT64, &seed, "N", "", 0},
        {"lr", OPT_DOUBLE, &nums[0], "X", "", 0},         {"weight-decay", OPT_DOUBLE, &nums[1], "X", "", 0},
        {"momentum", OPT_DOUBLE, &nums[2], "X", "", 0},   {"p", OPT_DOUBLE, &nums[3], "X", "", 0},
        {"alpha", OPT_DOUBLE, &nums[4], "X", "", 0},      {"val-fraction", OPT_DOUBLE, &nums[5], "X", "", 0},
        {"mask-fraction", OPT_DOUBLE, &nums[6], "X", "", 0}, {"l1-alpha", OPT_DOUBLE, &nums[7], "X", "", 0},
        {"iu-scale", OPT_DOUBLE, &nums[8], "X", "", 0},   {"fraction", OPT_DOUBLE, &nums[9], "X", "", 0},
        {"gamma", OPT_DOUBLE, &nums[10], "X", "", 0},
        {"augment", OPT_STR, &strs[13], "A", "", 0},     {"imagenet-stem", OPT_FLAG, &flags[1], NULL, "", 0},
        {"resume", OPT_FLAG, &flags[2], NULL, "", 0},
        {0},
    };
    char* with_method[] = {"unlearn", "--method", "ugradsl", "--config", (char*)path, NULL};
    char* without[] = {"unlearn", "--config", (char*)path, NULL};
    int npos = 0;
    char** pos = NULL;
    if (size & 1) FUZZ_RUN_OR_REJECT(opts_parse("unlearn", "[options]", "fuzz", specs, 5, with_method, &npos, &pos));
    else FUZZ_RUN_OR_REJECT(opts_parse("unlearn", "[options]", "fuzz", specs, 3, without, &npos, &pos));
    for (int i = 0; i < 16; i++) free(strs[i]);
    free(pos);
    unlink(path);
    return 0;
}
