/* Numeric and size robustness of the C ABI: NaN/Inf data, constant features, labels out
 * of range, empty data, batches larger than the data, zero-width layers, absurd sizes
 * (must fail fast with a message, before any allocation), and hostile plugins through
 * bsnn_plugin_validate_isolated. Every call must return a status; none may crash.
 * Usage: test_robustness [segfault.so hang.so good.so] */
#include <bsnn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "expect.h"

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static bsnn_model *make_model(bsnn_activation *act, size_t inputs, size_t width, size_t depth, size_t outputs,
                              bsnn_status *status) {
    bsnn_model_config c;
    bsnn_model_config_init_defaults(&c, sizeof c);
    c.inputs = inputs; c.width = width; c.depth = depth; c.outputs = outputs; c.activation = act;
    bsnn_model *m = NULL;
    *status = bsnn_model_create(&c, &m);
    return m;
}

/* An IDX file pair whose images are all `value` (a constant feature everywhere). */
static void write_constant_idx(const char *images, const char *labels, int n, unsigned char value) {
    FILE *f = fopen(images, "wb");
    unsigned char h[16] = {0, 0, 8, 3, 0, 0, 0, (unsigned char)n, 0, 0, 0, 2, 0, 0, 0, 2};
    fwrite(h, 1, 16, f);
    for (int i = 0; i < n * 4; i++) fputc(value, f);
    fclose(f);
    f = fopen(labels, "wb");
    unsigned char l[8] = {0, 0, 8, 1, 0, 0, 0, (unsigned char)n};
    fwrite(l, 1, 8, f);
    for (int i = 0; i < n; i++) fputc(i % 2, f);
    fclose(f);
}

int main(int argc, char **argv) {
    /* First call of the process: the reported BLAS thread count is bsnn's default (1
     * without environment overrides), not OpenBLAS's all-cores count. Reading it before
     * any product used to report the latter, and restoring it changed later results. */
    if (!getenv("BSNN_NUM_THREADS") && !getenv("OPENBLAS_NUM_THREADS") && !getenv("OMP_NUM_THREADS"))
        TRUE(bsnn_blas_threads() == 1);
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    bsnn_status st;

    /* ---- sizes */
    bsnn_model *m = make_model(act, 4, 0, 2, 3, &st);
    EXPECT(st, BSNN_E_INVALID_ARGUMENT, "width");
    TRUE(m == NULL);
    m = make_model(act, 0, 8, 2, 3, &st);
    EXPECT(st, BSNN_E_INVALID_ARGUMENT, "inputs");
    m = make_model(act, 4, 8, 2, 0, &st);
    EXPECT(st, BSNN_E_INVALID_ARGUMENT, "outputs");
    m = make_model(act, 4, 8, 0, 3, &st); /* depth 0: input and output layer only */
    EXPECT(st, BSNN_OK, NULL);
    bsnn_model_free(m);
    /* Absurd sizes must be refused at once, not after trying to allocate terabytes. */
    double t0 = seconds();
    m = make_model(act, 4, 1000000000, 2, 3, &st);
    TRUE(st == BSNN_E_OUT_OF_MEMORY || st == BSNN_E_INVALID_ARGUMENT);
    TRUE(strstr(bsnn_last_error(), "width") != NULL || strstr(bsnn_last_error(), "parameters") != NULL);
    m = make_model(act, SIZE_MAX, 8, 2, 3, &st);
    TRUE(st == BSNN_E_OUT_OF_MEMORY || st == BSNN_E_INVALID_ARGUMENT);
    m = make_model(act, 4, 8, SIZE_MAX / 2, 3, &st);
    TRUE(st == BSNN_E_OUT_OF_MEMORY || st == BSNN_E_INVALID_ARGUMENT);
    m = make_model(act, 4, 65536, 1000000, 3, &st);
    TRUE(st == BSNN_E_OUT_OF_MEMORY || st == BSNN_E_INVALID_ARGUMENT);
    m = make_model(act, 4, 8, 2, (size_t)1 << 40, &st);
    TRUE(st == BSNN_E_OUT_OF_MEMORY || st == BSNN_E_INVALID_ARGUMENT);
    TRUE(seconds() - t0 < 5.0);

    /* ---- a small model and data */
    enum { N = 10, D = 4, K = 3 };
    m = make_model(act, D, 8, 2, K, &st);
    OK(st);
    float x[N * D];
    int32_t y[N];
    for (int i = 0; i < N * D; i++) x[i] = (float)((i * 37) % 11) / 11.0f - 0.5f;
    for (int i = 0; i < N; i++) y[i] = i % K;

    /* labels out of range */
    bsnn_dataset *data = NULL;
    int32_t bad_labels[N];
    memcpy(bad_labels, y, sizeof y);
    bad_labels[3] = K;
    EXPECT(bsnn_dataset_create(x, bad_labels, N, D, K, &data), BSNN_E_INVALID_ARGUMENT, "label");
    bad_labels[3] = -1;
    EXPECT(bsnn_dataset_create(x, bad_labels, N, D, K, &data), BSNN_E_INVALID_ARGUMENT, "label");
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    tc.batch_size = 1000; /* larger than the data */
    bsnn_trainer *tr = NULL;
    OK(bsnn_trainer_create(m, &tc, &tr));
    bsnn_step_result sr;
    EXPECT(bsnn_trainer_step(tr, x, N * D, bad_labels, N, &sr), BSNN_E_INVALID_ARGUMENT, "label");
    bad_labels[3] = 1 << 30;
    EXPECT(bsnn_trainer_step(tr, x, N * D, bad_labels, N, &sr), BSNN_E_INVALID_ARGUMENT, "label");

    /* NaN / Inf inputs */
    float bad_x[N * D];
    memcpy(bad_x, x, sizeof x);
    bad_x[7] = INFINITY;
    EXPECT(bsnn_trainer_step(tr, bad_x, N * D, y, N, &sr), BSNN_E_NUMERIC, "features");
    bad_x[7] = NAN;
    EXPECT(bsnn_trainer_step(tr, bad_x, N * D, y, N, &sr), BSNN_E_NUMERIC, "features");
    /* A data set may hold NaN (a CSV with "nan" cells is still a well-formed file);
     * training on it stops with NUMERIC before any update, evaluation reports NaN. */
    OK(bsnn_dataset_create(bad_x, y, N, D, K, &data));
    EXPECT(bsnn_trainer_fit(tr, data, NULL, 1, NULL, NULL), BSNN_E_NUMERIC, "NaN or Inf");
    bsnn_dataset_free(data);
    float out[N * K];
    /* Prediction of a non-finite input is the caller's business, but must not crash:
     * either a status or a non-finite output row. */
    st = bsnn_model_predict(m, bad_x, N * D, N, out, N * K);
    TRUE(st == BSNN_OK || st == BSNN_E_NUMERIC);

    /* batch larger than the data, then fit */
    OK(bsnn_dataset_create(x, y, N, D, K, &data));
    OK(bsnn_trainer_fit(tr, data, NULL, 2, NULL, NULL));
    bsnn_evaluation ev;
    OK(bsnn_model_evaluate(m, data, BSNN_LOSS_CROSS_ENTROPY, &ev));
    TRUE(isfinite(ev.loss) && ev.count == N);
    OK(bsnn_model_predict(m, x, N * D, N, out, N * K));
    for (int i = 0; i < N * K; i++) TRUE(isfinite(out[i]));

    /* empty data sets */
    bsnn_dataset *empty = NULL;
    st = bsnn_dataset_create(x, y, 0, D, K, &empty);
    if (st == BSNN_OK) {
        EXPECT(bsnn_trainer_fit(tr, empty, NULL, 1, NULL, NULL), BSNN_E_INVALID_ARGUMENT, "empty");
        EXPECT(bsnn_model_evaluate(m, empty, BSNN_LOSS_CROSS_ENTROPY, &ev), BSNN_E_INVALID_ARGUMENT, "empty");
        bsnn_dataset_free(empty);
    } else {
        EXPECT(st, BSNN_E_INVALID_ARGUMENT, "count");
    }
    bsnn_dataset *none = NULL;
    EXPECT(bsnn_dataset_prefix(data, 0, &none), BSNN_E_INVALID_ARGUMENT, "n");
    TRUE(none == NULL);
    EXPECT(bsnn_trainer_step(tr, x, 0, y, 0, &sr), BSNN_E_INVALID_ARGUMENT, "count");
    EXPECT(bsnn_model_predict(m, x, 0, 0, out, 0), BSNN_E_INVALID_ARGUMENT, "count");
    EXPECT(bsnn_trainer_fit_arrays(tr, x, 0, y, 0, 1, NULL, NULL), BSNN_E_INVALID_ARGUMENT, "count");

    /* a NaN learning rate is refused up front rather than poisoning the weights */
    bsnn_training_config nan_tc = tc;
    nan_tc.learning_rate = NAN;
    EXPECT(bsnn_trainer_set_config(tr, &nan_tc), BSNN_E_INVALID_ARGUMENT, "learning rate");
    nan_tc.learning_rate = INFINITY;
    EXPECT(bsnn_trainer_set_config(tr, &nan_tc), BSNN_E_INVALID_ARGUMENT, "learning rate");
    nan_tc = tc;
    nan_tc.batch_size = 0;
    EXPECT(bsnn_trainer_set_config(tr, &nan_tc), BSNN_E_INVALID_ARGUMENT, "batch size");

    /* divergence: a huge learning rate must end in NUMERIC (or finite weights), never a crash */
    bsnn_training_config huge = tc;
    huge.learning_rate = 1e30;
    huge.update_mode = 0;
    st = bsnn_trainer_set_config(tr, &huge);
    if (st == BSNN_OK) {
        st = bsnn_trainer_fit(tr, data, NULL, 3, NULL, NULL);
        TRUE(st == BSNN_OK || st == BSNN_E_NUMERIC);
    }
    bsnn_trainer_free(tr);
    bsnn_dataset_free(data);
    bsnn_model_free(m);

    /* all-constant features: min-max and standardization must not divide by zero */
    char images[] = "/tmp/bsnn-robust-XXXXXX";
    int fd = mkstemp(images);
    close(fd);
    char labels[sizeof images + 8];
    snprintf(labels, sizeof labels, "%s.lab", images);
    write_constant_idx(images, labels, 6, 200);
    for (int s = 0; s <= 2; s++) {
        bsnn_dataset *cd = NULL;
        OK(bsnn_dataset_load_idx(images, labels, 0, (bsnn_scaling)s, &cd));
        float f[6 * 4];
        OK(bsnn_dataset_features(cd, f, 6 * 4));
        int finite = 1;
        for (int i = 0; i < 24; i++) finite &= isfinite(f[i]) != 0;
        TRUE(finite);
        bsnn_model *cm = make_model(act, 4, 8, 1, 2, &st);
        OK(st);
        bsnn_trainer *ct = NULL;
        OK(bsnn_trainer_create(cm, NULL, &ct));
        OK(bsnn_trainer_fit(ct, cd, NULL, 1, NULL, NULL));
        bsnn_trainer_free(ct);
        bsnn_model_free(cm);
        bsnn_dataset_free(cd);
    }
    unlink(images);
    unlink(labels);

    /* ---- hostile plugins, validated in a child process */
    if (argc > 3) {
        bsnn_gpn_constants gc;
        double t1 = seconds();
        EXPECT(bsnn_plugin_validate_isolated(argv[1], "segfault", NULL, NULL, 0, 20000, &gc), BSNN_E_PLUGIN, "crashed with SIGSEGV");
        EXPECT(bsnn_plugin_validate_isolated(argv[2], "hang", NULL, NULL, 0, 300, &gc), BSNN_E_PLUGIN, "timed out after 0.3 s");
        TRUE(seconds() - t1 < 15);
        OK(bsnn_plugin_validate_isolated(argv[3], "softclip", NULL, NULL, 0, 20000, &gc));
        TRUE(gc.a > 0 && isfinite(gc.b_plus) && isfinite(gc.b_minus));
        OK(bsnn_plugin_validate_isolated(argv[3], "softclip", NULL, NULL, 0, 20000, NULL));
        const char *pn[] = {"c"};
        double pv[] = {3.0}, bad[] = {NAN};
        bsnn_gpn_constants gc3;
        OK(bsnn_plugin_validate_isolated(argv[3], "softclip", pn, pv, 1, 20000, &gc3));
        TRUE(gc3.a != gc.a);
        EXPECT(bsnn_plugin_validate_isolated(argv[3], "softclip", pn, bad, 1, 20000, &gc3), BSNN_E_INVALID_ARGUMENT, "c");
        EXPECT(bsnn_plugin_validate_isolated(argv[3], "softclip", NULL, NULL, 0, 0, &gc), BSNN_E_INVALID_ARGUMENT, "timeout_ms");
        EXPECT(bsnn_plugin_validate_isolated(NULL, "softclip", NULL, NULL, 0, 1000, &gc), BSNN_E_INVALID_ARGUMENT, "path");
        EXPECT(bsnn_plugin_validate_isolated(argv[3], NULL, NULL, NULL, 0, 1000, &gc), BSNN_E_INVALID_ARGUMENT, "name");
        EXPECT(bsnn_plugin_validate_isolated("/nonexistent.so", "x", NULL, NULL, 0, 1000, &gc), BSNN_E_PLUGIN, "nonexistent");
        /* the host is still alive and working */
        bsnn_model *after = make_model(act, 4, 8, 1, 2, &st);
        OK(st);
        bsnn_model_free(after);
    } else {
        printf("SKIP  hostile plugins (no fixture paths given)\n");
    }

    bsnn_activation_free(act);
    printf("test_robustness: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
