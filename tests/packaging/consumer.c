/* A downstream program, built against an installed bsnn by pkg-config (shared and
 * --static) and by CMake: it must compile, link and compute Table 1's tanh constants. */
#include <bsnn.h>
#include <math.h>
#include <stdio.h>

int main(void) {
    if (bsnn_abi_version() != BSNN_ABI_VERSION) return 2;
    bsnn_activation *tanh_act = NULL;
    if (bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &tanh_act) != BSNN_OK) {
        fprintf(stderr, "consumer: %s\n", bsnn_last_error());
        return 1;
    }
    bsnn_gpn_constants c;
    int ok = bsnn_activation_constants(tanh_act, &c) == BSNN_OK && fabs(c.a - 1.4674) < 1e-4 && fabs(c.b_plus - 0.3885) < 1e-4;
    bsnn_activation_free(tanh_act);
    printf("bsnn %s: tanh a = %.4f, b+ = %.4f\n", bsnn_version(), c.a, c.b_plus);
    return ok ? 0 : 1;
}
