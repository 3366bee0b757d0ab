/* Trains with an activation from a plugin (examples/plugins/softclip.c): lists the
 * plugin's activations and parameters, normalizes softclip(c = 2) and fits a small
 * synthetic two-class problem. Usage: plugin_train path/to/libsoftclip.so */
#include <bsnn.h>
#include <stdio.h>

#define TRY(call) do { if ((call) != BSNN_OK) { fprintf(stderr, "plugin_train: %s: %s\n", #call, bsnn_last_error()); return 1; } } while (0)

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: plugin_train libsoftclip.so\n"); return 2; }
    bsnn_plugin *plugin = NULL;
    bsnn_activation *act = NULL;
    bsnn_model *model = NULL;
    bsnn_trainer *trainer = NULL;
    char name[64];
    size_t len = 0, count = 0;
    TRY(bsnn_plugin_load(argv[1], &plugin));
    TRY(bsnn_plugin_name(plugin, name, sizeof name, &len));
    TRY(bsnn_plugin_activation_count(plugin, &count));
    printf("plugin '%s' with %zu activation(s)\n", name, count);
    for (size_t i = 0; i < count; i++) {
        size_t np = 0;
        TRY(bsnn_plugin_activation_name(plugin, i, name, sizeof name, &len));
        TRY(bsnn_plugin_param_count(plugin, i, &np));
        printf("  %s:", name);
        for (size_t j = 0; j < np; j++) {
            double def = 0;
            TRY(bsnn_plugin_param(plugin, i, j, name, sizeof name, &len, &def));
            printf(" %s = %g", name, def);
        }
        printf("\n");
    }
    const char *pn[] = {"c"};
    const double pv[] = {2.0};
    TRY(bsnn_plugin_create_activation(plugin, "softclip", pn, pv, 1, &act));
    bsnn_plugin_free(plugin); /* the activation keeps the library loaded */

    enum { N = 256, D = 8 };
    float x[N * D];
    int32_t y[N];
    unsigned s = 12345;
    for (int i = 0; i < N; i++) {
        float sum = 0;
        for (int j = 0; j < D; j++) {
            s = s * 1103515245u + 12345u;
            x[i * D + j] = ((float)((s >> 8) & 0xFFFF) / 65535.0f) * 2 - 1;
            sum += x[i * D + j] * (j % 2 ? 1.0f : -0.5f);
        }
        y[i] = sum > 0;
    }
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = D; mc.width = 32; mc.depth = 4; mc.outputs = 2; mc.activation = act; mc.seed = 3;
    TRY(bsnn_model_create(&mc, &model));
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    tc.batch_size = 32; tc.learning_rate = 0.05;
    TRY(bsnn_trainer_create(model, &tc, &trainer));
    bsnn_step_result before, after;
    TRY(bsnn_trainer_step(trainer, x, N * D, y, N, &before));
    TRY(bsnn_trainer_fit_arrays(trainer, x, N * D, y, N, NULL, 0, NULL, 0, 20, NULL, NULL));
    TRY(bsnn_trainer_step(trainer, x, N * D, y, N, &after));
    printf("softclip-GPN: loss %.4f -> %.4f, accuracy %.3f\n", before.loss, after.loss, (double)after.correct / N);
    bsnn_trainer_free(trainer);
    bsnn_model_free(model);
    bsnn_activation_free(act);
    return after.loss < before.loss && after.correct > N * 8 / 10 ? 0 : 1;
}
