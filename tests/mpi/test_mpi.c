/* Data-parallel training over MPI (libbsnn_mpi + bsnn_trainer_set_gradient_exchange),
 * run under mpirun by scripts/test.d/50-mpi.sh. Usage: test_mpi MODE
 *   equivalence  N ranks x batch 32 for 20 steps at depth 20 against one process with
 *                batch 32N on the same samples (rank 0 trains the reference itself):
 *                within 1e-5 relative; every rank bit-identical after every step.
 *   nan          rank 1 sees a NaN feature at step 3 and a logit overflow at step 5:
 *                both steps fail with BSNN_E_NUMERIC on every rank, no weight changes,
 *                and training goes on.
 *   mismatch     rank 1 starts from another seed: INVALID_ARGUMENT on every rank.
 *   kill         rank 1 kills itself (SIGKILL) at step 5; the script checks that
 *                mpirun ends the others with an error instead of hanging. */
#include <bsnn.h>
#include <bsnn_mpi.h>
#include <math.h>
#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../c/expect.h"

enum { IN = 8, WIDTH = 32, DEPTH = 20, OUT = 4, B = 32, STEPS = 20, LAYERS = DEPTH + 2 };

static bsnn_activation *act;

static bsnn_model *make_model(uint64_t seed) {
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = IN; mc.width = WIDTH; mc.depth = DEPTH; mc.outputs = OUT; mc.activation = act; mc.seed = seed;
    bsnn_model *m = NULL;
    OK(bsnn_model_create(&mc, &m));
    return m;
}

static bsnn_trainer *make_trainer(bsnn_model *m, size_t batch) {
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    tc.batch_size = batch; tc.optimizer = BSNN_OPTIMIZER_MOMENTUM; tc.learning_rate = 0.05; tc.momentum = 0.9;
    bsnn_trainer *t = NULL;
    OK(bsnn_trainer_create(m, &tc, &t));
    return t;
}

static uint64_t hash(const float *w, size_t n) {
    uint64_t h = 1469598103934665603ull;
    const unsigned char *b = (const unsigned char *)w;
    for (size_t i = 0; i < n * sizeof(float); i++) h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

/* 1 when every rank holds `h`. */
static int same_on_all(uint64_t h) {
    uint64_t lo = 0, hi = 0;
    MPI_Allreduce(&h, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
    MPI_Allreduce(&h, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
    return lo == hi;
}

static uint64_t rng = 88172645463325252ull;
static double uniform(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (double)(rng >> 11) / 9007199254740992.0; }

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "equivalence";
    bsnn_mpi *mpi = NULL;
    if (bsnn_mpi_create_world(&argc, &argv, &mpi) != 0) { printf("FAIL bsnn_mpi_create_world\n"); return 1; }
    int rank = bsnn_mpi_rank(mpi), size = bsnn_mpi_size(mpi);
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    bsnn_gradient_exchange ex;
    bsnn_mpi_exchange(mpi, &ex);
    TRUE(ex.process_count == size && ex.rank == rank);

    /* The same global batches on every rank: STEPS × size·B samples. */
    size_t global = (size_t)size * B;
    float *x = malloc(sizeof(float) * STEPS * global * IN);
    int32_t *y = malloc(sizeof(int32_t) * STEPS * global);
    for (size_t i = 0; i < STEPS * global * IN; i++) x[i] = (float)(2 * uniform() - 1);
    for (size_t i = 0; i < STEPS * global; i++) y[i] = (int32_t)((x[i * IN] > 0) + (x[i * IN + 1] > 0.3f) + (x[i * IN + 2] > 0.6f));
    static float w[LAYERS * WIDTH * WIDTH], ref[LAYERS * WIDTH * WIDTH], before[LAYERS * WIDTH * WIDTH];

    if (!strcmp(mode, "mismatch")) {
        bsnn_model *m = make_model(rank == 1 ? 2 : 1);
        bsnn_trainer *t = make_trainer(m, global);
        EXPECT(bsnn_trainer_set_gradient_exchange(t, &ex), BSNN_E_INVALID_ARGUMENT, "differs from process 0");
        bsnn_trainer_free(t); bsnn_model_free(m);
    } else if (!strcmp(mode, "equivalence") || !strcmp(mode, "kill")) {
        bsnn_model *m = make_model(1);
        bsnn_trainer *t = make_trainer(m, global); /* batch_size is the global batch */
        OK(bsnn_trainer_set_gradient_exchange(t, &ex));
        bsnn_model *single = rank == 0 ? make_model(1) : NULL;
        bsnn_trainer *ts = single ? make_trainer(single, global) : NULL;
        int identical = 1;
        for (size_t s = 0; s < STEPS; s++) {
            if (!strcmp(mode, "kill") && rank == 1 && s == 5) raise(SIGKILL);
            const float *gx = x + s * global * IN;
            const int32_t *gy = y + s * global;
            bsnn_step_result r;
            OK(bsnn_trainer_step(t, gx + (size_t)rank * B * IN, B * IN, gy + (size_t)rank * B, B, &r));
            TRUE(r.count == global);  /* every rank reports the global batch */
            if (ts) {
                bsnn_step_result rs;
                OK(bsnn_trainer_step(ts, gx, global * IN, gy, global, &rs));
                TRUE(fabs(r.loss - rs.loss) <= 1e-5 * fabs(rs.loss) && r.correct == rs.correct);
            }
            identical &= same_on_all(hash(w, all_weights(m, LAYERS, w)));
        }
        TRUE(identical);
        if (rank == 0) {
            size_t n = all_weights(m, LAYERS, w);
            all_weights(single, LAYERS, ref);
            double d = 0, nn = 0;
            for (size_t i = 0; i < n; i++) { d += (double)(w[i] - ref[i]) * (w[i] - ref[i]); nn += (double)ref[i] * ref[i]; }
            double rel = sqrt(d / nn);
            printf("%d ranks x batch %d vs 1 x %zu, %d steps, depth %d: ||dW||/||W|| = %.3g\n", size, B, global, STEPS, DEPTH, rel);
            TRUE(rel < 1e-5);
            bsnn_model *fresh = make_model(1);
            all_weights(fresh, LAYERS, before);
            double moved = 0;
            for (size_t i = 0; i < n; i++) moved += (double)(w[i] - before[i]) * (w[i] - before[i]);
            TRUE(sqrt(moved / nn) > 1e-3); /* it trained */
            bsnn_model_free(fresh);
            bsnn_trainer_free(ts); bsnn_model_free(single);
        }
        double wait = 0; uint64_t bytes = 0, steps = 0;
        bsnn_mpi_stats(mpi, &wait, &bytes, &steps);
        TRUE(steps == STEPS && bytes > 0);
        bsnn_trainer_free(t); bsnn_model_free(m);
    } else if (!strcmp(mode, "nan")) {
        bsnn_model *m = make_model(1);
        bsnn_trainer *t = make_trainer(m, global);
        OK(bsnn_trainer_set_gradient_exchange(t, &ex));
        for (size_t s = 0; s < 8; s++) {
            float *lx = x + s * global * IN + (size_t)rank * B * IN;
            const int32_t *ly = y + s * global + (size_t)rank * B;
            if (rank == 1 && s == 3) lx[5] = NAN;          /* fails the batch check on rank 1 */
            if (rank == 1 && s == 5) for (int i = 0; i < B * IN; i++) lx[i] = 3e38f; /* finite, overflows */
            all_weights(m, LAYERS, before);
            bsnn_status st = bsnn_trainer_step(t, lx, B * IN, ly, B, NULL);
            size_t n = all_weights(m, LAYERS, w);
            if (s == 3) {
                EXPECT(st, BSNN_E_NUMERIC, rank == 1 ? "NaN" : "another process");
                TRUE(memcmp(w, before, n * sizeof(float)) == 0);
            } else if (s == 5) {
                TRUE(st == BSNN_E_NUMERIC || st == BSNN_OK); /* tanh may saturate instead of overflowing */
                if (st == BSNN_E_NUMERIC) TRUE(memcmp(w, before, n * sizeof(float)) == 0);
            } else {
                EXPECT(st, BSNN_OK, NULL);
            }
            TRUE(same_on_all(hash(w, n)));
        }
        bsnn_trainer_free(t); bsnn_model_free(m);
    } else {
        printf("FAIL unknown mode %s\n", mode);
        failed++;
    }

    int mine[2] = {passed, failed}, all[2] = {0, 0};
    MPI_Allreduce(mine, all, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (rank == 0) printf("mpi %s (%d ranks): %d passed, %d failed\n", mode, size, all[0], all[1]);
    free(x); free(y);
    bsnn_activation_free(act);
    bsnn_mpi_free(mpi);
    return all[1] == 0 ? 0 : 1;
}
