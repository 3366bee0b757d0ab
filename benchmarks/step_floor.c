/* The floor under one training step of the paper network at depth D (default 200),
 * width 500, batch B (default 64), measured with the library bsnn uses (OpenBLAS):
 *
 *   gemm   the step's two weight-reading products, forward x·Vᵀ and dx = s·V, with V
 *          hot (one 500×500 matrix, in cache) and cold (D different matrices, 200 MB at
 *          depth 200, so every product packs V from DRAM as a real step does), and the
 *          same products with V as OpenBLAS's B operand instead (the transposed product
 *          plus a 64×500 transpose), the other packing path;
 *   stream a heavy-ball update p ← p − lr·(μv + g), v ← μv + g over D layers' V and
 *          velocity with g in cache: the memory traffic a step cannot avoid (read and
 *          write V and the velocity once).
 *
 * Prints one JSON line per measurement (best of R repetitions). Run by
 * benchmarks/step-floor.sh, which also runs the stream on both cores at once.
 *
 * usage: step_floor gemm|stream [--depth D] [--batch B] [--repeats R]
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *floats(size_t n) {
    float *p = malloc(n * sizeof(float));
    if (!p) {
        fprintf(stderr, "step_floor: cannot allocate %zu floats\n", n);
        exit(1);
    }
    for (size_t i = 0; i < n; i++) p[i] = (float)(i % 101) * 1e-3f;
    return p;
}

static void transpose(const float *z, int rows, int cols, float *y) {
    for (int i = 0; i < cols; i++)
        for (int j = 0; j < rows; j++) y[(size_t)i * rows + j] = z[(size_t)j * cols + i];
}

enum product { FORWARD_A, FORWARD_B, DX_A, DX_B };

static double product_ms(enum product k, const float *w, int depth, int cold, int n, int b,
                         const float *x, float *y, float *z, int repeats) {
    double best = 1e30;
    for (int r = 0; r < repeats; r++) {
        double t = now();
        for (int l = 0; l < depth; l++) {
            const float *v = w + (size_t)(cold ? l : 0) * n * n;
            switch (k) {
            case FORWARD_A:  /* y = x·Vᵀ: V is OpenBLAS's A operand (what bsnn calls) */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, n, n, 1, x, n, v, n, 0, y, n);
                break;
            case FORWARD_B:  /* yᵀ = V·xᵀ, then transposed: V is the B operand */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, b, n, 1, v, n, x, n, 0, z, b);
                transpose(z, n, b, y);
                break;
            case DX_A:       /* dx = s·V */
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, n, n, 1, x, n, v, n, 0, y, n);
                break;
            case DX_B:       /* dxᵀ = Vᵀ·sᵀ, then transposed */
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, n, b, n, 1, v, n, x, n, 0, z, b);
                transpose(z, n, b, y);
                break;
            }
        }
        t = now() - t;
        if (t < best) best = t;
    }
    return best * 1e3;
}

int main(int argc, char **argv) {
    if (argc < 2 || (strcmp(argv[1], "gemm") && strcmp(argv[1], "stream"))) {
        fprintf(stderr, "usage: step_floor gemm|stream [--depth D] [--batch B] [--repeats R]\n");
        return 2;
    }
    int depth = 200, b = 64, repeats = 7;
    const int n = 500;
    for (int i = 2; i + 1 < argc; i += 2) {
        int v = atoi(argv[i + 1]);
        if (v <= 0) { fprintf(stderr, "step_floor: %s needs a positive number\n", argv[i]); return 2; }
        if (!strcmp(argv[i], "--depth")) depth = v;
        else if (!strcmp(argv[i], "--batch")) b = v;
        else if (!strcmp(argv[i], "--repeats")) repeats = v;
        else { fprintf(stderr, "step_floor: unknown argument %s\n", argv[i]); return 2; }
    }
    char *core = openblas_get_corename();
    float *w = floats((size_t)depth * n * n);
    if (!strcmp(argv[1], "gemm")) {
        float *x = floats((size_t)b * n), *y = floats((size_t)b * n), *z = floats((size_t)b * n);
        const char *names[] = {"forward_A", "forward_B", "dX_A", "dX_B"};
        double gflop = 2.0 * b * n * n * depth / 1e9;
        for (int cold = 0; cold < 2; cold++)
            for (int k = 0; k < 4; k++) {
                double ms = product_ms((enum product)k, w, depth, cold, n, b, x, y, z, repeats);
                printf("{\"peer\": \"step_floor\", \"what\": \"gemm\", \"product\": \"%s\", \"weights\": \"%s\", "
                       "\"depth\": %d, \"batch\": %d, \"ms\": %.2f, \"gflops\": %.1f, \"blas_core\": \"%s\"}\n",
                       names[k], cold ? "cold" : "hot", depth, b, ms, gflop / ms * 1e3, core ? core : "unknown");
            }
    } else {
        float *v = floats((size_t)depth * n * n), *g = floats((size_t)n * n);
        memset(v, 0, (size_t)depth * n * n * sizeof(float));
        const float mu = 0.5f, lr = 1e-4f;
        double best = 1e30;
        for (int r = 0; r < repeats; r++) {
            double t = now();
            for (int l = 0; l < depth; l++) {
                float *p = w + (size_t)l * n * n, *s = v + (size_t)l * n * n;
                for (int i = 0; i < n * n; i++) {
                    float vi = mu * s[i] + g[i];
                    s[i] = vi;
                    p[i] -= lr * vi;
                }
            }
            t = now() - t;
            if (t < best) best = t;
        }
        double bytes = 4.0 * depth * n * n * sizeof(float);  /* V and velocity, read and written */
        printf("{\"peer\": \"step_floor\", \"what\": \"stream\", \"depth\": %d, \"ms\": %.2f, \"gb_per_s\": %.1f}\n",
               depth, best * 1e3, bytes / best / 1e9);
    }
    return 0;
}
