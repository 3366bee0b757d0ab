/* bsnn_trainer_set_gradient_exchange with an in-process exchange of one process (the
 * sum over one process is the buffer itself): the call order of the protocol (every
 * layer bucket from the top, then the totals bucket, then agree, then finish in the same
 * order), results bit-identical to a plain trainer, a failing callback as BSNN_E_IO with
 * no weight changed, a peer's reported failure as NUMERIC / WRONG_STATE, and bad
 * arguments. Usage: test_exchange */
#include <bsnn.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "expect.h"

enum { IN = 5, WIDTH = 16, DEPTH = 4, OUT = 3, B = 16, LAYERS = DEPTH + 2 };

typedef struct {
    char log[4096];
    int fail_start_at;     /* bucket whose start fails, -1 none */
    int32_t peer_status;   /* what the "other processes" report in agree */
    uint64_t checksum;
} fake;

static void note(fake *f, const char *s) { strncat(f->log, s, sizeof f->log - strlen(f->log) - 1); }

static int start(void *ud, int32_t bucket, float *buffer, size_t count) {
    fake *f = ud;
    char s[32];
    snprintf(s, sizeof s, "s%d ", bucket);
    note(f, s);
    (void)buffer;
    return (bucket == f->fail_start_at || count == 0) ? 7 : 0;
}
static int finish(void *ud, int32_t bucket) {
    char s[32];
    snprintf(s, sizeof s, "f%d ", bucket);
    note(ud, s);
    return 0;
}
static int agree(void *ud, int32_t status, int32_t *agreed) {
    fake *f = ud;
    note(f, "a ");
    *agreed = status > f->peer_status ? status : f->peer_status;
    return 0;
}
static int match(void *ud, uint64_t value, int32_t *all_match) {
    fake *f = ud;
    f->checksum = value;
    *all_match = 1;
    return 0;
}

static bsnn_model *make_model(bsnn_activation *act) {
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = IN; mc.width = WIDTH; mc.depth = DEPTH; mc.outputs = OUT; mc.activation = act; mc.seed = 3;
    bsnn_model *m = NULL;
    OK(bsnn_model_create(&mc, &m));
    return m;
}

int main(void) {
    bsnn_activation *act = NULL;
    OK(bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act));
    static float x[B * IN], wa[LAYERS * WIDTH * WIDTH], wb[LAYERS * WIDTH * WIDTH];
    int32_t y[B];
    for (int i = 0; i < B * IN; i++) x[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
    for (int i = 0; i < B; i++) y[i] = i % OUT;
    bsnn_training_config tc;
    OK(bsnn_training_config_init_defaults(&tc, sizeof tc));
    tc.batch_size = B;

    bsnn_model *plain = make_model(act), *shared = make_model(act);
    bsnn_trainer *tp = NULL, *ts = NULL;
    OK(bsnn_trainer_create(plain, &tc, &tp));
    OK(bsnn_trainer_create(shared, &tc, &ts));
    fake f = {.fail_start_at = -1, .peer_status = BSNN_STEP_OK};
    bsnn_gradient_exchange ex = {sizeof ex, 1, 0, &f, start, finish, agree, match};

    /* Bad arguments change nothing. */
    bsnn_gradient_exchange bad = ex;
    bad.size = 8;
    EXPECT(bsnn_trainer_set_gradient_exchange(ts, &bad), BSNN_E_INVALID_ARGUMENT, "sizeof(bsnn_gradient_exchange)");
    bad = ex; bad.agree = NULL;
    EXPECT(bsnn_trainer_set_gradient_exchange(ts, &bad), BSNN_E_INVALID_ARGUMENT, "four callbacks");
    bad = ex; bad.rank = 1;
    EXPECT(bsnn_trainer_set_gradient_exchange(ts, &bad), BSNN_E_INVALID_ARGUMENT, "rank");
    EXPECT(bsnn_trainer_set_gradient_exchange(NULL, &ex), BSNN_E_INVALID_ARGUMENT, "trainer");
    OK(bsnn_trainer_set_gradient_exchange(ts, &ex));
    TRUE(f.checksum != 0);

    /* The protocol's order, and one process's step is the plain step bit for bit. */
    for (int s = 0; s < 3; s++) {
        f.log[0] = 0;
        bsnn_step_result r, rp;
        OK(bsnn_trainer_step(ts, x, B * IN, y, B, &r));
        OK(bsnn_trainer_step(tp, x, B * IN, y, B, &rp));
        TRUE(!strcmp(f.log, "s5 s4 s3 s2 s1 s0 s6 a f5 f4 f3 f2 f1 f0 f6 "));
        TRUE(r.count == B && r.correct == rp.correct && fabs(r.loss - rp.loss) <= 1e-12 * rp.loss); /* loss: two floats */
    }
    size_t n = all_weights(plain, LAYERS, wa);
    all_weights(shared, LAYERS, wb);
    TRUE(memcmp(wa, wb, n * sizeof(float)) == 0);

    /* A failing callback: IO, no weight changed. */
    f.fail_start_at = 2;
    EXPECT(bsnn_trainer_step(ts, x, B * IN, y, B, NULL), BSNN_E_IO, "start callback failed");
    all_weights(shared, LAYERS, wb);
    TRUE(memcmp(wa, wb, n * sizeof(float)) == 0);
    f.fail_start_at = -1;

    /* A peer that diverged or failed: every call still made, nothing changed. */
    f.peer_status = BSNN_STEP_NON_FINITE;
    f.log[0] = 0;
    EXPECT(bsnn_trainer_step(ts, x, B * IN, y, B, NULL), BSNN_E_NUMERIC, "another process");
    TRUE(!strcmp(f.log, "s5 s4 s3 s2 s1 s0 s6 a f5 f4 f3 f2 f1 f0 f6 "));
    f.peer_status = BSNN_STEP_FAILED;
    EXPECT(bsnn_trainer_step(ts, x, B * IN, y, B, NULL), BSNN_E_WRONG_STATE, "another process");
    all_weights(shared, LAYERS, wb);
    TRUE(memcmp(wa, wb, n * sizeof(float)) == 0);
    f.peer_status = BSNN_STEP_OK;

    /* This process's bad batch is reported (every bucket as zeros), not left hanging. */
    y[0] = 99;
    f.log[0] = 0;
    EXPECT(bsnn_trainer_step(ts, x, B * IN, y, B, NULL), BSNN_E_INVALID_ARGUMENT, "label");
    TRUE(!strcmp(f.log, "s5 s4 s3 s2 s1 s0 s6 a f5 f4 f3 f2 f1 f0 f6 "));
    y[0] = 0;

    /* The monitor needs a single process; NULL returns to it (no callback is called). */
    bsnn_training_config monitored = tc;
    monitored.monitor_every = 1;
    EXPECT(bsnn_trainer_set_config(ts, &monitored), BSNN_E_INVALID_ARGUMENT, "monitor every");
    OK(bsnn_trainer_set_gradient_exchange(ts, NULL));
    f.log[0] = 0;
    OK(bsnn_trainer_step(ts, x, B * IN, y, B, NULL));
    TRUE(f.log[0] == 0);

    bsnn_trainer_free(tp); bsnn_trainer_free(ts);
    bsnn_model_free(plain); bsnn_model_free(shared);
    bsnn_activation_free(act);
    printf("exchange: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
