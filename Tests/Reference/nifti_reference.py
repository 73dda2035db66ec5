#!/usr/bin/env python3
"""nibabel-side reference for Cohortex's NIfTI tests.

  make-fixtures DIR     write tiny images of every datatype, byte order and container
                        (NIfTI-1 .nii/.nii.gz, .hdr/.img pairs, .img.gz, NIfTI-2) with a
                        deterministic pattern, plus DIR/manifest.json
  dump FILE OUT         write nibabel's view of FILE: OUT.json (shape, affine, tr, slope,
                        inter, dtype) and OUT.f32 (get_fdata() cast to float32, Fortran order
                        = NIfTI on-disk order), or OUT.json with "error" when nibabel has no data
  describe-written FILE print JSON of a file Cohortex wrote: header fields nibabel reads
  stats FILE [MASK]     print numpy's voxels/nan/inf/sum/mean/sd/min/max as JSON
  make-scaled FILE      write a 12×10×8×5 int16 series with scl_slope 0.5, scl_inter 10, msec units
  gzip-members FILE     print the uncompressed size of each gzip member (JSON list), walked with zlib
  crc64 FILE            print the CRC-64/XZ of FILE (16 hex digits): the checksum sidecars record
  list-nibabel-data     print JSON list of NIfTI files in nibabel's tests/data
  make-affine-fallbacks DIR  write NIfTI-1 files whose affine comes from the qform (sform_code 0 with a
                        decoy sform; qfac +1 and -1) or from pixdim alone (both codes 0, decoy sform and
                        quaternion), and print JSON {file: {"affine": get_best_affine(), "zooms", "codes"}}
"""
import json
import os
import sys

import numpy as np
import nibabel as nib

DTYPES = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float32", "float64"]


def pattern(shape, dtype, seed):
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype) if np.dtype(dtype).kind in "iu" else None
    if info is not None:
        lo = max(info.min, -30000)
        hi = min(info.max, 30000)
        data = rng.integers(lo, hi, size=shape, endpoint=True).astype(dtype)
        flat = data.reshape(-1, order="F")
        flat[0] = info.min
        flat[1] = info.max
        return np.asfortranarray(flat.reshape(shape, order="F"))
    data = rng.normal(100.0, 50.0, size=shape).astype(dtype)
    return data


def oblique_affine():
    angle = 0.2
    rot = np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]])
    aff = np.eye(4)
    aff[:3, :3] = rot @ np.diag([-2.0, 2.5, 3.0])
    aff[:3, 3] = [90.0, -126.0, -72.0]
    return aff


def make_fixtures(folder):
    os.makedirs(folder, exist_ok=True)
    manifest = []
    shape4 = (5, 4, 3, 6)
    for n, dtype in enumerate(DTYPES):
        for order in ("<", ">"):
            for container in ("nii", "nii.gz", "pair", "pair.gz", "nifti2"):
                if container == "nifti2" and order == ">":
                    continue
                data = pattern(shape4 if n % 2 == 0 else shape4[:3], dtype, seed=n)
                aff = oblique_affine() if n % 3 == 0 else np.diag([2.0, 2.0, 2.0, 1.0])
                klass = {"nifti2": nib.Nifti2Image, "pair": nib.Nifti1Pair, "pair.gz": nib.Nifti1Pair}.get(container, nib.Nifti1Image)
                header = klass.header_class(endianness=order)
                img = klass(data, aff, header=header, dtype=data.dtype)
                hdr = img.header
                assert hdr.endianness == order
                if np.dtype(dtype).kind in "iu" and n % 4 == 1:
                    hdr.set_slope_inter(0.5, -3.0)
                if data.ndim == 4:
                    hdr.set_xyzt_units("mm", "msec" if n % 4 == 0 else "sec")
                    hdr["pixdim"][4] = 2000.0 if n % 4 == 0 else 2.0
                ext = {"nii": ".nii", "nii.gz": ".nii.gz", "pair": ".hdr", "pair.gz": ".hdr.gz", "nifti2": ".nii"}[container]
                name = f"{dtype}_{'le' if order == '<' else 'be'}_{container.replace('.', '_')}{ext}"
                path = os.path.join(folder, name)
                if container == "pair.gz":
                    # nibabel compresses both files of a pair when the name ends in .gz
                    path = os.path.join(folder, name.replace(".hdr.gz", ".img.gz"))
                nib.save(img, path)
                if container == "pair.gz":
                    path = path.replace(".img.gz", ".hdr.gz")
                manifest.append(os.path.basename(path))
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def dump(path, out):
    img = nib.load(path)
    if isinstance(img, nib.Cifti2Image):
        img = nib.Nifti2Image.from_filename(path)
    hdr = img.header
    zooms = [float(z) for z in hdr.get_zooms()]
    tr = None
    if len(img.shape) >= 4:
        units = hdr.get_xyzt_units()[1] if hasattr(hdr, "get_xyzt_units") else "unknown"
        tr = zooms[3] * {"msec": 1e-3, "usec": 1e-6}.get(units, 1.0)
    info = {
        "shape": [int(s) for s in img.shape],
        "affine": np.asarray(img.affine, dtype=float).tolist(),
        "tr": tr,
        "slope": None if img.dataobj.slope is None else float(img.dataobj.slope),
        "inter": None if img.dataobj.inter is None else float(img.dataobj.inter),
        "dtype": str(img.get_data_dtype().newbyteorder("=")),
    }
    try:
        data = np.asarray(img.dataobj, dtype=np.float64)  # slope/inter applied in float64
        np.asarray(data, dtype=np.float32).reshape(-1, order="F").tofile(out + ".f32")
    except (OSError, FileNotFoundError) as e:
        info["error"] = str(e)
    with open(out + ".json", "w") as f:
        json.dump(info, f)


def describe_written(path):
    img = nib.load(path)
    hdr = img.header
    data = np.asarray(img.dataobj)
    print(json.dumps({
        "shape": [int(s) for s in img.shape],
        "dtype": str(img.get_data_dtype()),
        "affine": img.affine.tolist(),
        "sform": hdr.get_sform().tolist(),
        "qform": hdr.get_qform().tolist(),
        "sform_code": int(hdr["sform_code"]),
        "qform_code": int(hdr["qform_code"]),
        "intent": [hdr.get_intent()[0], [float(p) for p in hdr.get_intent()[1]], hdr.get_intent()[2]],
        "zooms": [float(z) for z in hdr.get_zooms()],
        "units": list(hdr.get_xyzt_units()),
        "values": np.asarray(data, dtype=np.float64).reshape(-1, order="F").tolist(),
    }))


def stats(path, mask_path=None):
    """numpy's fslstats-style summary over nibabel's float32-rounded voxel values."""
    img = nib.load(path)
    data = np.asarray(np.asarray(img.dataobj, dtype=np.float64), dtype=np.float32)
    if data.ndim == 3:
        data = data[..., None]
    data = data.reshape(data.shape[:3] + (-1,), order="F")
    if mask_path:
        mask = np.asarray(nib.load(mask_path).dataobj, dtype=np.float64)
        inside = (mask != 0) & np.isfinite(mask)
        values = data[inside].reshape(-1)
    else:
        values = data.reshape(-1)
    finite = values[np.isfinite(values)].astype(np.float64)
    print(json.dumps({
        "voxels": int(values.size),
        "nan": int(np.isnan(values).sum()),
        "inf": int(np.isinf(values).sum()),
        "sum": float(finite.sum()),
        "mean": float(finite.mean()),
        "sd": float(finite.std(ddof=1)),
        "min": float(finite.min()),
        "max": float(finite.max()),
    }))


def make_scaled(path):
    """A 12×10×8×5 int16 series stored with scl_slope 0.5, scl_inter 10 and millisecond time units (TR 2500 ms)."""
    rng = np.random.default_rng(5)
    raw = np.round(rng.normal(0, 4000, (12, 10, 8, 5))).astype(np.int16)
    affine = np.array([[-3.0, 0, 0, 40], [0, 3.0, 0, -50], [0, 0, 3.5, -30], [0, 0, 0, 1]])  # the tests' 12×10×8 grid
    img = nib.Nifti1Image(raw, affine, dtype=np.int16)
    img.header.set_slope_inter(0.5, 10.0)
    img.header.set_xyzt_units("mm", "msec")
    img.header["pixdim"][4] = 2500
    nib.save(img, path)


def crc64_xz(path):
    """CRC-64/XZ (ECMA-182 polynomial, reflected, init and final xor all ones) of a file, bitwise table."""
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0xC96C5795D7870F42 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFFFFFFFFFF
    with open(path, "rb") as f:
        for b in f.read():
            crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    print(format(crc ^ 0xFFFFFFFFFFFFFFFF, "016x"))


def gzip_members(path):
    """Print the uncompressed size of each gzip member of a file, walking the members with zlib."""
    import zlib
    data = open(path, "rb").read()
    sizes = []
    while data:
        d = zlib.decompressobj(wbits=31)
        sizes.append(len(d.decompress(data)) + len(d.flush()))
        if not d.eof:
            raise SystemExit(f"{path}: truncated gzip member")
        data = d.unused_data
    print(json.dumps(sizes))


def list_nibabel_data():
    folder = os.path.join(os.path.dirname(nib.__file__), "tests", "data")
    names = sorted(f for f in os.listdir(folder) if f.endswith((".nii", ".nii.gz", ".hdr", ".img")))
    print(json.dumps([os.path.join(folder, f) for f in names]))


def make_affine_fallbacks(folder):
    os.makedirs(folder, exist_ok=True)
    shape = (7, 6, 5, 3)
    data = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    decoy = np.array([[9.0, 1, 0, 11], [0, 9, 2, 12], [3, 0, 9, 13], [0, 0, 0, 1]])
    angle = 0.3
    rot = np.array([[np.cos(angle), -np.sin(angle), 0], [np.sin(angle), np.cos(angle), 0], [0, 0, 1]])
    out = {}
    for name, qcode, flip in (("qform_only.nii", 1, False), ("qform_only_qfac.nii.gz", 4, True), ("no_codes.nii", 0, False),
                              ("no_codes_qfac.nii.gz", 0, True)):
        img = nib.Nifti1Image(data, None)
        hdr = img.header
        q = np.eye(4)
        q[:3, :3] = rot @ np.diag([2.5, 3.0, -3.5 if flip else 3.5])
        q[:3, 3] = [-40.0, 25.0, -10.0]
        hdr.set_qform(q, code=max(qcode, 1))  # writes quaternion, qoffset, pixdim and qfac
        hdr.set_sform(decoy, code=0)          # srow_* hold a decoy: ignored with sform_code 0
        hdr["qform_code"] = qcode
        hdr.set_xyzt_units("mm", "sec")
        hdr["pixdim"][4] = 2.0
        path = os.path.join(folder, name)
        nib.save(img, path)
        back = nib.load(path).header
        assert int(back["sform_code"]) == 0 and int(back["qform_code"]) == qcode, name
        assert np.allclose(back.get_sform(), decoy), name
        out[name] = {"affine": back.get_best_affine().tolist(), "zooms": [float(z) for z in back.get_zooms()],
                     "codes": [int(back["qform_code"]), int(back["sform_code"])], "qfac": float(back["pixdim"][0])}
    print(json.dumps(out))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "make-fixtures":
        make_fixtures(sys.argv[2])
    elif cmd == "dump":
        dump(sys.argv[2], sys.argv[3])
    elif cmd == "describe-written":
        describe_written(sys.argv[2])
    elif cmd == "stats":
        stats(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
    elif cmd == "make-scaled":
        make_scaled(sys.argv[2])
    elif cmd == "gzip-members":
        gzip_members(sys.argv[2])
    elif cmd == "crc64":
        crc64_xz(sys.argv[2])
    elif cmd == "make-affine-fallbacks":
        make_affine_fallbacks(sys.argv[2])
    elif cmd == "list-nibabel-data":
        list_nibabel_data()
    else:
        sys.exit(f"unknown command {cmd}")
