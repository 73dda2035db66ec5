import Foundation
import NIfTI
import TestSupport

/// Tiny nibabel-written images of every datatype, byte order and container, made once per run
/// by `Tests/Reference/nifti_reference.py make-fixtures`.
enum Fixtures {
    static let dtypes = ["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float32", "float64"]

    /// File names in the fixture folder, matching the script's naming.
    static let names: [String] = dtypes.flatMap { dtype in
        ["le", "be"].flatMap { order in
            [("nii", ".nii"), ("nii_gz", ".nii.gz"), ("pair", ".hdr"), ("pair_gz", ".hdr.gz"), ("nifti2", ".nii")]
                .filter { !($0.0 == "nifti2" && order == "be") }
                .map { "\(dtype)_\(order)_\($0.0)\($0.1)" }
        }
    }

    private static let made: Result<String, Error> = Result {
        let folder = try Reference.temporaryFolder("cohortex-fixtures")
        try Reference.runPython("nifti_reference.py", ["make-fixtures", folder])
        return folder
    }

    /// The fixture folder (generated on first use).
    static func folder() throws -> String { try made.get() }

    /// nibabel's reading of `path`: metadata and float32 voxels in file order.
    static func nibabelView(of path: String) throws -> (info: [String: Any], values: [Float]?) {
        let out = try Reference.temporaryFolder("cohortex-dump") + "/dump"
        try Reference.runPython("nifti_reference.py", ["dump", path, out])
        let info = try Reference.jsonFile(out + ".json")
        let values = FileManager.default.fileExists(atPath: out + ".f32") ? try Reference.readFloat32(out + ".f32") : nil
        return (info, values)
    }
}

/// Bitwise equality that treats NaN as equal to NaN.
func sameFloat(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) || a == b }

/// Largest absolute entry-wise difference between an affine and a nested array.
func affineDifference(_ affine: Affine, _ rows: Any?) -> Double {
    guard let rows = rows as? [[Double]] else { return .infinity }
    var worst = 0.0
    for r in 0..<4 { for c in 0..<4 { worst = max(worst, abs(affine[r, c] - rows[r][c])) } }
    return worst
}
