/* Numeric and size robustness of the C ABI: NaN/Inf data, constant features, labels out
 * of range, empty data, batches larger than the data, zero-width layers, absurd sizes
 * (must fail fast with a message, before any allocation), and hostile plugins through
 * bsnn_plugin_validate_isolated / bsnn_foreign_validate_isolated (also with SIGCHLD
 * ignored), the model's one-change-at-a-time rule (re-entrant fit, set_weights from a
 * progress callback), set_weights failing without changing anything, in-place
 * evaluation, and that bsnn leaves OpenBLAS's thread count to the host. Every call must
 * return a status; none may crash.
 * Usage: test_robustness [segfault.so hang.so good.so [fixture-dir]]
 * (fixture-dir holds lib{closes_output,forks_lingering,crashes_after_fork,calls_exit}.so) */
#include <bsnn.h>
#include <cblas.h>
#include <errno.h>
#include <signal.h>
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

/* Whether process `pid` is gone or a zombie (killed, not yet reaped by its new parent),
 * waiting up to 10 s for the kill to land. */
static int process_ended(pid_t pid) {
    for (int i = 0; i < 1000; i++) {
        char path[64], state = 0;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "r");
        if (!f) return 1;
        int n = fscanf(f, "%*d (%*[^)]) %c", &state);
        fclose(f);
        if (n == 1 && (state == 'Z' || state == 'X')) return 1;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

static pid_t read_pid(const char *file) {
    FILE *f = fopen(file, "r");
    int pid = 0;
    if (f) { if (fscanf(f, "%d", &pid) != 1) pid = 0; fclose(f); }
    return (pid_t)pid;
}

/* The hostile fixtures of issue 12 item 2 (see their sources for what each does). */
static void hostile_children(const char *dir, const char *segfault, const char *hang, const char *good) {
    char path[4096];
    bsnn_gpn_constants gc;
    char pid_file[] = "/tmp/bsnn-test-pid-XXXXXX";
    int fd = mkstemp(pid_file);
    TRUE(fd >= 0);
    if (fd >= 0) close(fd);
    setenv("BSNN_TEST_PID_FILE", pid_file, 1);

    /* Closes the pipe and keeps running: returns at the deadline, killed. */
    snprintf(path, sizeof path, "%s/libcloses_output.so", dir);
    double t0 = seconds();
    EXPECT(bsnn_plugin_validate_isolated(path, "closes_output", NULL, NULL, 0, 300, &gc), BSNN_E_PLUGIN, "timed out after 0.3 s");
    TRUE(seconds() - t0 < 15);

    /* Forks a lingering process: the result comes back and the process is killed. */
    snprintf(path, sizeof path, "%s/libforks_lingering.so", dir);
    bsnn_activation *lingering = NULL;
    bsnn_gpn_constants local;
    OK(bsnn_plugin_validate_isolated(path, "forks_lingering", NULL, NULL, 0, 20000, &gc));
    pid_t pid = read_pid(pid_file);
    TRUE(pid > 0 && process_ended(pid));
    /* The same constants as in-process (the same quadrature replayed). In-process the
     * fixture forks here too; that process is ours to end. */
    truncate(pid_file, 0);
    OK(bsnn_activation_create_plugin(path, "forks_lingering", NULL, NULL, 0, &lingering));
    OK(bsnn_activation_constants(lingering, &local));
    TRUE(memcmp(&local.a, &gc.a, sizeof gc.a) == 0 && memcmp(&local.b_plus, &gc.b_plus, sizeof gc.b_plus) == 0);
    pid = read_pid(pid_file);
    if (pid > 0) kill(pid, SIGKILL);
    bsnn_activation_free(lingering);

    /* Forks, then crashes: a crash (not a time-out) although the pipe stays open. */
    snprintf(path, sizeof path, "%s/libcrashes_after_fork.so", dir);
    truncate(pid_file, 0);
    t0 = seconds();
    EXPECT(bsnn_plugin_validate_isolated(path, "crashes_after_fork", NULL, NULL, 0, 20000, &gc), BSNN_E_PLUGIN, "crashed with SIGSEGV");
    TRUE(seconds() - t0 < 15);
    pid = read_pid(pid_file);
    TRUE(pid > 0 && process_ended(pid));

    /* Calls exit(): reported, and the host's buffered output is written once. */
    snprintf(path, sizeof path, "%s/libcalls_exit.so", dir);
    char out_file[] = "/tmp/bsnn-test-stdio-XXXXXX";
    fd = mkstemp(out_file);
    FILE *buffered = fd >= 0 ? fdopen(fd, "w") : NULL;
    TRUE(buffered != NULL);
    if (buffered) {
        setvbuf(buffered, NULL, _IOFBF, 1 << 16);
        fputs("written once\n", buffered);
        EXPECT(bsnn_plugin_validate_isolated(path, "calls_exit", NULL, NULL, 0, 20000, &gc), BSNN_E_PLUGIN, "without a result");
        fclose(buffered);
        FILE *r = fopen(out_file, "r");
        char text[256] = {0};
        size_t n = r ? fread(text, 1, sizeof text - 1, r) : 0;
        if (r) fclose(r);
        TRUE(n == strlen("written once\n") && strcmp(text, "written once\n") == 0);
    }
    unlink(out_file);

    /* A host that ignores SIGCHLD (the kernel reaps children at once): crashes,
     * time-outs, early exits and results are still told apart. */
    void (*previous)(int) = signal(SIGCHLD, SIG_IGN);
    EXPECT(bsnn_plugin_validate_isolated(segfault, "segfault", NULL, NULL, 0, 20000, &gc), BSNN_E_PLUGIN, "crashed with SIGSEGV");
    EXPECT(bsnn_plugin_validate_isolated(hang, "hang", NULL, NULL, 0, 300, &gc), BSNN_E_PLUGIN, "timed out after 0.3 s");
    EXPECT(bsnn_plugin_validate_isolated(path, "calls_exit", NULL, NULL, 0, 20000, &gc), BSNN_E_PLUGIN, "without a result");
    OK(bsnn_plugin_validate_isolated(good, "softclip", NULL, NULL, 0, 20000, &gc));
    TRUE(gc.a > 0);
    EXPECT(bsnn_foreign_validate_isolated("libc.so.6", "environ", "double(double)", NULL, 0, 20000, &gc), BSNN_E_PLUGIN, "crashed with SIG");
    signal(SIGCHLD, previous);

    unsetenv("BSNN_TEST_PID_FILE");
    unlink(pid_file);
}

/* Foreign functions validated in a child: a data symbol declared as a function crashes
 * the child, not us; a real one gives the in-process constants bit for bit. */
static void foreign_isolated(void) {
    bsnn_gpn_constants gc, local;
    EXPECT(bsnn_foreign_validate_isolated("libc.so.6", "environ", "double(double)", NULL, 0, 20000, &gc), BSNN_E_PLUGIN, "crashed with SIG");
    OK(bsnn_foreign_validate_isolated("libm.so.6", "erf", "double(double)", NULL, 0, 20000, &gc));
    bsnn_activation *erf_act = NULL;
    OK(bsnn_activation_create_foreign("libm.so.6", "erf", "double(double)", NULL, 0, &erf_act));
    OK(bsnn_activation_constants(erf_act, &local));
    TRUE(memcmp(&gc, &local, sizeof gc) == 0);
    bsnn_activation_free(erf_act);
    EXPECT(bsnn_foreign_validate_isolated("libm.so.6", "erf", "double(", NULL, 0, 20000, &gc), BSNN_E_INVALID_ARGUMENT, "signature");
    EXPECT(bsnn_foreign_validate_isolated("libm.so.6", "no_such_symbol", "double(double)", NULL, 0, 20000, &gc), BSNN_E_PLUGIN, "no_such_symbol");
    EXPECT(bsnn_foreign_validate_isolated("libm.so.6", "erf", "double(double)", NULL, 0, 0, &gc), BSNN_E_INVALID_ARGUMENT, "timeout_ms");
    EXPECT(bsnn_foreign_validate_isolated(NULL, "erf", "double(double)", NULL, 0, 1000, &gc), BSNN_E_INVALID_ARGUMENT, "library");
}

/* In-place evaluation (value == x) gives what out-of-place evaluation gives. */
static void evaluate_in_place(bsnn_activation *a, const char *what) {
    enum { M = 9 };
    float x[M], v[M], d[M], inplace[M], d2[M];
    for (int i = 0; i < M; i++) x[i] = inplace[i] = -2.0f + 0.5f * (float)i;
    OK(bsnn_activation_evaluate(a, x, M, v, d));
    OK(bsnn_activation_evaluate(a, inplace, M, inplace, d2));
    int same = memcmp(v, inplace, sizeof v) == 0 && memcmp(d, d2, sizeof d) == 0;
    if (!same) printf("in-place evaluation of %s differs: derivative at -2: %g vs %g\n", what, d2[0], d[0]);
    TRUE(same);
}

typedef struct {
    bsnn_trainer *trainer;
    bsnn_model *model;
    const float *features;
    const int32_t *labels;
    size_t count, inputs;
    bsnn_status fit_status, step_status, weights_status;
    char message[256];
    int calls;
} reentry;

static int reenter(const bsnn_progress *p, void *user) {
    (void)p;
    reentry *r = user;
    if (r->calls++ > 0) return 0;
    r->fit_status = bsnn_trainer_fit_arrays(r->trainer, r->features, r->count * r->inputs, r->labels, r->count, NULL, 0, NULL, 0, 1, NULL, NULL);
    snprintf(r->message, sizeof r->message, "%s", bsnn_last_error());
    r->step_status = bsnn_trainer_step(r->trainer, r->features, r->count * r->inputs, r->labels, r->count, NULL);
    size_t rows, cols;
    bsnn_model_layer_shape(r->model, 1, &rows, &cols);
    float w[64];
    bsnn_model_get_weights(r->model, 1, w, rows * cols);
    r->weights_status = bsnn_model_set_weights(r->model, 1, w, rows * cols);
    return 0; /* continue */
}

/* The model-change rule: fit, step and set_weights from a progress callback (the
 * training call is still running) are refused with WRONG_STATE; afterwards they work. */
static void one_change_at_a_time(bsnn_activation *act) {
    bsnn_status st;
    bsnn_model *m = make_model(act, 4, 8, 2, 2, &st);
    OK(st);
    bsnn_trainer *t = NULL;
    OK(bsnn_trainer_create(m, NULL, &t));
    float f[16 * 4];
    int32_t l[16];
    for (int i = 0; i < 16; i++) { l[i] = i % 2; for (int j = 0; j < 4; j++) f[i * 4 + j] = (float)(l[i] + 0.1 * j); }
    reentry r = {.trainer = t, .model = m, .features = f, .labels = l, .count = 16, .inputs = 4};
    OK(bsnn_trainer_fit_arrays(t, f, 16 * 4, l, 16, NULL, 0, NULL, 0, 1, reenter, &r));
    TRUE(r.fit_status == BSNN_E_WRONG_STATE && strstr(r.message, "re-entrantly") != NULL);
    TRUE(r.step_status == BSNN_E_WRONG_STATE);
    TRUE(r.weights_status == BSNN_E_WRONG_STATE);
    /* A second trainer on the model is fine while the first is idle. */
    bsnn_trainer *t2 = NULL;
    OK(bsnn_trainer_create(m, NULL, &t2));
    OK(bsnn_trainer_step(t2, f, 16 * 4, l, 16, NULL));
    OK(bsnn_trainer_fit_arrays(t, f, 16 * 4, l, 16, NULL, 0, NULL, 0, 2, NULL, NULL)); /* epochs: the total to reach */
    float w[64];
    OK(bsnn_model_get_weights(m, 1, w, 64));
    OK(bsnn_model_set_weights(m, 1, w, 64));
    bsnn_trainer_free(t2);
    bsnn_trainer_free(t);
    bsnn_model_free(m);
}

/* A failing set_weights (zero row, a row whose norm overflows) changes nothing. */
static void set_weights_all_or_nothing(bsnn_activation *act) {
    bsnn_status st;
    bsnn_model *m = make_model(act, 4, 8, 2, 2, &st); /* hidden layers row-normalized by default */
    OK(st);
    float before[64], after[64], bad[64], x[4] = {0.5f, -1, 2, 0.25f}, y0[2], y1[2];
    OK(bsnn_model_get_weights(m, 1, before, 64));
    OK(bsnn_model_predict(m, x, 4, 1, y0, 2));
    memcpy(bad, before, sizeof bad);
    for (int j = 0; j < 8; j++) bad[3 * 8 + j] = 0; /* row 3 zero, rows 0-2 valid and different */
    for (int j = 0; j < 24; j++) bad[j] *= 2;
    EXPECT(bsnn_model_set_weights(m, 1, bad, 64), BSNN_E_NUMERIC, "row 3");
    OK(bsnn_model_get_weights(m, 1, after, 64));
    OK(bsnn_model_predict(m, x, 4, 1, y1, 2));
    TRUE(memcmp(before, after, sizeof before) == 0 && memcmp(y0, y1, sizeof y0) == 0);
    memcpy(bad, before, sizeof bad);
    for (int j = 0; j < 8; j++) bad[5 * 8 + j] = 3e38f; /* finite values, norm overflows */
    for (int j = 0; j < 8; j++) bad[j] = 1;
    EXPECT(bsnn_model_set_weights(m, 1, bad, 64), BSNN_E_NUMERIC, "row 5");
    OK(bsnn_model_get_weights(m, 1, after, 64));
    OK(bsnn_model_predict(m, x, 4, 1, y1, 2));
    TRUE(memcmp(before, after, sizeof before) == 0 && memcmp(y0, y1, sizeof y0) == 0);
    bsnn_model_free(m);
}

/* bsnn never sets OpenBLAS's process-wide thread count on its own: a host's setting
 * survives creating, saving and loading a model. */
static void host_thread_count_kept(bsnn_activation *act) {
    if (getenv("BSNN_NUM_THREADS")) { printf("SKIP  host thread count (BSNN_NUM_THREADS is set)\n"); return; }
    openblas_set_num_threads(2);
    int host = openblas_get_num_threads();
    bsnn_status st;
    bsnn_model *m = make_model(act, 4, 8, 2, 2, &st);
    OK(st);
    char dir[] = "/tmp/bsnn-test-threads-XXXXXX";
    TRUE(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/m.safetensors", dir);
    OK(bsnn_model_save(m, path));
    bsnn_model *loaded = NULL;
    OK(bsnn_model_load(path, 0, &loaded));
    TRUE(openblas_get_num_threads() == host);
    TRUE(bsnn_blas_threads() == (size_t)host);
    bsnn_model_free(loaded);
    bsnn_model_free(m);
    unlink(path);
    rmdir(dir);
    /* Threading as OpenBLAS reports it. */
    TRUE(((bsnn_features() & BSNN_FEATURE_THREADED_BLAS) != 0) == (openblas_get_parallel() != 0));
}

/* bsnn_last_error keeps the reason when echoed input makes a message too long. */
static void long_message_keeps_reason(void) {
    char path[3200];
    memset(path, 'a', sizeof path);
    memcpy(path, "/nonexistent-", 13);
    for (size_t i = 100; i < sizeof path; i += 100) path[i] = '/';
    memcpy(path + sizeof path - 4, ".so", 4);
    bsnn_plugin *p = NULL;
    EXPECT(bsnn_plugin_load(path, &p), BSNN_E_PLUGIN, "No such file or directory");
    const char *msg = bsnn_last_error();
    TRUE(strlen(msg) <= 2047 && strncmp(msg, "bsnn_plugin_load: cannot load", 29) == 0);
}

int main(int argc, char **argv) {
    /* First call of the process: reading the BLAS thread count reports OpenBLAS's own
     * and changes nothing (BSNN_NUM_THREADS, when set, is the environment's request). */
    if (!getenv("BSNN_NUM_THREADS")) {
        int own = openblas_get_num_threads();
        TRUE(bsnn_blas_threads() == (size_t)own && openblas_get_num_threads() == own);
    }
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    bsnn_status st;
    host_thread_count_kept(act);
    bsnn_blas_set_threads(1);
    one_change_at_a_time(act);
    set_weights_all_or_nothing(act);
    long_message_keeps_reason();
    foreign_isolated();
    evaluate_in_place(act, "tanh");
    bsnn_activation *gpn = NULL, *erf_act = NULL;
    OK(bsnn_activation_normalize(act, BSNN_GPN_B_PLUS, &gpn));
    evaluate_in_place(gpn, "tanh-GPN");
    OK(bsnn_activation_create_foreign("libm.so.6", "erf", "double(double)", NULL, 0, &erf_act));
    evaluate_in_place(erf_act, "foreign erf");
    bsnn_activation_free(gpn);
    bsnn_activation_free(erf_act);

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
    /* A data set never holds NaN or Inf (the CSV reader rejects such cells too), and
     * fit on arrays rejects them before its first step, naming the sample. */
    EXPECT(bsnn_dataset_create(bad_x, y, N, D, K, &data), BSNN_E_NUMERIC, "sample 1 contains NaN");
    TRUE(data == NULL);
    EXPECT(bsnn_trainer_fit_arrays(tr, bad_x, N * D, y, N, NULL, 0, NULL, 0, 1, NULL, NULL), BSNN_E_NUMERIC,
           "features: sample 1");
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
    EXPECT(bsnn_trainer_fit_arrays(tr, x, 0, y, 0, NULL, 0, NULL, 0, 1, NULL, NULL), BSNN_E_INVALID_ARGUMENT, "count");

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
        bsnn_activation *plugin_act = NULL;
        OK(bsnn_activation_create_plugin(argv[3], "softclip", NULL, NULL, 0, &plugin_act));
        evaluate_in_place(plugin_act, "plugin softclip");
        bsnn_activation_free(plugin_act);
        if (argc > 4) hostile_children(argv[4], argv[1], argv[2], argv[3]);
        else printf("SKIP  hostile children (no fixture directory given)\n");
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
