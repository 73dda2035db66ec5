// OpenBLAS's CBLAS (Debian libopenblas-dev): GEMM for the cleaning operator and permutations.
// Only the Kernels module imports this, for the CBLAS types; the library itself is loaded at first
// use (Kernels/BLAS.swift) so that it starts single-threaded and processes that never multiply
// matrices never start its thread pool.
#ifndef COHORTEX_CBLAS_SHIM_H
#define COHORTEX_CBLAS_SHIM_H
#include <cblas.h>

typedef void (*cohortex_sgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE,
                                  blasint, blasint, blasint, float, const float *, blasint,
                                  const float *, blasint, float, float *, blasint);
typedef void (*cohortex_dgemm_fn)(enum CBLAS_ORDER, enum CBLAS_TRANSPOSE, enum CBLAS_TRANSPOSE,
                                  blasint, blasint, blasint, double, const double *, blasint,
                                  const double *, blasint, double, double *, blasint);
typedef void (*cohortex_set_threads_fn)(int);
#endif
