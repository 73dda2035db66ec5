#!/usr/bin/env python3
"""statsmodels / nilearn / scipy side of Cohortex's group-statistics tests.

Every command reads a JSON spec file (paths and parameters) and prints one JSON object.

  ols SPEC        statsmodels OLS per measure. SPEC: participants (TSV), responses (float64,
                  participants x measures, C order), measures, formula (patsy, response "y"),
                  tests: [{"kind": "t", "weights": {column: w}} | {"kind": "F", "rows": [{...}, ...]}],
                  hedges: [{"term": patsy column or null, ...}] optional.
                  -> {"df", "columns", "tests": [{"stat", "p", "estimate", "se"}], "g": [...]}
  fdr SPEC        statsmodels multipletests(method="fdr_bh") on SPEC.p -> {"q": [...]}
  permuted SPEC   nilearn permuted_ols. SPEC: responses (float64 n x m), tested (n), confounds
                  (n x c or null), n_perm, two_sided, seed, intercept_test (bool)
                  -> {"t", "p_fwe", "h0_max_t"}
  tfce SPEC       TFCE from the published definition (Smith & Nichols 2009), one labelling per
                  threshold with scipy.ndimage (26-connectivity). SPEC: values (float32, shape,
                  Fortran order), shape, mask (uint8 or null), dh, two_sided, E, H, connectivity (6, 18, 26;
                  default 26) -> {"tfce": [...]} (Fortran order)
  hedges SPEC     Hedges' g of two groups from raw data: SPEC: a, b (lists) -> {"g"}
  maps SPEC       numpy OLS on NIfTI maps read with nibabel: SPEC: maps (list of paths), mask,
                  design (n x p), contrast (p), all_maps (bool), f_rows (q x p, optional)
                  -> {"t": [...] in-mask order; with all_maps also effect, p (one-sided), z, pfdr (BH), g
                  (J · effect / residual SD); with f_rows also F}
  permuted-f SPEC an independent numpy Freedman–Lane max-F permutation test on NIfTI maps: SPEC: maps,
                  mask, design (n x p), f_rows (q x p, each row selecting one design column), n_perm, seed.
                  Nuisance = the design columns no row selects; reduced-model residuals are permuted and
                  added back to its fit; F of the full model at every voxel, the maximum over voxels per
                  permutation; p_FWE = (1 + #{max* >= F}) / (n_perm + 1)  -> {"F", "p_fwe", "h0_max_f"}
"""
import json
import sys
import warnings

import numpy as np


def load(spec):
    with open(spec) as f:
        return json.load(f)


def responses(spec):
    n = spec["participants_count"] if "participants_count" in spec else None
    y = np.fromfile(spec["responses"], dtype=np.float64)
    return y.reshape(-1, spec["measures"]) if n is None else y.reshape(n, spec["measures"])


def cmd_ols(spec):
    import pandas as pd
    import patsy
    import statsmodels.api as sm

    table = pd.read_csv(spec["participants"], sep="\t", na_values=["n/a"], keep_default_na=False)
    y = responses(spec)
    table["y"] = 0.0
    # patsy drops rows with missing values itself; keep track of which survive.
    ydesign, x = patsy.dmatrices(spec["formula"], table, return_type="dataframe", NA_action="drop")
    rows = x.index.to_numpy()
    assert y.shape[0] == len(rows), (y.shape, len(rows))
    columns = list(x.columns)
    out = {"df": None, "columns": columns, "participants": table.loc[rows, "participant_id"].tolist(), "tests": []}
    results = []
    for j in range(y.shape[1]):
        fit = sm.OLS(y[:, j], x.to_numpy()).fit()
        results.append(fit)
    out["df"] = float(results[0].df_resid)

    def vector(weights):
        v = np.zeros(len(columns))
        for name, w in weights.items():
            v[columns.index(name)] = w
        return v

    for test in spec["tests"]:
        if test["kind"] == "t":
            c = vector(test["weights"])
            stats, ps, est, se = [], [], [], []
            for fit in results:
                r = fit.t_test(c)
                stats.append(float(np.squeeze(r.tvalue)))
                p2 = float(np.squeeze(r.pvalue))
                t = stats[-1]
                # one-sided upper tail from the two-sided value
                ps.append(p2 / 2 if t > 0 else 1 - p2 / 2)
                est.append(float(np.squeeze(r.effect)))
                se.append(float(np.squeeze(r.sd)))
            out["tests"].append({"stat": stats, "p": ps, "estimate": est, "se": se})
        else:
            c = np.array([vector(row) for row in test["rows"]])
            stats, ps = [], []
            for fit in results:
                r = fit.f_test(c)
                stats.append(float(np.squeeze(r.fvalue)))
                ps.append(float(np.squeeze(r.pvalue)))
            out["tests"].append({"stat": stats, "p": ps})
    # Hedges' g with covariates: J * effect / sqrt(residual variance), J = 1 - 3 / (4 df - 1).
    if "hedges" in spec:
        c = vector(spec["hedges"])
        df = results[0].df_resid
        j = 1 - 3 / (4 * df - 1)
        out["g"] = [float(j * np.squeeze(fit.t_test(c).effect) / np.sqrt(fit.scale)) for fit in results]
    return out


def cmd_fdr(spec):
    from statsmodels.stats.multitest import multipletests

    p = np.array([float(v) for v in spec["p"]], dtype=np.float64)
    _, q, _, _ = multipletests(p, method="fdr_bh")
    # hexadecimal: the comparison is bit for bit
    return {"q": [float(v).hex() for v in q]}


def cmd_permuted(spec):
    from nilearn.mass_univariate import permuted_ols

    y = responses(spec)
    tested = np.asarray(spec["tested"], dtype=np.float64).reshape(-1, 1)
    confounds = None if spec.get("confounds") is None else np.asarray(spec["confounds"], dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = permuted_ols(tested, y, confounding_vars=confounds, model_intercept=True,
                           n_perm=spec["n_perm"], two_sided_test=spec["two_sided"],
                           random_state=spec["seed"], n_jobs=1, verbose=0, output_type="dict")
    return {"t": out["t"][0].tolist(), "p_fwe": (10 ** -out["logp_max_t"][0]).tolist(),
            "h0_max_t": out["h0_max_t"][0].tolist()}


def tfce_reference(values, mask, dh, E, H, two_sided, connectivity=26):
    """The definition: TFCE(v) = sum over h = dh, 2dh, ... <= s(v) of e(h)^E h^H dh."""
    from scipy import ndimage

    rank = {6: 1, 18: 2, 26: 3}[connectivity]
    structure = ndimage.generate_binary_structure(3, rank)
    out = np.zeros(values.shape, dtype=np.float64)
    signs = [1, -1] if two_sided else [1]
    for sign in signs:
        s = sign * values.astype(np.float64)
        s[~mask] = 0
        top = s.max()
        j = 1
        while j * dh <= top:
            h = j * dh
            labels, count = ndimage.label(s >= h, structure=structure)
            if count:
                sizes = np.bincount(labels.ravel())
                contribution = sizes.astype(np.float64) ** E * h ** H * dh
                contribution[0] = 0
                out += sign * contribution[labels]
            j += 1
    return out


def cmd_tfce(spec):
    shape = tuple(spec["shape"])
    values = np.fromfile(spec["values"], dtype=np.float32).reshape(shape, order="F")
    if spec.get("mask"):
        mask = np.fromfile(spec["mask"], dtype=np.uint8).reshape(shape, order="F").astype(bool)
    else:
        mask = np.ones(shape, dtype=bool)
    out = tfce_reference(values, mask, spec["dh"], spec.get("E", 0.5), spec.get("H", 2.0), spec["two_sided"],
                         spec.get("connectivity", 26))
    return {"tfce": out.ravel(order="F").tolist()}


def cmd_hedges(spec):
    a = np.asarray(spec["a"], dtype=np.float64)
    b = np.asarray(spec["b"], dtype=np.float64)
    n1, n2 = len(a), len(b)
    pooled = np.sqrt(((n1 - 1) * a.var(ddof=1) + (n2 - 1) * b.var(ddof=1)) / (n1 + n2 - 2))
    d = (a.mean() - b.mean()) / pooled
    j = 1 - 3 / (4 * (n1 + n2) - 9)
    return {"g": float(j * d)}


def cmd_maps(spec):
    import nibabel as nib

    # In-mask voxels in NIfTI (Fortran, x fastest) order, as Cohortex lists them.
    mask = (np.asarray(nib.load(spec["mask"]).dataobj) != 0).ravel(order="F")
    y = np.array([np.asarray(nib.load(p).get_fdata(dtype=np.float64)).ravel(order="F")[mask] for p in spec["maps"]])
    x = np.asarray(spec["design"], dtype=np.float64)
    c = np.asarray(spec["contrast"], dtype=np.float64)
    beta, _, _, _ = np.linalg.lstsq(x, y, rcond=None)
    resid = y - x @ beta
    df = x.shape[0] - np.linalg.matrix_rank(x)
    sigma2 = (resid ** 2).sum(axis=0) / df
    xtx = np.linalg.inv(x.T @ x)
    var = c @ xtx @ c
    t = (c @ beta) / np.sqrt(sigma2 * var)
    out = {"t": t.tolist()}
    if spec.get("all_maps"):
        from scipy import stats as st
        from statsmodels.stats.multitest import multipletests
        p = st.t.sf(t, df)                                   # one-sided, positive direction
        out["effect"] = (c @ beta).tolist()
        out["p"] = p.tolist()
        out["z"] = st.norm.isf(p).tolist()
        out["pfdr"] = multipletests(p, method="fdr_bh")[1].tolist()
        out["g"] = ((1 - 3 / (4 * df - 1)) * (c @ beta) / np.sqrt(sigma2)).tolist()
    if spec.get("f_rows"):
        cf = np.asarray(spec["f_rows"], dtype=np.float64)
        cb = cf @ beta                                        # q × voxels
        middle = np.linalg.inv(cf @ xtx @ cf.T)
        out["F"] = (np.einsum("iv,ij,jv->v", cb, middle, cb) / (cf.shape[0] * sigma2)).tolist()
    return out


def cmd_permuted_f(spec):
    import nibabel as nib

    mask = (np.asarray(nib.load(spec["mask"]).dataobj) != 0).ravel(order="F")
    y = np.array([np.asarray(nib.load(p).get_fdata(dtype=np.float64)).ravel(order="F")[mask] for p in spec["maps"]])
    x = np.asarray(spec["design"], dtype=np.float64)
    cf = np.asarray(spec["f_rows"], dtype=np.float64)
    tested = sorted({int(np.flatnonzero(row)[0]) for row in cf})
    assert all(np.count_nonzero(row) == 1 for row in cf)
    z = x[:, [j for j in range(x.shape[1]) if j not in tested]]
    xtx = np.linalg.inv(x.T @ x)
    middle = np.linalg.inv(cf @ xtx @ cf.T)
    df = x.shape[0] - np.linalg.matrix_rank(x)
    q = cf.shape[0]

    def f_stat(yy):
        beta = xtx @ x.T @ yy
        resid = yy - x @ beta
        sigma2 = (resid ** 2).sum(axis=0) / df
        cb = cf @ beta
        return np.einsum("iv,ij,jv->v", cb, middle, cb) / (q * sigma2)

    fit_z = z @ np.linalg.lstsq(z, y, rcond=None)[0]
    resid_z = y - fit_z
    observed = f_stat(y)
    rng = np.random.default_rng(spec["seed"])
    maxima = np.empty(spec["n_perm"])
    for k in range(spec["n_perm"]):
        maxima[k] = f_stat(fit_z + resid_z[rng.permutation(y.shape[0])]).max()
    p = (1 + (maxima[None, :] >= observed[:, None]).sum(axis=1)) / (spec["n_perm"] + 1)
    return {"F": observed.tolist(), "p_fwe": p.tolist(), "h0_max_f": maxima.tolist()}


COMMANDS = {"permuted-f": cmd_permuted_f, "ols": cmd_ols, "fdr": cmd_fdr, "permuted": cmd_permuted, "tfce": cmd_tfce,
            "hedges": cmd_hedges, "maps": cmd_maps}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    print(json.dumps(COMMANDS[sys.argv[1]](load(sys.argv[2]))))
