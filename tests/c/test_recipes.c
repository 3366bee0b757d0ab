/* bsnn_recipe_apply: each preset's values (the deep preset's α = 1/sqrt(depth)), fields a
 * recipe does not name kept, fields set afterwards winning, a small struct (0.1 size)
 * refused with nothing written, bad names and NULLs, and a model created from a deep-preset
 * config holding the residual links. Usage: test_recipes */
#include <bsnn.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "expect.h"

int main(void) {
    bsnn_model_config mc;
    bsnn_training_config tc;
    OK(bsnn_model_config_init_defaults(&mc, sizeof mc));
    OK(bsnn_training_config_init_defaults(&tc, sizeof tc));
    mc.seed = 9; mc.dropout = 0.25; tc.batch_size = 32; tc.beta2 = 0.99;

    OK(bsnn_recipe_apply("deep", 200, &mc, &tc));
    TRUE(mc.residual == 1);
    TRUE(fabs(mc.residual_scale - 1 / sqrt(200.0)) < 1e-15);
    TRUE(tc.optimizer == BSNN_OPTIMIZER_ADAM);
    TRUE(tc.learning_rate == 1e-3);
    TRUE(tc.clip_grad_norm == 0);
    /* What the preset does not name stays as the caller set it. */
    TRUE(mc.seed == 9 && mc.dropout == 0.25 && tc.batch_size == 32 && tc.beta2 == 0.99);

    OK(bsnn_recipe_apply("paper", 200, &mc, &tc));
    TRUE(mc.residual == 0);
    TRUE(tc.optimizer == BSNN_OPTIMIZER_MOMENTUM && tc.learning_rate == 1e-4 && tc.momentum == 0.5);

    /* Either struct may be NULL; a later assignment overrides the preset. */
    OK(bsnn_recipe_apply("deep", 16, &mc, NULL));
    TRUE(mc.residual == 1 && mc.residual_scale == 0.25);
    TRUE(tc.optimizer == BSNN_OPTIMIZER_MOMENTUM);
    OK(bsnn_recipe_apply("deep", 16, NULL, &tc));
    tc.learning_rate = 5e-4;
    TRUE(tc.optimizer == BSNN_OPTIMIZER_ADAM && tc.learning_rate == 5e-4);

    /* Bad input: an error naming the problem, nothing written. */
    bsnn_model_config before = mc;
    bsnn_training_config tbefore = tc;
    EXPECT(bsnn_recipe_apply("dep", 200, &mc, &tc), BSNN_E_INVALID_ARGUMENT, "did you mean 'deep'");
    EXPECT(bsnn_recipe_apply(NULL, 200, &mc, &tc), BSNN_E_INVALID_ARGUMENT, "name");
    bsnn_training_config small = tc;
    small.size = offsetof(bsnn_training_config, clip_grad_norm);
    EXPECT(bsnn_recipe_apply("paper", 200, &mc, &small), BSNN_E_INVALID_ARGUMENT, "training->size");
    TRUE(memcmp(&mc, &before, sizeof mc) == 0);
    TRUE(memcmp(&tc, &tbefore, sizeof tc) == 0);

    /* A model made from the deep preset's config has residual links with its α. */
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    OK(bsnn_model_config_init_defaults(&mc, sizeof mc));
    mc.inputs = 5; mc.width = 8; mc.depth = 4; mc.outputs = 3; mc.activation = act;
    OK(bsnn_recipe_apply("deep", mc.depth, &mc, NULL));
    bsnn_model *m = NULL;
    OK(bsnn_model_create(&mc, &m));
    int32_t residual = 0;
    double scale = 0, dropout = -1;
    OK(bsnn_model_get_regularization(m, &residual, &scale, &dropout));
    TRUE(residual == 1 && scale == 0.5 && dropout == 0);
    float alpha = 0;
    OK(bsnn_model_get_residual_scale(m, 2, &alpha));
    TRUE(alpha == 0.5f);
    bsnn_model_free(m);
    bsnn_activation_free(act);

    printf("recipes: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
