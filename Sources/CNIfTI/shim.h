// The C room: libnifti (NIfTI-1/-2 header semantics, nifticdf distributions)
// and ISA-L's igzip (fast inflate/deflate for .nii.gz).
#ifndef COHORTEX_CNIFTI_SHIM_H
#define COHORTEX_CNIFTI_SHIM_H
#include <nifti2_io.h>
#include <nifticdf.h>
#include <isa-l/igzip_lib.h>
#endif
