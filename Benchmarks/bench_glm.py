#!/usr/bin/env python3
"""Group GLM benchmark (issue 5): `cohortex glm` beside nilearn `permuted_ols` on the same data.

100 participants (50 pain, 50 control) x ~228,000 in-mask voxels of a 2 mm MNI-shaped grid,
model ~ group + age + sex, contrast pain-control (two-sided, as nilearn's default), 5000
permutations, 2 threads / n_jobs=2.

As a module: bench_glm(cohortex, repeats) -> markdown section (registered in bench.py).
As a script:  bench_glm.py nilearn DATA N_PERM  times nilearn on DATA (prints JSON).
"""
import json
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SHAPE = (91, 109, 91)
SUBJECTS = 100
PERMUTATIONS = 5000


def make_data(folder, seed=5):
    """participants.tsv, mask.nii.gz and maps/sub-XXX_stat-z.nii.gz (float32, gzip)."""
    import nibabel as nib

    done = os.path.join(folder, ".complete")
    if os.path.exists(done):
        return
    os.makedirs(os.path.join(folder, "maps"), exist_ok=True)
    rng = np.random.default_rng(seed)
    i, j, k = np.meshgrid(*[np.arange(n, dtype=np.float32) for n in SHAPE], indexing="ij")
    # An ellipsoid "brain" scaled to ~228,000 voxels.
    r = np.sqrt(((i - 45) / 36) ** 2 + ((j - 54) / 45) ** 2 + ((k - 42) / 36) ** 2)
    brain = r < 0.9772
    blob = np.exp(-((i - 30) ** 2 + (j - 60) ** 2 + (k - 50) ** 2) / 50).astype(np.float32)
    aff = np.array([[-2.0, 0, 0, 90], [0, 2.0, 0, -126], [0, 0, 2.0, -72], [0, 0, 0, 1]])
    nib.save(nib.Nifti1Image(brain.astype(np.uint8), aff), os.path.join(folder, "mask.nii.gz"))
    rows = ["participant_id\tgroup\tage\tsex"]
    for s in range(SUBJECTS):
        group = "pain" if s % 2 else "control"
        age = 40 + 12 * rng.standard_normal()
        sex = "F" if rng.random() < 0.5 else "M"
        rows.append(f"sub-{s + 1:03d}\t{group}\t{age:.1f}\t{sex}")
        noise = rng.standard_normal(SHAPE, dtype=np.float32)
        data = np.where(brain, 0.5 * (group == "pain") * blob + 0.01 * (age - 40) + noise, 0).astype(np.float32)
        nib.save(nib.Nifti1Image(data, aff), os.path.join(folder, "maps", f"sub-{s + 1:03d}_stat-z.nii.gz"))
    with open(os.path.join(folder, "participants.tsv"), "w") as f:
        f.write("\n".join(rows) + "\n")
    open(done, "w").close()


def nilearn_run(folder, n_perm):
    """The same analysis with nibabel + pandas + nilearn permuted_ols(n_jobs=2); seconds per phase."""
    import warnings

    import nibabel as nib
    import pandas as pd
    from nilearn.mass_univariate import permuted_ols

    t0 = time.perf_counter()
    table = pd.read_csv(os.path.join(folder, "participants.tsv"), sep="\t")
    mask = np.asarray(nib.load(os.path.join(folder, "mask.nii.gz")).dataobj) != 0
    y = np.empty((len(table), int(mask.sum())), dtype=np.float32)
    for n, pid in enumerate(table["participant_id"]):
        y[n] = np.asarray(nib.load(os.path.join(folder, "maps", f"{pid}_stat-z.nii.gz")).dataobj)[mask]
    tested = (table["group"] == "pain").to_numpy(dtype=np.float64).reshape(-1, 1)
    confounds = np.column_stack([table["age"] - table["age"].mean(), (table["sex"] == "M").astype(float)])
    t1 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = permuted_ols(tested, y, confounding_vars=confounds, model_intercept=True, n_perm=n_perm,
                           two_sided_test=True, random_state=0, n_jobs=2, verbose=0, output_type="dict")
    t2 = time.perf_counter()
    return {"load": t1 - t0, "permuted_ols": t2 - t1, "voxels": int(mask.sum()),
            "min_p_fwe": float(10 ** -out["logp_max_t"].max()) if n_perm else None}


def bench_glm(cohortex, repeats):
    data = os.path.join(ROOT, "bench-data", "glm")
    make_data(data)
    py = sys.executable
    out = os.path.join(ROOT, "bench-data", "glm-out")
    base = (f"'{cohortex}' glm --participants '{data}/participants.tsv' --maps '{data}/maps/sub-*_stat-z.nii.gz' "
            f"--mask '{data}/mask.nii.gz' --model '~ group + age + sex' --contrast pain-control --two-sided --threads 2 ")
    ours_cmd = base + f"--permutations {PERMUTATIONS} --seed 1 --out '{out}'"
    ours = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(ours_cmd, shell=True, check=True, stdout=subprocess.DEVNULL)
        ours.append(time.perf_counter() - t0)
    ours_s = float(np.median(ours))
    t0 = time.perf_counter()
    subprocess.run(base + f"--permutations 0 --out '{out}-parametric'", shell=True, check=True, stdout=subprocess.DEVNULL)
    parametric = time.perf_counter() - t0
    t0 = time.perf_counter()
    subprocess.run(base + f"--permutations {PERMUTATIONS} --seed 1 --tfce --out '{out}-tfce'", shell=True, check=True,
                   stdout=subprocess.DEVNULL)
    tfce = time.perf_counter() - t0

    # nilearn at the full count is hours on 2 cores: time it at a smaller count and at 0, and
    # scale the per-permutation cost to 5000 (its permutations are independent, equal-cost loops).
    small = int(os.environ.get("COHORTEX_BENCH_NILEARN_PERMS", "200"))
    def nilearn(n):
        text = subprocess.run([py, os.path.abspath(__file__), "nilearn", data, str(n)], check=True,
                              capture_output=True, text=True).stdout
        return json.loads(text)
    zero, some = nilearn(0), nilearn(small)
    per_perm = (some["permuted_ols"] - zero["permuted_ols"]) / small
    nilearn_full = some["load"] + zero["permuted_ols"] + per_perm * PERMUTATIONS
    speedup = nilearn_full / ours_s
    verdict = "met" if speedup >= 20 else "missed"
    with open(os.path.join(out, "glm.json")) as f:
        voxels = json.load(f)["input"]["voxels_tested"]
    return "\n".join([
        "## Group GLM with permutation inference (issue 5)",
        "",
        f"{SUBJECTS} participants x {voxels:,} in-mask voxels (2 mm MNI grid), model `~ group + age + sex`, contrast "
        f"`pain-control` (two-sided), {PERMUTATIONS} permutations (Freedman-Lane), 2 threads. "
        f"Cohortex: median of {repeats} runs of the whole command (reading 100 `.nii.gz` maps, fit, permutations, "
        "writing maps). nilearn: nibabel loading + `permuted_ols(n_jobs=2)`; timed at "
        f"{small} permutations and scaled per permutation to {PERMUTATIONS} "
        f"({per_perm * 1000:.0f} ms per permutation, {zero['permuted_ols']:.1f} s fixed cost, {some['load']:.1f} s loading).",
        "",
        "| run | seconds |",
        "|---|---|",
        f"| cohortex glm, {PERMUTATIONS} permutations | {ours_s:.1f} |",
        f"| cohortex glm, parametric only (`--permutations 0`) | {parametric:.1f} |",
        f"| cohortex glm, {PERMUTATIONS} permutations + TFCE | {tfce:.1f} |",
        f"| nilearn permuted_ols, {small} permutations (measured) | {some['load'] + some['permuted_ols']:.1f} |",
        f"| nilearn permuted_ols, {PERMUTATIONS} permutations (scaled) | {nilearn_full:.0f} |",
        "",
        f"Target: at least 20x faster than nilearn - **{verdict}** ({speedup:.0f}x).",
        "",
    ])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "nilearn":
        print(json.dumps(nilearn_run(sys.argv[2], int(sys.argv[3]))))
    else:
        sys.exit(__doc__)
