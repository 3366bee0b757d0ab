/* Test helper: the C door of the cross-door test (test_doors.py). With the library's
 * defaults only, builds a "gelu" network 6→12×3→3 with seed SEED, saves it to CREATED,
 * trains it on the label-first CSV with batch 8, lr 0.05 and seed SEED until 2 epochs are
 * completed, and saves it to TRAINED. BLAS runs on one thread.
 *   doors CSV SEED CREATED TRAINED */
#include <bsnn.h>
#include <stdio.h>
#include <stdlib.h>

#define TRY(call) do { if ((call) != BSNN_OK) { fprintf(stderr, "%s: %s\n", #call, bsnn_last_error()); return 1; } } while (0)

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: doors CSV SEED CREATED TRAINED\n");
        return 2;
    }
    unsigned long long seed = strtoull(argv[2], NULL, 10);
    bsnn_activation *act = NULL;
    bsnn_dataset *data = NULL;
    bsnn_model *model = NULL;
    bsnn_trainer *trainer = NULL;
    TRY(bsnn_blas_set_threads(1));
    TRY(bsnn_dataset_load_csv(argv[1], NULL, &data));
    TRY(bsnn_activation_create_builtin("gelu", NULL, NULL, 0, &act));
    bsnn_model_config mc;
    TRY(bsnn_model_config_init_defaults(&mc, sizeof mc));
    mc.inputs = 6; mc.width = 12; mc.depth = 3; mc.outputs = 3;
    mc.activation = act; mc.seed = seed;
    TRY(bsnn_model_create(&mc, &model));
    TRY(bsnn_model_save(model, argv[3]));
    bsnn_training_config tc;
    TRY(bsnn_training_config_init_defaults(&tc, sizeof tc));
    tc.batch_size = 8; tc.learning_rate = 0.05; tc.seed = seed;
    TRY(bsnn_trainer_create(model, &tc, &trainer));
    TRY(bsnn_trainer_fit(trainer, data, NULL, 2, NULL, NULL));
    TRY(bsnn_model_save(model, argv[4]));
    bsnn_trainer_free(trainer);
    bsnn_model_free(model);
    bsnn_dataset_free(data);
    bsnn_activation_free(act);
    return 0;
}
