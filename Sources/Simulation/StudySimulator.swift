import NIfTI
