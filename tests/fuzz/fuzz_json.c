// fuzz_json — the strict JSON reader (metrics/json_read.c) that `report` uses on metrics.json files.
#include "fuzz_common.h"
#include "metrics/json_read.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    char* text = malloc(size + 1);   // jv_parse takes a NUL-terminated string, as read by ug_read_file
    memcpy(text, data, size);
    text[size] = 0;
    Jv root;
    char err[256];
    int died = FUZZ_RUN_OR_REJECT({
        if (jv_parse(text, &root, err, sizeof err)) {
            (void)jv_path(&root, "timing.rte_s");
            (void)jv_path(&root, "metrics.test_acc");
            jv_free(&root);
        }
    });
    (void)died;
    free(text);
    return 0;
}
