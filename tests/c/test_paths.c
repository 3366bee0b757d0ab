/* Paths are bytes: a model and a checkpoint saved under a file name that is not UTF-8
 * (0xFF 0xFE) must be created with exactly that name, load back and predict the same,
 * as must a name whose bytes spell one of the code points bsnn uses as escapes
 * (U+10FF80 = F4 8F BE 80). Usage: test_paths */
#include <bsnn.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "expect.h"

/* Whether `dir` has an entry named exactly `name` (bytes). */
static int has_entry(const char *dir, const char *name) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    for (struct dirent *e; (e = readdir(d));) found |= strcmp(e->d_name, name) == 0;
    closedir(d);
    return found;
}

int main(void) {
    char dir[] = "/tmp/bsnn-paths-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    const char *names[] = {"\xff\xfe.safetensors", "\xf4\x8f\xbe\x80-escape.safetensors", "ok-\xc3\xa9.safetensors"};
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    bsnn_model_config mc;
    OK(bsnn_model_config_init_defaults(&mc, sizeof mc));
    mc.inputs = 4; mc.width = 8; mc.depth = 1; mc.outputs = 3; mc.activation = act; mc.seed = 9;
    bsnn_model *model = NULL;
    OK(bsnn_model_create(&mc, &model));
    float x[2 * 4] = {0.5f, -1, 0.25f, 2, 1, 0, -0.5f, 0.125f}, y0[6], y1[6];
    OK(bsnn_model_predict(model, x, 8, 2, y0, 6));
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char path[128], ckpt[160];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        snprintf(ckpt, sizeof ckpt, "%s.ckpt", path);
        OK(bsnn_model_save(model, path));
        TRUE(has_entry(dir, names[i]));
        bsnn_model *loaded = NULL;
        OK(bsnn_model_load(path, 0, &loaded));
        OK(bsnn_model_predict(loaded, x, 8, 2, y1, 6));
        TRUE(memcmp(y0, y1, sizeof y0) == 0);
        bsnn_trainer *t = NULL, *resumed = NULL;
        OK(bsnn_trainer_create(loaded, NULL, &t));
        OK(bsnn_checkpoint_save(t, ckpt));
        OK(bsnn_checkpoint_load(ckpt, 0, &resumed));
        bsnn_trainer_free(resumed);
        bsnn_trainer_free(t);
        bsnn_model_free(loaded);
        TRUE(remove(path) == 0 && remove(ckpt) == 0);
    }
    char missing[128];
    snprintf(missing, sizeof missing, "%s/\xff-missing", dir);
    bsnn_model *none = NULL;
    EXPECT(bsnn_model_load(missing, 0, &none), BSNN_E_IO, "missing");
    bsnn_model_free(model);
    bsnn_activation_free(act);
    rmdir(dir);
    printf("test_paths: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
