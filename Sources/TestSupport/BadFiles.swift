import Foundation
import NIfTI

/// Deliberately broken NIfTI files, one per defect the reader must report, built from a valid file.
public enum BadFiles {
    /// A valid little-endian NIfTI-1 `.nii` (4×3×2 float32, 0…23) as bytes.
    public static func validFile() throws -> [UInt8] {
        let folder = try Reference.temporaryFolder()
        let grid = Grid(nx: 4, ny: 3, nz: 2, affine: .scaling(2, 2, 2))
        try NIfTIWriter.write(Volume(grid: grid, voxels: (0..<24).map(Float.init)), to: folder + "/valid.nii")
        return Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/valid.nii")))
    }

    /// A valid `.nii.gz` large enough that damage in its middle hits deflate blocks.
    public static func validGzipFile(seed: UInt64) throws -> [UInt8] {
        var rng = SeededRandom(seed: seed)
        let grid = Grid(nx: 40, ny: 40, nz: 20, affine: .identity)
        let volume = Volume(grid: grid, voxels: (0..<grid.voxelCount).map { _ in Float(rng.normal()) })
        let folder = try Reference.temporaryFolder()
        try NIfTIWriter.write(volume, to: folder + "/ok.nii.gz")
        return Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/ok.nii.gz")))
    }

    /// Writes `bytes` to a new temporary file called `name`.
    public static func write(_ bytes: [UInt8], name: String = "bad.nii") throws -> String {
        let path = try Reference.temporaryFolder() + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    public static func patchInt16(_ bytes: inout [UInt8], at offset: Int, _ value: Int16) {
        withUnsafeBytes(of: value.littleEndian) { for i in 0..<2 { bytes[offset + i] = $0[i] } }
    }

    public static func patchFloat(_ bytes: inout [UInt8], at offset: Int, _ value: Float) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { for i in 0..<4 { bytes[offset + i] = $0[i] } }
    }

    /// `bytes` compressed with the system's gzip.
    public static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let path = try write(bytes, name: "x")
        guard try Reference.run("/bin/gzip", ["-n", path]).status == 0 else { throw ReferenceError.failed("gzip", path) }
        return Array(try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    /// Every defect, by name, with a function that writes an example and returns its path.
    public static let all: [(name: String, make: @Sendable () throws -> String)] = [
        ("missing file", { "/nonexistent/folder/sub-01_bold.nii.gz" }),
        ("not NIfTI", { try write(Array("participant_id\tgroup\n".utf8) + [UInt8](repeating: 32, count: 400)) }),
        ("empty", { try write([]) }),
        ("truncated header", { try write(Array(try validFile().prefix(200))) }),
        ("truncated voxel data", { try write(Array(try validFile().dropLast(10))) }),
        ("truncated gzip", { let gz = try validGzipFile(seed: 7); return try write(Array(gz.prefix(gz.count / 2)), name: "cut.nii.gz") }),
        ("corrupt gzip", {
            var gz = try validGzipFile(seed: 8)
            for i in (gz.count / 2)..<(gz.count / 2 + 64) { gz[i] ^= 0x5a }
            return try write(gz, name: "corrupt.nii.gz")
        }),
        ("zero dim", { var b = try validFile(); patchInt16(&b, at: 44, 0); return try write(b) }),
        ("negative dim", { var b = try validFile(); patchInt16(&b, at: 46, -4); return try write(b) }),
        ("overflowing dims", {
            var b = try validFile()
            patchInt16(&b, at: 40, 7)
            for axis in 1...7 { patchInt16(&b, at: 40 + 2 * axis, 32767) }
            return try write(b)
        }),
        ("vox_offset beyond end", { var b = try validFile(); patchFloat(&b, at: 108, 4096); return try write(b) }),
        ("unsupported datatype", { var b = try validFile(); patchInt16(&b, at: 70, 32); return try write(b) }),
    ]
}
