/* Config structs across header versions: a program built against the 0.1 header has
 * structs that end after their last 0.1 field. *_init_defaults(ptr, size) must write
 * exactly `size` bytes (the canary after them stays untouched), the truncated struct
 * must be accepted by the calls that read it, and sizes below the 0.1 size or above the
 * library's sizeof must be refused. Usage: test_config_abi */
#include <bsnn.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "expect.h"

#define CANARY 0xA5
#define SLACK 32

/* Bytes [from, to) of `p` all equal CANARY. */
static int canary_intact(const void *p, size_t from, size_t to) {
    const unsigned char *b = p;
    for (size_t i = from; i < to; i++)
        if (b[i] != CANARY) return 0;
    return 1;
}

/* The 0.1 size of each struct: the end of its last 0.1 field. */
#define END_OF(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

int main(void) {
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));

    /* model config */
    {
        union { bsnn_model_config c; unsigned char bytes[sizeof(bsnn_model_config) + SLACK]; } u;
        const size_t size01 = END_OF(bsnn_model_config, seed);
        memset(u.bytes, CANARY, sizeof u.bytes);
        OK(bsnn_model_config_init_defaults(&u.c, size01));
        TRUE(canary_intact(u.bytes, size01, sizeof u.bytes));
        TRUE(u.c.size == size01 && u.c.gpn_root == BSNN_GPN_DEFAULT && u.c.constraint == BSNN_CONSTRAINT_ROW_NORM);
        TRUE(u.c.init == BSNN_INIT_ORTHOGONAL && u.c.bias == 1 && u.c.seed == 0 && u.c.activation == NULL);
        u.c.inputs = 4; u.c.width = 8; u.c.depth = 1; u.c.outputs = 3; u.c.activation = act;
        bsnn_model *m = NULL;
        OK(bsnn_model_create(&u.c, &m));
        TRUE(canary_intact(u.bytes, size01, sizeof u.bytes));
        bsnn_model_info info;
        OK(bsnn_model_info_get(m, &info));
        TRUE(info.gpn_root == BSNN_GPN_B_PLUS && info.width == 8);

        /* the truncated struct trains with a truncated training config */
        union { bsnn_training_config c; unsigned char bytes[sizeof(bsnn_training_config) + SLACK]; } t;
        const size_t tsize01 = END_OF(bsnn_training_config, update_mode);
        memset(t.bytes, CANARY, sizeof t.bytes);
        OK(bsnn_training_config_init_defaults(&t.c, tsize01));
        TRUE(canary_intact(t.bytes, tsize01, sizeof t.bytes));
        TRUE(t.c.size == tsize01 && t.c.batch_size == 64 && t.c.learning_rate == 0.01 && t.c.shuffle == 1);
        bsnn_trainer *tr = NULL;
        OK(bsnn_trainer_create(m, &t.c, &tr));
        float x[8 * 4];
        int32_t y[8];
        for (int i = 0; i < 8 * 4; i++) x[i] = (float)((i * 7) % 11) / 11.0f - 0.5f;
        for (int i = 0; i < 8; i++) y[i] = i % 3;
        OK(bsnn_trainer_step(tr, x, 8 * 4, y, 8, NULL));
        OK(bsnn_trainer_set_config(tr, &t.c));
        TRUE(canary_intact(t.bytes, tsize01, sizeof t.bytes));
        EXPECT(bsnn_training_config_init_defaults(&t.c, tsize01 - 1), BSNN_E_INVALID_ARGUMENT, "bsnn_training_config");
        EXPECT(bsnn_training_config_init_defaults(NULL, tsize01), BSNN_E_INVALID_ARGUMENT, "NULL");

        /* probe config */
        union { bsnn_probe_config c; unsigned char bytes[sizeof(bsnn_probe_config) + SLACK]; } p;
        const size_t psize01 = END_OF(bsnn_probe_config, histogram_bins);
        memset(p.bytes, CANARY, sizeof p.bytes);
        OK(bsnn_probe_config_init_defaults(&p.c, psize01));
        TRUE(canary_intact(p.bytes, psize01, sizeof p.bytes));
        TRUE(p.c.size == psize01 && p.c.histogram_bins == 60 && p.c.labels == NULL);
        bsnn_probe *pr = NULL;
        OK(bsnn_probe_run(m, x, 8 * 4, 8, &p.c, &pr));
        bsnn_probe_free(pr);
        EXPECT(bsnn_probe_config_init_defaults(&p.c, psize01 - 1), BSNN_E_INVALID_ARGUMENT, "bsnn_probe_config");

        bsnn_trainer_free(tr);
        bsnn_model_free(m);

        /* sizes out of range: init writes nothing */
        memset(u.bytes, CANARY, sizeof u.bytes);
        EXPECT(bsnn_model_config_init_defaults(&u.c, size01 - 1), BSNN_E_INVALID_ARGUMENT, "bsnn_model_config");
        EXPECT(bsnn_model_config_init_defaults(&u.c, 0), BSNN_E_INVALID_ARGUMENT, "size");
        EXPECT(bsnn_model_config_init_defaults(&u.c, sizeof u.bytes), BSNN_E_INVALID_ARGUMENT, "older than your bsnn.h");
        TRUE(canary_intact(u.bytes, 0, sizeof u.bytes));
        EXPECT(bsnn_model_config_init_defaults(NULL, size01), BSNN_E_INVALID_ARGUMENT, "NULL");
    }

    /* csv options */
    {
        union { bsnn_csv_options c; unsigned char bytes[sizeof(bsnn_csv_options) + SLACK]; } u;
        const size_t size01 = END_OF(bsnn_csv_options, class_count);
        memset(u.bytes, CANARY, sizeof u.bytes);
        OK(bsnn_csv_options_init_defaults(&u.c, size01));
        TRUE(canary_intact(u.bytes, size01, sizeof u.bytes));
        TRUE(u.c.size == size01 && u.c.delimiter == ',' && u.c.header == BSNN_CSV_HEADER_AUTO && u.c.label_column == 0);
        EXPECT(bsnn_csv_options_init_defaults(&u.c, size01 - 1), BSNN_E_INVALID_ARGUMENT, "bsnn_csv_options");
    }

    bsnn_activation_free(act);
    printf("test_config_abi: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
