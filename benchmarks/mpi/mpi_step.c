/* Data-parallel step timing over MPI (benchmarks/mpi.sh runs it with 1 and 2 ranks, one
 * BLAS thread each): the paper's network (784 -> 500 x DEPTH -> 10, tanh-GPN), batch B
 * per rank, bsnn_trainer_step through libbsnn_mpi. Rank 0 prints one JSON line:
 * seconds per step (median of the timed steps), samples per second over all ranks, the
 * seconds per step waited for gradient sums (communication the backward pass did not
 * hide), bytes summed per step, and the time of one blocking MPI_Allreduce of the whole
 * gradient (what the exchange would cost with no overlap).
 * Usage: mpi_step DEPTH BATCH_PER_RANK STEPS */
#include <bsnn.h>
#include <bsnn_mpi.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }

static void must(bsnn_status s, const char *what) {
    if (s != BSNN_OK) { fprintf(stderr, "%s: %s\n", what, bsnn_last_error()); exit(1); }
}

int main(int argc, char **argv) {
    int depth = argc > 1 ? atoi(argv[1]) : 200, b = argc > 2 ? atoi(argv[2]) : 64, steps = argc > 3 ? atoi(argv[3]) : 10;
    bsnn_mpi *mpi = NULL;
    if (bsnn_mpi_create_world(&argc, &argv, &mpi) != 0) return 1;
    int rank = bsnn_mpi_rank(mpi), size = bsnn_mpi_size(mpi);
    bsnn_activation *act = NULL;
    must(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act), "activation");
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = 784; mc.width = 500; mc.depth = (size_t)depth; mc.outputs = 10; mc.activation = act; mc.seed = 1;
    bsnn_model *m = NULL;
    must(bsnn_model_create(&mc, &m), "model");
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    tc.batch_size = (size_t)b * (size_t)size;
    tc.learning_rate = 1e-4; tc.momentum = 0.5;
    bsnn_trainer *t = NULL;
    must(bsnn_trainer_create(m, &tc, &t), "trainer");
    bsnn_gradient_exchange ex;
    bsnn_mpi_exchange(mpi, &ex);
    /* One rank is the plain single-process step: no exchange at all. */
    if (size > 1) must(bsnn_trainer_set_gradient_exchange(t, &ex), "exchange");
    float *x = malloc(sizeof(float) * (size_t)b * 784);
    int32_t *y = malloc(sizeof(int32_t) * (size_t)b);
    uint64_t r = 88172645463325252ull + (uint64_t)rank;
    for (int i = 0; i < b * 784; i++) { r ^= r << 13; r ^= r >> 7; r ^= r << 17; x[i] = (float)((r >> 11) % 1000) / 1000.0f; }
    for (int i = 0; i < b; i++) y[i] = i % 10;
    for (int s = 0; s < 2; s++) must(bsnn_trainer_step(t, x, (size_t)b * 784, y, (size_t)b, NULL), "warm-up step");
    double wait0 = 0; uint64_t bytes0 = 0;
    bsnn_mpi_stats(mpi, &wait0, &bytes0, NULL);
    double *times = malloc(sizeof(double) * (size_t)steps);
    for (int s = 0; s < steps; s++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        must(bsnn_trainer_step(t, x, (size_t)b * 784, y, (size_t)b, NULL), "step");
        times[s] = MPI_Wtime() - t0;
    }
    double wait = 0; uint64_t bytes = 0;
    bsnn_mpi_stats(mpi, &wait, &bytes, NULL);
    qsort(times, (size_t)steps, sizeof *times, cmp);
    double median = times[steps / 2];
    /* The whole gradient in one blocking all-reduce: the exchange without overlap. */
    size_t floats = size > 1 ? (size_t)((bytes - bytes0) / (uint64_t)steps / sizeof(float)) : 0;
    double blocking = 0;
    if (floats > 0) {
        float *g = calloc(floats, sizeof(float));
        double best = 1e30;
        for (int k = 0; k < 3; k++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, g, (int)floats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            double dt = MPI_Wtime() - t0;
            if (dt < best) best = dt;
        }
        blocking = best;
        free(g);
    }
    if (rank == 0)
        printf("{\"label\": \"ranks%d-batch%d-depth%d\", \"bench\": \"mpi-step\", \"ranks\": %d, \"depth\": %d, \"width\": 500, \"batch_per_rank\": %d, \"steps\": %d, "
               "\"step_seconds\": %.6f, \"samples_per_second\": %.2f, \"wait_seconds_per_step\": %.6f, "
               "\"bytes_per_step\": %llu, \"blocking_allreduce_seconds\": %.6f, \"kernel\": \"%s\"}\n",
               size, b, depth, size, depth, b, steps, median, (double)b * size / median, (wait - wait0) / steps,
               (unsigned long long)((bytes - bytes0) / (uint64_t)steps), blocking, getenv("BSNN_KERNEL") ? getenv("BSNN_KERNEL") : "?");
    free(times); free(x); free(y);
    bsnn_trainer_free(t); bsnn_model_free(m); bsnn_activation_free(act);
    bsnn_mpi_free(mpi);
    return 0;
}
