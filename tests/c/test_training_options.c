/* Gradient-norm clipping and early stopping through the C ABI: defaults, the reported
 * norm and a clipped SGD step that moves the parameters by exactly clip_grad_norm, the
 * progress record's norm, early stopping's stop and restored weights (bit-identical to a
 * run of best + 1 epochs), and bad input. Usage: test_training_options */
#include <bsnn.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

enum { IN = 5, WIDTH = 24, DEPTH = 2, OUT = 3, N = 96, NV = 64 };

static bsnn_model *make_model(bsnn_activation *act) {
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = IN; mc.width = WIDTH; mc.depth = DEPTH; mc.outputs = OUT; mc.activation = act; mc.seed = 1;
    bsnn_model *m = NULL;
    OK(bsnn_model_create(&mc, &m));
    return m;
}

/* Every weight and bias of the model, layer by layer, into `out` (returns the count). */
static size_t parameters(const bsnn_model *m, double *out) {
    size_t n = 0;
    float buf[WIDTH * WIDTH];
    for (size_t l = 0; l < DEPTH + 2; l++) {
        size_t o, i;
        bsnn_model_layer_shape(m, l, &o, &i);
        bsnn_model_get_weights(m, l, buf, o * i);
        for (size_t k = 0; k < o * i; k++) out[n++] = buf[k];
        bsnn_model_get_bias(m, l, buf, o);
        for (size_t k = 0; k < o; k++) out[n++] = buf[k];
    }
    return n;
}

static uint64_t rng = 88172645463325252ull;
static double uniform(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (double)(rng >> 11) / 9007199254740992.0; }

static double last_progress_norm = NAN;
static int progress_steps_with_norm = 0;
static int on_progress(const bsnn_progress *p, void *user) {
    (void)user;
    if (p->phase == BSNN_PHASE_STEP && p->size >= offsetof(bsnn_progress, gradient_clipped) + sizeof(int32_t)) {
        last_progress_norm = p->gradient_norm;
        if (!isnan(p->gradient_norm)) progress_steps_with_norm++;
    }
    return 0;
}

int main(void) {
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    static float x[N * IN], vx[NV * IN];
    static int32_t y[N], vy[NV];
    for (int i = 0; i < N * IN; i++) x[i] = (float)(2 * uniform() - 1);
    for (int i = 0; i < N; i++) y[i] = (int32_t)(uniform() * 3) % 3;
    for (int i = 0; i < NV * IN; i++) vx[i] = (float)(2 * uniform() - 1);
    for (int i = 0; i < NV; i++) vy[i] = (int32_t)(uniform() * 3) % 3;
    static double before[20000], after[20000], other[20000];

    bsnn_training_config tc;
    OK(bsnn_training_config_init_defaults(&tc, sizeof tc));
    TRUE(tc.clip_grad_norm == 0 && tc.early_stopping_patience == 0);
    TRUE(tc.early_stopping_monitor == BSNN_MONITOR_VALIDATION_LOSS && tc.early_stopping_min_delta == 0);

    /* Clipping off: no norm is measured. */
    {
        bsnn_model *m = make_model(act);
        bsnn_trainer *t = NULL;
        OK(bsnn_trainer_create(m, &tc, &t));
        double norm = 0;
        int32_t clipped = 7;
        OK(bsnn_trainer_last_gradient_norm(t, &norm, &clipped));
        TRUE(isnan(norm) && clipped == 0);
        OK(bsnn_trainer_step(t, x, 16 * IN, y, 16, NULL));
        OK(bsnn_trainer_last_gradient_norm(t, &norm, &clipped));
        TRUE(isnan(norm) && clipped == 0);
        EXPECT(bsnn_trainer_early_stopping_result(t, NULL, NULL, NULL), BSNN_E_WRONG_STATE, "ran without early stopping");
        bsnn_trainer_free(t);
        bsnn_model_free(m);
    }

    /* SGD, learning rate 1: an unclipped step reports the norm; a clipped step from the
     * same weights moves all parameters by exactly c = norm / 3. */
    {
        bsnn_training_config c = tc;
        c.optimizer = BSNN_OPTIMIZER_SGD;
        c.learning_rate = 1;
        c.clip_grad_norm = 1e30;
        bsnn_model *m = make_model(act);
        bsnn_trainer *t = NULL;
        OK(bsnn_trainer_create(m, &c, &t));
        OK(bsnn_trainer_step(t, x, 16 * IN, y, 16, NULL));
        double norm = 0;
        int32_t clipped = 7;
        OK(bsnn_trainer_last_gradient_norm(t, &norm, &clipped));
        TRUE(norm > 0 && isfinite(norm) && clipped == 0);
        bsnn_trainer_free(t);
        bsnn_model_free(m);

        m = make_model(act);
        c.clip_grad_norm = norm / 3;
        OK(bsnn_trainer_create(m, &c, &t));
        size_t n = parameters(m, before);
        OK(bsnn_trainer_step(t, x, 16 * IN, y, 16, NULL));
        double again = 0;
        OK(bsnn_trainer_last_gradient_norm(t, &again, &clipped));
        TRUE(again == norm && clipped == 1);
        parameters(m, after);
        double moved = 0;
        for (size_t k = 0; k < n; k++) moved += (after[k] - before[k]) * (after[k] - before[k]);
        moved = sqrt(moved);
        printf("clip: norm %.9g, c %.9g, |dtheta| %.9g\n", norm, norm / 3, moved);
        TRUE(fabs(moved - norm / 3) <= 1e-3 * norm / 3);

        /* The progress record carries the norm of every step. */
        bsnn_training_config f = c;
        f.optimizer = BSNN_OPTIMIZER_SGD;
        f.learning_rate = 0.01;
        OK(bsnn_trainer_set_config(t, &f));
        OK(bsnn_trainer_fit_arrays(t, x, N * IN, y, N, NULL, 0, NULL, 0, 1, on_progress, NULL));
        OK(bsnn_trainer_last_gradient_norm(t, &norm, NULL));
        TRUE(progress_steps_with_norm == 2 && last_progress_norm == norm);
        bsnn_trainer_free(t);
        bsnn_model_free(m);
    }

    /* Bad clip norms, monitor and early stopping without validation data. */
    {
        bsnn_model *m = make_model(act);
        bsnn_trainer *t = NULL;
        bsnn_training_config c = tc;
        c.clip_grad_norm = -1;
        EXPECT(bsnn_trainer_create(m, &c, &t), BSNN_E_INVALID_ARGUMENT, "clip gradient norm: expected a finite value >= 0");
        c.clip_grad_norm = NAN;
        EXPECT(bsnn_trainer_create(m, &c, &t), BSNN_E_INVALID_ARGUMENT, "got nan");
        c = tc;
        c.early_stopping_patience = 2;
        c.early_stopping_monitor = 7;
        EXPECT(bsnn_trainer_create(m, &c, &t), BSNN_E_INVALID_ARGUMENT, "config->early_stopping_monitor");
        c.early_stopping_monitor = BSNN_MONITOR_VALIDATION_LOSS;
        c.early_stopping_min_delta = -1;
        EXPECT(bsnn_trainer_create(m, &c, &t), BSNN_E_INVALID_ARGUMENT, "min delta");
        c.early_stopping_min_delta = 0;
        OK(bsnn_trainer_create(m, &c, &t));
        EXPECT(bsnn_trainer_fit_arrays(t, x, N * IN, y, N, NULL, 0, NULL, 0, 3, NULL, NULL), BSNN_E_INVALID_ARGUMENT,
               "early stopping: expected a validation set");
        bsnn_trainer_state st;
        OK(bsnn_trainer_state_get(t, &st));
        TRUE(st.global_step == 0);
        bsnn_trainer_free(t);
        bsnn_model_free(m);
    }

    /* Early stopping on noise labels: the validation loss rises once the net memorizes. */
    {
        bsnn_training_config c = tc;
        c.optimizer = BSNN_OPTIMIZER_ADAM;
        c.learning_rate = 0.002;
        c.batch_size = 16;
        c.seed = 2;
        c.early_stopping_patience = 3;
        bsnn_model *m = make_model(act);
        bsnn_trainer *t = NULL;
        OK(bsnn_trainer_create(m, &c, &t));
        OK(bsnn_trainer_fit_arrays(t, x, N * IN, y, N, vx, NV * IN, vy, NV, 40, NULL, NULL));
        bsnn_trainer_state st;
        OK(bsnn_trainer_state_get(t, &st));
        size_t best = 99;
        double value = 0;
        int32_t stopped = 0;
        OK(bsnn_trainer_early_stopping_result(t, &best, &value, &stopped));
        printf("early stopping: stopped %d after %zu epochs, best epoch %zu (validation loss %.6f)\n", stopped, st.epoch,
               best, value);
        TRUE(stopped == 1 && st.epoch < 40 && best > 0 && best + 1 + c.early_stopping_patience == st.epoch);
        size_t n = parameters(m, after);

        bsnn_training_config plain = c;
        plain.early_stopping_patience = 0;
        bsnn_model *m2 = make_model(act);
        bsnn_trainer *t2 = NULL;
        OK(bsnn_trainer_create(m2, &plain, &t2));
        OK(bsnn_trainer_fit_arrays(t2, x, N * IN, y, N, vx, NV * IN, vy, NV, best + 1, NULL, NULL));
        parameters(m2, other);
        TRUE(memcmp(after, other, n * sizeof(double)) == 0);
        bsnn_trainer_free(t2);
        bsnn_model_free(m2);
        bsnn_trainer_free(t);
        bsnn_model_free(m);
    }

    bsnn_activation_free(act);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
