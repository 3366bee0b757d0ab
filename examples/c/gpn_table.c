/* Table 1 of the paper through the C API: GPN constants a, b and the Gaussian moments
 * of every builtin activation, with the paper's root (b- for GELU, b+ otherwise). */
#include <bsnn.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    if (bsnn_abi_version() != BSNN_ABI_VERSION) {
        fprintf(stderr, "libbsnn ABI %u, header ABI %d\n", (unsigned)bsnn_abi_version(), BSNN_ABI_VERSION);
        return 1;
    }
    printf("bsnn %s\n%-12s %4s %12s %12s %12s %12s %12s\n", bsnn_version(), "activation", "root", "a", "b",
           "E[phi]", "E[phi^2]", "E[phi'^2]");
    for (size_t i = 0; i < bsnn_builtin_count(); i++) {
        const char *name = bsnn_builtin_name(i);
        bsnn_activation *act = NULL;
        bsnn_gpn_constants c;
        if (bsnn_activation_create_builtin(name, NULL, NULL, 0, &act) != BSNN_OK) {
            fprintf(stderr, "%s\n", bsnn_last_error());
            return 1;
        }
        bsnn_status s = bsnn_activation_constants(act, &c);
        bsnn_activation_free(act);
        if (s != BSNN_OK) {
            /* e.g. identity-like functions are fine; degenerate ones are reported */
            printf("%-12s %s\n", name, bsnn_last_error());
            continue;
        }
        int minus = strcmp(name, "gelu") == 0;
        printf("%-12s %4s %12.6f %12.6f %12.6f %12.6f %12.6f\n", name, minus ? "b-" : "b+", c.a,
               minus ? c.b_minus : c.b_plus, c.mean, c.mean_square, c.derivative_mean_square);
    }
    return 0;
}
