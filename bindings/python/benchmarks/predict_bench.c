/* C side of bench_python.py: best-of-N wall time of bsnn_model_predict on a model file
 * and a raw float32 input file. Usage: predict_bench MODEL IN COUNT REPEATS */
#include <bsnn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
    if (argc != 5) return 2;
    size_t count = strtoul(argv[3], NULL, 10), repeats = strtoul(argv[4], NULL, 10);
    bsnn_model *model = NULL;
    if (bsnn_model_load(argv[1], 0, &model) != BSNN_OK) { fprintf(stderr, "%s\n", bsnn_last_error()); return 1; }
    bsnn_model_info info;
    bsnn_model_info_get(model, &info);
    size_t nf = count * info.inputs, no = count * info.outputs;
    float *x = malloc(nf * sizeof(float)), *y = malloc(no * sizeof(float));
    FILE *f = fopen(argv[2], "rb");
    if (!x || !y || !f || fread(x, sizeof(float), nf, f) != nf) return 1;
    fclose(f);
    double best = 1e30;
    for (size_t r = 0; r < repeats; r++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (bsnn_model_predict(model, x, nf, count, y, no) != BSNN_OK) return 1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        if (s < best) best = s;
    }
    printf("%.9f\n", best);
    free(x); free(y);
    bsnn_model_free(model);
    return 0;
}
