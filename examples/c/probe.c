/* Per-layer signal norms of a depth-200, width-500 tanh-GPN network (paper Fig. 1):
 * the forward norm stays near 1 and the weight-gradient norms stay within a small
 * factor across all 200 layers. */
#include <bsnn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define FAIL(what) do { fprintf(stderr, "probe: %s: %s\n", what, bsnn_last_error()); return 1; } while (0)

int main(void) {
    enum { WIDTH = 500, DEPTH = 200, BATCH = 16 };
    bsnn_activation *tanh_act = NULL;
    bsnn_model *model = NULL;
    bsnn_probe *probe = NULL;
    if (bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &tanh_act) != BSNN_OK) FAIL("activation");
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = WIDTH; mc.width = WIDTH; mc.depth = DEPTH; mc.outputs = 10;
    mc.activation = tanh_act; mc.gpn_root = BSNN_GPN_B_PLUS; mc.seed = 1;
    if (bsnn_model_create(&mc, &model) != BSNN_OK) FAIL("model");
    float *x = malloc(sizeof(float) * WIDTH * BATCH);
    if (!x) return 1;
    srand(7);
    for (size_t i = 0; i < (size_t)WIDTH * BATCH; i++) { /* Box-Muller N(0,1) */
        double u = (rand() + 1.0) / (RAND_MAX + 2.0), v = (rand() + 1.0) / (RAND_MAX + 2.0);
        x[i] = (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
    }
    if (bsnn_probe_run(model, x, (size_t)WIDTH * BATCH, BATCH, NULL, &probe) != BSNN_OK) FAIL("probe");
    size_t nf = 0, ng = 0;
    if (bsnn_probe_get(probe, BSNN_PROBE_FORWARD_NORMS, NULL, 0, &nf) != BSNN_OK) FAIL("count");
    if (bsnn_probe_get(probe, BSNN_PROBE_WEIGHT_GRADIENT_NORMS, NULL, 0, &ng) != BSNN_OK) FAIL("count");
    double *fw = malloc(sizeof(double) * nf), *gw = malloc(sizeof(double) * ng);
    if (!fw || !gw) return 1;
    if (bsnn_probe_get(probe, BSNN_PROBE_FORWARD_NORMS, fw, nf, &nf) != BSNN_OK) FAIL("forward");
    if (bsnn_probe_get(probe, BSNN_PROBE_WEIGHT_GRADIENT_NORMS, gw, ng, &ng) != BSNN_OK) FAIL("gradients");
    double gmin = INFINITY, gmax = 0;
    printf("layer  |x|/sqrt(d)  |dE/dW|\n");
    for (size_t l = 0; l < ng; l++) {
        if (gw[l] < gmin) gmin = gw[l];
        if (gw[l] > gmax) gmax = gw[l];
        if (l % 25 == 0 || l + 1 == ng) printf("%5zu  %10.4f  %10.4g\n", l, fw[l], gw[l]);
    }
    printf("forward norm at the top: %.4f; gradient norm max/min over %zu layers: %.3f\n", fw[nf - 1], ng, gmax / gmin);
    int ok = nf == DEPTH + 2 && ng == DEPTH + 1 && fabs(fw[nf - 1] - 1.0) < 0.25 && gmax / gmin < 10;
    free(fw); free(gw); free(x);
    bsnn_probe_free(probe);
    bsnn_model_free(model);
    bsnn_activation_free(tanh_act);
    if (!ok) fprintf(stderr, "probe: norms are not self-normalized\n");
    return ok ? 0 : 1;
}
