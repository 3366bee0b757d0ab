/* A plain C function as an activation: erf from libm.so.6 through libffi / a direct
 * call, auto-normalized; prints its GPN constants and checks a·erf+b at a few points. */
#include <bsnn.h>
#include <math.h>
#include <stdio.h>

int main(void) {
    bsnn_activation *erf_act = NULL, *gpn = NULL;
    bsnn_gpn_constants c;
    if (bsnn_activation_create_foreign("libm.so.6", "erf", "double(double)", NULL, 0, &erf_act) != BSNN_OK ||
        bsnn_activation_constants(erf_act, &c) != BSNN_OK ||
        bsnn_activation_normalize(erf_act, BSNN_GPN_B_PLUS, &gpn) != BSNN_OK) {
        fprintf(stderr, "ffi_erf: %s\n", bsnn_last_error());
        return 1;
    }
    printf("erf: a = %.9f  b+ = %.9f  b- = %.9f\n", c.a, c.b_plus, c.b_minus);
    printf("     E[phi] = %.9f  E[phi^2] = %.9f  E[phi'^2] = %.9f\n", c.mean, c.mean_square,
           c.derivative_mean_square);
    float x[3] = {-1.0f, 0.0f, 0.5f}, v[3], d[3];
    if (bsnn_activation_evaluate(gpn, x, 3, v, d) != BSNN_OK) {
        fprintf(stderr, "ffi_erf: %s\n", bsnn_last_error());
        return 1;
    }
    int bad = 0;
    for (int i = 0; i < 3; i++) {
        double want = c.a * erf(x[i]) + c.b_plus;
        printf("  x = %5.2f  a*erf(x)+b = %.6f  (d/dx %.6f)\n", x[i], v[i], d[i]);
        if (fabs(v[i] - want) > 1e-5) bad = 1;
    }
    bsnn_activation_free(gpn);
    bsnn_activation_free(erf_act);
    return bad;
}
