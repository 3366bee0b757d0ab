#ifndef CBSNN_MPI_CLIENT_H
#define CBSNN_MPI_CLIENT_H
/* The types of libbsnn_mpi for the command line, which loads that library at run time
 * (dlopen) only for `--distributed mpi`: the public headers, included as they are. */
#include "../../../include/bsnn_mpi.h"

typedef int (*cbsnn_mpi_create_world_fn)(int *argc, char ***argv, bsnn_mpi **out);
typedef void (*cbsnn_mpi_exchange_fn)(bsnn_mpi *mpi, bsnn_gradient_exchange *out);
typedef const char *(*cbsnn_mpi_error_message_fn)(const bsnn_mpi *mpi);
typedef void (*cbsnn_mpi_stats_fn)(const bsnn_mpi *mpi, double *wait_seconds, uint64_t *bytes, uint64_t *steps);
typedef int (*cbsnn_mpi_any_fn)(bsnn_mpi *mpi, int32_t flag, int32_t *any);
typedef int (*cbsnn_mpi_barrier_fn)(bsnn_mpi *mpi);
typedef int (*cbsnn_mpi_allgather_fn)(bsnn_mpi *mpi, const double *values, size_t count, double **out, size_t *counts);
typedef void (*cbsnn_mpi_release_fn)(void *p);
typedef void (*cbsnn_mpi_free_fn)(bsnn_mpi *mpi);
#endif
