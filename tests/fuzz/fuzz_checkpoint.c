// fuzz_checkpoint — the checkpoint reader (train/checkpoint.c): checkpoint_is_valid, checkpoint_read_config,
// checkpoint_read_config_text, and checkpoint_load (model, optimizer, state; checksum) into the model of the
// seed corpus's config.  A fuzzed config that names another model is only read, not built: building a model of
// any size the file asks for is model_create's job, not the reader's, and would make the campaign allocate GiBs.
#include "fuzz_common.h"
#include "nn/model.h"
#include "nn/optim.h"
#include "train/checkpoint.h"

#define MAX_MODELS 4
static ModelConfig configs[MAX_MODELS];
static Model* models[MAX_MODELS];
static Sgd opts[MAX_MODELS];
static int num_models;

// The models of the seed checkpoints are built once, before fuzzing (UG_FUZZ_CKPT_SEEDS: the corpus folder).
int LLVMFuzzerInitialize(int* argc, char*** argv) {
    fuzz_init_mpi_hdf5();
    const char* seeds[] = {"tests/fuzz/corpus/checkpoint/checkpoint.h5", "tests/fuzz/corpus/checkpoint/model.h5"};
    for (int i = 0; i < 2 && num_models < MAX_MODELS; i++) {
        if (access(seeds[i], R_OK) != 0) continue;
        ModelConfig c;
        memset(&c, 0, sizeof c);
        checkpoint_read_config(seeds[i], &c);
        int known = 0;
        for (int k = 0; k < num_models; k++) known |= model_config_equal(&c, &configs[k]);
        if (known) continue;
        configs[num_models] = c;
        models[num_models] = model_create(&c, BACKEND_REF);
        SgdConfig sc = {.momentum = 0.9, .weight_decay = 0, .nesterov = 0};
        sgd_init(&opts[num_models], &sc, models[num_models]->num_params);
        num_models++;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const char* path = fuzz_write_temp(data, size, ".h5");
    (void)FUZZ_RUN_OR_REJECT((void)checkpoint_is_valid(path));
    fuzz_h5_close_all();
    ModelConfig c;
    memset(&c, 0, sizeof c);
    int died = FUZZ_RUN_OR_REJECT(checkpoint_read_config(path, &c));
    fuzz_h5_close_all();
    if (!died) {
        FUZZ_RUN_OR_REJECT(free(checkpoint_read_config_text(path)));
        fuzz_h5_close_all();
        for (int k = 0; k < num_models; k++) {
            if (!model_config_equal(&c, &configs[k])) continue;
            TrainState st;
            int with_opt = size & 1;   // with and without the optimizer buffer
            FUZZ_RUN_OR_REJECT(checkpoint_load(path, models[k], with_opt ? &opts[k] : NULL, &st));
            fuzz_h5_close_all();
        }
    }
    unlink(path);
    return 0;
}
