/* Batch and layer normalization through the C ABI: the config fields and their
 * defaults, an old (0.1-sized) config meaning "none", bsnn_model_normalization, the
 * parameter count with γ and β, bad values, a batch of one under BATCH, and
 * save → load → predict bit-identical with trained running statistics. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#include "expect.h"

#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

int main(void) {
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    bsnn_model_config c;
    OK(bsnn_model_config_init_defaults(&c, sizeof c));
    TRUE(c.norm == BSNN_NORM_NONE && c.norm_momentum == 0.1 && c.norm_epsilon == 1e-5);
    c.inputs = 4; c.width = 8; c.depth = 1; c.outputs = 3; c.activation = act;

    /* A caller built against the 0.1 header never sets norm: no normalization. */
    bsnn_model_config old;
    OK(bsnn_model_config_init_defaults(&old, END_OF(bsnn_model_config, seed)));
    old.inputs = 4; old.width = 8; old.depth = 1; old.outputs = 3; old.activation = act;
    bsnn_model *plain = NULL;
    OK(bsnn_model_create(&old, &plain));
    int32_t norm = -1;
    double momentum = 0, epsilon = 0;
    OK(bsnn_model_normalization(plain, &norm, &momentum, &epsilon));
    TRUE(norm == BSNN_NORM_NONE && momentum == 0.1 && epsilon == 1e-5);
    size_t plain_count = 0, count = 0;
    OK(bsnn_model_parameter_count(plain, &plain_count));
    TRUE(plain_count == 4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3);

    /* Bad values are rejected before anything is made. */
    bsnn_model *m = NULL;
    c.norm = 7;
    EXPECT(bsnn_model_create(&c, &m), BSNN_E_INVALID_ARGUMENT, "config->norm: expected BSNN_NORM_NONE (0), BATCH (1) or LAYER (2), got 7");
    TRUE(m == NULL);
    c.norm = BSNN_NORM_BATCH;
    c.norm_momentum = 1.5;
    EXPECT(bsnn_model_create(&c, &m), BSNN_E_INVALID_ARGUMENT, "norm momentum: expected in [0, 1], got 1.5");
    c.norm_momentum = 0.25;
    c.norm_epsilon = -1;
    EXPECT(bsnn_model_create(&c, &m), BSNN_E_INVALID_ARGUMENT, "norm epsilon");
    c.norm_epsilon = 1e-3;
    EXPECT(bsnn_model_normalization(NULL, &norm, NULL, NULL), BSNN_E_INVALID_ARGUMENT, "model");

    OK(bsnn_model_create(&c, &m));
    OK(bsnn_model_normalization(m, &norm, &momentum, &epsilon));
    TRUE(norm == BSNN_NORM_BATCH && momentum == 0.25 && epsilon == 1e-3);
    OK(bsnn_model_normalization(m, &norm, NULL, NULL));
    OK(bsnn_model_parameter_count(m, &count));
    TRUE(count == plain_count + 2 * 8 * 2); /* γ and β on the input and the hidden layer */

    bsnn_training_config t;
    OK(bsnn_training_config_init_defaults(&t, sizeof t));
    bsnn_trainer *tr = NULL;
    t.batch_size = 1;
    EXPECT(bsnn_trainer_create(m, &t, &tr), BSNN_E_INVALID_ARGUMENT, "batch size: batch normalization (norm batch) needs at least 2 samples");
    TRUE(tr == NULL);
    t.batch_size = 8;
    t.learning_rate = 0.05;
    OK(bsnn_trainer_create(m, &t, &tr));
    float x[8 * 4], before[8 * 3], after[8 * 3], loaded_out[8 * 3];
    int32_t y[8];
    for (int i = 0; i < 8 * 4; i++) x[i] = (float)((i * 7) % 11) / 11.0f - 0.3f;
    for (int i = 0; i < 8; i++) y[i] = i % 3;
    EXPECT(bsnn_trainer_step(tr, x, 4, y, 1, NULL), BSNN_E_INVALID_ARGUMENT, "needs at least 2 samples per training step");
    OK(bsnn_model_predict(m, x, 8 * 4, 8, before, 8 * 3));
    for (int s = 0; s < 20; s++) OK(bsnn_trainer_step(tr, x, 8 * 4, y, 8, NULL));
    OK(bsnn_model_predict(m, x, 8 * 4, 8, after, 8 * 3));
    TRUE(memcmp(before, after, sizeof before) != 0);

    char dir[] = "/tmp/bsnn-test-norm.XXXXXX";
    char path[64];
    TRUE(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/bn.bsnn", dir);
    OK(bsnn_model_save(m, path));
    bsnn_model *loaded = NULL;
    OK(bsnn_model_load(path, 0, &loaded));
    OK(bsnn_model_normalization(loaded, &norm, &momentum, &epsilon));
    TRUE(norm == BSNN_NORM_BATCH && momentum == 0.25 && epsilon == 1e-3);
    OK(bsnn_model_predict(loaded, x, 8 * 4, 8, loaded_out, 8 * 3));
    TRUE(memcmp(after, loaded_out, sizeof after) == 0);
    unlink(path);
    rmdir(dir);

    /* Layer normalization trains on one sample. */
    bsnn_model *ln = NULL;
    bsnn_trainer *ltr = NULL;
    c.norm = BSNN_NORM_LAYER;
    OK(bsnn_model_create(&c, &ln));
    OK(bsnn_model_normalization(ln, &norm, NULL, NULL));
    TRUE(norm == BSNN_NORM_LAYER);
    t.batch_size = 1;
    OK(bsnn_trainer_create(ln, &t, &ltr));
    bsnn_step_result r;
    OK(bsnn_trainer_step(ltr, x, 4, y, 1, &r));
    TRUE(r.count == 1 && isfinite(r.loss) && r.loss > 0);

    bsnn_trainer_free(ltr);
    bsnn_model_free(ln);
    bsnn_model_free(loaded);
    bsnn_trainer_free(tr);
    bsnn_model_free(m);
    bsnn_model_free(plain);
    bsnn_activation_free(act);
    printf("test_normalization: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
