/* Shared checking helpers of the C test programs: each check counts as passed or
 * failed and prints the line, the call, the statuses and bsnn_last_error(). */
#ifndef BSNN_TESTS_EXPECT_H
#define BSNN_TESTS_EXPECT_H
#include <bsnn.h>
#include <stdio.h>
#include <string.h>

static int passed, failed;

#define EXPECT(call, status, needle) expect_status((call), (status), (needle), #call, __LINE__)
#define OK(call) EXPECT(call, BSNN_OK, NULL)
#define TRUE(cond) do { if (cond) passed++; else { failed++; printf("FAIL line %d: %s\n", __LINE__, #cond); } } while (0)

static void expect_status(bsnn_status got, bsnn_status want, const char *needle, const char *text, int line) {
    const char *msg = bsnn_last_error();
    if (got != want) {
        failed++;
        printf("FAIL line %d: %s -> %d (%s), expected %d; last error: %s\n", line, text, got, bsnn_status_string(got),
               want, msg);
    } else if (needle && !strstr(msg, needle)) {
        failed++;
        printf("FAIL line %d: %s: message '%s' does not mention '%s'\n", line, text, msg, needle);
    } else {
        passed++;
    }
}
/* Every layer's weights (layers 0 .. layers-1), concatenated into `out`; returns the count. */
static inline size_t all_weights(const bsnn_model *m, size_t layers, float *out) {
    size_t n = 0;
    for (size_t l = 0; l < layers; l++) {
        size_t o = 0, i = 0;
        bsnn_model_layer_shape(m, l, &o, &i);
        bsnn_model_get_weights(m, l, out + n, o * i);
        n += o * i;
    }
    return n;
}
#endif
