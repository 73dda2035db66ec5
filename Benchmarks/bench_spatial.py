#!/usr/bin/env python3
"""Spatial kernels (issue 6) beside their Python peers: `cohortex smooth` vs nilearn `smooth_img`,
`cohortex reho` and `cohortex alff` vs vectorised numpy/scipy references doing the same work
(load, linear detrend, measure, save). Each run reports its phases (load / compute / save) on stderr.

`bench_spatial(cohortex, repeats)` returns the markdown section; bench.py registers it as `spatial`.
Run directly as `bench_spatial.py ref-smooth|ref-reho|ref-alff ...` it is the Python side.
"""
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


# ---------------------------------------------------------------------------------------------
# Python references (vectorised numpy/scipy; nilearn for smoothing)

class Phases:
    def __init__(self):
        self.parts = []
        self.start = time.perf_counter()

    def mark(self, name):
        now = time.perf_counter()
        self.parts.append((name, now - self.start))
        self.start = now

    def report(self):
        text = ", ".join(f"{n} {s:.3f} s" for n, s in self.parts)
        print(f"timing: {text}", file=sys.stderr)


def masked(bold, mask):
    import nibabel as nib
    img = nib.load(bold)
    data = np.asarray(img.dataobj, dtype=np.float32)
    inside = np.asarray(nib.load(mask).dataobj) != 0
    return img, inside, data[inside].T.astype(np.float64)  # T x V


def detrended(x):
    from scipy.signal import detrend
    return detrend(x, axis=0, type="linear")


def save_map(values, inside, img, path):
    import nibabel as nib
    out = np.zeros(inside.shape, dtype=np.float32)
    out[inside] = values
    nib.save(nib.Nifti1Image(out, img.affine), path)


def ref_smooth(bold, out, fwhm):
    import nibabel as nib
    from nilearn.image import smooth_img
    t = Phases()
    img = nib.load(bold)
    data = np.asarray(img.dataobj, dtype=np.float32)
    t.mark("load")
    in_memory = nib.Nifti1Image(data, img.affine, img.header)
    smoothed = smooth_img(in_memory, float(fwhm))
    t.mark("smooth")
    smoothed.to_filename(out)
    t.mark("save")
    t.report()


def ref_alff(bold, mask, out_alff, out_falff, low=0.01, high=0.08):
    from scipy.signal import periodogram
    t = Phases()
    img, inside, x = masked(bold, mask)
    tr = float(img.header.get_zooms()[3])
    t.mark("load")
    x = detrended(x)
    sd = x.std(axis=0)
    freqs, power = periodogram(x, 1 / tr, scaling="spectrum", axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        amp = np.sqrt(power) / np.where(sd > 0, sd, 1)  # spectrum of the standardised series (XCP-D)
        lo, hi = np.argmin(np.abs(freqs - low)), np.argmin(np.abs(freqs - high))
        band = amp[lo:hi]
        alff = np.where(sd > 0, 2 * band.mean(axis=0) * sd, 0)
        falff = np.where(sd > 0, band.sum(axis=0) / amp.sum(axis=0), 0)
    t.mark("alff")
    save_map(alff, inside, img, out_alff)
    save_map(falff, inside, img, out_falff)
    t.mark("save")
    t.report()


def ref_reho(bold, mask, out):
    from scipy.stats import rankdata
    t = Phases()
    img, inside, x = masked(bold, mask)
    t.mark("load")
    x = detrended(x).astype(np.float32)
    n = x.shape[0]
    ranks = rankdata(x, axis=0, method="average").astype(np.float32)
    size = rankdata(x, axis=0, method="max") - rankdata(x, axis=0, method="min") + 1
    ties = (size.astype(np.float64) ** 2 - 1).sum(axis=0)  # sum over groups of t^3 - t
    nx, ny, nz = inside.shape
    grid = np.zeros((nx + 2, ny + 2, nz + 2, n), dtype=np.float32)
    grid[1:-1, 1:-1, 1:-1][inside] = ranks.T
    mgrid = np.zeros((nx + 2, ny + 2, nz + 2))
    mgrid[1:-1, 1:-1, 1:-1] = inside
    tgrid = np.zeros((nx + 2, ny + 2, nz + 2))
    tgrid[1:-1, 1:-1, 1:-1][inside] = ties
    total = np.zeros((nx, ny, nz, n), dtype=np.float32)
    m = np.zeros((nx, ny, nz))
    tie_sum = np.zeros((nx, ny, nz))
    for dx in (0, 1, 2):
        for dy in (0, 1, 2):
            for dz in (0, 1, 2):
                total += grid[dx:dx + nx, dy:dy + ny, dz:dz + nz]
                m += mgrid[dx:dx + nx, dy:dy + ny, dz:dz + nz]
                tie_sum += tgrid[dx:dx + nx, dy:dy + ny, dz:dz + nz]
    r = total[inside].astype(np.float64)
    mm = m[inside]
    num = 12 * (r ** 2).sum(axis=1) - 3 * mm ** 2 * n * (n + 1) ** 2
    den = mm ** 2 * n * (n ** 2 - 1) - mm * tie_sum[inside]
    w = np.where(den > 0, num / np.where(den > 0, den, 1), 0)
    t.mark("reho")
    save_map(w, inside, img, out)
    t.mark("save")
    t.report()


# ---------------------------------------------------------------------------------------------
# The benchmark

def run_timed(cmd, env=None):
    """Wall seconds, peak RSS (MB) and the phase timings a run printed on stderr."""
    full = dict(os.environ, COHORTEX_TIMING="1", **(env or {}))
    out = subprocess.run(["/usr/bin/time", "-f", "%e %M", "bash", "-c", cmd + " > /dev/null"],
                         stderr=subprocess.PIPE, text=True, env=full)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd} failed:\n{out.stderr}")
    lines = out.stderr.strip().splitlines()
    wall, rss = lines[-1].split()
    phases = {}
    for line in lines:
        if "timing:" in line:
            for name, sec in re.findall(r"([\w+]+) ([0-9.]+) s", line.split("timing:", 1)[1]):
                phases[name] = float(sec)
    return float(wall), int(rss) / 1024.0, phases


def median_runs(commands, repeats):
    runs = {name: [] for name in commands}
    for _ in range(repeats):
        for name, cmd in commands.items():
            runs[name].append(run_timed(cmd))
    out = {}
    for name, rs in runs.items():
        keys = set().union(*(r[2] for r in rs))
        out[name] = (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs),
                     {k: statistics.median(r[2].get(k, 0) for r in rs) for k in keys})
    return out


def agreement(a_path, b_path, mask_path, relative):
    import nibabel as nib
    inside = np.asarray(nib.load(mask_path).dataobj) != 0
    a = np.asarray(nib.load(a_path).dataobj, dtype=np.float64)
    b = np.asarray(nib.load(b_path).dataobj, dtype=np.float64)
    if a.ndim == 4:
        a, b = a[inside], b[inside]
    else:
        a, b = a[inside], b[inside]
    diff = np.abs(a - b)
    return float(np.max(diff / np.maximum(np.abs(b), 1e-12)) if relative else np.max(diff))


def bench_spatial(cohortex, repeats):
    import bench as b
    bold = b.bold_like(os.path.join(b.DATA, "bold_2mm_200.nii.gz"))
    mask = os.path.join(b.DATA, "brain_mask_2mm.nii.gz")
    if not os.path.exists(mask):
        import nibabel as nib
        img = nib.load(bold)
        nib.save(nib.Nifti1Image((np.asarray(img.dataobj[..., 0]) != 0).astype(np.uint8), img.affine), mask)
    out = os.path.join(b.DATA, "spatial-out")
    os.makedirs(out, exist_ok=True)
    raw = os.path.join(b.DATA, "uncompressed", "bold_2mm_200.nii")  # as bench_read makes it
    if not os.path.exists(raw):
        os.makedirs(os.path.dirname(raw), exist_ok=True)
        b.sh(f"gzip -d -c '{bold}' > '{raw}'")
    me = f"'{sys.executable}' '{os.path.abspath(__file__)}'"
    cases = [
        ("Smoothing 6 mm FWHM (4D, every volume)", "smooth", "nilearn smooth_img",
         f"'{cohortex}' smooth '{bold}' '{out}/smooth_cx.nii.gz' --fwhm 6",
         f"{me} ref-smooth '{bold}' '{out}/smooth_py.nii.gz' 6", ("smooth_cx.nii.gz", "smooth_py.nii.gz", True)),
        ("Smoothing 6 mm, uncompressed `.nii` in and out", "smooth", "nilearn smooth_img",
         f"'{cohortex}' smooth '{raw}' '{out}/smooth_cx.nii' --fwhm 6",
         f"{me} ref-smooth '{raw}' '{out}/smooth_py.nii' 6", ("smooth_cx.nii", "smooth_py.nii", True)),
        ("ReHo, 27 neighbours", "reho", "numpy/scipy vectorised",
         f"'{cohortex}' reho --bold '{bold}' --mask '{mask}' --out '{out}/reho_cx.nii.gz'",
         f"{me} ref-reho '{bold}' '{mask}' '{out}/reho_py.nii.gz'", ("reho_cx.nii.gz", "reho_py.nii.gz", False)),
        ("ALFF + fALFF, 0.01–0.08 Hz", "alff", "numpy/scipy vectorised",
         f"'{cohortex}' alff --bold '{bold}' --mask '{mask}' --out-alff '{out}/alff_cx.nii.gz' --out-falff '{out}/falff_cx.nii.gz'",
         f"{me} ref-alff '{bold}' '{mask}' '{out}/alff_py.nii.gz' '{out}/falff_py.nii.gz'", ("alff_cx.nii.gz", "alff_py.nii.gz", True)),
    ]
    # A 4D smooth streams (each volume smoothed while the next decompresses), so its phase timer holds
    # busy time overlapped with I/O; the compute comparison uses the same kernel on an in-memory
    # 91×109×91×200 array instead.
    import json
    import subprocess
    from bench_kernels import find, kernel_results
    kernel = {"smoothing_seconds": find(kernel_results(), "Gaussian smoothing")["Time"] / 1e6, "threads": os.cpu_count()}
    rows, verdicts = [], []
    for title, phase, peer, ours, theirs in [(c[0], c[1], c[2], c[3], c[4]) for c in cases]:
        res = median_runs({"cohortex": ours, peer: theirs}, repeats)
        (cw, cm, cp), (pw, pm, pp) = res["cohortex"], res[peer]
        c_compute = kernel["smoothing_seconds"] if phase == "smooth" else cp.get(phase, float("nan"))
        p_compute = pp.get(phase, float("nan"))
        rows.append(f"| {title} | {pw:.2f} s / {cw:.2f} s | **{pw / cw:.1f}×** | {p_compute:.2f} s / {c_compute:.2f} s | "
                    f"**{p_compute / c_compute:.1f}×** | {pm:.0f} / {cm:.0f} |")
        verdicts.append((title, pw / cw, p_compute / c_compute))
    checks = []
    for c in cases:
        a, bpath, rel = c[5]
        d = agreement(os.path.join(out, a), os.path.join(out, bpath), mask, rel)
        checks.append(f"{c[0].split(' (')[0].split(',')[0]}: max {'relative' if rel else 'absolute'} difference {d:.1e} in the mask")
    met = [f"{t}: end to end {e:.1f}×, compute {k:.1f}× ({'met' if min(e, k) >= 10 else 'missed' if max(e, k) < 10 else 'met end to end only' if e >= 10 else 'met for compute only'})"
           for t, e, k in verdicts]
    return "\n".join([
        "## Spatial kernels: smoothing, ReHo, ALFF (issue 6)",
        "",
        f"91×109×91×200 float32 BOLD-like series (`.nii.gz`), brain mask of {int(np.count_nonzero(np.asarray(__import__('nibabel').load(mask).dataobj)))} voxels. "
        f"Median of {repeats} interleaved runs; each side reads the `.nii.gz`, does the same work "
        "(ReHo and ALFF: linear detrend first) and writes `.nii.gz` outputs. Compute is the measured phase "
        "alone (`COHORTEX_TIMING=1` for Cohortex, `time.perf_counter` around the numpy/nilearn calls); "
        "Cohortex's 4D smoothing streams (volumes are smoothed while the next ones decompress and the "
        "previous ones compress), so its compute figure is the same kernel on an in-memory 91×109×91×200 "
        f"array (the kernel benchmark package: {kernel['smoothing_seconds']:.2f} s, "
        f"{kernel['threads']} threads).",
        "",
        "| kernel | wall: peer / cohortex | speed-up | compute: peer / cohortex | speed-up | peak RSS MB peer / cohortex |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        "Target ≥ 10×: " + "; ".join(met) + ".",
        "",
        "Agreement of the two outputs on this data: " + "; ".join(checks) + ".",
        "",
    ])


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "ref-smooth":
        ref_smooth(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "ref-alff":
        ref_alff(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    elif cmd == "ref-reho":
        ref_reho(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(f"unknown command {cmd}")
