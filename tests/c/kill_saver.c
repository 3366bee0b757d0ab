/* Trains and saves forever, alternating a model file and a checkpoint, so that the
 * crash-safety test can SIGKILL it at random moments while a save is in flight.
 * Usage: kill_saver MODEL_PATH CHECKPOINT_PATH [STEPS]  (STEPS: stop after that many
 * saves of each, exit 0; the test's final save that must clean up the leftovers). */
#include <bsnn.h>
#include <stdio.h>
#include <stdlib.h>

static void die(const char *what) {
    fprintf(stderr, "kill_saver: %s: %s\n", what, bsnn_last_error());
    exit(2);
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4) return 64;
    long steps = argc == 4 ? strtol(argv[3], NULL, 10) : -1;
    bsnn_activation *act = NULL;
    if (bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act) != BSNN_OK) die("activation");
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = 32;
    mc.width = 256;
    mc.depth = 24; /* ~6 MB per file: a save takes long enough to be interrupted */
    mc.outputs = 4;
    mc.activation = act;
    bsnn_model *model = NULL;
    if (bsnn_model_create(&mc, &model) != BSNN_OK) die("model");
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    tc.batch_size = 8;
    bsnn_trainer *trainer = NULL;
    if (bsnn_trainer_create(model, &tc, &trainer) != BSNN_OK) die("trainer");
    float x[8 * 32];
    int32_t y[8];
    for (int i = 0; i < 8 * 32; i++) x[i] = (float)((i * 37) % 11) / 11.0f - 0.5f;
    for (int i = 0; i < 8; i++) y[i] = i % 4;
    for (long step = 0; steps < 0 || step < steps; step++) {
        if (bsnn_trainer_step(trainer, x, 8 * 32, y, 8, NULL) != BSNN_OK) die("step");
        if (bsnn_model_save(model, argv[1]) != BSNN_OK) die("save model");
        if (bsnn_checkpoint_save(trainer, argv[2]) != BSNN_OK) die("save checkpoint");
        if (step == 0) {
            printf("ready\n");
            fflush(stdout);
        }
    }
    bsnn_trainer_free(trainer);
    bsnn_model_free(model);
    bsnn_activation_free(act);
    return 0;
}
