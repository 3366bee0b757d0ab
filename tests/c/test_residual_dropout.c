/* Residual links and dropout through the C ABI (bsnn_model_config.residual,
 * residual_scale, dropout): defaults, NaN = learnable α from 0, the α = 0 net equals the
 * input→output net bit for bit, bad values refused, dropout never in predict, save →
 * load keeps settings, α and predictions. Usage: test_residual_dropout */
#include <bsnn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "expect.h"

enum { IN = 4, W = 8, DEPTH = 3, OUT = 3, N = 16 };

static bsnn_model_config base_config(bsnn_activation *act, size_t depth) {
    bsnn_model_config c;
    bsnn_model_config_init_defaults(&c, sizeof c);
    c.inputs = IN; c.width = W; c.depth = depth; c.outputs = OUT; c.activation = act; c.seed = 3;
    return c;
}

int main(void) {
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    bsnn_model_config c = base_config(act, DEPTH);
    TRUE(c.residual == 0 && c.residual_scale == 1.0 && c.dropout == 0.0);

    /* bad values: nothing is created */
    bsnn_model *bad = NULL;
    double bad_dropout[] = {-0.1, 1.0, 1.5, NAN, INFINITY};
    for (size_t i = 0; i < sizeof bad_dropout / sizeof *bad_dropout; i++) {
        c.dropout = bad_dropout[i];
        EXPECT(bsnn_model_create(&c, &bad), BSNN_E_INVALID_ARGUMENT, "dropout: expected a probability in [0, 1)");
        TRUE(bad == NULL);
    }
    c.dropout = 0;
    c.residual = 1;
    c.residual_scale = INFINITY;
    EXPECT(bsnn_model_create(&c, &bad), BSNN_E_INVALID_ARGUMENT, "residual scale");
    TRUE(bad == NULL);

    /* learnable α (NaN), dropout 0.25 */
    c.residual_scale = NAN;
    c.dropout = 0.25;
    bsnn_model *m = NULL;
    OK(bsnn_model_create(&c, &m));
    int32_t residual = -1;
    double scale = 0, dropout = -1;
    OK(bsnn_model_get_regularization(m, &residual, &scale, &dropout));
    TRUE(residual == 1 && isnan(scale) && dropout == 0.25);
    OK(bsnn_model_get_regularization(m, NULL, NULL, NULL));
    float alpha = -1;
    OK(bsnn_model_get_residual_scale(m, 1, &alpha));
    TRUE(alpha == 0.0f);
    EXPECT(bsnn_model_get_residual_scale(m, 0, &alpha), BSNN_E_WRONG_STATE, "no residual link");
    EXPECT(bsnn_model_get_residual_scale(m, DEPTH + 1, &alpha), BSNN_E_WRONG_STATE, "no residual link");
    EXPECT(bsnn_model_get_residual_scale(m, 99, &alpha), BSNN_E_INVALID_ARGUMENT, "layer");
    size_t count = 0;
    OK(bsnn_model_parameter_count(m, &count));
    TRUE(count == IN * W + W + DEPTH * (W * W + W + 1) + W * OUT + OUT);

    /* α = 0: the hidden blocks are identities, so a depth-0 net with the same input and
     * output layers predicts the same bits */
    bsnn_model_config sc = base_config(act, 0);
    bsnn_model *shallow = NULL;
    OK(bsnn_model_create(&sc, &shallow));
    float w0[W * IN], wl[OUT * W];
    OK(bsnn_model_get_weights(m, 0, w0, W * IN));
    OK(bsnn_model_get_weights(m, DEPTH + 1, wl, OUT * W));
    OK(bsnn_model_set_weights(shallow, 0, w0, W * IN));
    OK(bsnn_model_set_weights(shallow, 1, wl, OUT * W));
    float x[N * IN], a[N * OUT], b[N * OUT];
    int32_t y[N];
    for (int i = 0; i < N * IN; i++) x[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
    for (int i = 0; i < N; i++) y[i] = i % OUT;
    OK(bsnn_model_predict(m, x, N * IN, N, a, N * OUT));
    OK(bsnn_model_predict(shallow, x, N * IN, N, b, N * OUT));
    TRUE(memcmp(a, b, sizeof a) == 0);

    /* train with dropout: α moves; predict is deterministic (no dropout) */
    bsnn_training_config t;
    OK(bsnn_training_config_init_defaults(&t, sizeof t));
    t.batch_size = N;
    bsnn_trainer *tr = NULL;
    OK(bsnn_trainer_create(m, &t, &tr));
    bsnn_step_result r;
    for (int s = 0; s < 5; s++) OK(bsnn_trainer_step(tr, x, N * IN, y, N, &r));
    OK(bsnn_model_get_residual_scale(m, 2, &alpha));
    TRUE(alpha != 0.0f && isfinite(alpha));
    OK(bsnn_model_predict(m, x, N * IN, N, a, N * OUT));
    OK(bsnn_model_predict(m, x, N * IN, N, b, N * OUT));
    TRUE(memcmp(a, b, sizeof a) == 0);

    /* the probe reports the residual stream's backward signal, one value per layer 1...depth+1 */
    bsnn_probe *probe = NULL;
    OK(bsnn_probe_run(m, x, N * IN, N, NULL, &probe));
    size_t n_norms = 0;
    OK(bsnn_probe_get(probe, BSNN_PROBE_INPUT_GRADIENT_NORMS, NULL, 0, &n_norms));
    TRUE(n_norms == DEPTH + 1);
    double norms[DEPTH + 1];
    OK(bsnn_probe_get(probe, BSNN_PROBE_INPUT_GRADIENT_NORMS, norms, DEPTH + 1, &n_norms));
    for (int l = 0; l <= DEPTH; l++) TRUE(norms[l] > 0 && isfinite(norms[l]));
    bsnn_probe_free(probe);

    /* save → load: settings, α and predictions bit-identical */
    char path[64];
    snprintf(path, sizeof path, "/tmp/bsnn-residual-dropout-%p.safetensors", (void *)m);
    OK(bsnn_model_save(m, path));
    bsnn_model *loaded = NULL;
    OK(bsnn_model_load(path, 0, &loaded));
    remove(path);
    OK(bsnn_model_get_regularization(loaded, &residual, &scale, &dropout));
    TRUE(residual == 1 && isnan(scale) && dropout == 0.25);
    float alpha2 = 0;
    OK(bsnn_model_get_residual_scale(loaded, 2, &alpha2));
    TRUE(alpha2 == alpha);
    OK(bsnn_model_predict(loaded, x, N * IN, N, b, N * OUT));
    TRUE(memcmp(a, b, sizeof a) == 0);

    /* a fixed scale reads back as itself */
    c.residual_scale = 0.5;
    c.dropout = 0;
    bsnn_model *fixed = NULL;
    OK(bsnn_model_create(&c, &fixed));
    OK(bsnn_model_get_regularization(fixed, &residual, &scale, NULL));
    TRUE(residual == 1 && scale == 0.5);
    OK(bsnn_model_get_residual_scale(fixed, DEPTH, &alpha));
    TRUE(alpha == 0.5f);

    bsnn_model_free(fixed);
    bsnn_model_free(loaded);
    bsnn_trainer_free(tr);
    bsnn_model_free(shallow);
    bsnn_model_free(m);
    bsnn_activation_free(act);
    printf("test_residual_dropout: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
