/* Standardization without leakage through the C door: the test split is mapped with the
 * training split's statistics (bsnn_dataset_scaling + bsnn_dataset_scale), the model
 * records them and keeps them through save/load, and predicting on raw test features
 * mapped by bsnn_scale_features with the model's record replays the prediction on the
 * scaled data set bit for bit. Usage: test_scaling */
#include <bsnn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect.h"

enum { N = 24, D = 6, K = 3 };

static void write_idx(const char *images, const char *labels, int shift) {
    FILE *f = fopen(images, "wb");
    unsigned char header[] = {0, 0, 8, 3, 0, 0, 0, N, 0, 0, 0, 2, 0, 0, 0, 3};
    fwrite(header, 1, sizeof header, f);
    for (int i = 0; i < N * D; i++) fputc((i * 37 + shift * (i % D)) % 251, f);
    fclose(f);
    f = fopen(labels, "wb");
    unsigned char lheader[] = {0, 0, 8, 1, 0, 0, 0, N};
    fwrite(lheader, 1, sizeof lheader, f);
    for (int i = 0; i < N; i++) fputc(i % K, f);
    fclose(f);
}

int main(void) {
    char dir[] = "/tmp/bsnn-scaling-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char tr_img[64], tr_lab[64], te_img[64], te_lab[64], model_path[64];
    snprintf(tr_img, sizeof tr_img, "%s/train-img", dir);
    snprintf(tr_lab, sizeof tr_lab, "%s/train-lab", dir);
    snprintf(te_img, sizeof te_img, "%s/test-img", dir);
    snprintf(te_lab, sizeof te_lab, "%s/test-lab", dir);
    snprintf(model_path, sizeof model_path, "%s/model.safetensors", dir);
    write_idx(tr_img, tr_lab, 0);
    write_idx(te_img, te_lab, 90); /* a shifted distribution: its own statistics differ */

    bsnn_dataset *train = NULL, *test_raw = NULL, *test = NULL, *test_self = NULL;
    OK(bsnn_dataset_load_idx(tr_img, tr_lab, 0, BSNN_SCALING_STANDARDIZE, &train));
    OK(bsnn_dataset_load_idx(te_img, te_lab, 0, BSNN_SCALING_NONE, &test_raw));
    OK(bsnn_dataset_load_idx(te_img, te_lab, 0, BSNN_SCALING_STANDARDIZE, &test_self));

    int32_t method = -1;
    float offsets[D], scales[D];
    OK(bsnn_dataset_scaling(test_raw, &method, offsets, scales, D));
    TRUE(method == BSNN_SCALING_NONE && offsets[0] == 0 && scales[0] == 1);
    OK(bsnn_dataset_scaling(train, &method, offsets, scales, D));
    TRUE(method == BSNN_SCALING_STANDARDIZE);
    EXPECT(bsnn_dataset_scaling(train, &method, offsets, scales, D - 1), BSNN_E_SHAPE_MISMATCH, "count");

    /* the training statistics, recomputed independently in double (tolerance: float32 rounding) */
    float raw[N * D], scaled[N * D], self_scaled[N * D];
    bsnn_dataset *train_raw = NULL;
    OK(bsnn_dataset_load_idx(tr_img, tr_lab, 0, BSNN_SCALING_NONE, &train_raw));
    OK(bsnn_dataset_features(train_raw, raw, N * D));
    for (int j = 0; j < D; j++) {
        double mean = 0, var = 0;
        for (int i = 0; i < N; i++) mean += raw[i * D + j];
        mean /= N;
        for (int i = 0; i < N; i++) var += (raw[i * D + j] - mean) * (raw[i * D + j] - mean);
        double sd = sqrt(var / N);
        TRUE(fabs(offsets[j] - mean) <= 1e-5 * fabs(mean) && fabs(scales[j] * sd - 1) <= 1e-6);
    }

    OK(bsnn_dataset_scale(test_raw, method, offsets, scales, D, &test));
    EXPECT(bsnn_dataset_scale(test, method, offsets, scales, D, &test_self), BSNN_E_WRONG_STATE, "already scaled");
    EXPECT(bsnn_dataset_scale(test_raw, BSNN_SCALING_NONE, offsets, scales, D, &test_self), BSNN_E_INVALID_ARGUMENT, "method");
    EXPECT(bsnn_dataset_scale(test_raw, method, offsets, scales, D - 1, &test_self), BSNN_E_SHAPE_MISMATCH, "features");
    int32_t test_method = -1;
    float test_offsets[D];
    OK(bsnn_dataset_scaling(test, &test_method, test_offsets, NULL, D));
    TRUE(test_method == BSNN_SCALING_STANDARDIZE && memcmp(test_offsets, offsets, sizeof offsets) == 0);

    /* the test split is mapped with the training statistics, not its own */
    OK(bsnn_dataset_features(test_raw, raw, N * D));
    OK(bsnn_dataset_features(test, scaled, N * D));
    OK(bsnn_dataset_features(test_self, self_scaled, N * D));
    int same_arithmetic = 1, differs_from_self = 0;
    for (int i = 0; i < N * D; i++) {
        float expected = (raw[i] - offsets[i % D]) * scales[i % D];
        same_arithmetic &= scaled[i] == expected;
        differs_from_self |= fabsf(scaled[i] - self_scaled[i]) > 0.1f;
    }
    TRUE(same_arithmetic && differs_from_self);

    /* the model records the training statistics and keeps them through its file */
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    bsnn_model_config mc;
    OK(bsnn_model_config_init_defaults(&mc, sizeof mc));
    mc.inputs = D; mc.width = 8; mc.depth = 2; mc.outputs = K; mc.activation = act; mc.seed = 3;
    mc.scaling = method; mc.scaling_offsets = offsets; mc.scaling_scales = scales;
    bsnn_model *model = NULL, *loaded = NULL;
    OK(bsnn_model_create(&mc, &model));
    bsnn_trainer *trainer = NULL;
    OK(bsnn_trainer_create(model, NULL, &trainer));
    OK(bsnn_trainer_fit(trainer, train, NULL, 2, NULL, NULL));
    OK(bsnn_model_save(model, model_path));
    OK(bsnn_model_load(model_path, 0, &loaded));
    int32_t lm = -1;
    float lo[D], ls[D];
    OK(bsnn_model_scaling(loaded, &lm, lo, ls, D));
    TRUE(lm == BSNN_SCALING_STANDARDIZE && memcmp(lo, offsets, sizeof lo) == 0 && memcmp(ls, scales, sizeof ls) == 0);

    /* predict on raw features mapped with the model's record = predict on the scaled set */
    float mapped[N * D], out_raw[N * K], out_scaled[N * K];
    memcpy(mapped, raw, sizeof raw);
    OK(bsnn_scale_features(lo, ls, D, mapped, N * D));
    TRUE(memcmp(mapped, scaled, sizeof mapped) == 0);
    OK(bsnn_model_predict(loaded, mapped, N * D, N, out_raw, N * K));
    OK(bsnn_model_predict(model, scaled, N * D, N, out_scaled, N * K));
    TRUE(memcmp(out_raw, out_scaled, sizeof out_raw) == 0);
    EXPECT(bsnn_scale_features(lo, ls, D, mapped, N * D - 1), BSNN_E_SHAPE_MISMATCH, "multiple");

    /* a bad record is refused at creation */
    scales[2] = 0;
    bsnn_model *bad = NULL;
    EXPECT(bsnn_model_create(&mc, &bad), BSNN_E_INVALID_ARGUMENT, "scale");
    mc.scaling_offsets = NULL;
    EXPECT(bsnn_model_create(&mc, &bad), BSNN_E_INVALID_ARGUMENT, "scaling_offsets");

    bsnn_trainer_free(trainer);
    bsnn_model_free(model);
    bsnn_model_free(loaded);
    bsnn_activation_free(act);
    bsnn_dataset_free(train);
    bsnn_dataset_free(train_raw);
    bsnn_dataset_free(test_raw);
    bsnn_dataset_free(test);
    bsnn_dataset_free(test_self);
    const char *files[] = {tr_img, tr_lab, te_img, te_lab, model_path};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) remove(files[i]);
    rmdir(dir);
    printf("test_scaling: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
