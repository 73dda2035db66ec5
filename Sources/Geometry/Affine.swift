import Foundation

/// A 4×4 voxel-to-world (mm) transform, row-major, as nibabel's `img.affine`.
public struct Affine: Sendable, Hashable, CustomStringConvertible {
    /// Row-major 4×4 entries.
    public var m: [Double]

    public init(rows: [[Double]]) {
        precondition(rows.count == 4 && rows.allSatisfy { $0.count == 4 }, "affine needs 4 rows of 4")
        m = rows.flatMap { $0 }
    }

    public init(rowMajor: [Double]) {
        precondition(rowMajor.count == 16, "affine needs 16 entries")
        m = rowMajor
    }

    /// Diagonal scaling with an optional translation.
    public static func scaling(_ sx: Double, _ sy: Double, _ sz: Double, origin: (Double, Double, Double) = (0, 0, 0)) -> Affine {
        Affine(rowMajor: [sx, 0, 0, origin.0, 0, sy, 0, origin.1, 0, 0, sz, origin.2, 0, 0, 0, 1])
    }

    public static let identity = Affine.scaling(1, 1, 1)

    public subscript(row: Int, column: Int) -> Double {
        get { m[row * 4 + column] }
        set { m[row * 4 + column] = newValue }
    }

    public var rows: [[Double]] { (0..<4).map { r in Array(m[(r * 4)..<(r * 4 + 4)]) } }

    /// Maps voxel coordinates (i, j, k) to world millimetres.
    @inlinable
    public func apply(_ i: Double, _ j: Double, _ k: Double) -> (Double, Double, Double) {
        (m[0] * i + m[1] * j + m[2] * k + m[3],
         m[4] * i + m[5] * j + m[6] * k + m[7],
         m[8] * i + m[9] * j + m[10] * k + m[11])
    }

    /// Determinant of the 3×3 linear part (signed voxel volume in mm³).
    public var determinant3: Double {
        m[0] * (m[5] * m[10] - m[6] * m[9])
            - m[1] * (m[4] * m[10] - m[6] * m[8])
            + m[2] * (m[4] * m[9] - m[5] * m[8])
    }

    /// Voxel volume in mm³ (absolute determinant of the linear part).
    public var voxelVolume: Double { abs(determinant3) }

    /// Voxel sizes: the column norms of the linear part.
    public var voxelSizes: (Double, Double, Double) {
        func norm(_ c: Int) -> Double { (m[c] * m[c] + m[4 + c] * m[4 + c] + m[8 + c] * m[8 + c]).squareRoot() }
        return (norm(0), norm(1), norm(2))
    }

    /// True when the linear part has off-diagonal terms (rotated or sheared grid).
    public var isOblique: Bool {
        [m[1], m[2], m[4], m[6], m[8], m[9]].contains { abs($0) > 1e-6 * max(1, abs(m[0]) + abs(m[5]) + abs(m[10])) }
    }

    /// The inverse transform (world → voxel); nil when singular.
    public var inverse: Affine? {
        let a = m
        let det = determinant3
        guard det != 0, det.isFinite else { return nil }
        let inv = 1 / det
        var r = [Double](repeating: 0, count: 16)
        r[0] = (a[5] * a[10] - a[6] * a[9]) * inv
        r[1] = (a[2] * a[9] - a[1] * a[10]) * inv
        r[2] = (a[1] * a[6] - a[2] * a[5]) * inv
        r[4] = (a[6] * a[8] - a[4] * a[10]) * inv
        r[5] = (a[0] * a[10] - a[2] * a[8]) * inv
        r[6] = (a[2] * a[4] - a[0] * a[6]) * inv
        r[8] = (a[4] * a[9] - a[5] * a[8]) * inv
        r[9] = (a[1] * a[8] - a[0] * a[9]) * inv
        r[10] = (a[0] * a[5] - a[1] * a[4]) * inv
        for row in 0..<3 {
            r[row * 4 + 3] = -(r[row * 4] * a[3] + r[row * 4 + 1] * a[7] + r[row * 4 + 2] * a[11])
        }
        r[15] = 1
        return Affine(rowMajor: r)
    }

    /// Composition: `self ∘ other` (apply `other` first).
    public func composed(after other: Affine) -> Affine {
        var r = [Double](repeating: 0, count: 16)
        for i in 0..<4 {
            for j in 0..<4 {
                var s = 0.0
                for k in 0..<4 { s += m[i * 4 + k] * other.m[k * 4 + j] }
                r[i * 4 + j] = s
            }
        }
        return Affine(rowMajor: r)
    }

    /// Entry-wise equality within an absolute tolerance (mm).
    public func isClose(to other: Affine, tolerance: Double = 1e-4) -> Bool {
        zip(m, other.m).allSatisfy { abs($0 - $1) <= tolerance }
    }

    public var description: String {
        rows.map { $0.map { String(format: "%10.4f", $0) }.joined(separator: " ") }.joined(separator: "\n")
    }
}
