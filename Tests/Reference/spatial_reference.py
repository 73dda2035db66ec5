#!/usr/bin/env python3
"""Independent references for Cohortex's smoothing, ALFF/fALFF and ReHo (Tests/SpatialTests).

usage:
  spatial_reference.py smooth IN.nii[.gz] FWHM OUT.f32
      nilearn.image.smooth_img; OUT holds the float32 result, x fastest (then y, z, volume).
  spatial_reference.py alff DATA.f32 ROWS VOXELS TR LOW HIGH OUT.f32 [KEPT]
      DATA is rows x voxels (row-major float32). KEPT: comma-separated kept row indices (censoring).
      OUT holds ALFF (voxels values) then fALFF (voxels values).
  spatial_reference.py alff-nifti BOLD MASK LOW HIGH OUT.f32 [SAMPLE_MASK]
      The same from files, cleaned by nilearn.signal.clean (censoring, then mean + linear detrend;
      the kept rows only, whose SD scales ALFF).
  spatial_reference.py reho DATA.f32 ROWS MASK.nii NEIGHBOURS OUT.f32
      DATA is rows x in-mask voxels (mask voxels in x-fastest order).
  spatial_reference.py reho-nifti BOLD MASK NEIGHBOURS OUT.f64
      From files: in-mask voxels holding NaN/Inf in any volume are excluded (0 in the map and left
      out of every neighbourhood, as out-of-mask voxels); W of the raw series (for `reho --no-detrend`
      without confounds: centring leaves ranks alone) is scipy.stats.friedmanchisquare's tie-corrected
      statistic over the neighbourhood, W = chi2 / (M (n - 1)). OUT is the whole grid, x fastest.

  spatial_reference.py normalise MAP MASK mean|z
      The in-mask values (x fastest) divided by their mean, or z-scored with the population SD.

Definitions, written from the published formulas rather than from Cohortex's code:
  ALFF (XCP-D compute_alff): standardise x (mean 0, population SD 1); without censoring
  P = scipy.signal.periodogram(x, fs, scaling="spectrum"); with censoring
  P = scipy.signal.lombscargle(t_kept, x_kept standardised on the kept samples, 2*pi*f,
  normalize=True) on f = linspace(0, fs/2, n//2 + 1)[1:]. ALFF = 2 * mean(sqrt(P)[i_lo:i_hi]) * SD(x)
  with i_lo, i_hi the bins nearest LOW and HIGH. fALFF = sum(sqrt(P)[i_lo:i_hi]) / sum(sqrt(P)).
  ReHo (Kendall's W, AFNI 3dReHo): ranks by scipy.stats.rankdata (average ties);
  W = (12 sum R_t^2 - 3 M^2 n (n+1)^2) / (M^2 n (n^2 - 1) - M sum_j sum(t^3 - t)).
"""
import sys

import nibabel as nib
import numpy as np
from scipy import signal
from scipy.stats import rankdata


def smooth(path, fwhm, out):
    from nilearn.image import smooth_img
    data = smooth_img(path, float(fwhm)).get_fdata(dtype=np.float32)
    np.asarray(data, dtype=np.float32).ravel(order="F").tofile(out)


def alff_voxel(x, tr, low, high, kept, acquired=None):
    """x holds every acquired row, or only the kept rows when `acquired` (the run length) is given."""
    n = x.size if acquired is None else acquired
    fs = 1.0 / tr
    sd = np.std(x)
    if sd == 0:
        return 0.0, 0.0
    if kept is None:
        y = (x - x.mean()) / x.std()
        freqs, power = signal.periodogram(y, fs, scaling="spectrum")
    else:
        y = x if acquired is not None else x[kept]
        y = (y - y.mean()) / y.std()
        times = np.arange(n)[kept] * tr
        freqs = np.linspace(0, 0.5 * fs, n // 2 + 1)[1:]
        power = signal.lombscargle(times, y, 2 * np.pi * freqs, normalize=True)
    amp = np.sqrt(power)
    lo = np.argmin(np.abs(freqs - low))
    hi = np.argmin(np.abs(freqs - high))
    band = amp[lo:hi]
    return 2 * band.mean() * sd, band.sum() / amp.sum()


def alff_matrix(data, tr, low, high, kept, acquired=None):
    rows, voxels = data.shape
    alff = np.zeros(voxels)
    falff = np.zeros(voxels)
    for v in range(voxels):
        alff[v], falff[v] = alff_voxel(data[:, v].astype(np.float64), tr, low, high, kept, acquired)
    return alff, falff


def detrend_on_kept(data, kept):
    """Removes the least-squares line fitted on the kept rows from every row (float64)."""
    n = data.shape[0]
    t = np.arange(n, dtype=np.float64)
    rows = np.arange(n) if kept is None else np.asarray(kept)
    design = np.column_stack([np.ones(rows.size), t[rows]])
    coef, *_ = np.linalg.lstsq(design, data[rows], rcond=None)
    return data - np.column_stack([np.ones(n), t]) @ coef


def masked_series(bold, mask):
    img = nib.load(bold)
    data = img.get_fdata(dtype=np.float32)
    m = np.asarray(nib.load(mask).dataobj).ravel(order="F")
    idx = np.flatnonzero((m != 0) & np.isfinite(m))
    flat = data.reshape(-1, data.shape[3], order="F")
    return flat[idx].T.astype(np.float64), float(img.header.get_zooms()[3])


def reho(data, mask_path, neighbours, exclude=None):
    """W per column of DATA (the mask's voxels); `exclude` (bool per column) takes voxels out of the
    mask: W = 0 there, and they are in no neighbourhood."""
    m = np.asarray(nib.load(mask_path).dataobj)
    inside = (m != 0) & np.isfinite(m)
    if exclude is not None and np.any(exclude):
        keep = ~np.asarray(exclude, dtype=bool)
        flat = inside.ravel(order="F").copy()
        flat[np.flatnonzero(flat)[~keep]] = False
        full = np.zeros(keep.size)
        full[keep] = reho_of(data[:, keep], flat.reshape(inside.shape, order="F"), neighbours)
        return full
    return reho_of(data, inside, neighbours)


def reho_of(data, inside, neighbours):
    idx = np.flatnonzero(inside.ravel(order="F"))
    position = -np.ones(inside.size, dtype=np.int64)
    position[idx] = np.arange(idx.size)
    position = position.reshape(inside.shape, order="F")
    n = data.shape[0]
    ranks = np.column_stack([rankdata(data[:, v], method="average") for v in range(idx.size)])
    ties = np.zeros(idx.size)
    for v in range(idx.size):
        _, counts = np.unique(data[:, v], return_counts=True)
        ties[v] = np.sum(counts.astype(np.float64) ** 3 - counts)
    out = np.zeros(idx.size)
    nx, ny, nz = inside.shape
    for p, flat in enumerate(idx):
        i, j, k = np.unravel_index(flat, inside.shape, order="F")
        members = []
        for dk in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for di in (-1, 0, 1):
                    order = abs(di) + abs(dj) + abs(dk)
                    if (neighbours == 7 and order > 1) or (neighbours == 19 and order > 2):
                        continue
                    x, y, z = i + di, j + dj, k + dk
                    if 0 <= x < nx and 0 <= y < ny and 0 <= z < nz and position[x, y, z] >= 0:
                        members.append(position[x, y, z])
        mm = float(len(members))
        r = ranks[:, members].sum(axis=1)
        num = 12 * np.sum(r ** 2) - 3 * mm ** 2 * n * (n + 1) ** 2
        den = mm ** 2 * n * (n ** 2 - 1) - mm * ties[members].sum()
        out[p] = num / den if den > 0 else 0.0
    return out


def reho_friedman(bold, mask_path, neighbours):
    """Kendall's W through its peer, Friedman's test: the n volumes are the treatments, the M
    neighbourhood voxels the blocks; scipy's tie-corrected chi2 / (M (n - 1)) is W."""
    from scipy.stats import friedmanchisquare
    data = nib.load(bold).get_fdata(dtype=np.float64)
    shape = data.shape[:3]
    m = np.asarray(nib.load(mask_path).dataobj)
    inside = (m != 0) & np.isfinite(m) & np.isfinite(data).all(axis=3)
    n = data.shape[3]
    out = np.zeros(shape)
    for i, j, k in np.argwhere(inside):
        members = []
        for dk in (-1, 0, 1):
            for dj in (-1, 0, 1):
                for di in (-1, 0, 1):
                    order = abs(di) + abs(dj) + abs(dk)
                    if (neighbours == 7 and order > 1) or (neighbours == 19 and order > 2):
                        continue
                    x, y, z = i + di, j + dj, k + dk
                    if 0 <= x < shape[0] and 0 <= y < shape[1] and 0 <= z < shape[2] and inside[x, y, z]:
                        members.append(data[x, y, z])
        series = np.array(members)  # M x n
        with np.errstate(divide="ignore", invalid="ignore"):
            chi2 = friedmanchisquare(*series.T).statistic
        out[i, j, k] = chi2 / (len(members) * (n - 1)) if np.isfinite(chi2) else 0.0
    return out


def main(argv):
    cmd = argv[1]
    if cmd == "smooth":
        smooth(argv[2], argv[3], argv[4])
    elif cmd == "alff":
        rows, voxels = int(argv[3]), int(argv[4])
        data = np.fromfile(argv[2], dtype=np.float32).reshape(rows, voxels)
        kept = [int(k) for k in argv[9].split(",")] if len(argv) > 9 else None
        alff, falff = alff_matrix(data, float(argv[5]), float(argv[6]), float(argv[7]), kept)
        np.concatenate([alff, falff]).astype(np.float32).tofile(argv[8])
    elif cmd == "alff-nifti":
        data, tr = masked_series(argv[2], argv[3])
        kept = None
        if len(argv) > 7:
            flags = np.loadtxt(argv[7])
            kept = list(np.flatnonzero(flags == 1))
        # Cleaning reference: nilearn's signal.clean (censor, then detrend; no filter, no scaling).
        from nilearn import signal as nsignal
        n = data.shape[0]
        cleaned = nsignal.clean(data, detrend=True, standardize=None, t_r=tr,
                                sample_mask=None if kept is None else np.asarray(kept))
        alff, falff = alff_matrix(cleaned, tr, float(argv[4]), float(argv[5]), kept, None if kept is None else n)
        np.concatenate([alff, falff]).astype(np.float32).tofile(argv[6])
    elif cmd == "reho":
        rows = int(argv[3])
        data = np.fromfile(argv[2], dtype=np.float32).astype(np.float64)
        data = data.reshape(rows, -1)
        reho(data, argv[4], int(argv[5])).astype(np.float64).tofile(argv[6])
    elif cmd == "normalise":
        # In-mask values (x fastest) of MAP divided by their mean ("mean"), or z-scored with the
        # population SD ("z"), as mALFF/zALFF/zReHo are defined (XCP-D, DPABI).
        import json
        values = np.asarray(nib.load(argv[2]).dataobj, dtype=np.float64).ravel(order="F")
        inside = (np.asarray(nib.load(argv[3]).dataobj) != 0).ravel(order="F")
        v = values[inside]
        out = v / v.mean() if argv[4] == "mean" else (v - v.mean()) / v.std()
        print(json.dumps(out.tolist()))
    elif cmd == "reho-nifti":
        reho_friedman(argv[2], argv[3], int(argv[4])).ravel(order="F").astype(np.float64).tofile(argv[5])
    else:
        sys.exit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
