// OpenBLAS's CBLAS (Debian libopenblas-dev): GEMM for the cleaning operator and permutations.
// Only the Kernels module imports this.
#ifndef COHORTEX_CBLAS_SHIM_H
#define COHORTEX_CBLAS_SHIM_H
#include <cblas.h>
#endif
