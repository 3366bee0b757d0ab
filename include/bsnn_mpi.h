/* bsnn_mpi: bsnn's gradient exchange over MPI (libbsnn_mpi.so, built by `make -C mpi`
 * where MPI is installed). The engine itself knows nothing of MPI: this library fills a
 * bsnn_gradient_exchange whose callbacks sum each layer's gradient with MPI_Iallreduce,
 * started as the backward pass forms it and completed before the update.
 *
 *   bsnn_mpi *mpi; bsnn_mpi_create_world(&argc, &argv, &mpi);
 *   bsnn_gradient_exchange ex; bsnn_mpi_exchange(mpi, &ex);
 *   bsnn_trainer_set_gradient_exchange(trainer, &ex);   // on every rank
 *   bsnn_trainer_fit(trainer, data, NULL, epochs, NULL, NULL);
 *   bsnn_mpi_free(mpi);                                  // MPI_Finalize if create_world initialized MPI
 *
 * This header needs no MPI header: communicators cross it as Fortran handles
 * (MPI_Comm_c2f), which is also what mpi4py's Comm.py2f() gives Python.
 * Functions return 0 or an MPI error code (bsnn_mpi_error_message says what failed).
 * Threads: one bsnn_mpi per trainer, used from the training thread only. */
#ifndef BSNN_MPI_H
#define BSNN_MPI_H

#include <stddef.h>
#include <stdint.h>
#include "bsnn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BSNN_MPI_API __attribute__((visibility("default")))

typedef struct bsnn_mpi bsnn_mpi;

/* Initializes MPI if it is not yet (MPI_Init with argc/argv, which may be NULL) and
 * creates an exchange over a duplicate of MPI_COMM_WORLD in *out (free with
 * bsnn_mpi_free, which then also finalizes MPI). Errors: an MPI code, *out NULL. */
BSNN_MPI_API int bsnn_mpi_create_world(int *argc, char ***argv, bsnn_mpi **out);
/* Creates an exchange over a duplicate of the communicator whose Fortran handle is
 * `fortran_comm` (MPI_Comm_c2f(comm), mpi4py: comm.py2f()); MPI must be initialized and
 * stays so after bsnn_mpi_free. Errors: an MPI code, *out NULL. */
BSNN_MPI_API int bsnn_mpi_create_fortran(int fortran_comm, bsnn_mpi **out);
/* Fills *out with callbacks bound to `mpi` (valid until bsnn_mpi_free), ready for
 * bsnn_trainer_set_gradient_exchange. */
BSNN_MPI_API void bsnn_mpi_exchange(bsnn_mpi *mpi, bsnn_gradient_exchange *out);
/* This process's rank and the communicator's size. */
BSNN_MPI_API int bsnn_mpi_rank(const bsnn_mpi *mpi);
BSNN_MPI_API int bsnn_mpi_size(const bsnn_mpi *mpi);
/* The last failure's message (static storage inside `mpi`), "" if none. */
BSNN_MPI_API const char *bsnn_mpi_error_message(const bsnn_mpi *mpi);
/* Counters since creation: seconds spent waiting in `finish` (communication not hidden
 * behind the backward pass), bytes summed and steps (`agree` calls). Any may be NULL. */
BSNN_MPI_API void bsnn_mpi_stats(const bsnn_mpi *mpi, double *wait_seconds, uint64_t *bytes, uint64_t *steps);
/* Stores in *any whether `flag` is non-zero on any process (an all-reduce of the
 * maximum): a stop request (Ctrl-C) that every process then acts on at the same step. */
BSNN_MPI_API int bsnn_mpi_any(bsnn_mpi *mpi, int32_t flag, int32_t *any);
/* Every process's `count` doubles at `values`, on every process, in rank order: *out
 * (malloc'd, free with bsnn_mpi_release) holds them back to back, counts[r] (an array
 * of bsnn_mpi_size entries the caller provides) how many came from rank r. For results
 * of independent runs spread over the processes (a sweep). Errors: an MPI code. */
BSNN_MPI_API int bsnn_mpi_allgather(bsnn_mpi *mpi, const double *values, size_t count, double **out, size_t *counts);
/* Frees what bsnn_mpi_allgather returned; NULL is a no-op. */
BSNN_MPI_API void bsnn_mpi_release(void *p);
/* MPI_Barrier on the exchange's communicator. */
BSNN_MPI_API int bsnn_mpi_barrier(bsnn_mpi *mpi);
/* MPI_Abort on the exchange's communicator: ends every process of the run with `code`. */
BSNN_MPI_API void bsnn_mpi_abort(bsnn_mpi *mpi, int code);
/* Frees `mpi` (waiting for nothing: call between steps) and finalizes MPI if
 * bsnn_mpi_create_world initialized it. NULL is a no-op. */
BSNN_MPI_API void bsnn_mpi_free(bsnn_mpi *mpi);

#ifdef __cplusplus
}
#endif
#endif
