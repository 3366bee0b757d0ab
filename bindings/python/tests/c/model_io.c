/* Test helper: the C side of the Python ↔ C model-file round trips.
 *   model_io predict MODEL IN OUT   reads count×inputs float32 from IN, writes logits to OUT
 *   model_io create MODEL           creates a tanh-GPN 784→32×3→10 model (seed 7), saves it */
#include <bsnn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(call) do { if ((call) != BSNN_OK) { fprintf(stderr, "%s: %s\n", #call, bsnn_last_error()); return 1; } } while (0)

static int create(const char *path) {
    bsnn_activation *act = NULL;
    bsnn_model *model = NULL;
    TRY(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = 784; mc.width = 32; mc.depth = 3; mc.outputs = 10;
    mc.activation = act; mc.seed = 7;
    TRY(bsnn_model_create(&mc, &model));
    TRY(bsnn_model_save(model, path));
    bsnn_model_free(model);
    bsnn_activation_free(act);
    return 0;
}

static int predict(const char *path, const char *in, const char *out) {
    bsnn_model *model = NULL;
    TRY(bsnn_model_load(path, 0, &model));
    bsnn_model_info info;
    TRY(bsnn_model_info_get(model, &info));
    FILE *f = fopen(in, "rb");
    if (!f) return 1;
    fseek(f, 0, SEEK_END);
    size_t bytes = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    size_t nf = bytes / sizeof(float), count = nf / info.inputs, no = count * info.outputs;
    float *x = malloc(nf * sizeof(float)), *y = malloc(no * sizeof(float));
    if (!x || !y || fread(x, sizeof(float), nf, f) != nf) return 1;
    fclose(f);
    TRY(bsnn_model_predict(model, x, nf, count, y, no));
    f = fopen(out, "wb");
    if (!f || fwrite(y, sizeof(float), no, f) != no) return 1;
    fclose(f);
    free(x); free(y);
    bsnn_model_free(model);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "create") == 0) return create(argv[2]);
    if (argc == 5 && strcmp(argv[1], "predict") == 0) return predict(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: model_io create MODEL | predict MODEL IN OUT\n");
    return 2;
}
