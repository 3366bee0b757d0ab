/* Peer: FANN 2.2 (Debian libfann-dev), float build.
 *
 * FANN is what a C user reaches for without a BLAS: it loops over connections
 * one neuron at a time, single-threaded. Differences from the benchmark net,
 * all forced by FANN: loss is MSE on a linear output layer (FANN has no
 * softmax cross-entropy), no row normalization of the hidden weights, and
 * FANN_TRAIN_BATCH ignores the momentum setting (it is still set to 0.5).
 * One step = fann_train_epoch over a 64-sample training set.
 *
 * Build: cc -O2 fann_step.c -lfloatfann -lm
 * Usage: fann_step --depth D [--threads 1] [--steps N] [--warmup W]
 */
#include <floatfann.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WIDTH 500
#define N_IN 784
#define N_OUT 10
#define BATCH 64

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Linear interpolation, the same rule as numpy and peers/common.py. */
static double percentile(const double *s, int n, double q) {
    if (n == 1) return s[0];
    double pos = (n - 1) * q / 100.0;
    int lo = (int)pos, hi = lo + 1 < n ? lo + 1 : n - 1;
    return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

int main(int argc, char **argv) {
    int depth = 20, threads = 1, steps = -1, warmup = -1;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--depth")) depth = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--threads")) threads = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--steps")) steps = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--warmup")) warmup = atoi(argv[i + 1]);
        else { fprintf(stderr, "unknown argument %s\n", argv[i]); return 2; }
    }
    if (depth < 0 || steps == 0) { fprintf(stderr, "bad --depth/--steps\n"); return 2; }
    if (threads != 1) {
        printf("{\"peer\": \"fann\", \"depth\": %d, \"threads\": %d, \"batch\": %d, "
               "\"skipped\": \"FANN is single-threaded\"}\n", depth, threads, BATCH);
        return 0;
    }
    /* A depth-200 step is ~10 s, so fewer steps there by default. */
    if (steps < 0) steps = depth >= 100 ? 3 : 20;
    if (warmup < 0) warmup = 1;

    unsigned int nl = (unsigned int)depth + 3;
    unsigned int *layers = malloc(nl * sizeof *layers);
    layers[0] = N_IN;
    for (unsigned int i = 1; i + 1 < nl; i++) layers[i] = WIDTH;
    layers[nl - 1] = N_OUT;
    struct fann *ann = fann_create_standard_array(nl, layers);
    if (!ann) { fprintf(stderr, "fann_create_standard_array failed\n"); return 1; }
    fann_set_activation_function_hidden(ann, FANN_SIGMOID_SYMMETRIC);
    fann_set_activation_steepness_hidden(ann, 1.0f); /* tanh(x), not tanh(x/2) */
    fann_set_activation_function_output(ann, FANN_LINEAR);
    fann_set_training_algorithm(ann, FANN_TRAIN_BATCH);
    fann_set_learning_rate(ann, 1e-4f);
    fann_set_learning_momentum(ann, 0.5f);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);
    srand(1);
    fann_randomize_weights(ann, -0.05f, 0.05f);

    struct fann_train_data *data = fann_create_train(BATCH, N_IN, N_OUT);
    for (int s = 0; s < BATCH; s++) {
        for (int j = 0; j < N_IN; j++) data->input[s][j] = (fann_type)rand() / RAND_MAX * 2 - 1;
        int label = rand() % N_OUT;
        for (int j = 0; j < N_OUT; j++) data->output[s][j] = j == label ? 1 : 0;
    }

    for (int i = 0; i < warmup; i++) fann_train_epoch(ann, data);
    double *t = malloc(steps * sizeof *t);
    float mse = 0;
    for (int i = 0; i < steps; i++) {
        double t0 = now();
        mse = fann_train_epoch(ann, data);
        t[i] = (now() - t0) * 1e3;
    }
    qsort(t, steps, sizeof *t, cmp_double);
    double med = percentile(t, steps, 50);
    double flops = 6.0 * BATCH * ((double)N_IN * WIDTH + (double)depth * WIDTH * WIDTH + WIDTH * N_OUT);
    printf("{\"peer\": \"fann\", \"depth\": %d, \"threads\": 1, \"batch\": %d, \"steps\": %d, "
           "\"median_ms\": %.4f, \"min_ms\": %.4f, \"max_ms\": %.4f, \"p10_ms\": %.4f, "
           "\"p90_ms\": %.4f, \"samples_per_s\": %.2f, \"gflops\": %.3f, "
           "\"fann\": \"2.2.0\", \"loss\": \"mse\", \"mse\": %.5f, "
           "\"note\": \"no softmax-CE, no row-norm, batch mode ignores momentum\"}\n",
           depth, BATCH, steps, med, t[0], t[steps - 1], percentile(t, steps, 10),
           percentile(t, steps, 90), BATCH / (med / 1e3), flops / (med / 1e3) / 1e9, mse);
    fann_destroy_train(data);
    fann_destroy(ann);
    free(t);
    free(layers);
    return 0;
}
