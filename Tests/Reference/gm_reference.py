#!/usr/bin/env python3
"""numpy/nibabel/nilearn references for Cohortex's regional gray-matter volume.

  make-maps DIR RES      write GM/WM/CSF probability maps on the MNI grid at RES mm (1 or 2),
                         an atlas on the same grid (labels 1..100), a 2 mm/oblique/LAS atlas on
                         other grids, a label table (TSV) and an FSL-style LUT, into DIR
  regional GM ATLAS      print JSON {label: [voxels, volume_mm3, mean_prob]} computed with
                         np.bincount(weights=...) in float64; the atlas is resampled to the GM grid
                         with nilearn.image.resample_to_img(interpolation="nearest") when grids differ
  spheres GM NAME:x,y,z,r ...   same for spheres built from a world-coordinate distance mask
  total MAP              print Σ p × voxel volume (float64), NaN excluded
  make-rois DIR          binary ROI masks cut from DIR's atlases: roi_same (GM grid, uint8), roi_oblique
                         (oblique 2.5 mm grid, float32) and roi_las (x-flipped grid, int16)
  roi GM MASK ...        print JSON [[voxels, volume_mm3, mean_prob], ...] per mask: the mask (non-zero,
                         finite) carried onto the GM grid by resample_to_img(interpolation="nearest") when
                         grids differ, then Σ p × |det A| over its finite-probability voxels
  scaled SRC DST F       write SRC × F (clipped to [0, 1]) to DST
  ttest TABLE PARTICIPANTS COLUMN   scipy ttest_ind (pain vs control) of a cohort-table column
"""
import json
import os
import sys

import numpy as np
import nibabel as nib

MNI = {1: ((182, 218, 182), np.array([[1.0, 0, 0, -90], [0, 1, 0, -126], [0, 0, 1, -72], [0, 0, 0, 1]])),
       2: ((91, 109, 91), np.array([[2.0, 0, 0, -90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1]]))}


def save(data, affine, path, dtype):
    img = nib.Nifti1Image(np.asarray(data, dtype=dtype), affine, dtype=dtype)
    img.header.set_sform(affine, code=4)
    img.header.set_qform(affine, code=4)
    nib.save(img, path)


def smooth_field(shape, rng, terms=6):
    """A smooth random field in [0, 1] from a few random plane waves (fast, deterministic)."""
    grids = np.meshgrid(*[np.linspace(0, 1, n, dtype=np.float32) for n in shape], indexing="ij")
    f = np.zeros(shape, dtype=np.float32)
    for _ in range(terms):
        k = rng.normal(0, 6, 3)
        phase = rng.uniform(0, 2 * np.pi)
        f += np.cos(k[0] * grids[0] + k[1] * grids[1] + k[2] * grids[2] + phase).astype(np.float32)
    f -= f.min()
    return f / f.max()


def make_maps(folder, res):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(res)
    shape, aff = MNI[res]
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    world = np.stack([aff[a, 0] * i + aff[a, 1] * j + aff[a, 2] * k + aff[a, 3] for a in range(3)])
    r = np.sqrt((world[0] / 70) ** 2 + ((world[1] + 18) / 95) ** 2 + ((world[2] - 10) / 75) ** 2)
    brain = r < 1
    gm = np.where(brain, 0.15 + 0.8 * smooth_field(shape, rng), 0).astype(np.float32)
    wm = np.where(brain, (1 - gm) * 0.7, 0).astype(np.float32)
    csf = np.where(brain, 1 - gm - wm, 0).astype(np.float32)
    ext = ".nii" if res == 1 else ".nii.gz"
    save(gm, aff, f"{folder}/gm{ext}", np.float32)
    save(wm, aff, f"{folder}/wm{ext}", np.float32)
    save(csf, aff, f"{folder}/csf{ext}", np.float32)
    # 100 regions: blocks of a coarse partition of the brain.
    region = (np.floor((world[0] + 90) / 36) * 20 + np.floor((world[1] + 126) / 44) * 4 + np.floor((world[2] + 72) / 45)).astype(int)
    labels = np.where(brain, (region % 100) + 1, 0).astype(np.int16)
    save(labels, aff, f"{folder}/atlas{ext}", np.int16)
    # The same labelling on other grids: 2 mm, an oblique one, and an LAS (x-flipped) one.
    for name, other in other_grids(res).items():
        oshape, oaff = other
        oi, oj, ok = np.meshgrid(*[np.arange(n) for n in oshape], indexing="ij")
        ow = np.stack([oaff[a, 0] * oi + oaff[a, 1] * oj + oaff[a, 2] * ok + oaff[a, 3] for a in range(3)])
        orr = np.sqrt((ow[0] / 70) ** 2 + ((ow[1] + 18) / 95) ** 2 + ((ow[2] - 10) / 75) ** 2)
        oreg = (np.floor((ow[0] + 90) / 36) * 20 + np.floor((ow[1] + 126) / 44) * 4 + np.floor((ow[2] + 72) / 45)).astype(int)
        save(np.where(orr < 1, (oreg % 100) + 1, 0).astype(np.int16), oaff, f"{folder}/atlas_{name}.nii.gz", np.int16)
    with open(f"{folder}/labels.tsv", "w") as f:
        f.write("index\tname\tcolor\n")
        for n in range(1, 101):
            if n % 7 == 0:
                continue  # deliberately missing: Cohortex names these label-<index>
            f.write(f"{n}\tregion_{n:03d}\t#aabbcc\n")
    with open(f"{folder}/labels.txt", "w") as f:
        f.write("# FSL-style lookup table\n")
        for n in range(1, 101):
            f.write(f"{n} region_{n:03d} 10 20 30 0\n")


def other_grids(res):
    c, s = np.cos(0.1), np.sin(0.1)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])
    oblique = np.eye(4)
    oblique[:3, :3] = rot @ np.diag([2.5, 2.5, 2.5])
    oblique[:3, 3] = [-95, -130, -75]
    las = np.array([[-2.0, 0, 0, 90], [0, 2, 0, -126], [0, 0, 2, -72], [0, 0, 0, 1]])
    grids = {"oblique": ((80, 92, 76), oblique), "las": ((91, 109, 91), las)}
    if res == 1:
        grids["2mm"] = MNI[2]
    else:
        grids["1mm"] = MNI[1]
    return grids


def load(path):
    img = nib.load(path)
    return img, np.asarray(img.dataobj, dtype=np.float64)


def regional(gm_path, atlas_path):
    from nilearn.image import resample_to_img
    gm_img, gm = load(gm_path)
    atlas_img = nib.load(atlas_path)
    if atlas_img.shape != gm_img.shape or not np.allclose(atlas_img.affine, gm_img.affine):
        atlas_img = resample_to_img(atlas_img, gm_img, interpolation="nearest", force_resample=True, copy_header=True)
    labels = np.rint(np.asarray(atlas_img.dataobj)).astype(np.int64).ravel()
    values = gm.ravel()
    finite = ~np.isnan(values)
    vox = abs(np.linalg.det(gm_img.affine[:3, :3]))
    counts = np.bincount(labels[finite], minlength=labels.max() + 1)
    sums = np.bincount(labels[finite], weights=values[finite], minlength=labels.max() + 1)
    out = {int(l): [int(counts[l]), float(sums[l] * vox), float(sums[l] / counts[l]) if counts[l] else None]
           for l in range(1, len(counts))}
    print(json.dumps(out))


def spheres(gm_path, specs):
    gm_img, gm = load(gm_path)
    shape, aff = gm.shape, gm_img.affine
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    world = np.stack([aff[a, 0] * i + aff[a, 1] * j + aff[a, 2] * k + aff[a, 3] for a in range(3)])
    vox = abs(np.linalg.det(aff[:3, :3]))
    out = {}
    for n, spec in enumerate(specs, start=1):
        name, numbers = spec.rsplit(":", 1)
        x, y, z, r = map(float, numbers.split(","))
        inside = (world[0] - x) ** 2 + (world[1] - y) ** 2 + (world[2] - z) ** 2 <= r * r
        v = gm[inside]
        v = v[~np.isnan(v)]
        out[n] = [int(v.size), float(v.sum() * vox), float(v.mean()) if v.size else None]
    print(json.dumps(out))


def ttest(table_path, participants_path, column):
    """scipy's two-sample t (pain − control, pooled variance) of one column of a gm-volume cohort table."""
    import pandas as pd
    from scipy import stats
    table = pd.read_csv(table_path, sep="\t").merge(pd.read_csv(participants_path, sep="\t"), on="participant_id")
    pain = table.loc[table.group == "pain", column]
    control = table.loc[table.group == "control", column]
    print(json.dumps(float(stats.ttest_ind(pain, control).statistic)))


def scaled(src, dst, factor):
    """A copy of a probability map multiplied by `factor` (clipped to [0, 1])."""
    img = nib.load(src)
    data = np.clip(np.asarray(img.dataobj, dtype=np.float32) * factor, 0, 1)
    nib.save(nib.Nifti1Image(data, img.affine, img.header), dst)


def make_rois(folder):
    ext = ".nii" if os.path.exists(f"{folder}/atlas.nii") else ".nii.gz"
    for name, source, labels, dtype in (("same", f"atlas{ext}", (23, 24), np.uint8),
                                        ("oblique", "atlas_oblique.nii.gz", (40, 41, 45), np.float32),
                                        ("las", "atlas_las.nii.gz", (7,), np.int16)):
        img = nib.load(f"{folder}/{source}")
        data = np.isin(np.asarray(img.dataobj), labels)
        save(data.astype(dtype), img.affine, f"{folder}/roi_{name}.nii.gz", dtype)


def rois(gm_path, mask_paths):
    from nilearn.image import resample_to_img
    gm_img, gm = load(gm_path)
    vox = abs(np.linalg.det(gm_img.affine[:3, :3]))
    out = []
    for path in mask_paths:
        img = nib.load(path)
        if img.shape != gm_img.shape or not np.allclose(img.affine, gm_img.affine):
            img = resample_to_img(img, gm_img, interpolation="nearest", force_resample=True, copy_header=True)
        m = np.asarray(img.dataobj, dtype=np.float64)
        v = gm[(m != 0) & np.isfinite(m)]
        v = v[~np.isnan(v)]
        out.append([int(v.size), float(v.sum() * vox), float(v.mean()) if v.size else None])
    print(json.dumps(out))


def total(path):
    img, data = load(path)
    print(json.dumps(float(np.nansum(data) * abs(np.linalg.det(img.affine[:3, :3])))))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make-maps":
        make_maps(sys.argv[2], int(sys.argv[3]))
    elif cmd == "regional":
        regional(sys.argv[2], sys.argv[3])
    elif cmd == "spheres":
        spheres(sys.argv[2], sys.argv[3:])
    elif cmd == "ttest":
        ttest(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "scaled":
        scaled(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif cmd == "make-rois":
        make_rois(sys.argv[2])
    elif cmd == "roi":
        rois(sys.argv[2], sys.argv[3:])
    elif cmd == "total":
        total(sys.argv[2])
    else:
        sys.exit(f"unknown command {cmd}")
