/* The training monitor through the C ABI: off by default (WRONG_STATE), records every N
 * steps, a record equal to bsnn_probe_run on the same weights and batch, the weights
 * bit-identical to an unmonitored run, collapse verdicts (none on a healthy run, one with a
 * far too large learning rate), clear, and bad input. Usage: test_monitor */
#include <bsnn.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "expect.h"

enum { IN = 5, WIDTH = 16, DEPTH = 6, OUT = 3, B = 32, LAYERS = DEPTH + 1 };

static uint64_t rng = 88172645463325252ull;
static double uniform(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (double)(rng >> 11) / 9007199254740992.0; }

static bsnn_model *make_model(bsnn_activation *act) {
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = IN; mc.width = WIDTH; mc.depth = DEPTH; mc.outputs = OUT; mc.activation = act; mc.seed = 3;
    bsnn_model *m = NULL;
    OK(bsnn_model_create(&mc, &m));
    return m;
}

static int same_weights(const bsnn_model *a, const bsnn_model *b) {
    float wa[WIDTH * WIDTH], wb[WIDTH * WIDTH];
    for (size_t l = 0; l < DEPTH + 2; l++) {
        size_t o, i;
        bsnn_model_layer_shape(a, l, &o, &i);
        bsnn_model_get_weights(a, l, wa, o * i);
        bsnn_model_get_weights(b, l, wb, o * i);
        if (memcmp(wa, wb, o * i * sizeof(float)) != 0) return 0;
    }
    return 1;
}

static int close_rel(const double *a, const double *b, size_t n, double rel) {
    for (size_t i = 0; i < n; i++)
        if (!(fabs(a[i] - b[i]) <= rel * fabs(b[i]))) return 0;
    return 1;
}

int main(void) {
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    static float x[4 * B * IN];
    static int32_t y[4 * B];
    for (int i = 0; i < 4 * B * IN; i++) x[i] = (float)(2 * uniform() - 1);
    for (int i = 0; i < 4 * B; i++) y[i] = (int32_t)(uniform() * 3) % 3;

    bsnn_training_config tc;
    OK(bsnn_training_config_init_defaults(&tc, sizeof tc));
    TRUE(tc.monitor_every == 0);
    double values[LAYERS];
    size_t records = 9, layers = 9, step = 0;

    /* Off: every query is WRONG_STATE. */
    bsnn_model *plain = make_model(act);
    bsnn_trainer *tp = NULL;
    OK(bsnn_trainer_create(plain, &tc, &tp));
    EXPECT(bsnn_trainer_monitor_count(tp, &records, &layers), BSNN_E_WRONG_STATE, "monitor_every");
    EXPECT(bsnn_trainer_monitor_values(tp, 0, BSNN_SIGNAL_X_NORM, values, LAYERS, NULL), BSNN_E_WRONG_STATE, "monitor");
    EXPECT(bsnn_trainer_monitor_clear(tp), BSNN_E_WRONG_STATE, "monitor");

    /* On, every 2 steps: records at steps 0 and 2 of 4; record 0 is the probe of the
     * initial weights on the first batch (the probe's tolerance: double sums in another
     * order). */
    bsnn_model *watched = make_model(act);
    bsnn_probe_config pc;
    OK(bsnn_probe_config_init_defaults(&pc, sizeof pc));
    pc.upstream = BSNN_UPSTREAM_LABELS; pc.labels = y; pc.label_count = B;
    bsnn_probe *probe = NULL;
    OK(bsnn_probe_run(watched, x, B * IN, B, &pc, &probe));
    double forward[LAYERS + 1], backward[LAYERS], gradient[LAYERS];
    size_t got = 0;
    OK(bsnn_probe_get(probe, BSNN_PROBE_FORWARD_NORMS, forward, LAYERS + 1, &got));
    OK(bsnn_probe_get(probe, BSNN_PROBE_BACKWARD_NORMS, backward, LAYERS, &got));
    OK(bsnn_probe_get(probe, BSNN_PROBE_BATCH_WEIGHT_GRADIENT_NORMS, gradient, LAYERS, &got));
    bsnn_probe_free(probe);

    tc.monitor_every = 2;
    bsnn_trainer *tw = NULL;
    OK(bsnn_trainer_create(watched, &tc, &tw));
    for (int s = 0; s < 4; s++) {
        OK(bsnn_trainer_step(tp, x + s * B * IN, B * IN, y + s * B, B, NULL));
        OK(bsnn_trainer_step(tw, x + s * B * IN, B * IN, y + s * B, B, NULL));
    }
    TRUE(same_weights(plain, watched));
    OK(bsnn_trainer_monitor_count(tw, &records, &layers));
    TRUE(records == 2 && layers == LAYERS);
    OK(bsnn_trainer_monitor_values(tw, 1, BSNN_SIGNAL_COSINE, values, LAYERS, &step));
    TRUE(step == 2);
    for (int l = 0; l < LAYERS; l++) TRUE(values[l] >= -1 && values[l] <= 1);
    OK(bsnn_trainer_monitor_values(tw, 0, BSNN_SIGNAL_X_NORM, values, LAYERS, &step));
    TRUE(step == 0 && close_rel(values, forward + 1, LAYERS, 1e-5));
    OK(bsnn_trainer_monitor_values(tw, 0, BSNN_SIGNAL_Y_NORM, values, LAYERS, NULL));
    TRUE(close_rel(values, backward, LAYERS, 1e-5));
    OK(bsnn_trainer_monitor_values(tw, 0, BSNN_SIGNAL_GRAD_NORM, values, LAYERS, NULL));
    TRUE(close_rel(values, gradient, LAYERS, 1e-4));
    OK(bsnn_trainer_monitor_values(tw, 0, BSNN_SIGNAL_SATURATED, values, LAYERS, NULL));
    for (int l = 0; l < LAYERS; l++) TRUE(values[l] >= 0 && values[l] <= 1);
    int32_t collapse = -1;
    double value = -1;
    for (size_t r = 0; r < records; r++) {
        OK(bsnn_trainer_monitor_collapse(tw, r, &collapse, &value));
        TRUE(collapse == BSNN_COLLAPSE_NONE && value == 0);
    }

    /* Bad input: nothing written. */
    values[0] = 42;
    EXPECT(bsnn_trainer_monitor_values(tw, 2, BSNN_SIGNAL_X_NORM, values, LAYERS, NULL), BSNN_E_INVALID_ARGUMENT, "record");
    EXPECT(bsnn_trainer_monitor_values(tw, 0, 7, values, LAYERS, NULL), BSNN_E_INVALID_ARGUMENT, "bsnn_signal");
    EXPECT(bsnn_trainer_monitor_values(tw, 0, BSNN_SIGNAL_X_NORM, values, LAYERS - 1, NULL), BSNN_E_SHAPE_MISMATCH, "room for 7");
    EXPECT(bsnn_trainer_monitor_values(tw, 0, BSNN_SIGNAL_X_NORM, NULL, LAYERS, NULL), BSNN_E_INVALID_ARGUMENT, "out");
    EXPECT(bsnn_trainer_monitor_collapse(tw, 0, NULL, &value), BSNN_E_INVALID_ARGUMENT, "out_collapse");
    EXPECT(bsnn_trainer_monitor_count(NULL, &records, &layers), BSNN_E_INVALID_ARGUMENT, "trainer");
    TRUE(values[0] == 42);

    OK(bsnn_trainer_monitor_clear(tw));
    OK(bsnn_trainer_monitor_count(tw, &records, NULL));
    TRUE(records == 0);
    /* monitor_every back to 0 through set_config removes the monitor. */
    tc.monitor_every = 0;
    OK(bsnn_trainer_set_config(tw, &tc));
    EXPECT(bsnn_trainer_monitor_count(tw, &records, NULL), BSNN_E_WRONG_STATE, "monitor");

    /* A far too large learning rate: a collapse verdict before (or instead of) the step
     * guard's divergence. */
    bsnn_activation *relu = NULL;
    OK(bsnn_activation_create_builtin("relu", NULL, NULL, 0, &relu));
    bsnn_model *wild = make_model(relu);
    tc.monitor_every = 1; tc.optimizer = BSNN_OPTIMIZER_SGD; tc.learning_rate = 1e4;
    bsnn_trainer *tx = NULL;
    OK(bsnn_trainer_create(wild, &tc, &tx));
    int found = 0;
    for (int s = 0; s < 20 && !found; s++) {
        if (bsnn_trainer_step(tx, x + (s % 4) * B * IN, B * IN, y + (s % 4) * B, B, NULL) != BSNN_OK) break;
        OK(bsnn_trainer_monitor_count(tx, &records, NULL));
        OK(bsnn_trainer_monitor_collapse(tx, records - 1, &collapse, &value));
        found = collapse != BSNN_COLLAPSE_NONE;
    }
    TRUE(found);
    TRUE(collapse == BSNN_COLLAPSE_NON_FINITE || collapse == BSNN_COLLAPSE_GRADIENT_RATIO || collapse == BSNN_COLLAPSE_SIMILARITY);
    TRUE(collapse != BSNN_COLLAPSE_GRADIENT_RATIO || value > 1e4);
    TRUE(collapse != BSNN_COLLAPSE_SIMILARITY || value > 0.999);

    bsnn_trainer_free(tx); bsnn_model_free(wild); bsnn_activation_free(relu);
    bsnn_trainer_free(tw); bsnn_trainer_free(tp);
    bsnn_model_free(watched); bsnn_model_free(plain);
    bsnn_activation_free(act);
    printf("monitor: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
