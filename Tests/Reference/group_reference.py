#!/usr/bin/env python3
"""numpy / scipy / nibabel side of Cohortex's group-export tests (FSL/PALM export, QC-FC).

Every command prints one JSON object (n/a values as null).

  palm-files FOLDER   Reads FOLDER/design.tsv and glm.json with the csv/json modules, and design.mat,
                      design.con, design.fts, design.grp with numpy (skipping the /... header lines).
                      -> {"design_equal", "design_shape", "mat_header", "t_rows_equal", "f_tests_equal",
                          "con_header", "con_rows", "fts_header", "grp_ones", "grp_rows"}
  merged FOLDER MAP...  nibabel: FOLDER/merged_4d.nii.gz frame i against MAP i (exact), affine against MAP 1.
                      -> {"shape", "dtype", "frames_equal", "affine_equal"}
  palm-t FOLDER ROW LABEL  numpy OLS t of design.con row ROW (1-based) from design.mat and merged_4d inside
                      mask.nii.gz, against contrast-LABEL_stat-t.nii.gz (nibabel).
                      -> {"voxels", "max_relative_error", "max_abs_t"}
  qcfc SPEC           QC-FC from the published definition (Ciric et al. 2017) with scipy. SPEC (JSON file):
                      matrices (TSV paths), fd (list), atlas (path or null), groups (list of levels or null)
                      -> {"nodes", "edges": [{"r", "p", "q", "status", "distance"}], "labels", "centroids",
                          "rho", "rho_p", "summary", "groups", "welch"}
"""
import csv
import json
import sys

import numpy as np


def vest(path):
    """The matrix of a VEST file (header lines start with '/') and its header entries."""
    header = {}
    with open(path) as f:
        for line in f:
            if line.startswith("/") and not line.startswith("/Matrix"):
                key, _, rest = line.strip().partition("\t")
                header[key[1:]] = rest.strip()
    return np.loadtxt(path, comments="/", dtype=np.float64, ndmin=2), header


def read_tsv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))
    return rows[0], rows[1:]


def cmd_palm_files(folder):
    columns, rows = read_tsv(folder + "/design.tsv")
    design = np.array([[float(v) for v in row[1:]] for row in rows], dtype=np.float64)
    with open(folder + "/glm.json") as f:
        glm = json.load(f)
    mat, mat_header = vest(folder + "/design.mat")
    con, con_header = vest(folder + "/design.con")
    out = {
        "design_equal": bool(mat.shape == design.shape and np.array_equal(mat, design)),
        "design_shape": list(design.shape),
        "mat_header": mat_header,
        "con_header": con_header,
        "con_rows": con.tolist(),
    }
    t_contrasts = [c for c in glm["contrasts"] if c["type"] == "t"]
    f_contrasts = [c for c in glm["contrasts"] if c["type"] == "F"]
    # t contrasts come first in design.con, in glm.json's order.
    out["t_rows_equal"] = [bool(np.array_equal(con[k], np.array(c["weights"][0], dtype=np.float64)))
                           for k, c in enumerate(t_contrasts)]
    if f_contrasts:
        fts, fts_header = vest(folder + "/design.fts")
        out["fts_header"] = fts_header
        equal = []
        for k, c in enumerate(f_contrasts):
            selected = con[fts[k] == 1]
            wanted = np.unique(np.array(c["weights"], dtype=np.float64), axis=0)
            equal.append(bool(np.array_equal(np.unique(selected, axis=0), wanted) and len(selected) == len(wanted)))
        out["f_tests_equal"] = equal
    grp, _ = vest(folder + "/design.grp")
    out["grp_ones"] = bool(np.all(grp == 1))
    out["grp_rows"] = int(grp.shape[0])
    return out


def cmd_merged(folder, maps):
    import nibabel as nib

    merged = nib.load(folder + "/merged_4d.nii.gz")
    data = np.asarray(merged.dataobj)
    out = {"shape": list(data.shape), "dtype": str(data.dtype), "frames_equal": []}
    for i, path in enumerate(maps):
        frame = np.asarray(nib.load(path).dataobj)
        out["frames_equal"].append(bool(np.array_equal(data[..., i], frame)))
    out["affine_equal"] = bool(np.allclose(merged.affine, nib.load(maps[0]).affine, rtol=0, atol=1e-6))
    return out


def cmd_palm_t(folder, row, label):
    import nibabel as nib

    x, _ = vest(folder + "/design.mat")
    con, _ = vest(folder + "/design.con")
    c = con[int(row) - 1]
    mask = np.asarray(nib.load(folder + "/mask.nii.gz").dataobj) != 0
    y = np.asarray(nib.load(folder + "/merged_4d.nii.gz").dataobj, dtype=np.float64)[mask].T  # participants × voxels
    beta, _, rank, _ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    df = x.shape[0] - rank
    sigma2 = (resid ** 2).sum(axis=0) / df
    t = (c @ beta) / np.sqrt(sigma2 * (c @ np.linalg.inv(x.T @ x) @ c))
    glm_t = np.asarray(nib.load(f"{folder}/contrast-{label}_stat-t.nii.gz").dataobj, dtype=np.float64)[mask]
    error = np.abs(glm_t - t) / np.abs(t)
    return {"voxels": int(mask.sum()), "max_relative_error": float(error.max()), "max_abs_t": float(np.abs(t).max())}


def read_matrix(path):
    header, rows = read_tsv(path)
    values = np.array([[np.nan if v == "n/a" else float(v) for v in row[1:]] for row in rows], dtype=np.float64)
    return header[1:], values


def none_if_nan(x):
    return None if x is None or not np.isfinite(x) else float(x)


def cmd_qcfc(spec_path):
    from scipy import stats

    with open(spec_path) as f:
        spec = json.load(f)
    fd = np.asarray(spec["fd"], dtype=np.float64)
    matrices = [read_matrix(p) for p in spec["matrices"]]
    nodes = matrices[0][0]
    iu = np.triu_indices(len(nodes), k=1)                 # row-major upper triangle, i < j
    y = np.array([m[1][iu] for m in matrices])           # participants × edges
    edges, tested = [], []
    for e in range(y.shape[1]):
        v = y[:, e]
        if not np.all(np.isfinite(v)):
            edges.append({"r": None, "p": None, "status": "non-finite"})
        elif np.ptp(v) == 0:
            edges.append({"r": None, "p": None, "status": "constant"})
        else:
            r, p = stats.pearsonr(fd, v)
            edges.append({"r": float(r), "p": float(p), "status": "ok"})
            tested.append(e)
    r = np.array([edges[e]["r"] for e in tested])
    p = np.array([edges[e]["p"] for e in tested])
    q = stats.false_discovery_control(p, method="bh") if len(p) else np.array([])
    for e, value in zip(tested, q):
        edges[e]["q"] = float(value)
    out = {"nodes": nodes, "edges": edges, "labels": None, "centroids": None, "rho": None, "rho_p": None}

    if spec.get("atlas"):
        import nibabel as nib

        atlas = nib.load(spec["atlas"])
        data = np.asarray(atlas.dataobj)
        labels = np.unique(data[data != 0])
        centroids = np.array([nib.affines.apply_affine(atlas.affine, np.argwhere(data == label)).mean(axis=0)
                              for label in labels])
        distance = np.linalg.norm(centroids[iu[0]] - centroids[iu[1]], axis=1)
        for e, d in enumerate(distance):
            edges[e]["distance"] = float(d)
        rho, rho_p = stats.spearmanr(distance[tested], r)
        out.update({"labels": [int(v) for v in labels], "centroids": centroids.tolist(),
                    "rho": float(rho), "rho_p": float(rho_p), "distance_edges": len(tested)})

    out["summary"] = {
        "participants": len(fd), "edges": y.shape[1], "tested": len(tested),
        "nonfinite": sum(e["status"] == "non-finite" for e in edges), "constant": sum(e["status"] == "constant" for e in edges),
        "mean_fd": float(fd.mean()), "sd_fd": float(fd.std(ddof=1)),
        "median_abs_r": float(np.median(np.abs(r))),
        "percent_p": float(100 * np.mean(p < 0.05)), "percent_fdr": float(100 * np.mean(q < 0.05)),
    }
    out["groups"], out["welch"] = [], None
    if spec.get("groups"):
        groups = np.array(spec["groups"])
        levels = sorted(set(spec["groups"]))
        for level in levels:
            v = fd[groups == level]
            out["groups"].append({"level": level, "n": int(len(v)), "mean": float(v.mean()), "sd": float(v.std(ddof=1))})
        if len(levels) == 2:
            res = stats.ttest_ind(fd[groups == levels[0]], fd[groups == levels[1]], equal_var=False)
            out["welch"] = {"t": float(res.statistic), "df": float(res.df), "p": float(res.pvalue)}
    return out


COMMANDS = {"palm-files": lambda a: cmd_palm_files(a[0]), "merged": lambda a: cmd_merged(a[0], a[1:]),
            "palm-t": lambda a: cmd_palm_t(*a), "qcfc": lambda a: cmd_qcfc(a[0])}

if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    print(json.dumps(COMMANDS[sys.argv[1]](sys.argv[2:])))
