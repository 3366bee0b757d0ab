/* Drives every exported function of bsnn.h, including the error paths: NULL handles and
 * buffers, zero and mismatched sizes, wrong config sizes, unknown names, freed handles,
 * NaN data and cancellation. Each failure must return the right status and leave a
 * message in bsnn_last_error() that names the argument. Usage: test_api [plugin.so] */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, mkfifo */
#include <bsnn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "expect.h"

static int cancel_after_two(const bsnn_progress *p, void *user_data) {
    int *calls = user_data;
    (void)p;
    return ++*calls >= 2;
}

/* Keeps the validation loss of the last epoch. */
static int last_validation(const bsnn_progress *p, void *user_data) {
    if (p->phase == BSNN_PHASE_EPOCH_END && p->has_validation) *(double *)user_data = p->validation_loss;
    return 0;
}

static double square_plus(double x, void *user_data) { return x * x * 0.5 + x + *(double *)user_data; }
static double nan_fn(double x, void *user_data) { (void)user_data; return x > 3 ? NAN : x; }

/* Every file this test touches lives in its own mkdtemp directory. */
static char work_dir[] = "/tmp/bsnn-test-api.XXXXXX";
static char csv_path[256], model_path[256], ckpt_path[256], cb_model_path[256], text_path[256];

static int make_work_dir(void) {
    if (!mkdtemp(work_dir)) return 1;
    snprintf(csv_path, sizeof csv_path, "%s/data.csv", work_dir);
    snprintf(model_path, sizeof model_path, "%s/m.model", work_dir);
    snprintf(ckpt_path, sizeof ckpt_path, "%s/t.ckpt", work_dir);
    snprintf(cb_model_path, sizeof cb_model_path, "%s/cb.model", work_dir);
    snprintf(text_path, sizeof text_path, "%s/notes.txt", work_dir);
    FILE *f = fopen(text_path, "w");
    if (!f) return 1;
    fputs("plain text, neither a model nor an IDX file\n", f);
    return fclose(f) != 0;
}

static void remove_work_dir(void) {
    const char *files[] = {csv_path, model_path, ckpt_path, cb_model_path, text_path};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) remove(files[i]);
    rmdir(work_dir);
}

int main(int argc, char **argv) {
    const char *plugin_path = argc > 1 ? argv[1] : NULL;
    if (make_work_dir()) {
        perror("test_api: temporary directory");
        return 1;
    }

    /* version, status, features */
    TRUE(strcmp(bsnn_version(), BSNN_VERSION_STRING) == 0);
    TRUE(bsnn_version_number() == BSNN_VERSION_NUMBER);
    TRUE(bsnn_abi_version() == BSNN_ABI_VERSION);
    TRUE(BSNN_VERSION_CHECK(0, 1, 0) && !BSNN_VERSION_CHECK(0, 2, 0));
    TRUE((bsnn_features() & (BSNN_FEATURE_PLUGINS | BSNN_FEATURE_FFI)) == (BSNN_FEATURE_PLUGINS | BSNN_FEATURE_FFI));
    TRUE(strcmp(bsnn_status_string(BSNN_OK), "ok") == 0);
    TRUE(strcmp(bsnn_status_string(BSNN_E_CANCELLED), "cancelled") == 0);
    TRUE(strcmp(bsnn_status_string((bsnn_status)999), "unknown status") == 0);
    TRUE(bsnn_last_error() != NULL && bsnn_last_error()[0] == '\0');

    /* BLAS */
    EXPECT(bsnn_blas_set_threads(0), BSNN_E_INVALID_ARGUMENT, "threads");
    OK(bsnn_blas_set_threads(1));
    TRUE(bsnn_blas_threads() == 1);

    /* builtins */
    TRUE(bsnn_builtin_count() > 5);
    TRUE(bsnn_builtin_name(bsnn_builtin_count()) == NULL);
    int has_tanh = 0;
    for (size_t i = 0; i < bsnn_builtin_count(); i++) has_tanh |= strcmp(bsnn_builtin_name(i), "tanh") == 0;
    TRUE(has_tanh);

    /* activations */
    bsnn_activation *tanh_act = NULL, *gpn = NULL, *leaky = NULL, *cb = NULL, *erf_act = NULL, *tmp = NULL;
    EXPECT(bsnn_activation_create_builtin(NULL, NULL, NULL, 0, &tanh_act), BSNN_E_INVALID_ARGUMENT, "name");
    EXPECT(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, NULL), BSNN_E_INVALID_ARGUMENT, "out");
    EXPECT(bsnn_activation_create_builtin("nosuch", NULL, NULL, 0, &tmp), BSNN_E_INVALID_ARGUMENT, "nosuch");
    TRUE(tmp == NULL);
    const char *bad_names[] = {"bogus"};
    const double one[] = {1.0};
    EXPECT(bsnn_activation_create_builtin("leaky_relu", bad_names, one, 1, &tmp), BSNN_E_INVALID_ARGUMENT, "bogus");
    EXPECT(bsnn_activation_create_builtin("leaky_relu", NULL, one, 1, &tmp), BSNN_E_INVALID_ARGUMENT, "param_names");
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &tanh_act));
    size_t np = 0, len = 0;
    OK(bsnn_activation_param_count(tanh_act, &np));
    TRUE(np == 0);
    const char *slope[] = {"slope"};
    const double slope_v[] = {0.2};
    OK(bsnn_activation_create_builtin("leaky_relu", slope, slope_v, 1, &leaky));
    OK(bsnn_activation_param_count(leaky, &np));
    TRUE(np == 1);
    char buf[64];
    double value = 0;
    OK(bsnn_activation_param(leaky, 0, buf, sizeof buf, &len, &value));
    TRUE(strcmp(buf, "slope") == 0 && len == 5 && value == 0.2);
    EXPECT(bsnn_activation_param(leaky, 1, buf, sizeof buf, &len, &value), BSNN_E_INVALID_ARGUMENT, "index");
    OK(bsnn_activation_name(tanh_act, NULL, 0, &len));
    TRUE(len == 4);
    EXPECT(bsnn_activation_name(tanh_act, buf, 4, &len), BSNN_E_INVALID_ARGUMENT, "capacity");
    EXPECT(bsnn_activation_name(tanh_act, NULL, 8, &len), BSNN_E_INVALID_ARGUMENT, "buffer");
    OK(bsnn_activation_name(tanh_act, buf, 5, &len));
    TRUE(strcmp(buf, "tanh") == 0);

    bsnn_gpn_constants c;
    OK(bsnn_activation_constants(tanh_act, &c));
    TRUE(fabs(c.mean_square - 0.394294) < 1e-4 && c.a > 1 && c.b_plus >= c.b_minus);
    EXPECT(bsnn_activation_constants(tanh_act, NULL), BSNN_E_INVALID_ARGUMENT, "out");
    EXPECT(bsnn_activation_constants(NULL, &c), BSNN_E_INVALID_ARGUMENT, "activation");
    EXPECT(bsnn_activation_normalize(tanh_act, (bsnn_gpn_root)7, &gpn), BSNN_E_INVALID_ARGUMENT, "root");
    OK(bsnn_activation_normalize(tanh_act, BSNN_GPN_B_PLUS, &gpn));
    int32_t root_code = -1;
    bsnn_gpn_root root = BSNN_GPN_NONE;
    OK(bsnn_activation_root(gpn, &root));
    TRUE(root == BSNN_GPN_B_PLUS);
    (void)root_code;
    float x[5] = {-2, -0.5f, 0, 0.5f, 2}, v[5], d[5];
    OK(bsnn_activation_evaluate(gpn, x, 5, v, d));
    TRUE(fabs(v[4] - (c.a * tanh(2.0) + c.b_plus)) < 1e-5 && fabs(d[2] - c.a) < 1e-5);
    OK(bsnn_activation_evaluate(tanh_act, x, 5, v, NULL));
    TRUE(fabs(v[0] - tanh(-2.0)) < 1e-6);
    EXPECT(bsnn_activation_evaluate(gpn, NULL, 5, v, d), BSNN_E_INVALID_ARGUMENT, "x");
    EXPECT(bsnn_activation_evaluate(gpn, x, 5, NULL, d), BSNN_E_INVALID_ARGUMENT, "value");
    EXPECT(bsnn_activation_evaluate(gpn, x, 0, v, d), BSNN_E_INVALID_ARGUMENT, "count");
    EXPECT(bsnn_activation_evaluate(gpn, x, (size_t)-1, v, d), BSNN_E_INVALID_ARGUMENT, "count");

    double offset = 0.25;
    OK(bsnn_activation_create_callback("quad", square_plus, NULL, &offset, &cb));
    OK(bsnn_activation_evaluate(cb, x, 5, v, d));
    TRUE(fabs(v[4] - 4.25) < 1e-6 && fabs(d[4] - 3.0) < 1e-4);
    EXPECT(bsnn_activation_create_callback("quad", NULL, NULL, NULL, &tmp), BSNN_E_INVALID_ARGUMENT, "function");
    EXPECT(bsnn_activation_create_callback("nan", nan_fn, NULL, NULL, &tmp), BSNN_E_NUMERIC, "function");
    EXPECT(bsnn_activation_create_callback("", square_plus, NULL, &offset, &tmp), BSNN_E_INVALID_ARGUMENT, "name");

    OK(bsnn_activation_create_foreign("libm.so.6", "erf", "double(double)", NULL, 0, &erf_act));
    EXPECT(bsnn_activation_create_foreign("libm.so.6", "no_such_fn", "double(double)", NULL, 0, &tmp), BSNN_E_PLUGIN, "no_such_fn");
    EXPECT(bsnn_activation_create_foreign("libm.so.6", "erf", "double(", NULL, 0, &tmp), BSNN_E_INVALID_ARGUMENT, "signature");
    EXPECT(bsnn_activation_create_foreign("libm.so.6", "pow", "double(double,double)", NULL, 1, &tmp), BSNN_E_INVALID_ARGUMENT, "bound");
    EXPECT(bsnn_activation_create_foreign("/nonexistent/lib.so", "erf", "double(double)", NULL, 0, &tmp), BSNN_E_PLUGIN, "nonexistent");

    /* plugins */
    bsnn_plugin *plugin = NULL;
    EXPECT(bsnn_plugin_load("/nonexistent/plugin.so", &plugin), BSNN_E_PLUGIN, "nonexistent");
    EXPECT(bsnn_plugin_load("libm.so.6", &plugin), BSNN_E_PLUGIN, "bsnn_plugin_entry");
    EXPECT(bsnn_plugin_load(NULL, &plugin), BSNN_E_INVALID_ARGUMENT, "path");
    if (plugin_path) {
        size_t count = 0;
        OK(bsnn_plugin_load(plugin_path, &plugin));
        OK(bsnn_plugin_name(plugin, buf, sizeof buf, &len));
        OK(bsnn_plugin_activation_count(plugin, &count));
        TRUE(count >= 1);
        OK(bsnn_plugin_activation_name(plugin, 0, buf, sizeof buf, &len));
        TRUE(strcmp(buf, "softclip") == 0);
        EXPECT(bsnn_plugin_activation_name(plugin, count, buf, sizeof buf, &len), BSNN_E_INVALID_ARGUMENT, "index");
        OK(bsnn_plugin_param_count(plugin, 0, &np));
        TRUE(np == 1);
        OK(bsnn_plugin_param(plugin, 0, 0, buf, sizeof buf, &len, &value));
        TRUE(strcmp(buf, "c") == 0 && value == 2.0);
        EXPECT(bsnn_plugin_param(plugin, 0, 1, buf, sizeof buf, &len, &value), BSNN_E_INVALID_ARGUMENT, "param");
        OK(bsnn_plugin_create_activation(plugin, "softclip", NULL, NULL, 0, &tmp));
        bsnn_activation_free(tmp);
        EXPECT(bsnn_plugin_create_activation(plugin, "nosuch", NULL, NULL, 0, &tmp), BSNN_E_INVALID_ARGUMENT, "nosuch");
        OK(bsnn_activation_create_plugin(plugin_path, "softclip", NULL, NULL, 0, &tmp));
        bsnn_activation_free(tmp);
        bsnn_plugin_free(plugin);
        EXPECT(bsnn_plugin_activation_count(plugin, &count), BSNN_E_INVALID_ARGUMENT, "freed");
    }

    /* datasets */
    enum { N = 64, D = 6, K = 3 };
    float feats[N * D];
    int32_t labels[N];
    for (int i = 0; i < N; i++) {
        labels[i] = i % K;
        for (int j = 0; j < D; j++) feats[i * D + j] = (float)((j == labels[i]) * 1.5 + 0.1 * ((i * 7 + j * 3) % 5));
    }
    bsnn_dataset *data = NULL, *small = NULL, *reg = NULL, *csv = NULL;
    EXPECT(bsnn_dataset_create(NULL, labels, N, D, K, &data), BSNN_E_INVALID_ARGUMENT, "features");
    EXPECT(bsnn_dataset_create(feats, NULL, N, D, K, &data), BSNN_E_INVALID_ARGUMENT, "labels");
    EXPECT(bsnn_dataset_create(feats, labels, 0, D, K, &data), BSNN_E_INVALID_ARGUMENT, "count");
    EXPECT(bsnn_dataset_create(feats, labels, N, D, 2, &data), BSNN_E_INVALID_ARGUMENT, "labels[2]");
    EXPECT(bsnn_dataset_create(feats, labels, (size_t)1 << 62, 8, K, &data), BSNN_E_INVALID_ARGUMENT, "overflow");
    OK(bsnn_dataset_create(feats, labels, N, D, K, &data));
    bsnn_dataset_info di;
    OK(bsnn_dataset_info_get(data, &di));
    TRUE(di.count == N && di.feature_count == D && di.class_count == K && di.target_count == 0);
    OK(bsnn_dataset_prefix(data, 10, &small));
    float fcopy[N * D];
    int32_t lcopy[N];
    OK(bsnn_dataset_features(data, fcopy, N * D));
    TRUE(memcmp(fcopy, feats, sizeof feats) == 0);
    EXPECT(bsnn_dataset_features(data, fcopy, N * D - 1), BSNN_E_SHAPE_MISMATCH, "capacity");
    OK(bsnn_dataset_labels(data, lcopy, N));
    TRUE(memcmp(lcopy, labels, sizeof labels) == 0);
    float targets[N];
    for (int i = 0; i < N; i++) targets[i] = (float)i;
    OK(bsnn_dataset_create_regression(feats, targets, N, D, 1, &reg));
    EXPECT(bsnn_dataset_labels(reg, lcopy, N), BSNN_E_WRONG_STATE, "regression");
    EXPECT(bsnn_dataset_load_idx("/nonexistent-images", "/nonexistent-labels", 0, BSNN_SCALING_NONE, &small), BSNN_E_IO, "nonexistent");
    EXPECT(bsnn_dataset_load_idx(text_path, text_path, 0, (bsnn_scaling)9, &small), BSNN_E_INVALID_ARGUMENT, "scaling");
    EXPECT(bsnn_dataset_load_fashion_mnist("/nonexistent", BSNN_SPLIT_TEST, 10, BSNN_SCALING_NONE, &small), BSNN_E_IO, "nonexistent");
    EXPECT(bsnn_dataset_load_fashion_mnist(NULL, (bsnn_split)5, 10, BSNN_SCALING_NONE, &small), BSNN_E_INVALID_ARGUMENT, "split");
    bsnn_dataset *fm = NULL;
    if (bsnn_dataset_load_fashion_mnist(NULL, BSNN_SPLIT_TEST, 100, BSNN_SCALING_UNIT_INTERVAL, &fm) == BSNN_OK) {
        OK(bsnn_dataset_info_get(fm, &di));
        TRUE(di.count == 100 && di.feature_count == 784 && di.class_count == 10);
        bsnn_dataset_free(fm);
    }
    bsnn_dataset *idx = NULL;
    OK(bsnn_dataset_load_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
                             "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz", 50, BSNN_SCALING_STANDARDIZE, &idx));
    bsnn_dataset_free(idx);
    FILE *f = fopen(csv_path, "w");
    if (f) {
        fputs("label,a,b\n0,1.0,2.0\n1,3.0,4.5\n2,0.5,0.25\n", f);
        fclose(f);
    }
    bsnn_csv_options co;
    bsnn_csv_options_init_defaults(&co, sizeof co);
    OK(bsnn_dataset_load_csv(csv_path, &co, &csv));
    OK(bsnn_dataset_info_get(csv, &di));
    TRUE(di.count == 3 && di.feature_count == 2 && di.class_count == 3);
    bsnn_dataset_free(csv);
    OK(bsnn_dataset_load_csv(csv_path, NULL, &csv));
    bsnn_dataset_free(csv);
    co.size = sizeof co + 8;
    EXPECT(bsnn_dataset_load_csv(csv_path, &co, &csv), BSNN_E_INVALID_ARGUMENT, "bsnn_csv_options");
    co.size = sizeof co;
    co.header = 9;
    EXPECT(bsnn_dataset_load_csv(csv_path, &co, &csv), BSNN_E_INVALID_ARGUMENT, "header");
    EXPECT(bsnn_dataset_load_csv("/nonexistent.csv", NULL, &csv), BSNN_E_IO, "nonexistent");
    remove(csv_path);

    /* models */
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    bsnn_model *model = NULL, *loaded = NULL, *alias = NULL;
    EXPECT(bsnn_model_create(&mc, &model), BSNN_E_INVALID_ARGUMENT, "activation");
    mc.inputs = D; mc.width = 16; mc.depth = 3; mc.outputs = K; mc.activation = tanh_act; mc.seed = 5;
    EXPECT(bsnn_model_create(NULL, &model), BSNN_E_INVALID_ARGUMENT, "config");
    mc.size = sizeof mc + 16;
    EXPECT(bsnn_model_create(&mc, &model), BSNN_E_INVALID_ARGUMENT, "bsnn_model_config");
    mc.size = 0;
    EXPECT(bsnn_model_create(&mc, &model), BSNN_E_INVALID_ARGUMENT, "size");
    mc.size = sizeof mc;
    mc.constraint = 17;
    EXPECT(bsnn_model_create(&mc, &model), BSNN_E_INVALID_ARGUMENT, "constraint");
    mc.constraint = BSNN_CONSTRAINT_ROW_NORM;
    mc.init = -1;
    EXPECT(bsnn_model_create(&mc, &model), BSNN_E_INVALID_ARGUMENT, "init");
    mc.init = BSNN_INIT_ORTHOGONAL;
    mc.width = 0;
    EXPECT(bsnn_model_create(&mc, &model), BSNN_E_INVALID_ARGUMENT, "width");
    mc.width = 16;
    mc.activation = gpn; mc.gpn_root = BSNN_GPN_B_MINUS;
    EXPECT(bsnn_model_create(&mc, &model), BSNN_E_INVALID_ARGUMENT, "gpn_root");
    mc.activation = (const bsnn_activation *)data;
    EXPECT(bsnn_model_create(&mc, &model), BSNN_E_INVALID_ARGUMENT, "bsnn_dataset");
    mc.activation = (const bsnn_activation *)feats;
    EXPECT(bsnn_model_create(&mc, &model), BSNN_E_INVALID_ARGUMENT, "config->activation");
    mc.activation = tanh_act; mc.gpn_root = BSNN_GPN_B_PLUS;
    OK(bsnn_model_create(&mc, &model));
    /* a config smaller than 0.1's (ending before `seed`) is no bsnn.h's: refused */
    bsnn_model_config older = mc;
    older.size = offsetof(bsnn_model_config, seed);
    EXPECT(bsnn_model_create(&older, &loaded), BSNN_E_INVALID_ARGUMENT, "bsnn_model_config");
    bsnn_model_info mi;
    OK(bsnn_model_info_get(model, &mi));
    TRUE(mi.inputs == D && mi.width == 16 && mi.depth == 3 && mi.outputs == K && mi.layer_count == 5 &&
         mi.bias == 1 && mi.gpn_root == BSNN_GPN_B_PLUS);
    size_t pc = 0, rows = 0, cols = 0;
    OK(bsnn_model_parameter_count(model, &pc));
    TRUE(pc == (size_t)(D * 16 + 16 + 3 * (16 * 16 + 16) + 16 * K + K));
    OK(bsnn_model_layer_shape(model, 0, &rows, &cols));
    TRUE(rows == 16 && cols == D);
    EXPECT(bsnn_model_layer_shape(model, 5, &rows, &cols), BSNN_E_INVALID_ARGUMENT, "layer");
    EXPECT(bsnn_model_layer_shape(model, 0, NULL, &cols), BSNN_E_INVALID_ARGUMENT, "out_outputs");
    float w[16 * D], w2[16 * D], bias[16];
    OK(bsnn_model_get_weights(model, 0, w, 16 * D));
    EXPECT(bsnn_model_get_weights(model, 0, w, 16 * D + 1), BSNN_E_SHAPE_MISMATCH, "count");
    EXPECT(bsnn_model_get_weights(model, 0, NULL, 16 * D), BSNN_E_INVALID_ARGUMENT, "buffer");
    w[3] += 0.5f;
    OK(bsnn_model_set_weights(model, 0, w, 16 * D));
    OK(bsnn_model_get_weights(model, 0, w2, 16 * D));
    TRUE(memcmp(w, w2, sizeof w) == 0);
    w[0] = NAN;
    EXPECT(bsnn_model_set_weights(model, 0, w, 16 * D), BSNN_E_NUMERIC, "weights");
    OK(bsnn_model_get_bias(model, 1, bias, 16));
    OK(bsnn_model_set_bias(model, 1, bias, 16));
    EXPECT(bsnn_model_set_bias(model, 1, bias, 15), BSNN_E_SHAPE_MISMATCH, "count");
    float out[N * K];
    OK(bsnn_model_predict(model, feats, N * D, N, out, N * K));
    EXPECT(bsnn_model_predict(model, feats, N * D - 1, N, out, N * K), BSNN_E_SHAPE_MISMATCH, "features_count");
    EXPECT(bsnn_model_predict(model, feats, N * D, N, out, N * K - 1), BSNN_E_SHAPE_MISMATCH, "output_count");
    EXPECT(bsnn_model_predict(model, feats, N * D, 0, out, 0), BSNN_E_INVALID_ARGUMENT, "count");
    EXPECT(bsnn_model_predict(model, NULL, N * D, N, out, N * K), BSNN_E_INVALID_ARGUMENT, "features");
    bsnn_evaluation ev;
    OK(bsnn_model_evaluate(model, data, BSNN_LOSS_CROSS_ENTROPY, &ev));
    TRUE(ev.count == N && ev.loss > 0);
    EXPECT(bsnn_model_evaluate(model, data, (bsnn_loss)42, &ev), BSNN_E_INVALID_ARGUMENT, "loss");
    bsnn_dataset *wrong = NULL;
    OK(bsnn_dataset_create(feats, labels, N / 2, D * 2, K, &wrong));
    EXPECT(bsnn_model_evaluate(model, wrong, BSNN_LOSS_CROSS_ENTROPY, &ev), BSNN_E_SHAPE_MISMATCH, NULL);

    /* training */
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    bsnn_trainer *trainer = NULL, *resumed = NULL;
    tc.batch_size = 0;
    EXPECT(bsnn_trainer_create(model, &tc, &trainer), BSNN_E_INVALID_ARGUMENT, "batch");
    tc.batch_size = 16;
    tc.optimizer = 9;
    EXPECT(bsnn_trainer_create(model, &tc, &trainer), BSNN_E_INVALID_ARGUMENT, "optimizer");
    tc.optimizer = BSNN_OPTIMIZER_ADAGRAD + 1;
    EXPECT(bsnn_trainer_create(model, &tc, &trainer), BSNN_E_INVALID_ARGUMENT, "(0...5)");
    for (int32_t kind = BSNN_OPTIMIZER_RMSPROP; kind <= BSNN_OPTIMIZER_ADAGRAD; kind++) {
        tc.optimizer = kind;
        OK(bsnn_trainer_create(model, &tc, &trainer));
        bsnn_trainer_free(trainer);
        trainer = NULL;
    }
    tc.optimizer = BSNN_OPTIMIZER_MOMENTUM;
    tc.learning_rate = -1;
    EXPECT(bsnn_trainer_create(model, &tc, &trainer), BSNN_E_INVALID_ARGUMENT, "learning rate");
    tc.learning_rate = 0.05;
    tc.size = 3;
    EXPECT(bsnn_trainer_create(model, &tc, &trainer), BSNN_E_INVALID_ARGUMENT, "bsnn_training_config");
    tc.size = sizeof tc;
    EXPECT(bsnn_trainer_create(NULL, &tc, &trainer), BSNN_E_INVALID_ARGUMENT, "model");
    OK(bsnn_trainer_create(model, &tc, &trainer));
    bsnn_step_result sr;
    OK(bsnn_trainer_step(trainer, feats, N * D, labels, N, &sr));
    TRUE(sr.count == N && sr.loss > 0);
    OK(bsnn_trainer_step(trainer, feats, N * D, labels, N, NULL));
    EXPECT(bsnn_trainer_step(trainer, feats, N * D, labels, N - 1, &sr), BSNN_E_SHAPE_MISMATCH, "features_count");
    EXPECT(bsnn_trainer_step(trainer, feats, N * D, NULL, N, &sr), BSNN_E_INVALID_ARGUMENT, "labels");
    float nan_feats[N * D];
    memcpy(nan_feats, feats, sizeof feats);
    nan_feats[5] = NAN;
    OK(bsnn_model_get_weights(model, 0, w, 16 * D));
    EXPECT(bsnn_trainer_step(trainer, nan_feats, N * D, labels, N, &sr), BSNN_E_NUMERIC, "features");
    OK(bsnn_model_get_weights(model, 0, w2, 16 * D));
    TRUE(memcmp(w, w2, sizeof w) == 0);
    int32_t bad_labels[N];
    memcpy(bad_labels, labels, sizeof labels);
    bad_labels[7] = K;
    EXPECT(bsnn_trainer_step(trainer, feats, N * D, bad_labels, N, &sr), BSNN_E_INVALID_ARGUMENT, "labels[7]");
    OK(bsnn_trainer_fit(trainer, data, small, 2, NULL, NULL));
    bsnn_trainer_state ts;
    OK(bsnn_trainer_state_get(trainer, &ts));
    TRUE(ts.epoch == 2 && ts.global_step == 2 + 2 * 4);
    EXPECT(bsnn_trainer_fit(trainer, data, NULL, 0, NULL, NULL), BSNN_E_INVALID_ARGUMENT, "epochs");
    EXPECT(bsnn_trainer_fit(trainer, NULL, NULL, 1, NULL, NULL), BSNN_E_INVALID_ARGUMENT, "data");
    EXPECT(bsnn_trainer_fit(trainer, data, NULL, 2, NULL, NULL), BSNN_E_WRONG_STATE, "already completed");
    EXPECT(bsnn_trainer_fit(trainer, wrong, NULL, 3, NULL, NULL), BSNN_E_SHAPE_MISMATCH, NULL);
    int calls = 0;
    EXPECT(bsnn_trainer_fit(trainer, data, NULL, 3, cancel_after_two, &calls), BSNN_E_CANCELLED, "cancelled");
    TRUE(calls == 2);
    OK(bsnn_trainer_state_get(trainer, &ts));
    TRUE(ts.epoch == 2 && ts.step_in_epoch == 2);
    OK(bsnn_trainer_fit_arrays(trainer, feats, N * D, labels, N, NULL, 0, NULL, 0, 3, NULL, NULL));
    OK(bsnn_trainer_state_get(trainer, &ts));
    TRUE(ts.epoch == 3 && ts.step_in_epoch == 0);
    EXPECT(bsnn_trainer_fit_arrays(trainer, feats, N * D, labels, 0, NULL, 0, NULL, 0, 1, NULL, NULL), BSNN_E_INVALID_ARGUMENT, "count");
    {
        /* fit_arrays reads the arrays in place: bit-identical to fit on a dataset copy,
         * validation included (`small` is the first 10 samples) */
        bsnn_model *ma = NULL, *mb = NULL;
        bsnn_trainer *ta = NULL, *tb = NULL;
        OK(bsnn_model_create(&mc, &ma));
        OK(bsnn_model_create(&mc, &mb));
        OK(bsnn_trainer_create(ma, &tc, &ta));
        OK(bsnn_trainer_create(mb, &tc, &tb));
        double va = NAN, vb = NAN;
        OK(bsnn_trainer_fit(ta, data, small, 3, last_validation, &va));
        OK(bsnn_trainer_fit_arrays(tb, feats, N * D, labels, N, feats, 10 * D, labels, 10, 3, last_validation, &vb));
        TRUE(isfinite(va) && va == vb);
        float wa[16 * 16], wb[16 * 16];
        for (size_t layer = 0; layer < 5; layer++) {
            size_t rows, cols;
            OK(bsnn_model_layer_shape(ma, layer, &rows, &cols));
            OK(bsnn_model_get_weights(ma, layer, wa, rows * cols));
            OK(bsnn_model_get_weights(mb, layer, wb, rows * cols));
            TRUE(memcmp(wa, wb, rows * cols * sizeof(float)) == 0);
        }
        EXPECT(bsnn_trainer_fit_arrays(tb, feats, N * D, labels, N, feats, 10 * D, NULL, 10, 4, NULL, NULL),
               BSNN_E_INVALID_ARGUMENT, "validation_labels");
        EXPECT(bsnn_trainer_fit_arrays(tb, feats, N * D, labels, N, feats, 9 * D, labels, 10, 4, NULL, NULL),
               BSNN_E_SHAPE_MISMATCH, "validation_features: expected 10 × 6");
        EXPECT(bsnn_trainer_fit_arrays(tb, feats, N * D, bad_labels, N, NULL, 0, NULL, 0, 4, NULL, NULL),
               BSNN_E_INVALID_ARGUMENT, "labels[7]");
        bsnn_trainer_state st;
        OK(bsnn_trainer_state_get(tb, &st));
        TRUE(st.epoch == 3);  /* refused before any step */
        OK(bsnn_model_release_workspace(mb)); /* nothing cached after fit: still fine */
        OK(bsnn_trainer_step(tb, feats, N * D, labels, N, NULL));
        OK(bsnn_model_release_workspace(mb));
        EXPECT(bsnn_model_release_workspace(NULL), BSNN_E_INVALID_ARGUMENT, "model");
        bsnn_trainer_free(ta); bsnn_trainer_free(tb); bsnn_model_free(ma); bsnn_model_free(mb);
    }
    tc.optimizer = BSNN_OPTIMIZER_ADAM;
    EXPECT(bsnn_trainer_set_config(trainer, &tc), BSNN_E_WRONG_STATE, "optimizer");
    tc.optimizer = BSNN_OPTIMIZER_MOMENTUM;
    tc.learning_rate = 0.01;
    OK(bsnn_trainer_set_config(trainer, &tc));
    EXPECT(bsnn_trainer_set_config(trainer, NULL), BSNN_E_INVALID_ARGUMENT, "config");
    OK(bsnn_trainer_model(trainer, &alias));

    /* files */
    OK(bsnn_model_save(model, model_path));
    OK(bsnn_model_load(model_path, 0, &loaded));
    float out2[N * K];
    OK(bsnn_model_predict(model, feats, N * D, N, out, N * K));
    OK(bsnn_model_predict(loaded, feats, N * D, N, out2, N * K));
    TRUE(memcmp(out, out2, sizeof out) == 0);
    EXPECT(bsnn_model_load("/nonexistent.model", 0, &loaded), BSNN_E_IO, "nonexistent");
    EXPECT(bsnn_model_load(text_path, 0, &loaded), BSNN_E_FORMAT, NULL);
    {
        bsnn_model *again = NULL;
        EXPECT(bsnn_model_load(model_path, 4, &again), BSNN_E_INVALID_ARGUMENT, "flags");
        OK(bsnn_model_load(model_path, BSNN_LOAD_ALLOW_PLUGINS | BSNN_LOAD_UNVERIFIED, &again));
        bsnn_model_free(again);
        /* A FIFO as model path: refused at once (it used to block forever). */
        char fifo[300];
        snprintf(fifo, sizeof fifo, "%s/model.fifo", work_dir);
        TRUE(mkfifo(fifo, 0600) == 0);
        EXPECT(bsnn_model_load(fifo, 0, &again), BSNN_E_IO, "FIFO");
        EXPECT(bsnn_checkpoint_load(fifo, 0, &resumed), BSNN_E_IO, "FIFO");
        remove(fifo);
    }
    EXPECT(bsnn_model_save(model, "/nonexistent-dir/x.model"), BSNN_E_IO, "nonexistent-dir");
    EXPECT(bsnn_model_save(model, NULL), BSNN_E_INVALID_ARGUMENT, "path");
    OK(bsnn_checkpoint_save(trainer, ckpt_path));
    OK(bsnn_checkpoint_load(ckpt_path, 0, &resumed));
    OK(bsnn_trainer_state_get(resumed, &ts));
    TRUE(ts.epoch == 3);
    /* resumed and original continue identically */
    bsnn_step_result r1, r2;
    OK(bsnn_trainer_step(trainer, feats, N * D, labels, N, &r1));
    OK(bsnn_trainer_step(resumed, feats, N * D, labels, N, &r2));
    TRUE(r1.loss == r2.loss);
    EXPECT(bsnn_checkpoint_load(model_path, 0, &resumed), BSNN_E_FORMAT, NULL);
    remove(model_path);
    remove(ckpt_path);

    /* a model made from a C callback trains, but cannot be saved */
    bsnn_model *cbm = NULL;
    mc.activation = cb; mc.gpn_root = BSNN_GPN_NONE;
    OK(bsnn_model_create(&mc, &cbm));
    EXPECT(bsnn_model_save(cbm, cb_model_path), BSNN_E_WRONG_STATE, "quad");
    bsnn_model_free(cbm);

    /* probe */
    bsnn_probe *probe = NULL;
    bsnn_probe_config pcfg;
    bsnn_probe_config_init_defaults(&pcfg, sizeof pcfg);
    size_t count = 0;
    OK(bsnn_probe_run(model, feats, N * D, N, NULL, &probe));
    OK(bsnn_probe_get(probe, BSNN_PROBE_FORWARD_NORMS, NULL, 0, &count));
    TRUE(count == 3 + 2);
    double norms[8];
    OK(bsnn_probe_get(probe, BSNN_PROBE_BACKWARD_NORMS, norms, 8, &count));
    TRUE(count == 4);
    EXPECT(bsnn_probe_get(probe, BSNN_PROBE_FORWARD_NORMS, norms, 2, &count), BSNN_E_INVALID_ARGUMENT, "capacity");
    EXPECT(bsnn_probe_get(probe, (bsnn_probe_array)11, norms, 8, &count), BSNN_E_INVALID_ARGUMENT, "which");
    OK(bsnn_probe_get(probe, BSNN_PROBE_DERIVATIVE_HISTOGRAM, NULL, 0, &count));
    TRUE(count == 60);
    double lo = 0, hi = 0;
    OK(bsnn_probe_histogram_range(probe, &lo, &hi));
    TRUE(hi > lo);
    bsnn_probe_free(probe);
    pcfg.upstream = BSNN_UPSTREAM_LABELS;
    pcfg.labels = labels;
    pcfg.label_count = N - 1;
    EXPECT(bsnn_probe_run(model, feats, N * D, N, &pcfg, &probe), BSNN_E_SHAPE_MISMATCH, "label_count");
    pcfg.label_count = N;
    OK(bsnn_probe_run(model, feats, N * D, N, &pcfg, &probe));
    bsnn_probe_free(probe);
    EXPECT(bsnn_probe_run(model, nan_feats, N * D, N, NULL, &probe), BSNN_E_NUMERIC, "probe input");

    /* reference semantics: the trainer keeps the network alive after the model handle goes */
    bsnn_model_free(model);
    EXPECT(bsnn_model_parameter_count(model, &pc), BSNN_E_INVALID_ARGUMENT, "freed");
    OK(bsnn_trainer_step(trainer, feats, N * D, labels, N, &sr));
    OK(bsnn_model_predict(alias, feats, N * D, N, out, N * K));
    bsnn_trainer_free(trainer);
    OK(bsnn_model_predict(alias, feats, N * D, N, out, N * K));
    EXPECT(bsnn_trainer_step(trainer, feats, N * D, labels, N, &sr), BSNN_E_INVALID_ARGUMENT, "trainer");
    EXPECT(bsnn_trainer_step((bsnn_trainer *)alias, feats, N * D, labels, N, &sr), BSNN_E_INVALID_ARGUMENT, "bsnn_model");

    /* freed and garbage handles; double free and free(NULL) are harmless */
    bsnn_activation_free(leaky);
    EXPECT(bsnn_activation_constants(leaky, &c), BSNN_E_INVALID_ARGUMENT, "activation");
    bsnn_activation_free(leaky);
    bsnn_activation_free(NULL);
    bsnn_model_free(NULL);
    bsnn_trainer_free(NULL);
    bsnn_dataset_free(NULL);
    bsnn_probe_free(NULL);
    bsnn_plugin_free(NULL);
    bsnn_model_free((bsnn_model *)tanh_act); /* wrong type: ignored */
    OK(bsnn_activation_constants(tanh_act, &c));

    /* the stored error survives successful calls */
    EXPECT(bsnn_model_parameter_count(NULL, &pc), BSNN_E_INVALID_ARGUMENT, "model");
    OK(bsnn_activation_constants(tanh_act, &c));
    TRUE(strstr(bsnn_last_error(), "model") != NULL);

    bsnn_model_free(alias);
    bsnn_model_free(loaded);
    bsnn_trainer_free(resumed);
    bsnn_activation_free(tanh_act);
    bsnn_activation_free(gpn);
    bsnn_activation_free(cb);
    bsnn_activation_free(erf_act);
    bsnn_dataset_free(data);
    bsnn_dataset_free(small);
    bsnn_dataset_free(reg);
    bsnn_dataset_free(wrong);
    remove_work_dir();
    printf("test_api: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
