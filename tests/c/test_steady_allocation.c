/* A training step in steady state allocates nothing: every buffer a step needs is made
 * once per shape (the workspace, the optimizer slots) by the first steps. Run with
 * benchmarks/malloc_count.so preloaded, which counts every malloc, calloc, realloc and
 * posix_memalign call of the process (libbsnn's Swift runtime included) and, apart,
 * those made from inside libopenblas: OpenBLAS 0.3.21 allocates a job array for every
 * product it runs on several threads, which bsnn cannot change, so those are printed,
 * not asserted. The test reads the counts around 20 steps after 3 warm-up steps, for both update modes,
 * each optimizer, clipping, weight decay, batch norm, residual links with dropout, and
 * a batch of another size (which allocates once, then never again), on one OpenBLAS
 * thread and on two (where a second thread runs half of each large layer's update). */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

#include "expect.h"

/* 256 × 256 square layers: large enough that two threads split their updates. */
enum { INPUTS = 32, WIDTH = 256, DEPTH = 4, OUTPUTS = 5, BATCH = 16, SAMPLES = 64 };

static uint64_t (*malloc_calls)(void), (*openblas_calls)(void);
static uint64_t openblas_total;

struct variant {
    const char *name;
    int32_t update_mode, optimizer, norm, residual;
    double clip, weight_decay, dropout;
};

/* Calls of malloc & co. made by `steps` steps over the data in batches of `batch`,
 * outside libopenblas (whose own calls are added to openblas_total). */
static uint64_t allocations(bsnn_trainer *t, const float *x, const int32_t *y, size_t batch, int steps) {
    uint64_t before = malloc_calls(), openblas_before = openblas_calls();
    for (int s = 0; s < steps; s++) {
        size_t first = ((size_t)s * batch) % (SAMPLES - batch + 1);
        OK(bsnn_trainer_step(t, x + first * INPUTS, batch * INPUTS, y + first, batch, NULL));
    }
    uint64_t openblas = openblas_calls() - openblas_before;
    openblas_total += openblas;
    return malloc_calls() - before - openblas;
}

static void check(const struct variant *v, bsnn_activation *tanh_, const float *x, const int32_t *y) {
    bsnn_model_config mc;
    OK(bsnn_model_config_init_defaults(&mc, sizeof mc));
    mc.inputs = INPUTS, mc.width = WIDTH, mc.depth = DEPTH, mc.outputs = OUTPUTS;
    mc.activation = tanh_, mc.seed = 3, mc.norm = v->norm, mc.residual = v->residual, mc.dropout = v->dropout;
    bsnn_model *m = NULL;
    OK(bsnn_model_create(&mc, &m));
    bsnn_training_config tc;
    OK(bsnn_training_config_init_defaults(&tc, sizeof tc));
    tc.batch_size = BATCH, tc.learning_rate = 1e-3, tc.update_mode = v->update_mode, tc.optimizer = v->optimizer;
    tc.clip_grad_norm = v->clip, tc.weight_decay = v->weight_decay;
    bsnn_trainer *t = NULL;
    OK(bsnn_trainer_create(m, &tc, &t));
    if (!t) {
        bsnn_model_free(m);
        return;
    }
    allocations(t, x, y, BATCH, 3);
    uint64_t steady = allocations(t, x, y, BATCH, 20);
    TRUE(steady == 0);
    if (steady) printf("  %s: %llu allocations in 20 steady-state steps\n", v->name, (unsigned long long)steady);
    /* A new batch size gets its buffers on its first step; after that it is steady too. */
    allocations(t, x, y, BATCH / 2, 1);
    uint64_t resized = allocations(t, x, y, BATCH / 2, 10) + allocations(t, x, y, BATCH, 10);
    TRUE(resized == 0);
    if (resized) printf("  %s: %llu allocations after a batch-size change\n", v->name, (unsigned long long)resized);
    printf("%-34s steady %llu, after a batch-size change %llu\n", v->name, (unsigned long long)steady,
           (unsigned long long)resized);
    bsnn_trainer_free(t);
    bsnn_model_free(m);
}

int main(void) {
    /* The POSIX idiom for a function pointer from dlsym (ISO C has no such conversion). */
    *(void **)&malloc_calls = dlsym(RTLD_DEFAULT, "bsnn_bench_malloc_calls");
    *(void **)&openblas_calls = dlsym(RTLD_DEFAULT, "bsnn_bench_malloc_calls_from_openblas");
    if (!malloc_calls || !openblas_calls) {
        printf("FAIL: run with LD_PRELOAD=benchmarks/build/malloc_count.so (no counter found)\n");
        return 1;
    }
    static float x[SAMPLES * INPUTS];
    static int32_t y[SAMPLES];
    for (int i = 0; i < SAMPLES * INPUTS; i++) x[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
    for (int i = 0; i < SAMPLES; i++) y[i] = i % OUTPUTS;
    bsnn_activation *tanh_ = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &tanh_));
    const struct variant variants[] = {
        {"checked, momentum", BSNN_UPDATE_CHECKED, BSNN_OPTIMIZER_MOMENTUM, BSNN_NORM_NONE, 0, 0, 0, 0},
        {"fused, momentum", BSNN_UPDATE_FUSED, BSNN_OPTIMIZER_MOMENTUM, BSNN_NORM_NONE, 0, 0, 0, 0},
        {"checked, sgd + weight decay", BSNN_UPDATE_CHECKED, BSNN_OPTIMIZER_SGD, BSNN_NORM_NONE, 0, 0, 1e-3, 0},
        {"fused, nesterov", BSNN_UPDATE_FUSED, BSNN_OPTIMIZER_NESTEROV, BSNN_NORM_NONE, 0, 0, 0, 0},
        {"checked, adam + clipping", BSNN_UPDATE_CHECKED, BSNN_OPTIMIZER_ADAM, BSNN_NORM_NONE, 0, 0.05, 0, 0},
        {"fused, adam + clipping", BSNN_UPDATE_FUSED, BSNN_OPTIMIZER_ADAM, BSNN_NORM_NONE, 0, 0.05, 0, 0},
        {"checked, rmsprop", BSNN_UPDATE_CHECKED, BSNN_OPTIMIZER_RMSPROP, BSNN_NORM_NONE, 0, 0, 0, 0},
        {"fused, adagrad", BSNN_UPDATE_FUSED, BSNN_OPTIMIZER_ADAGRAD, BSNN_NORM_NONE, 0, 0, 0, 0},
        {"checked, batch norm", BSNN_UPDATE_CHECKED, BSNN_OPTIMIZER_MOMENTUM, BSNN_NORM_BATCH, 0, 0, 0, 0},
        {"checked, layer norm", BSNN_UPDATE_CHECKED, BSNN_OPTIMIZER_MOMENTUM, BSNN_NORM_LAYER, 0, 0, 0, 0},
        {"fused, residual + dropout", BSNN_UPDATE_FUSED, BSNN_OPTIMIZER_MOMENTUM, BSNN_NORM_NONE, 1, 0, 0, 0.1},
    };
    for (size_t threads = 1; threads <= 2; threads++) {
        OK(bsnn_blas_set_threads(threads));
        printf("OpenBLAS threads: %zu\n", bsnn_blas_threads());
        openblas_total = 0;
        for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) check(&variants[i], tanh_, x, y);
        printf("allocations inside libopenblas during those steps (not bsnn's): %llu\n", (unsigned long long)openblas_total);
    }
    bsnn_activation_free(tanh_);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
