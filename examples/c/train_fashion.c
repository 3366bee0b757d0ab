/* Trains a tanh-GPN network on a Fashion-MNIST subset through the C API, with a progress
 * callback, evaluates it, saves it, reloads it and checks the reloaded model predicts
 * bit-identically. Data: /usr/share/datasets/fashion-mnist (or argv[1]). */
#include <bsnn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TRY(call) do { if ((call) != BSNN_OK) { fprintf(stderr, "train_fashion: %s: %s\n", #call, bsnn_last_error()); return 1; } } while (0)

static int on_progress(const bsnn_progress *p, void *user_data) {
    size_t *epochs_seen = user_data;
    if (p->phase == BSNN_PHASE_EPOCH_END) {
        (*epochs_seen)++;
        printf("epoch %zu/%zu  loss %.4f  acc %.3f  val loss %.4f  val acc %.3f  %.0f samples/s\n", p->epoch + 1,
               p->epochs, p->loss, p->accuracy, p->validation_loss, p->validation_accuracy, p->samples_per_second);
    }
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : NULL;
    const char *path = argc > 2 ? argv[2] : "/tmp/bsnn_train_fashion.bsnn";
    bsnn_dataset *train = NULL, *test = NULL;
    bsnn_activation *act = NULL;
    bsnn_model *model = NULL, *reloaded = NULL;
    bsnn_trainer *trainer = NULL;
    TRY(bsnn_dataset_load_fashion_mnist(dir, BSNN_SPLIT_TRAIN, 10000, BSNN_SCALING_UNIT_INTERVAL, &train));
    TRY(bsnn_dataset_load_fashion_mnist(dir, BSNN_SPLIT_TEST, 2000, BSNN_SCALING_UNIT_INTERVAL, &test));
    TRY(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));

    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = 784; mc.width = 128; mc.depth = 8; mc.outputs = 10;
    mc.activation = act; mc.gpn_root = BSNN_GPN_B_PLUS; mc.seed = 42;
    TRY(bsnn_model_create(&mc, &model));
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    tc.batch_size = 64; tc.learning_rate = 0.02; tc.momentum = 0.9; tc.seed = 1;
    TRY(bsnn_trainer_create(model, &tc, &trainer));
    size_t epochs_seen = 0;
    TRY(bsnn_trainer_fit(trainer, train, test, 3, on_progress, &epochs_seen));

    bsnn_evaluation ev;
    TRY(bsnn_model_evaluate(model, test, BSNN_LOSS_CROSS_ENTROPY, &ev));
    printf("test: loss %.4f accuracy %.3f over %zu samples\n", ev.loss, ev.accuracy, ev.count);
    TRY(bsnn_model_save(model, path));
    TRY(bsnn_model_load(path, 0, &reloaded));

    bsnn_dataset_info info;
    TRY(bsnn_dataset_info_get(test, &info));
    size_t nf = info.count * info.feature_count, no = info.count * 10;
    float *x = malloc(nf * sizeof(float)), *y1 = malloc(no * sizeof(float)), *y2 = malloc(no * sizeof(float));
    if (!x || !y1 || !y2) return 1;
    TRY(bsnn_dataset_features(test, x, nf));
    TRY(bsnn_model_predict(model, x, nf, info.count, y1, no));
    TRY(bsnn_model_predict(reloaded, x, nf, info.count, y2, no));
    int same = memcmp(y1, y2, no * sizeof(float)) == 0;
    printf("reloaded model predictions %s\n", same ? "match exactly" : "DIFFER");
    int ok = same && epochs_seen == 3 && ev.accuracy > 0.70;
    free(x); free(y1); free(y2);
    bsnn_trainer_free(trainer);
    bsnn_model_free(reloaded);
    bsnn_model_free(model);
    bsnn_activation_free(act);
    bsnn_dataset_free(train);
    bsnn_dataset_free(test);
    remove(path);
    return ok ? 0 : 1;
}
