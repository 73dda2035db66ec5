#!/usr/bin/env python3
"""nilearn 0.14 references for Cohortex's denoising and functional connectivity.

  make-run DIR [--frames N] [--seed S] [--run R] [--tr TR] [--size small|medium]
        writes an fMRIPrep-like run into DIR: sub-01_task-rest[_run-R]_space-MNI_desc-preproc_bold.nii.gz
        (3 mm MNI-like grid, float32, a network signal shared with the PAG/mPFC seeds, motion leakage,
        noise, a few constant and NaN voxels), the matching *_desc-confounds_timeseries.tsv/.json
        (motion with derivatives/squares and n/a first rows, csf/white_matter/global_signal, a/c/w
        CompCor, framewise_displacement, std_dvars), brain mask, a 12-region atlas + labels.tsv, a seed mask
  confounds BOLD JSON_PARAMS OUT_PREFIX
        nilearn.interfaces.fmriprep.load_confounds for a strategy → OUT.confounds.f64, OUT.mask.json
  seed-map BOLD[,BOLD…] MASK JSON_PARAMS OUT.nii.gz
        NiftiSpheresMasker / NiftiMasker (mask_img=MASK) + Pearson r of the cleaned series → Fisher z map
        (several runs: z maps averaged)
  conmat BOLD ATLAS JSON_PARAMS OUT.json
        NiftiLabelsMasker + ConnectivityMeasure → {"labels": [...], "matrix": [[...]]}
  alff-clean BOLD MASK JSON_PARAMS OUT.f32 / reho-clean BOLD MASK JSON_PARAMS OUT.f64
        ALFF+fALFF (float32, voxels then voxels) or ReHo (float64) of the nilearn-cleaned in-mask series,
        with spatial_reference.py's definitions (keys band [lo, hi] / neighbours)
  clean SIGNALS.f64 T V JSON_PARAMS OUT.f64
        nilearn.signal.clean on a T×V float64 matrix (C order)
  confound-columns BOLD STRATEGY
        the columns nilearn's fMRIPrep loader picks for 6P/24P/36P (motion basic/full, wm_csf and
        global_signal full) or acompcor-separated/-combined (motion full + compcor anat_separated/anat_combined,
        n_compcor=5; the cosine columns nilearn requires alongside are left out) and their values from the table, n/a as 0 → JSON {"columns", "values" (hex floats)}
  dof T JSON_PARAMS
        prints the effective degrees of freedom nu = tr(CC')^2 / tr((CC')^2) of nilearn's cleaning:
        C = signal.clean applied to the T×T identity (column j = response to an impulse at volume j),
        without standardisation, each column then centred (the cleaned signals are centred before use)
  regrid SRC DST
        SRC carried by nilearn resample_img(interpolation="nearest") onto a 2 mm RAS grid rotated 0.15 rad
        about z that covers the "small" field of view (the BOLD grid is 3 mm LAS)
  seed-voxels BOLD MASK SEED
        prints how many voxels the seed mask (any grid: nilearn nearest resampling onto MASK's) keeps inside
        MASK with a finite series
  qc BOLD CONFOUNDS MASK JSON_PARAMS
        censored/non-steady volumes, mean/max FD, seed voxels, median tSNR as nilearn/numpy see them
JSON_PARAMS keys: detrend, high_pass, low_pass, t_r, strategy (6P/24P/36P/acompcor/none),
fd_threshold, dvars_threshold, scrub, dummy, nilearn_fill (true: the loader's back-filled values, not n/a as 0), sphere [x,y,z,r], seed_mask (on any grid: resampled to the
mask's by nearest neighbour), kind, estimator, confounds_f64, columns (explicit list) or regex (the columns
re.search matches, in table order; printed to OUT.columns.json by seed-map)
"""
import json
import os
import sys
import warnings

import numpy as np
import nibabel as nib

warnings.filterwarnings("ignore")


def patch_interpolation():
    """nilearn 0.14.1 turns sample masks into int32 indices and then writes the spline into
    `volumes[~sample_mask]`: bitwise NOT of an index k is -k-1, so it fills the *mirrored* frames
    (T-1-k) instead of the censored ones, and head/tail trimming then shifts the censoring by the
    number of trimmed frames. With PATCH=1 this reference uses the documented behaviour instead:
    the censored frames (a boolean complement) are replaced by the cubic spline."""
    import nilearn.signal as ns
    from scipy.interpolate import CubicSpline

    def interpolate(volumes, sample_mask, t_r, extrapolate):
        frame_times = np.arange(volumes.shape[0]) * t_r
        keep = np.zeros(volumes.shape[0], dtype=bool)
        keep[sample_mask] = True
        spline = CubicSpline(frame_times[keep], volumes[keep, :], extrapolate=extrapolate)
        volumes[~keep, :] = spline(frame_times)[~keep, :]
        return volumes

    ns._interpolate_volumes = interpolate


if os.environ.get("PATCH_NILEARN_INTERPOLATION") == "1":
    patch_interpolation()

AFF = np.array([[-3.0, 0, 0, 90], [0, 3.0, 0, -126], [0, 0, 3.0, -72], [0, 0, 0, 1]])
SHAPE = (61, 73, 61)
CROPS = {  # fields of view cut from the 3 mm MNI grid
    "medium": (slice(10, 50), slice(12, 60), slice(10, 50)),
    "small": (slice(20, 40), slice(22, 62), slice(15, 35)),  # keeps the PAG and the mPFC; quick for tests
}


def grid(size="medium"):
    crop = CROPS[size]
    shape = tuple(s.stop - s.start for s in crop)
    aff = AFF.copy()
    aff[:3, 3] = AFF[:3, :3] @ np.array([s.start for s in crop]) + AFF[:3, 3]
    return shape, aff


def world(shape, aff):
    i, j, k = np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")
    return [aff[a, 0] * i + aff[a, 1] * j + aff[a, 2] * k + aff[a, 3] for a in range(3)]


def make_run(folder, frames=150, seed=1, run=None, tr=2.0, size="medium"):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    shape, aff = grid(size)
    x, y, z = world(shape, aff)
    r = np.sqrt((x / 60) ** 2 + ((y + 20) / 80) ** 2 + ((z - 5) / 60) ** 2)
    brain = r < 1
    t = np.arange(frames) * tr
    network = np.convolve(rng.normal(0, 1, frames + 20), np.hanning(9), "same")[10:10 + frames]
    other = np.convolve(rng.normal(0, 1, frames + 20), np.hanning(7), "same")[10:10 + frames]
    motion = np.cumsum(rng.normal(0, 0.05, (frames, 6)), axis=0)
    motion[:, 3:] *= 0.02
    spikes = rng.choice(np.arange(20, frames - 20), 6, replace=False)
    # Weights: near the PAG (0,-30,-10) and mPFC (0,50,0) load on the network.
    d_pag = np.sqrt(x ** 2 + (y + 30) ** 2 + (z + 10) ** 2)
    d_mpfc = np.sqrt(x ** 2 + (y - 50) ** 2 + z ** 2)
    w_net = np.exp(-(d_pag / 15) ** 2) + 0.8 * np.exp(-(d_mpfc / 20) ** 2) + 0.2 * np.sin(x / 20)
    w_other = 0.5 * np.cos(y / 25)
    w_motion = rng.normal(0, 30, shape + (6,))
    base = np.where(brain, 6000 + 3000 * (1 - r), 100.0)
    data = (base[..., None] * (1 + 0.01 * (w_net[..., None] * network + w_other[..., None] * other))
            + np.tensordot(w_motion, motion.T, axes=(3, 0))
            + rng.normal(0, 25, shape + (frames,)) + 0.3 * t[None, None, None, :])
    data[..., spikes] += rng.normal(0, 80, shape + (len(spikes),))
    data = data.astype(np.float32)
    inside = np.argwhere(brain)
    const = inside[rng.choice(len(inside), 3, replace=False)]
    for c in const:
        data[tuple(c)] = 5000.0  # zero-variance voxels
    nanvox = inside[rng.choice(len(inside), 2, replace=False)]
    data[tuple(nanvox[0])][7] = np.nan
    data[tuple(nanvox[1])][:] = np.inf
    tag = f"_run-{run}" if run is not None else ""
    stem = f"sub-01_task-rest{tag}"
    img = nib.Nifti1Image(data, aff)
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = tr
    nib.save(img, f"{folder}/{stem}_space-MNI_desc-preproc_bold.nii.gz")
    nib.save(nib.Nifti1Image(brain.astype(np.uint8), aff), f"{folder}/{stem}_space-MNI_desc-brain_mask.nii.gz")
    # Confounds.
    cols = {}
    names = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]
    def add(name, v):
        deriv = np.r_[np.nan, np.diff(v)]
        cols[name] = v
        cols[name + "_derivative1"] = deriv
        cols[name + "_power2"] = v ** 2
        cols[name + "_derivative1_power2"] = deriv ** 2
    for n, name in enumerate(names):
        add(name, motion[:, n])
    mean_sig = lambda m: data[m].astype(np.float64).mean(axis=0) if m.any() else np.zeros(frames)
    csf_mask = brain & (r < 0.25)
    wm_mask = brain & (r > 0.5) & (r < 0.7)
    add("csf", np.nan_to_num(mean_sig(csf_mask & np.isfinite(data).all(axis=3))))
    add("white_matter", np.nan_to_num(mean_sig(wm_mask & np.isfinite(data).all(axis=3))))
    add("global_signal", np.nan_to_num(mean_sig(brain & np.isfinite(data).all(axis=3))))
    meta = {}
    for prefix, mask_name in (("a", "combined"), ("c", "CSF"), ("w", "WM")):
        for c in range(6):
            name = f"{prefix}_comp_cor_{c:02d}"
            cols[name] = rng.normal(0, 1, frames)
            meta[name] = {"Method": "aCompCor", "Mask": mask_name, "Retained": True,
                          "SingularValue": 10.0 - c, "VarianceExplained": 0.1, "CumulativeVarianceExplained": 0.1 * (c + 1)}
    fd = np.r_[np.nan, np.abs(np.diff(motion[:, :3], axis=0)).sum(1) + 50 * np.abs(np.diff(motion[:, 3:], axis=0)).sum(1)]
    fd[spikes] += 0.8
    fd[spikes[:2] + 1] += 0.7
    cols["framewise_displacement"] = fd
    dv = np.r_[np.nan, 1 + np.abs(rng.normal(0, 0.2, frames - 1))]
    dv[spikes[3:]] += 1.0
    cols["std_dvars"] = dv
    cols["non_steady_state_outlier00"] = np.r_[1.0, np.zeros(frames - 1)]
    with open(f"{folder}/{stem}_desc-confounds_timeseries.tsv", "w") as f:
        f.write("\t".join(cols) + "\n")
        for i in range(frames):
            f.write("\t".join("n/a" if np.isnan(v[i]) else repr(float(v[i])) for v in cols.values()) + "\n")
    with open(f"{folder}/{stem}_desc-confounds_timeseries.json", "w") as f:
        json.dump(meta, f)
    # Atlas: 12 boxes inside the brain; a seed mask near the mPFC.
    atlas = np.zeros(shape, dtype=np.int16)
    label = 1
    for bx in (-12, 12):
        for by in (-45, -5, 35):
            for bz in (-15, 15):
                box = (np.abs(x - bx) < 9) & (np.abs(y - by) < 12) & (np.abs(z - bz) < 9) & brain
                atlas[box] = label
                label += 1
    nib.save(nib.Nifti1Image(atlas, aff), f"{folder}/atlas.nii.gz")
    with open(f"{folder}/atlas_labels.tsv", "w") as f:
        f.write("index\tname\n" + "".join(f"{n}\tbox_{n:02d}\n" for n in range(1, 13)))
    seedmask = ((x ** 2 + (y - 50) ** 2 + z ** 2) < 8 ** 2) & brain
    nib.save(nib.Nifti1Image(seedmask.astype(np.uint8), aff), f"{folder}/seed_mpfc.nii.gz")


def load_confounds(bold, p):
    """Confounds array and sample mask from nilearn's own fMRIPrep loader (after dummy volumes)."""
    strategy = p.get("strategy", "none")
    dummy = p.get("dummy", 0)
    if "columns" in p or "regex" in p:
        # An explicit column list (the definition under test), n/a as 0, non-steady-state volumes censored.
        import re
        import pandas as pd
        from nilearn.interfaces.fmriprep.load_confounds_utils import _get_file_name
        raw = pd.read_csv(_get_file_name(bold), sep="\t", na_values="n/a")
        columns = p["columns"] if "columns" in p else [c for c in raw.columns if re.search(p["regex"], c)]
        p["selected_columns"] = columns
        conf = raw[columns].fillna(0).to_numpy(dtype=float)[dummy:]
        flags = raw[[c for c in raw.columns if c.startswith("non_steady_state")]].to_numpy().sum(axis=1)[dummy:]
        keep = np.flatnonzero(flags == 0)
        return conf, (keep if len(keep) < len(flags) else None)
    if strategy == "none" and p.get("fd_threshold") is None and p.get("dvars_threshold") is None:
        return None, None
    from nilearn.interfaces.fmriprep import load_confounds as lc
    kw = {"demean": False}
    strat = []
    if strategy in ("6P", "24P", "36P", "acompcor"):
        strat.append("motion")
        kw["motion"] = "basic" if strategy == "6P" else "full"
    if strategy == "36P":
        strat += ["wm_csf", "global_signal"]
        kw["wm_csf"] = "full"
        kw["global_signal"] = "full"
    if strategy == "acompcor":
        strat += ["high_pass", "compcor"]  # nilearn requires the cosines with compcor; they are dropped below
        kw["compcor"] = "anat_separated"
        kw["n_compcor"] = 5
    scrubbing = p.get("fd_threshold") is not None or p.get("dvars_threshold") is not None
    if scrubbing:
        strat.append("scrub")
        kw["scrub"] = p.get("scrub", 5)
        kw["fd_threshold"] = p.get("fd_threshold") if p.get("fd_threshold") is not None else 1e9
        kw["std_dvars_threshold"] = p.get("dvars_threshold") if p.get("dvars_threshold") is not None else 1e9
    confounds, sample_mask = lc(bold, strategy=tuple(strat) if strat else ("motion",), **kw)
    # Column choice and censoring come from nilearn's loader; values from the table itself with n/a as 0
    # (the rule, as XCP-D; nilearn's loader back-fills the first row instead).
    import pandas as pd
    from nilearn.interfaces.fmriprep.load_confounds_utils import _get_file_name
    raw = pd.read_csv(_get_file_name(bold), sep="\t", na_values="n/a")
    confounds = confounds[[c for c in confounds.columns if not c.startswith("cosine")]]
    p["selected_columns"] = list(confounds.columns)
    conf = raw[list(confounds.columns)].fillna(0).to_numpy(dtype=float) if strat and strat != ["scrub"] else None
    if p.get("nilearn_fill") and conf is not None:
        conf = confounds.to_numpy(dtype=float)  # nilearn's own values: the leading n/a back-filled
    if strat == ["scrub"]:
        conf = None
    if dummy:
        if conf is not None:
            conf = conf[dummy:]
        if sample_mask is not None:
            sample_mask = sample_mask[sample_mask >= dummy] - dummy
    if conf is not None:
        conf = np.nan_to_num(conf)
    return conf, sample_mask


def prepared(bold, p):
    from nilearn.image import index_img
    img = nib.load(bold)
    dummy = p.get("dummy", 0)
    if dummy:
        img = index_img(img, slice(dummy, None))
    conf, mask = load_confounds(bold, p)
    return img, conf, mask


def masker_kwargs(p):
    return dict(detrend=p.get("detrend", True), standardize="zscore_sample", low_pass=p.get("low_pass"),
                high_pass=p.get("high_pass"), t_r=p.get("t_r"), smoothing_fwhm=p.get("smoothing_fwhm"))


def seed_map_runs(bolds, mask_path, p, out):
    """Seed maps of several runs averaged in Fisher z (the multi-run rule)."""
    if len(bolds) == 1:
        seed_map(bolds[0], mask_path, p, out)
        return
    maps = []
    for n, bold in enumerate(bolds):
        seed_map(bold, mask_path, p, out + f".run{n}.nii.gz")
        z = np.asarray(nib.load(out + f".run{n}.nii.gz").dataobj, dtype=np.float64)
        excluded = ~np.isfinite(np.asarray(nib.load(bold).dataobj)).all(axis=3)
        z[excluded] = np.nan  # a voxel excluded in one run is averaged over the others
        maps.append(z)
    ref = nib.load(out + ".run0.nii.gz")
    mean = np.nan_to_num(np.nanmean(maps, axis=0))
    nib.save(nib.Nifti1Image(mean.astype(np.float32), ref.affine), out)


def seed_map(bold, mask_path, p, out):
    from nilearn.maskers import NiftiMasker, NiftiSpheresMasker
    img, conf, sample_mask = prepared(bold, p)
    kw = masker_kwargs(p)
    mask_img = nib.load(mask_path)
    data = np.asarray(img.dataobj)
    finite = np.isfinite(data).all(axis=3)
    good_img = nib.Nifti1Image(((np.asarray(mask_img.dataobj) > 0) & finite).astype(np.uint8), mask_img.affine)
    if "sphere" in p:
        x, y, z, r = p["sphere"]
        seeds = NiftiSpheresMasker([(x, y, z)], radius=r, mask_img=good_img, **kw)
    else:
        if "seed_label" in p:
            atlas_path, index = p["seed_label"]
            seed = np.asarray(nib.load(atlas_path).dataobj) == index
        else:
            seed_img = nib.load(p["seed_mask"])
            if seed_img.shape[:3] != mask_img.shape[:3] or not np.allclose(seed_img.affine, mask_img.affine):
                from nilearn.image import resample_to_img
                seed_img = resample_to_img(seed_img, mask_img, interpolation="nearest", force_resample=True, copy_header=True)
            seed = np.asarray(seed_img.dataobj) > 0
        seed = seed & (np.asarray(mask_img.dataobj) > 0) & finite
        seeds = NiftiMasker(mask_img=nib.Nifti1Image(seed.astype(np.uint8), mask_img.affine), detrend=False, standardize=None)
    if "sphere" in p:
        seed_ts = seeds.fit_transform(img, confounds=conf, sample_mask=sample_mask)[:, 0]
    else:
        from nilearn import signal
        raw = seeds.fit_transform(img).mean(axis=1, keepdims=True)
        seed_ts = signal.clean(raw, confounds=conf, sample_mask=sample_mask, **kw)[:, 0]
    brain = NiftiMasker(mask_img=good_img, **kw)
    ts = brain.fit_transform(img, confounds=conf, sample_mask=sample_mask)
    n = ts.shape[0]
    r = ts.T @ seed_ts / (n - 1)
    sd = ts.std(axis=0, ddof=1)
    r[sd < 1e-12] = 0
    zmap = np.arctanh(np.clip(r, -(1 - 1e-7), 1 - 1e-7))
    nib.save(brain.inverse_transform(zmap.astype(np.float32)), out)
    if "selected_columns" in p:
        with open(out + ".columns.json", "w") as f:
            json.dump(p["selected_columns"], f)


def conmat(bold, atlas, p, out):
    from nilearn.maskers import NiftiLabelsMasker
    from nilearn.connectome import ConnectivityMeasure
    from sklearn.covariance import EmpiricalCovariance, LedoitWolf
    img, conf, sample_mask = prepared(bold, p)
    masker = NiftiLabelsMasker(labels_img=atlas, **masker_kwargs(p))
    ts = masker.fit_transform(img, confounds=conf, sample_mask=sample_mask)
    estimator = LedoitWolf(store_precision=False) if p.get("estimator") == "ledoit-wolf" else EmpiricalCovariance(store_precision=False)
    kind = {"partial": "partial correlation"}.get(p.get("kind", "correlation"), "correlation")
    matrix = ConnectivityMeasure(kind=kind, cov_estimator=estimator, standardize=True).fit_transform([ts])[0]
    labels = [int(l) for l in np.unique(np.asarray(nib.load(atlas).dataobj)) if l != 0]
    with open(out, "w") as f:
        json.dump({"labels": labels, "matrix": matrix.tolist(), "frames": int(ts.shape[0])}, f)


def cleaned_in_mask(bold, mask_path, p):
    """In-mask series (x fastest order, as Cohortex) cleaned by nilearn.signal.clean with the run's
    confounds and censoring, no standardisation; returns (kept rows × voxels, kept indices, TR, volumes,
    which voxels held NaN/Inf — zeroed here)."""
    from nilearn import signal
    img, conf, sample_mask = prepared(bold, p)
    data = np.asarray(img.dataobj, dtype=np.float64)
    m = np.asarray(nib.load(mask_path).dataobj).ravel(order="F")
    flat = data.reshape(-1, data.shape[3], order="F")[np.flatnonzero(m != 0)].T
    bad = ~np.isfinite(flat).all(axis=0)
    flat[:, bad] = 0
    cleaned = signal.clean(flat, confounds=conf, sample_mask=sample_mask, detrend=p.get("detrend", True), standardize=None,
                           low_pass=p.get("low_pass"), high_pass=p.get("high_pass"), t_r=p.get("t_r"))
    kept = np.arange(flat.shape[0]) if sample_mask is None else np.asarray(sample_mask)
    return cleaned, kept, p.get("t_r"), flat.shape[0], bad


def alff_clean(bold, mask_path, p, out):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import spatial_reference as sr
    cleaned, kept, tr, volumes, _ = cleaned_in_mask(bold, mask_path, p)
    censored = len(kept) < volumes
    alff, falff = sr.alff_matrix(cleaned, tr, p["band"][0], p["band"][1], list(kept) if censored else None,
                                 volumes if censored else None)
    np.concatenate([alff, falff]).astype(np.float32).tofile(out)


def reho_clean(bold, mask_path, p, out):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import spatial_reference as sr
    cleaned, _, _, _, bad = cleaned_in_mask(bold, mask_path, p)
    # NaN/Inf voxels are left out of every neighbourhood (as out-of-mask voxels) and get W = 0.
    sr.reho(cleaned, mask_path, p["neighbours"], exclude=bad).astype(np.float64).tofile(out)


def clean(signals_path, t, v, p, out):
    from nilearn import signal
    x = np.fromfile(signals_path, dtype=np.float64).reshape(t, v)
    conf = None
    if p.get("confounds_f64"):
        conf = np.fromfile(p["confounds_f64"], dtype=np.float64).reshape(t, -1)
    mask = np.asarray(p["sample_mask"]) if p.get("sample_mask") is not None else None
    y = signal.clean(x, confounds=conf, sample_mask=mask, detrend=p.get("detrend", True), standardize="zscore_sample",
                     low_pass=p.get("low_pass"), high_pass=p.get("high_pass"), t_r=p.get("t_r"))
    np.ascontiguousarray(y, dtype=np.float64).tofile(out)


def regrid(src, dst):
    from nilearn.image import resample_img
    c, s_ = np.cos(0.15), np.sin(0.15)
    aff = np.array([[2 * c, -2 * s_, 0, -30.3], [2 * s_, 2 * c, 0, -70.7], [0, 0, 2.0, -33.6], [0, 0, 0, 1]])
    img = nib.load(src)
    out = resample_img(img, target_affine=aff, target_shape=(44, 70, 35), interpolation="nearest",
                       force_resample=True, copy_header=True)
    data = np.asarray(out.dataobj).astype(img.get_data_dtype())
    nib.save(nib.Nifti1Image(data, aff), dst)


def seed_voxels(bold, mask_path, seed_path):
    from nilearn.image import resample_to_img
    mask_img = nib.load(mask_path)
    seed_img = resample_to_img(nib.load(seed_path), mask_img, interpolation="nearest", force_resample=True, copy_header=True)
    finite = np.isfinite(np.asarray(nib.load(bold).dataobj)).all(axis=3)
    return int(((np.asarray(seed_img.dataobj) != 0) & (np.asarray(mask_img.dataobj) != 0) & finite).sum())


def run_qc(bold, confounds_path, mask_path, p):
    """The QC a seed-map sidecar records, from nilearn and numpy: censored volumes (nilearn's scrub sample
    mask), non-steady-state volumes, mean/max FD, seed voxels (NiftiSpheresMasker's selection), median tSNR."""
    import pandas as pd
    from nilearn.maskers.nifti_spheres_masker import apply_mask_and_get_affinity
    img, _, sample_mask = prepared(bold, p)
    data = np.asarray(img.dataobj, dtype=np.float64)
    frames = data.shape[3]
    table = pd.read_csv(confounds_path, sep="\t", na_values=["n/a"]).iloc[p.get("dummy", 0):]
    fd = table["framewise_displacement"].dropna().to_numpy()
    mask = np.asarray(nib.load(mask_path).dataobj) > 0
    finite = np.isfinite(data).all(axis=3)
    good = mask & finite
    x, y, z, r = p["sphere"]
    _, adjacency = apply_mask_and_get_affinity([(x, y, z)], img, r, True,
                                               mask_img=nib.Nifti1Image(good.astype(np.uint8), img.affine))
    series = data[good]
    sd = series.std(axis=1, ddof=1)
    tsnr = series.mean(axis=1)[sd > 0] / sd[sd > 0]
    print(json.dumps({
        "censored": 0 if sample_mask is None else int(frames - len(sample_mask)),
        "non_steady": int(sum(c.startswith("non_steady_state_outlier") for c in table.columns)),
        "mean_fd": float(fd.mean()), "max_fd": float(fd.max()),
        "seed_voxels": int(adjacency.sum()),
        "median_tsnr": float(np.median(tsnr)),
    }))


def degrees_of_freedom(t, p):
    from nilearn import signal
    conf = None
    if p.get("confounds_f64"):
        conf = np.fromfile(p["confounds_f64"], dtype=np.float64).reshape(t, -1)
    mask = np.asarray(p["sample_mask"]) if p.get("sample_mask") is not None else None
    c = signal.clean(np.eye(t), confounds=conf, sample_mask=mask, detrend=p.get("detrend", True), standardize=False,
                     low_pass=p.get("low_pass"), high_pass=p.get("high_pass"), t_r=p.get("t_r"))
    c = c - c.mean(axis=0)
    g = c @ c.T
    return np.trace(g) ** 2 / np.trace(g @ g)


def confound_columns(bold, strategy):
    import pandas as pd
    from nilearn.interfaces.fmriprep import load_confounds as lc
    from nilearn.interfaces.fmriprep.load_confounds_utils import _get_file_name
    kw = {"demean": False, "motion": "basic" if strategy == "6P" else "full"}
    strat = ["motion"]
    if strategy == "36P":
        strat += ["wm_csf", "global_signal"]
        kw["wm_csf"] = "full"
        kw["global_signal"] = "full"
    if strategy.startswith("acompcor-"):
        # nilearn insists on the cosine (high_pass) columns with compcor; they are left out below.
        strat += ["high_pass", "compcor"]
        kw["compcor"] = {"acompcor-separated": "anat_separated", "acompcor-combined": "anat_combined"}[strategy]
        kw["n_compcor"] = 5
    confounds, _ = lc(bold, strategy=tuple(strat), **kw)
    confounds = confounds[[c for c in confounds.columns if not c.startswith("cosine")]]
    # Python's own float() (correctly rounded), not pandas' fast parser, which can be off by an ulp.
    raw = pd.read_csv(_get_file_name(bold), sep="\t", na_values="n/a", dtype=str, keep_default_na=False)
    raw = raw.apply(lambda col: col.map(lambda v: float("nan") if v == "n/a" else float(v)))
    columns = list(confounds.columns)
    values = raw[columns].fillna(0).to_numpy(dtype=float)
    # Hexadecimal floats: exact through any JSON reader.
    print(json.dumps({"columns": columns, "values": [[float(v).hex() for v in column] for column in values.T]}))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make-run":
        args = sys.argv[3:]
        opts = {args[i].lstrip("-"): args[i + 1] for i in range(0, len(args), 2)}
        make_run(sys.argv[2], frames=int(opts.get("frames", 150)), seed=int(opts.get("seed", 1)),
                 run=opts.get("run"), tr=float(opts.get("tr", 2.0)), size=opts.get("size", "medium"))
    elif cmd == "confound-columns":
        confound_columns(sys.argv[2], sys.argv[3])
    elif cmd == "regrid":
        regrid(sys.argv[2], sys.argv[3])
    elif cmd == "seed-voxels":
        print(seed_voxels(sys.argv[2], sys.argv[3], sys.argv[4]))
    elif cmd == "qc":
        run_qc(sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5]))
    elif cmd == "seed-map":
        seed_map_runs(sys.argv[2].split(","), sys.argv[3], json.loads(sys.argv[4]), sys.argv[5])
    elif cmd == "conmat":
        conmat(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5])
    elif cmd == "alff-clean":
        alff_clean(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5])
    elif cmd == "reho-clean":
        reho_clean(sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), sys.argv[5])
    elif cmd == "clean":
        clean(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]), sys.argv[6])
    elif cmd == "dof":
        print(repr(float(degrees_of_freedom(int(sys.argv[2]), json.loads(sys.argv[3])))))
    else:
        sys.exit(f"unknown command {cmd}")
