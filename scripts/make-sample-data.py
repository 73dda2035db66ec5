#!/usr/bin/env python3
"""Writes the small bundled sample images in sample-data/ (deterministic; needs numpy + nibabel).

sub-demo_bold.nii.gz   24×28×24×60 int16 BOLD-like series on a 6 mm grid (MNI-like affine,
                       TR 2 s, scl_slope 0.5), with a smooth "brain" and slow fluctuations
sub-demo_mask.nii.gz   its brain mask (uint8)
"""
import os
import numpy as np
import nibabel as nib

out = os.path.join(os.path.dirname(__file__), "..", "sample-data")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(2026)
shape = (24, 28, 24)
affine = np.array([[-6.0, 0, 0, 72], [0, 6.0, 0, -108], [0, 0, 6.0, -66], [0, 0, 0, 1]])
i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
r = np.sqrt(((i - 11.5) / 10) ** 2 + ((j - 14) / 12.5) ** 2 + ((k - 11) / 9.5) ** 2)
brain = r < 1.0
t = np.arange(60) * 2.0
slow = np.sin(2 * np.pi * 0.03 * t)
base = np.where(brain, 8000 + 1500 * (1 - r), 50.0)
series = base[..., None] * (1 + 0.01 * slow[None, None, None, :]) + rng.normal(0, 40, shape + (60,))
img = nib.Nifti1Image(np.round(series / 0.5).astype(np.int16), affine)
img.header.set_slope_inter(0.5, 0)
img.header.set_xyzt_units("mm", "sec")
img.header["pixdim"][4] = 2.0
img.header.set_qform(affine, code=4)
img.header.set_sform(affine, code=4)
nib.save(img, os.path.join(out, "sub-demo_bold.nii.gz"))
mask = nib.Nifti1Image(brain.astype(np.uint8), affine)
mask.header.set_qform(affine, code=4)
mask.header.set_sform(affine, code=4)
nib.save(mask, os.path.join(out, "sub-demo_mask.nii.gz"))
