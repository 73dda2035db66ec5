#!/usr/bin/env python3
"""scipy / nibabel side of Cohortex's cluster-table tests: FSL `cluster`-style tables from the maps
`cohortex glm` wrote, recomputed with scipy.ndimage.label (not Cohortex's labelling).

  clusters SPEC   SPEC (JSON file): folder, contrast (output label), kind ("z" or "pfwe"), value, two_sided,
                  connectivity (6, 18 or 26), peak_distance (mm), atlas (path or null), labels ({index: name} or null).
                  Reads FOLDER/contrast-<label>_stat-{t,z,pfwe}.nii.gz and mask.nii.gz with nibabel.
                  -> {"clusters": [{"voxels", "sign", "volume_mm3", "peak": [x, y, z], "peak_t", "peak_z", "p_fwe",
                                    "cog": [x, y, z], "peak_label", "shares": {name: percent}}],
                      "peaks": [{"cluster", "xyz", "t"}], "index_equal": bool}

  nilearn-clusters SPEC   SPEC (JSON file): maps (paths, design order), mask, tested (one value per map), confounds
                  (rows, without intercept), threshold (one-sided p), two_sided, n_perm, seed. Runs nilearn's
                  permuted_ols(threshold=…, masker=…) with an intercept.
                  -> {"size": [...], "size_p": [...], "mass_p": [...], "fwe_p": [...] (voxel max-T), "t": [...]}
                     over the mask's voxels
                     (nibabel order, x fastest as Cohortex), p = 10^-logp.

  nilearn-tfce SPEC  SPEC: tmap, mask, two_sided, connectivity. nilearn's calculate_tfce (dh "auto": 100 steps
                  to the map's maximum, no multiplication by dh, as fslmaths) on the t map inside the mask.
                  -> {"tfce": [...]} over the grid in Fortran order (x fastest, as Cohortex)

Clusters are ordered largest first, ties by peak |t| (then by the lowest voxel index, x fastest). Positive and
negative voxels are labelled separately. Local maxima: voxels whose |t| equals the 3x3x3 maximum over the
cluster; strongest first, dropping any closer than peak_distance mm to a kept one.
"""
import json
import sys

import nibabel as nib
import numpy as np
from scipy import ndimage


def load(path):
    image = nib.load(path)
    return np.asarray(image.dataobj, dtype=np.float64), image.affine


def clusters(spec):
    folder, label = spec["folder"], spec["contrast"]
    t, affine = load(f"{folder}/contrast-{label}_stat-t.nii.gz")
    z, _ = load(f"{folder}/contrast-{label}_stat-z.nii.gz")
    mask = load(f"{folder}/mask.nii.gz")[0] != 0
    try:
        pfwe = load(f"{folder}/contrast-{label}_stat-pfwe.nii.gz")[0]
    except FileNotFoundError:
        pfwe = None
    if spec["kind"] == "z":
        passes = (np.abs(z) > spec["value"]) if spec["two_sided"] else (z > spec["value"])
    else:
        passes = pfwe < spec["value"]
    passes &= mask
    rank = {6: 1, 18: 2, 26: 3}[spec["connectivity"]]
    structure = ndimage.generate_binary_structure(3, rank)
    atlas = None
    if spec.get("atlas"):
        atlas = np.asarray(nib.load(spec["atlas"]).dataobj).astype(np.int64)
    names = {int(k): v for k, v in (spec.get("labels") or {}).items()}

    def name(label_value):
        if label_value == 0:
            return "unlabelled"
        return names.get(label_value, f"label-{label_value}")

    def world(ijk):
        return (affine @ np.array([*ijk, 1.0]))[:3]

    found = []
    for sign in (1, -1):
        side = (t >= 0) if sign > 0 else (t < 0)
        labels, count = ndimage.label(passes & side, structure=structure)
        for c in range(1, count + 1):
            member = labels == c
            coords = np.argwhere(member)
            flat = np.ravel_multi_index(coords.T, t.shape, order="F")
            values = np.abs(t[member])
            found.append((member, coords, flat, values, sign))
    found.sort(key=lambda f: (-len(f[2]), -f[3].max(), f[2].min()))

    out, peaks = [], []
    index_equal = True
    ours = np.asarray(nib.load(f"{folder}/contrast-{label}_clusters.nii.gz").dataobj)
    voxel_volume = abs(np.linalg.det(affine[:3, :3]))
    for number, (member, coords, flat, values, sign) in enumerate(found, start=1):
        index_equal &= bool(np.array_equal(ours == number, member))
        absolute = np.where(member, np.abs(t), -np.inf)
        local = member & (absolute == ndimage.maximum_filter(absolute, size=3, mode="constant", cval=-np.inf))
        candidates = sorted((tuple(ijk) for ijk in np.argwhere(local)), key=lambda ijk: -np.abs(t[ijk]))
        kept = []
        for ijk in candidates:
            w = world(ijk)
            if all(np.linalg.norm(w - world(k)) >= spec["peak_distance"] for k in kept):
                kept.append(ijk)
        peak = kept[0]
        weights = np.abs(t[member])
        xyz = np.array([world(c) for c in coords])
        cog = (weights[:, None] * xyz).sum(axis=0) / weights.sum()
        entry = {
            "voxels": int(len(flat)), "sign": "positive" if sign > 0 else "negative",
            "volume_mm3": float(len(flat) * voxel_volume), "peak": world(peak).tolist(),
            "peak_t": float(t[peak]), "peak_z": float(z[peak]),
            "p_fwe": None if pfwe is None else float(pfwe[member].min()),
            "cog": cog.tolist(), "peak_label": None, "shares": None,
        }
        if atlas is not None:
            entry["peak_label"] = name(int(atlas[peak]))
            inside = atlas[member]
            entry["shares"] = {name(int(v)): 100.0 * float((inside == v).sum()) / len(inside) for v in np.unique(inside)}
        out.append(entry)
        for ijk in kept:
            peaks.append({"cluster": number, "xyz": world(ijk).tolist(), "t": float(t[ijk])})
    index_equal &= bool(((ours != 0) == passes).all())
    return {"clusters": out, "peaks": peaks, "index_equal": index_equal}


def nilearn_clusters(spec):
    from nilearn.maskers import NiftiMasker
    from nilearn.mass_univariate import permuted_ols

    mask_img = nib.load(spec["mask"])
    masker = NiftiMasker(mask_img).fit()
    target = masker.transform(spec["maps"])
    tested = np.asarray(spec["tested"], dtype=np.float64).reshape(-1, 1)
    confounds = np.asarray(spec["confounds"], dtype=np.float64) if spec.get("confounds") else None
    out = permuted_ols(tested, target, confounding_vars=confounds, model_intercept=True, n_perm=spec["n_perm"],
                       two_sided_test=spec["two_sided"], random_state=spec["seed"], n_jobs=1, verbose=0,
                       masker=masker, threshold=spec["threshold"], output_type="dict")
    # masker order is C order over the mask; Cohortex lists in-mask voxels with x fastest (Fortran order).
    inside = np.asarray(mask_img.dataobj) != 0
    c_order = np.flatnonzero(inside.ravel(order="C"))
    f_index = np.ravel_multi_index(np.unravel_index(c_order, inside.shape, order="C"), inside.shape, order="F")
    order = np.argsort(f_index)

    def row(name):
        return np.asarray(out[name])[0][order]

    return {"size": row("size").tolist(), "size_p": (10 ** -row("logp_max_size")).tolist(),
            "fwe_p": (10 ** -row("logp_max_t")).tolist(),
            "mass_p": (10 ** -row("logp_max_mass")).tolist(), "t": row("t").tolist()}


def nilearn_tfce(spec):
    from nilearn.mass_univariate._utils import calculate_tfce

    t = np.asarray(nib.load(spec["tmap"]).dataobj, dtype=np.float64)
    inside = np.asarray(nib.load(spec["mask"]).dataobj) != 0
    t[~inside] = 0
    rank = {6: 1, 18: 2, 26: 3}[spec["connectivity"]]
    out = calculate_tfce(t[..., None], bin_struct=ndimage.generate_binary_structure(3, rank),
                         two_sided_test=spec["two_sided"])[..., 0]
    return {"tfce": out.ravel(order="F").tolist()}


def main():
    command, argument = sys.argv[1], sys.argv[2]
    with open(argument) as f:
        spec = json.load(f)
    if command == "clusters":
        print(json.dumps(clusters(spec)))
    elif command == "nilearn-clusters":
        print(json.dumps(nilearn_clusters(spec)))
    elif command == "nilearn-tfce":
        print(json.dumps(nilearn_tfce(spec)))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
