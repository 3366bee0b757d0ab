#ifndef BSNN_COPENBLAS_SHIM_H
#define BSNN_COPENBLAS_SHIM_H
#include <cblas.h>

/* LAPACK (Fortran ABI) routines that Debian's libopenblas exports; no LAPACKE there. */
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau,
             double *work, const int *lwork, int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda,
             const double *tau, double *work, const int *lwork, int *info);
#endif
