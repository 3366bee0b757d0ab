/* In-memory model files and checkpoints: bsnn_model_save_buffer gives exactly the bytes
 * bsnn_model_save writes, bsnn_model_load_buffer validates them as bsnn_model_load does
 * (checksum, flags), and a checkpoint copied through memory resumes bit for bit.
 * Usage: test_buffers */
#include <bsnn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect.h"

enum { N = 40, D = 5, K = 3 };

static size_t file_bytes(const char *path, unsigned char **out) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    *out = malloc((size_t)n);
    size_t got = fread(*out, 1, (size_t)n, f);
    fclose(f);
    return got;
}

static int same_weights(const bsnn_model *a, const bsnn_model *b) {
    bsnn_model_info info;
    if (bsnn_model_info_get(a, &info) != BSNN_OK) return 0;
    for (size_t l = 0; l < info.layer_count; l++) {
        size_t o = 0, i = 0;
        bsnn_model_layer_shape(a, l, &o, &i);
        float *wa = malloc(o * i * sizeof *wa), *wb = malloc(o * i * sizeof *wb);
        int equal = bsnn_model_get_weights(a, l, wa, o * i) == BSNN_OK &&
                    bsnn_model_get_weights(b, l, wb, o * i) == BSNN_OK && memcmp(wa, wb, o * i * sizeof *wa) == 0;
        free(wa);
        free(wb);
        if (!equal) return 0;
    }
    return 1;
}

int main(void) {
    char dir[] = "/tmp/bsnn-buffers-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char path[64], ckpt[64];
    snprintf(path, sizeof path, "%s/m.bsnn", dir);
    snprintf(ckpt, sizeof ckpt, "%s/c.ckpt", dir);

    float x[N * D];
    int32_t y[N];
    for (int i = 0; i < N; i++) {
        y[i] = i % K;
        for (int j = 0; j < D; j++) x[i * D + j] = (float)((i * 7 + j * 3) % 11) / 11.0f + (j == y[i] ? 1.0f : 0.0f);
    }
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    bsnn_model_config mc;
    OK(bsnn_model_config_init_defaults(&mc, sizeof mc));
    mc.inputs = D, mc.width = 8, mc.depth = 2, mc.outputs = K, mc.activation = act, mc.seed = 3;
    bsnn_model *model = NULL;
    OK(bsnn_model_create(&mc, &model));

    /* the buffer is the file */
    void *data = NULL;
    size_t size = 0;
    OK(bsnn_model_save_buffer(model, &data, &size));
    OK(bsnn_model_save(model, path));
    unsigned char *file = NULL;
    size_t file_size = file_bytes(path, &file);
    TRUE(size > 8 && size == file_size && memcmp(data, file, size) == 0);
    free(file);

    /* read back: a new, independent model with the same weights and outputs */
    bsnn_model *copy = NULL;
    OK(bsnn_model_load_buffer(data, size, 0, &copy));
    TRUE(copy != NULL && copy != model && same_weights(model, copy));
    float out_a[N * K], out_b[N * K];
    OK(bsnn_model_predict(model, x, N * D, N, out_a, N * K));
    OK(bsnn_model_predict(copy, x, N * D, N, out_b, N * K));
    TRUE(memcmp(out_a, out_b, sizeof out_a) == 0);

    /* validated as a file: one flipped weight bit, truncation, bad flags, NULLs */
    unsigned char *damaged = malloc(size);
    memcpy(damaged, data, size);
    damaged[size - 3] ^= 0x08;
    bsnn_model *bad = NULL;
    EXPECT(bsnn_model_load_buffer(damaged, size, 0, &bad), BSNN_E_FORMAT, "checksum");
    EXPECT(bsnn_model_load_buffer(damaged, size, BSNN_LOAD_UNVERIFIED, &bad), BSNN_E_FORMAT, "checksum");
    EXPECT(bsnn_model_load_buffer(data, size / 2, 0, &bad), BSNN_E_FORMAT, "model buffer");
    EXPECT(bsnn_model_load_buffer(data, size, 8, &bad), BSNN_E_INVALID_ARGUMENT, "flags");
    EXPECT(bsnn_model_load_buffer(NULL, size, 0, &bad), BSNN_E_INVALID_ARGUMENT, "data");
    EXPECT(bsnn_model_load_buffer(data, size, 0, NULL), BSNN_E_INVALID_ARGUMENT, "out");
    EXPECT(bsnn_model_save_buffer(model, NULL, &size), BSNN_E_INVALID_ARGUMENT, "out_data");
    EXPECT(bsnn_model_save_buffer(model, &data, NULL), BSNN_E_INVALID_ARGUMENT, "out_size");
    EXPECT(bsnn_model_save_buffer(NULL, &data, &size), BSNN_E_INVALID_ARGUMENT, "model");
    TRUE(bad == NULL);
    free(damaged);
    bsnn_buffer_free(data);
    bsnn_buffer_free(NULL);

    /* a trainer copied through memory resumes exactly as the original goes on */
    bsnn_training_config tc;
    OK(bsnn_training_config_init_defaults(&tc, sizeof tc));
    tc.batch_size = 8, tc.optimizer = BSNN_OPTIMIZER_ADAM, tc.learning_rate = 0.01, tc.seed = 5;
    bsnn_trainer *trainer = NULL, *resumed = NULL;
    OK(bsnn_trainer_create(model, &tc, &trainer));
    OK(bsnn_trainer_fit_arrays(trainer, x, N * D, y, N, NULL, 0, NULL, 0, 1, NULL, NULL));
    OK(bsnn_checkpoint_save_buffer(trainer, &data, &size));
    OK(bsnn_checkpoint_save(trainer, ckpt));
    file_size = file_bytes(ckpt, &file);
    TRUE(size == file_size && memcmp(data, file, size) == 0);
    free(file);
    OK(bsnn_checkpoint_load_buffer(data, size, 0, &resumed));
    bsnn_trainer *refused = NULL;
    EXPECT(bsnn_checkpoint_load_buffer(data, size, 4, &refused), BSNN_E_INVALID_ARGUMENT, "flags");
    bsnn_buffer_free(data);
    OK(bsnn_model_save_buffer(model, &data, &size));
    bsnn_trainer *not_a_checkpoint = NULL;
    EXPECT(bsnn_checkpoint_load_buffer(data, size, 0, &not_a_checkpoint), BSNN_E_FORMAT, "checkpoint");
    bsnn_buffer_free(data);
    bsnn_trainer_state sa, sb;
    OK(bsnn_trainer_state_get(trainer, &sa));
    OK(bsnn_trainer_state_get(resumed, &sb));
    TRUE(sa.epoch == 1 && sb.epoch == 1 && sa.global_step == sb.global_step);
    OK(bsnn_trainer_fit_arrays(trainer, x, N * D, y, N, NULL, 0, NULL, 0, 3, NULL, NULL));
    OK(bsnn_trainer_fit_arrays(resumed, x, N * D, y, N, NULL, 0, NULL, 0, 3, NULL, NULL));
    bsnn_model *resumed_model = NULL;
    OK(bsnn_trainer_model(resumed, &resumed_model));
    TRUE(resumed_model != NULL && same_weights(model, resumed_model) && !same_weights(copy, resumed_model));

    bsnn_model_free(resumed_model);
    bsnn_trainer_free(resumed);
    bsnn_trainer_free(trainer);
    bsnn_model_free(copy);
    bsnn_model_free(model);
    bsnn_activation_free(act);
    unlink(path);
    unlink(ckpt);
    rmdir(dir);
    printf("test_buffers: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
