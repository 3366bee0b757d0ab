/* Threads: 4 threads each train their own small model (results must equal a
 * single-threaded run of the same seeds), then 4 threads predict concurrently on one
 * shared trained model (results must equal a single-threaded prediction). BLAS runs on
 * one thread so that results are bit-reproducible. */
#include <bsnn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

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
        bsnn_trainer_fit_arrays(t, feats, N * D, labels, N, ROUNDS, NULL, NULL) != BSNN_OK) {
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

int main(void) {
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
    bsnn_activation_free(act);
    printf("test_threads: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
