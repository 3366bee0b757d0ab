/* What exporters read through the C door: bsnn_model_get_effective_weights (W =
 * diag(1/‖vᵢ‖)·V on row-normalized hidden layers, the stored weights elsewhere),
 * bsnn_model_activation (a new handle of what the hidden layers apply: root and
 * constants) and bsnn_activation_source. Usage: test_export_accessors */
#include <bsnn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expect.h"

enum { IN = 5, W = 6, DEPTH = 2, OUT = 3 };

static double my_tanh(double x, void *user) { (void)user; return tanh(x); }

int main(void) {
    bsnn_activation *tanh_act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &tanh_act));
    bsnn_model_config c;
    OK(bsnn_model_config_init_defaults(&c, sizeof c));
    c.inputs = IN; c.width = W; c.depth = DEPTH; c.outputs = OUT; c.activation = tanh_act; c.seed = 3;
    bsnn_model *m = NULL;
    OK(bsnn_model_create(&c, &m));

    /* Rows of V scaled by 1..W: the applied W must not change, V must. */
    float v[W * W], scaled[W * W], eff_before[W * W], eff[W * W], stored[W * W];
    OK(bsnn_model_get_effective_weights(m, 1, eff_before, W * W));
    OK(bsnn_model_get_weights(m, 1, v, W * W));
    for (int i = 0; i < W; i++)
        for (int j = 0; j < W; j++) scaled[i * W + j] = v[i * W + j] * (float)(i + 1);
    OK(bsnn_model_set_weights(m, 1, scaled, W * W));
    OK(bsnn_model_get_effective_weights(m, 1, eff, W * W));
    OK(bsnn_model_get_weights(m, 1, stored, W * W));
    double worst = 0;
    for (int i = 0; i < W; i++) {
        double norm = 0, eff_norm = 0;
        for (int j = 0; j < W; j++) {
            norm += (double)stored[i * W + j] * stored[i * W + j];
            eff_norm += (double)eff[i * W + j] * eff[i * W + j];
            double d = fabs(eff[i * W + j] - eff_before[i * W + j]);
            if (d > worst) worst = d;
        }
        TRUE(fabs(sqrt(eff_norm) - 1) < 1e-6);
        TRUE(fabs(sqrt(norm) - (i + 1)) < 1e-4 * (i + 1));  /* the stored rows kept their scale */
    }
    TRUE(worst < 1e-6);
    /* The input layer is never constrained: effective == stored, bit for bit. */
    float in_w[W * IN], in_eff[W * IN];
    OK(bsnn_model_get_weights(m, 0, in_w, W * IN));
    OK(bsnn_model_get_effective_weights(m, 0, in_eff, W * IN));
    TRUE(memcmp(in_w, in_eff, sizeof in_w) == 0);
    EXPECT(bsnn_model_get_effective_weights(m, 1, eff, W * W - 1), BSNN_E_SHAPE_MISMATCH, "count");
    EXPECT(bsnn_model_get_effective_weights(m, DEPTH + 2, eff, W * W), BSNN_E_INVALID_ARGUMENT, "layer");
    EXPECT(bsnn_model_get_effective_weights(m, 1, NULL, W * W), BSNN_E_INVALID_ARGUMENT, "buffer");

    /* The model's activation: tanh-GPN with the default root b+, constants as computed. */
    bsnn_activation *act = NULL;
    OK(bsnn_model_activation(m, &act));
    bsnn_gpn_root root = BSNN_GPN_NONE;
    OK(bsnn_activation_root(act, &root));
    TRUE(root == BSNN_GPN_B_PLUS);
    int32_t source = -1;
    OK(bsnn_activation_source(act, &source));
    TRUE(source == BSNN_SOURCE_BUILTIN);
    bsnn_gpn_constants k;
    OK(bsnn_activation_constants(act, &k));
    float x = 0.5f, y = 0;
    OK(bsnn_activation_evaluate(act, &x, 1, &y, NULL));
    TRUE(fabs(y - (k.a * tanh(0.5) + k.b_plus)) < 1e-5);
    bsnn_activation_free(act);
    EXPECT(bsnn_model_activation(m, NULL), BSNN_E_INVALID_ARGUMENT, "out");
    EXPECT(bsnn_model_activation(NULL, &act), BSNN_E_INVALID_ARGUMENT, "model");

    /* Sources of the other kinds. */
    bsnn_activation *cb = NULL, *foreign = NULL;
    OK(bsnn_activation_create_callback("mine", my_tanh, NULL, NULL, &cb));
    OK(bsnn_activation_source(cb, &source));
    TRUE(source == BSNN_SOURCE_CALLBACK);
    OK(bsnn_activation_create_foreign("libm.so.6", "erf", "double(double)", NULL, 0, &foreign));
    OK(bsnn_activation_source(foreign, &source));
    TRUE(source == BSNN_SOURCE_FOREIGN);
    EXPECT(bsnn_activation_source(cb, NULL), BSNN_E_INVALID_ARGUMENT, "out");
    bsnn_activation_free(cb);
    bsnn_activation_free(foreign);

    bsnn_model_free(m);
    bsnn_activation_free(tanh_act);
    printf("test_export_accessors: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
