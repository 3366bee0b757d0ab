/* Threads: 4 threads each train their own small model (results must equal a
 * single-threaded run of the same seeds), then 4 threads predict concurrently on one
 * shared trained model (results must equal a single-threaded prediction). BLAS runs on
 * one thread so that results are bit-reproducible. Then the model's one-change-at-a-
 * time rule across threads (a second trainer's fit, set_weights and step while another
 * thread's fit runs → WRONG_STATE), and, given the counts_overlaps fixture, that a
 * plugin without BSNN_PLUGIN_THREAD_SAFE is serialized per library image (two loads,
 * two threads: no overlapping call) and never gets overlapping x/y in forward_f32.
 * Last, with OpenBLAS on 2 threads, the trainer's update helper thread (half of each
 * large layer's update): two runs of the same training give the same bits, in both
 * update modes (under ThreadSanitizer this checks the helper's hand-off), and a trainer
 * whose helper started before a fork() trains on in the child (which has no helper
 * thread) to the same bits as in the parent.
 * Usage: test_threads [libcounts_overlaps.so] */
#include <bsnn.h>
#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* ThreadSanitizer cannot follow a multi-threaded process into fork() (a child that
 * starts threads is stopped with exit code 66), so the fork check runs without it. */
#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BSNN_TEST_UNDER_TSAN 1
#endif
#endif

enum { THREADS = 4, N = 128, D = 10, K = 4, ROUNDS = 20 };
static float feats[N * D];
static int32_t labels[N];
static bsnn_activation *act;

typedef struct { uint64_t seed; float logits[N * K]; double loss; int status; } job;

static int train_one(job *j, bsnn_model **keep) {
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = D; mc.width = 24; mc.depth = 4; mc.outputs = K; mc.activation = act; mc.seed = j->seed;
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    tc.batch_size = 32; tc.seed = j->seed;
    bsnn_model *m = NULL;
    bsnn_trainer *t = NULL;
    if (bsnn_model_create(&mc, &m) != BSNN_OK || bsnn_trainer_create(m, &tc, &t) != BSNN_OK ||
        bsnn_trainer_fit_arrays(t, feats, N * D, labels, N, NULL, 0, NULL, 0, ROUNDS, NULL, NULL) != BSNN_OK) {
        fprintf(stderr, "train: %s\n", bsnn_last_error());
        return 1;
    }
    bsnn_trainer_free(t);
    if (bsnn_model_predict(m, feats, N * D, N, j->logits, N * K) != BSNN_OK) return 1;
    if (keep) *keep = m; else bsnn_model_free(m);
    return 0;
}

static void *train_thread(void *arg) {
    job *j = arg;
    j->status = train_one(j, NULL);
    return NULL;
}

typedef struct { const bsnn_model *model; float logits[N * K]; int status; } predict_job;

static void *predict_thread(void *arg) {
    predict_job *p = arg;
    p->status = 0;
    for (int r = 0; r < 50 && p->status == 0; r++)
        if (bsnn_model_predict(p->model, feats, N * D, N, p->logits, N * K) != BSNN_OK) p->status = 1;
    return NULL;
}

/* ---- one change at a time per model, across threads */
typedef struct {
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    int inside, done;
    bsnn_model *model;
    bsnn_trainer *second;
    bsnn_status fit, step, weights;
} rendezvous;

/* Trainer A's callback: tell B that A's fit runs, wait until B has tried. */
static int hold_fit(const bsnn_progress *p, void *user) {
    (void)p;
    rendezvous *r = user;
    pthread_mutex_lock(&r->mutex);
    r->inside = 1;
    pthread_cond_broadcast(&r->cond);
    while (!r->done) pthread_cond_wait(&r->cond, &r->mutex);
    pthread_mutex_unlock(&r->mutex);
    return 0;
}

static void *second_trainer(void *arg) {
    rendezvous *r = arg;
    pthread_mutex_lock(&r->mutex);
    while (!r->inside) pthread_cond_wait(&r->cond, &r->mutex);
    pthread_mutex_unlock(&r->mutex);
    r->fit = bsnn_trainer_fit_arrays(r->second, feats, N * D, labels, N, NULL, 0, NULL, 0, 1, NULL, NULL);
    r->step = bsnn_trainer_step(r->second, feats, 32 * D, labels, 32, NULL);
    static float w[24 * 24];
    bsnn_model_get_weights(r->model, 1, w, 24 * 24);
    r->weights = bsnn_model_set_weights(r->model, 1, w, 24 * 24);
    pthread_mutex_lock(&r->mutex);
    r->done = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->mutex);
    return NULL;
}

static int two_trainers_one_model(void) {
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = D; mc.width = 24; mc.depth = 4; mc.outputs = K; mc.activation = act; mc.seed = 5;
    bsnn_model *m = NULL;
    bsnn_trainer *a = NULL, *b = NULL;
    if (bsnn_model_create(&mc, &m) != BSNN_OK || bsnn_trainer_create(m, NULL, &a) != BSNN_OK ||
        bsnn_trainer_create(m, NULL, &b) != BSNN_OK) return 1;
    rendezvous r = {.model = m, .second = b};
    pthread_mutex_init(&r.mutex, NULL);
    pthread_cond_init(&r.cond, NULL);
    pthread_t th;
    pthread_create(&th, NULL, second_trainer, &r);
    bsnn_status first = bsnn_trainer_fit_arrays(a, feats, N * D, labels, N, NULL, 0, NULL, 0, 1, hold_fit, &r);
    pthread_join(th, NULL);
    int bad = first != BSNN_OK || r.fit != BSNN_E_WRONG_STATE || r.step != BSNN_E_WRONG_STATE ||
              r.weights != BSNN_E_WRONG_STATE;
    if (bad) printf("FAIL: while one trainer fits: first %d, second fit %d, step %d, set_weights %d\n", first, r.fit,
                    r.step, r.weights);
    /* Once A is done, B may train the same model. */
    if (bsnn_trainer_fit_arrays(b, feats, N * D, labels, N, NULL, 0, NULL, 0, 1, NULL, NULL) != BSNN_OK) bad = 1;
    pthread_mutex_destroy(&r.mutex);
    pthread_cond_destroy(&r.cond);
    bsnn_trainer_free(a);
    bsnn_trainer_free(b);
    bsnn_model_free(m);
    return bad;
}

/* ---- one lock per plugin image */
typedef struct { bsnn_activation *activation; int status; } plugin_job;

static void *evaluate_plugin(void *arg) {
    plugin_job *p = arg;
    float x[256], y[256], d[256];
    for (int i = 0; i < 256; i++) x[i] = -3.0f + (float)i / 40.0f;
    p->status = 0;
    for (int r = 0; r < 200 && p->status == 0; r++)
        if (bsnn_activation_evaluate(p->activation, x, 256, y, d) != BSNN_OK) p->status = 1;
    return NULL;
}

static int plugin_serialized_per_image(const char *path) {
    bsnn_plugin *p1 = NULL, *p2 = NULL;
    static plugin_job jobs[2];
    if (bsnn_plugin_load(path, &p1) != BSNN_OK || bsnn_plugin_load(path, &p2) != BSNN_OK ||
        bsnn_plugin_create_activation(p1, "counted", NULL, NULL, 0, &jobs[0].activation) != BSNN_OK ||
        bsnn_plugin_create_activation(p2, "counted", NULL, NULL, 0, &jobs[1].activation) != BSNN_OK) {
        printf("FAIL: plugin: %s\n", bsnn_last_error());
        return 1;
    }
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, evaluate_plugin, &jobs[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    /* In-place evaluation must not hand forward_f32 overlapping buffers. */
    float x[64];
    for (int i = 0; i < 64; i++) x[i] = (float)i / 16.0f;
    int bad = jobs[0].status || jobs[1].status || bsnn_activation_evaluate(jobs[0].activation, x, 64, x, NULL) != BSNN_OK;
    void *image = dlopen(path, RTLD_NOW);
    long (*seen)(void) = NULL, (*aliased)(void) = NULL;
    /* POSIX's way to turn dlsym's void * into a function pointer under -pedantic. */
    void *s1 = image ? dlsym(image, "counts_overlaps_seen") : NULL, *s2 = image ? dlsym(image, "counts_overlaps_aliased") : NULL;
    memcpy(&seen, &s1, sizeof seen);
    memcpy(&aliased, &s2, sizeof aliased);
    if (!seen || !aliased) { printf("FAIL: counts_overlaps symbols\n"); bad = 1; }
    else if (seen() != 0 || aliased() != 0) {
        printf("FAIL: %ld overlapping plugin calls, %ld aliased forward_f32 calls\n", seen(), aliased());
        bad = 1;
    }
    if (image) dlclose(image);
    for (int i = 0; i < 2; i++) bsnn_activation_free(jobs[i].activation);
    bsnn_plugin_free(p1);
    bsnn_plugin_free(p2);
    return bad;
}

/* Trains a 256-wide net (its 256 × 256 layers are split over the update helper) for a
 * few steps; the weights of layer 1 go to `out` (256 × 256 floats). */
static int train_with_helper(int32_t mode, float *out) {
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = D; mc.width = 256; mc.depth = 2; mc.outputs = K; mc.activation = act; mc.seed = 4;
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    tc.batch_size = 32; tc.update_mode = mode;
    bsnn_model *m = NULL;
    bsnn_trainer *t = NULL;
    int bad = bsnn_model_create(&mc, &m) != BSNN_OK || bsnn_trainer_create(m, &tc, &t) != BSNN_OK;
    for (int s = 0; !bad && s < 6; s++)
        bad = bsnn_trainer_step(t, feats + (size_t)(s % 4) * 32 * D, 32 * D, labels + (s % 4) * 32, 32, NULL) != BSNN_OK;
    bad = bad || bsnn_model_get_weights(m, 1, out, 256 * 256) != BSNN_OK;
    bsnn_trainer_free(t);
    bsnn_model_free(m);
    return bad;
}

/* A trainer steps (starting its helper), the process forks, and both go on stepping:
 * the child's layer-1 weights, sent through a pipe, must equal the parent's. */
static int update_helper_survives_fork(void) {
    static float mine[256 * 256], childs[256 * 256];
    bsnn_model_config mc;
    bsnn_model_config_init_defaults(&mc, sizeof mc);
    mc.inputs = D; mc.width = 256; mc.depth = 2; mc.outputs = K; mc.activation = act; mc.seed = 6;
    bsnn_training_config tc;
    bsnn_training_config_init_defaults(&tc, sizeof tc);
    tc.batch_size = 32;
    bsnn_model *m = NULL;
    bsnn_trainer *t = NULL;
    int fds[2];
    if (bsnn_model_create(&mc, &m) != BSNN_OK || bsnn_trainer_create(m, &tc, &t) != BSNN_OK || pipe(fds) != 0) return 1;
    int bad = bsnn_trainer_step(t, feats, 32 * D, labels, 32, NULL) != BSNN_OK;
    pid_t child = fork();
    if (child == 0) {
        alarm(30);  /* a child waiting on the parent's helper would hang: fail instead */
        int ok = 1;
        for (int s = 1; ok && s < 4; s++) ok = bsnn_trainer_step(t, feats + s * 32 * D, 32 * D, labels + s * 32, 32, NULL) == BSNN_OK;
        ok = ok && bsnn_model_get_weights(m, 1, mine, 256 * 256) == BSNN_OK;
        ok = ok && write(fds[1], mine, sizeof mine) == (ssize_t)sizeof mine;
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    for (int s = 1; !bad && s < 4; s++) bad = bsnn_trainer_step(t, feats + s * 32 * D, 32 * D, labels + s * 32, 32, NULL) != BSNN_OK;
    bad = bad || bsnn_model_get_weights(m, 1, mine, 256 * 256) != BSNN_OK;
    size_t got = 0;
    ssize_t n;
    while (got < sizeof childs && (n = read(fds[0], (char *)childs + got, sizeof childs - got)) > 0) got += (size_t)n;
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || got != sizeof childs || memcmp(mine, childs, sizeof mine) != 0) {
        printf("FAIL: a trainer forked with its update helper: child status %d, %zu bytes, %s\n", status, got,
               got == sizeof childs && memcmp(mine, childs, sizeof mine) == 0 ? "same weights" : "different weights");
        bad = 1;
    }
    bsnn_trainer_free(t);
    bsnn_model_free(m);
    return bad;
}

static int update_helper_replays(void) {
    static float a[256 * 256], b[256 * 256];
    int bad = bsnn_blas_set_threads(2) != BSNN_OK;
    for (int32_t mode = BSNN_UPDATE_CHECKED; !bad && mode <= BSNN_UPDATE_FUSED; mode++) {
        bad = train_with_helper(mode, a) || train_with_helper(mode, b);
        if (!bad && memcmp(a, b, sizeof a) != 0) {
            printf("FAIL: update mode %d with the update helper: two runs differ\n", mode);
            bad = 1;
        }
    }
#ifdef BSNN_TEST_UNDER_TSAN
    printf("SKIP  update helper across fork() (not under ThreadSanitizer)\n");
#else
    bad = bad || update_helper_survives_fork();
#endif
    bsnn_blas_set_threads(1);
    return bad;
}

int main(int argc, char **argv) {
    int failed = 0, passed = 0;
    if (bsnn_blas_set_threads(1) != BSNN_OK) return 1;
    for (int i = 0; i < N; i++) {
        labels[i] = i % K;
        for (int j = 0; j < D; j++) feats[i * D + j] = (float)((j % K == labels[i]) + 0.05 * ((i * 13 + j * 7) % 11) - 0.25);
    }
    if (bsnn_activation_create_builtin("tanh", NULL, NULL, 0, &act) != BSNN_OK) return 1;

    static job serial[THREADS], parallel[THREADS];
    for (int i = 0; i < THREADS; i++) {
        serial[i].seed = parallel[i].seed = (uint64_t)i + 1;
        if (train_one(&serial[i], NULL)) return 1;
    }
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, train_thread, &parallel[i]);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        if (parallel[i].status == 0 && memcmp(serial[i].logits, parallel[i].logits, sizeof serial[i].logits) == 0) passed++;
        else { failed++; printf("FAIL: thread %d trained a different model\n", i); }
    }

    job shared_job = {.seed = 99};
    bsnn_model *shared = NULL;
    if (train_one(&shared_job, &shared)) return 1;
    static predict_job pj[THREADS];
    for (int i = 0; i < THREADS; i++) {
        pj[i].model = shared;
        pthread_create(&th[i], NULL, predict_thread, &pj[i]);
    }
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) {
        if (pj[i].status == 0 && memcmp(pj[i].logits, shared_job.logits, sizeof pj[i].logits) == 0) passed++;
        else { failed++; printf("FAIL: concurrent prediction %d differs\n", i); }
    }
    bsnn_model_free(shared);
    if (two_trainers_one_model()) failed++; else passed++;
    if (argc > 1) {
        if (plugin_serialized_per_image(argv[1])) failed++; else passed++;
    } else {
        printf("SKIP  plugin lock per image (no counts_overlaps fixture given)\n");
    }
    if (update_helper_replays()) failed++; else passed++;
    bsnn_activation_free(act);
    printf("test_threads: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
