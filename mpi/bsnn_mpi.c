/* The MPI gradient exchange (include/bsnn_mpi.h). Each bucket is summed with a
 * non-blocking MPI_Iallreduce started as soon as the backward pass hands it over; every
 * `start` also tests the pending requests, which is what drives OpenMPI's progress
 * engine while the training thread computes (no progress thread is needed). */
#include "bsnn_mpi.h"

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bsnn_mpi {
    MPI_Comm comm;
    int rank, size;
    int finalize_on_free;
    MPI_Request *requests; /* by bucket id */
    int capacity;
    double wait_seconds;
    uint64_t bytes, steps;
    char message[MPI_MAX_ERROR_STRING + 128];
};

static int failed(bsnn_mpi *m, int rc, const char *what) {
    char text[MPI_MAX_ERROR_STRING];
    int n = 0;
    if (MPI_Error_string(rc, text, &n) != MPI_SUCCESS) snprintf(text, sizeof text, "MPI error %d", rc);
    snprintf(m->message, sizeof m->message, "%.100s: %s", what, text);
    return rc == 0 ? 1 : rc;
}

static int create(MPI_Comm base, int finalize_on_free, bsnn_mpi **out) {
    *out = NULL;
    bsnn_mpi *m = calloc(1, sizeof *m);
    if (!m) return MPI_ERR_NO_MEM;
    int rc = MPI_Comm_dup(base, &m->comm);
    if (rc != MPI_SUCCESS) { free(m); return rc; }
    /* Errors come back as codes (and then as BSNN_E_IO from the trainer), not as an abort. */
    MPI_Comm_set_errhandler(m->comm, MPI_ERRORS_RETURN);
    MPI_Comm_rank(m->comm, &m->rank);
    MPI_Comm_size(m->comm, &m->size);
    m->finalize_on_free = finalize_on_free;
    *out = m;
    return 0;
}

int bsnn_mpi_create_world(int *argc, char ***argv, bsnn_mpi **out) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
        int rc = MPI_Init(argc, argv);
        if (rc != MPI_SUCCESS) { *out = NULL; return rc; }
    }
    return create(MPI_COMM_WORLD, !initialized, out);
}

int bsnn_mpi_create_fortran(int fortran_comm, bsnn_mpi **out) {
    return create(MPI_Comm_f2c((MPI_Fint)fortran_comm), 0, out);
}

static int ensure(bsnn_mpi *m, int bucket) {
    if (bucket < m->capacity) return 0;
    int capacity = bucket + 1 > 2 * m->capacity ? bucket + 1 : 2 * m->capacity;
    MPI_Request *r = realloc(m->requests, (size_t)capacity * sizeof *r);
    if (!r) return failed(m, MPI_ERR_NO_MEM, "bucket table");
    for (int i = m->capacity; i < capacity; i++) r[i] = MPI_REQUEST_NULL;
    m->requests = r;
    m->capacity = capacity;
    return 0;
}

static int start(void *user_data, int32_t bucket, float *buffer, size_t count) {
    bsnn_mpi *m = user_data;
    if (bucket < 0 || count > (size_t)INT32_MAX) return failed(m, MPI_ERR_COUNT, "start: bucket too large for one MPI call");
    int rc = ensure(m, bucket);
    if (rc) return rc;
    if (m->requests[bucket] != MPI_REQUEST_NULL) return failed(m, MPI_ERR_REQUEST, "start: bucket already in flight");
    rc = MPI_Iallreduce(MPI_IN_PLACE, buffer, (int)count, MPI_FLOAT, MPI_SUM, m->comm, &m->requests[bucket]);
    if (rc != MPI_SUCCESS) return failed(m, rc, "MPI_Iallreduce");
    m->bytes += (uint64_t)count * sizeof(float);
    int done = 0;
    rc = MPI_Testall(bucket + 1 < m->capacity ? m->capacity : bucket + 1, m->requests, &done, MPI_STATUSES_IGNORE);
    return rc == MPI_SUCCESS ? 0 : failed(m, rc, "MPI_Testall");
}

static int finish(void *user_data, int32_t bucket) {
    bsnn_mpi *m = user_data;
    if (bucket < 0 || bucket >= m->capacity) return failed(m, MPI_ERR_REQUEST, "finish: bucket never started");
    double t0 = MPI_Wtime();
    int rc = MPI_Wait(&m->requests[bucket], MPI_STATUS_IGNORE);
    m->wait_seconds += MPI_Wtime() - t0;
    return rc == MPI_SUCCESS ? 0 : failed(m, rc, "MPI_Wait");
}

static int agree(void *user_data, int32_t status, int32_t *agreed) {
    bsnn_mpi *m = user_data;
    m->steps++;
    int rc = MPI_Allreduce(&status, agreed, 1, MPI_INT32_T, MPI_MAX, m->comm);
    return rc == MPI_SUCCESS ? 0 : failed(m, rc, "MPI_Allreduce (step status)");
}

static int all_match_rank_zero(void *user_data, uint64_t value, int32_t *all_match) {
    bsnn_mpi *m = user_data;
    uint64_t first = value;
    int rc = MPI_Bcast(&first, 1, MPI_UINT64_T, 0, m->comm);
    if (rc != MPI_SUCCESS) return failed(m, rc, "MPI_Bcast (model checksum)");
    int32_t mine = first == value;
    rc = MPI_Allreduce(&mine, all_match, 1, MPI_INT32_T, MPI_MIN, m->comm);
    return rc == MPI_SUCCESS ? 0 : failed(m, rc, "MPI_Allreduce (model checksum)");
}

void bsnn_mpi_exchange(bsnn_mpi *m, bsnn_gradient_exchange *out) {
    memset(out, 0, sizeof *out);
    out->size = sizeof *out;
    out->process_count = m->size;
    out->rank = m->rank;
    out->user_data = m;
    out->start = start;
    out->finish = finish;
    out->agree = agree;
    out->all_match_rank_zero = all_match_rank_zero;
}

int bsnn_mpi_rank(const bsnn_mpi *m) { return m->rank; }
int bsnn_mpi_size(const bsnn_mpi *m) { return m->size; }
const char *bsnn_mpi_error_message(const bsnn_mpi *m) { return m->message; }

void bsnn_mpi_stats(const bsnn_mpi *m, double *wait_seconds, uint64_t *bytes, uint64_t *steps) {
    if (wait_seconds) *wait_seconds = m->wait_seconds;
    if (bytes) *bytes = m->bytes;
    if (steps) *steps = m->steps;
}

int bsnn_mpi_any(bsnn_mpi *m, int32_t flag, int32_t *any) {
    int32_t mine = flag != 0;
    int rc = MPI_Allreduce(&mine, any, 1, MPI_INT32_T, MPI_MAX, m->comm);
    return rc == MPI_SUCCESS ? 0 : failed(m, rc, "MPI_Allreduce (stop request)");
}

int bsnn_mpi_allgather(bsnn_mpi *m, const double *values, size_t count, double **out, size_t *counts) {
    *out = NULL;
    if (count > (size_t)INT32_MAX) return failed(m, MPI_ERR_COUNT, "allgather: too many values for one MPI call");
    int mine = (int)count;
    int *n = malloc(sizeof(int) * (size_t)m->size), *at = malloc(sizeof(int) * (size_t)m->size);
    if (!n || !at) { free(n); free(at); return failed(m, MPI_ERR_NO_MEM, "allgather"); }
    int rc = MPI_Allgather(&mine, 1, MPI_INT, n, 1, MPI_INT, m->comm);
    if (rc != MPI_SUCCESS) { free(n); free(at); return failed(m, rc, "MPI_Allgather (counts)"); }
    long long total = 0;
    for (int r = 0; r < m->size; r++) { at[r] = (int)total; total += n[r]; counts[r] = (size_t)n[r]; }
    if (total > INT32_MAX) { free(n); free(at); return failed(m, MPI_ERR_COUNT, "allgather: too many values for one MPI call"); }
    double *all = malloc(sizeof(double) * (size_t)(total > 0 ? total : 1));
    if (!all) { free(n); free(at); return failed(m, MPI_ERR_NO_MEM, "allgather"); }
    rc = MPI_Allgatherv(values, mine, MPI_DOUBLE, all, n, at, MPI_DOUBLE, m->comm);
    free(n); free(at);
    if (rc != MPI_SUCCESS) { free(all); return failed(m, rc, "MPI_Allgatherv"); }
    *out = all;
    return 0;
}

void bsnn_mpi_release(void *p) { free(p); }

int bsnn_mpi_barrier(bsnn_mpi *m) {
    int rc = MPI_Barrier(m->comm);
    return rc == MPI_SUCCESS ? 0 : failed(m, rc, "MPI_Barrier");
}

void bsnn_mpi_abort(bsnn_mpi *m, int code) { MPI_Abort(m->comm, code); }

void bsnn_mpi_free(bsnn_mpi *m) {
    if (!m) return;
    for (int i = 0; i < m->capacity; i++)
        if (m->requests[i] != MPI_REQUEST_NULL) MPI_Request_free(&m->requests[i]);
    free(m->requests);
    MPI_Comm_free(&m->comm);
    int finalize = m->finalize_on_free;
    free(m);
    if (finalize) MPI_Finalize();
}
