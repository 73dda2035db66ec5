// The C room: libnifti (NIfTI-1/-2 header semantics, nifticdf distributions)
// and ISA-L (igzip: fast inflate/deflate for .nii.gz; crc64: checksums of written outputs).
#ifndef COHORTEX_CNIFTI_SHIM_H
#define COHORTEX_CNIFTI_SHIM_H
#include <nifti2_io.h>
#include <nifticdf.h>
#include <isa-l/igzip_lib.h>
#include <isa-l/crc64.h>
#endif
