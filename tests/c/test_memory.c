/* Memory limits: every call whose allocation follows from its input returns
 * BSNN_E_OUT_OF_MEMORY when the process may not grow enough, never aborts. Each case
 * runs in a forked child that lowers its own address-space limit (RLIMIT_AS, what
 * `ulimit -v` sets) to its current size plus a small headroom and then makes the call;
 * the parent checks that the child exited with the status, not by a signal.
 * usage: test_memory */
#include "expect.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB ((size_t)1 << 20)

static char dir[] = "/tmp/bsnn-test-memory-XXXXXX";
static char path_buffer[4][256];

static const char *path(int i, const char *name) {
    snprintf(path_buffer[i], sizeof path_buffer[i], "%s/%s", dir, name);
    return path_buffer[i];
}

/* Current address-space size of this process in bytes (first field of statm). */
static size_t address_space(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (!f) return 0;
    if (fscanf(f, "%lu", &pages) != 1) pages = 0;
    fclose(f);
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* RLIMIT_AS = what this process maps now + `headroom`. */
static int limit_to(size_t headroom) {
    size_t now = address_space();
    if (now == 0) return -1;
    struct rlimit r = {.rlim_cur = now + headroom, .rlim_max = now + headroom};
    return setrlimit(RLIMIT_AS, &r);
}

typedef bsnn_status (*limited_call)(size_t headroom);

/* Runs `call` in a child; expects it to exit with `want`. */
static void expect_in_child(const char *name, limited_call call, size_t headroom, bsnn_status want) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        failed++;
        printf("FAIL %s: fork: %s\n", name, strerror(errno));
        return;
    }
    if (pid == 0) {
        bsnn_status s = call(headroom);
        if (s != want) printf("  %s: status %d (%s): %s\n", name, s, bsnn_status_string(s), bsnn_last_error());
        else if (want != BSNN_OK && !strstr(bsnn_last_error(), "bytes")) printf("  %s: message does not say how much: %s\n", name, bsnn_last_error());
        else if (want != BSNN_OK) printf("     %s\n", bsnn_last_error());
        fflush(stdout);
        _exit(s == want && (want == BSNN_OK || strstr(bsnn_last_error(), "bytes")) ? 0 : 100 + (int)s);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFSIGNALED(st)) {
        failed++;
        printf("FAIL %s: killed by signal %d instead of returning %s\n", name, WTERMSIG(st), bsnn_status_string(want));
    } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        failed++;
        printf("FAIL %s: exit status %d, expected %s\n", name, WEXITSTATUS(st), bsnn_status_string(want));
    } else {
        passed++;
        printf("ok   %s -> %s\n", name, bsnn_status_string(want));
    }
}

static bsnn_activation *tanh_activation(void) {
    bsnn_activation *a = NULL;
    if (bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &a) != BSNN_OK) return NULL;
    return a;
}

static bsnn_status create_model(size_t inputs, size_t width, size_t depth, size_t outputs, int32_t init,
                                bsnn_model **out) {
    bsnn_activation *a = tanh_activation();
    if (!a) return BSNN_E_INTERNAL;
    bsnn_model_config c;
    bsnn_model_config_init_defaults(&c, sizeof c);
    c.inputs = inputs;
    c.width = width;
    c.depth = depth;
    c.outputs = outputs;
    c.activation = a;
    c.init = init;
    bsnn_status s = bsnn_model_create(&c, out);
    bsnn_activation_free(a);
    return s;
}

/* Weights of 2048² floats pass the budget check; the orthogonal initialization's QR
 * scratch (2 × 2048² doubles) does not fit. */
static bsnn_status model_create_orthogonal(size_t headroom) {
    bsnn_activation *a = tanh_activation();
    if (!a || limit_to(headroom) != 0) return BSNN_E_INTERNAL;
    bsnn_model_config c;
    bsnn_model_config_init_defaults(&c, sizeof c);
    c.inputs = 4, c.width = 2048, c.depth = 1, c.outputs = 2, c.activation = a;
    bsnn_model *m = NULL;
    return bsnn_model_create(&c, &m);
}

/* Weights alone exceed the headroom. */
static bsnn_status model_create_large(size_t headroom) {
    bsnn_activation *a = tanh_activation();
    if (!a || limit_to(headroom) != 0) return BSNN_E_INTERNAL;
    bsnn_model_config c;
    bsnn_model_config_init_defaults(&c, sizeof c);
    c.inputs = 4, c.width = 8192, c.depth = 2, c.outputs = 2, c.activation = a;
    bsnn_model *m = NULL;
    return bsnn_model_create(&c, &m);
}

/* A training step whose batch workspace (4096 × 1024 floats per layer) does not fit. */
static bsnn_status trainer_step(size_t headroom) {
    bsnn_model *m = NULL;
    bsnn_trainer *t = NULL;
    bsnn_status s = create_model(1024, 256, 1, 2, BSNN_INIT_XAVIER, &m);
    if (s != BSNN_OK || (s = bsnn_trainer_create(m, NULL, &t)) != BSNN_OK) return BSNN_E_INTERNAL;
    size_t count = 4096;
    float *x = calloc(count * 1024, sizeof(float));
    int32_t *y = calloc(count, sizeof(int32_t));
    if (!x || !y || limit_to(headroom) != 0) return BSNN_E_INTERNAL;
    return bsnn_trainer_step(t, x, count * 1024, y, count, NULL);
}

/* Saving a model of 4096 × 2048 floats (32 MiB) needs a copy of the weights and then
 * the serialization buffer of the same size. */
static bsnn_status model_save(size_t headroom) {
    bsnn_model *m = NULL;
    if (create_model(4096, 2048, 0, 2, BSNN_INIT_XAVIER, &m) != BSNN_OK || limit_to(headroom) != 0) return BSNN_E_INTERNAL;
    return bsnn_model_save(m, path(0, "limited.safetensors"));
}

static bsnn_status model_load(size_t headroom) {
    if (limit_to(headroom) != 0) return BSNN_E_INTERNAL;
    bsnn_model *m = NULL;
    return bsnn_model_load(path(0, "big.safetensors"), 0, &m);
}

static bsnn_status idx_load(size_t headroom) {
    if (limit_to(headroom) != 0) return BSNN_E_INTERNAL;
    bsnn_dataset *d = NULL;
    return bsnn_dataset_load_idx(path(0, "images.idx"), path(1, "labels.idx"), 0, BSNN_SCALING_NONE, &d);
}

/* The values fit; scaling them to [0, 1] needs a second copy of the features. */
static bsnn_status idx_load_scaled(size_t headroom) {
    if (limit_to(headroom) != 0) return BSNN_E_INTERNAL;
    bsnn_dataset *d = NULL;
    return bsnn_dataset_load_idx(path(0, "images.idx"), path(1, "labels.idx"), 0, BSNN_SCALING_UNIT_INTERVAL, &d);
}

static bsnn_status csv_load(size_t headroom) {
    if (limit_to(headroom) != 0) return BSNN_E_INTERNAL;
    bsnn_dataset *d = NULL;
    return bsnn_dataset_load_csv(path(0, "data.csv"), NULL, &d);
}

/* Probing `samples` rows through a 1024-wide model needs a workspace per layer. */
static bsnn_status probe_run(size_t headroom) {
    bsnn_model *m = NULL;
    if (create_model(1024, 1024, 2, 2, BSNN_INIT_XAVIER, &m) != BSNN_OK) return BSNN_E_INTERNAL;
    size_t samples = 2048;
    float *x = calloc(samples * 1024, sizeof(float));
    for (size_t i = 0; x && i < samples * 1024; i++) x[i] = (float)((i * 7919) % 13) / 13.0f - 0.5f;
    if (!x || limit_to(headroom) != 0) return BSNN_E_INTERNAL;
    bsnn_probe *p = NULL;
    return bsnn_probe_run(m, x, samples * 1024, samples, NULL, &p);
}

static int write_be32(FILE *f, uint32_t v) {
    unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
    return fwrite(b, 1, 4, f) == 4 ? 0 : -1;
}

/* 8192 images of 32 × 32 bytes (8 MiB on disk, 32 MiB as floats) and their labels. */
static int write_idx(void) {
    FILE *f = fopen(path(0, "images.idx"), "wb");
    if (!f) return -1;
    unsigned char magic[4] = {0, 0, 0x08, 3};
    int bad = fwrite(magic, 1, 4, f) != 4 || write_be32(f, 8192) || write_be32(f, 32) || write_be32(f, 32);
    static unsigned char row[32 * 32];
    for (int i = 0; i < 8192 && !bad; i++) {
        for (int j = 0; j < 32 * 32; j++) row[j] = (unsigned char)((i + j) & 0xFF);
        bad = fwrite(row, 1, sizeof row, f) != sizeof row;
    }
    bad |= fclose(f) != 0;
    f = fopen(path(1, "labels.idx"), "wb");
    if (!f) return -1;
    unsigned char lmagic[4] = {0, 0, 0x08, 1};
    bad |= fwrite(lmagic, 1, 4, f) != 4 || write_be32(f, 8192);
    for (int i = 0; i < 8192 && !bad; i++) bad = fputc(i % 10, f) == EOF;
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

/* 200,000 rows of a label and 15 features: 6.6 MB of text, 3 million cells. */
static int write_csv(void) {
    FILE *f = fopen(path(0, "data.csv"), "w");
    if (!f) return -1;
    int bad = 0;
    for (int i = 0; i < 200000 && !bad; i++) {
        bad = fprintf(f, "%d", i % 3) < 0;
        for (int j = 0; j < 15 && !bad; j++) bad = fprintf(f, ",%d", (i + j) % 10) < 0;
        bad = bad || fputc('\n', f) == EOF;
    }
    bad |= fclose(f) != 0;
    return bad ? -1 : 0;
}

int main(void) {
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    bsnn_model *big = NULL;
    OK(create_model(4096, 2048, 0, 2, BSNN_INIT_XAVIER, &big));
    OK(bsnn_model_save(big, path(0, "big.safetensors")));
    bsnn_model_free(big);
    TRUE(write_idx() == 0);
    TRUE(write_csv() == 0);

    expect_in_child("model_create (weights beyond the limit)", model_create_large, 64 * MIB, BSNN_E_OUT_OF_MEMORY);
    expect_in_child("model_create (orthogonal init scratch)", model_create_orthogonal, 40 * MIB, BSNN_E_OUT_OF_MEMORY);
    expect_in_child("trainer_step (batch workspace)", trainer_step, 16 * MIB, BSNN_E_OUT_OF_MEMORY);
    expect_in_child("model_save (copy of the weights)", model_save, 24 * MIB, BSNN_E_OUT_OF_MEMORY);
    expect_in_child("model_save (serialization buffer)", model_save, 48 * MIB, BSNN_E_OUT_OF_MEMORY);
    expect_in_child("model_load (file contents)", model_load, 24 * MIB, BSNN_E_OUT_OF_MEMORY);
    expect_in_child("dataset_load_idx (values)", idx_load, 24 * MIB, BSNN_E_OUT_OF_MEMORY);
    expect_in_child("dataset_load_idx (scaled copy)", idx_load_scaled, 56 * MIB, BSNN_E_OUT_OF_MEMORY);
    expect_in_child("dataset_load_csv (cells)", csv_load, 24 * MIB, BSNN_E_OUT_OF_MEMORY);
    expect_in_child("probe_run (workspace)", probe_run, 16 * MIB, BSNN_E_OUT_OF_MEMORY);
    /* The same calls succeed with room to spare: the limit, not the call, was the cause. */
    expect_in_child("model_load (1 GiB headroom)", model_load, 1024 * MIB, BSNN_OK);
    expect_in_child("dataset_load_idx (1 GiB headroom)", idx_load, 1024 * MIB, BSNN_OK);

    const char *names[] = {"big.safetensors", "limited.safetensors", "images.idx", "labels.idx", "data.csv"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unlink(path(0, names[i]));
    rmdir(dir);
    printf("test_memory: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
