/* Header-only target: see include/cbsnn_mpi_client.h. */
