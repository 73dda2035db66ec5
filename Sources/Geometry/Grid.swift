/// A spatial voxel grid: three dimensions and the voxel-to-world affine.
public struct Grid: Sendable, Hashable, CustomStringConvertible {
    public var nx: Int
    public var ny: Int
    public var nz: Int
    public var affine: Affine

    public init(nx: Int, ny: Int, nz: Int, affine: Affine) {
        self.nx = nx
        self.ny = ny
        self.nz = nz
        self.affine = affine
    }

    /// Voxels in one 3D volume.
    public var voxelCount: Int { nx * ny * nz }
    public var shape: [Int] { [nx, ny, nz] }

    /// Linear index of voxel (i, j, k), x fastest as on disk.
    @inlinable
    public func index(_ i: Int, _ j: Int, _ k: Int) -> Int { i + nx * (j + ny * k) }

    /// (i, j, k) of a linear index.
    @inlinable
    public func coordinates(of index: Int) -> (Int, Int, Int) {
        let i = index % nx
        let j = (index / nx) % ny
        return (i, j, index / (nx * ny))
    }

    /// Same shape and affines equal within `tolerance` mm.
    public func matches(_ other: Grid, tolerance: Double = 1e-4) -> Bool {
        nx == other.nx && ny == other.ny && nz == other.nz && affine.isClose(to: other.affine, tolerance: tolerance)
    }

    /// A human-readable account of how `other` differs from this grid.
    /// One line: the shape, or where the affines differ most (origin, voxel sizes, largest entry change).
    public func difference(from other: Grid) -> String {
        if shape != other.shape { return "shape \(other.shape) vs \(shape)" }
        func mm(_ v: (Double, Double, Double)) -> String { String(format: "(%g, %g, %g)", v.0, v.1, v.2) }
        let (a, b) = (other.affine, affine)
        let largest = (0..<3).flatMap { r in (0..<4).map { c in abs(a[r, c] - b[r, c]) } }.max() ?? 0
        return "affine differs by up to \(String(format: "%g", largest)) mm: origin \(mm((a[0, 3], a[1, 3], a[2, 3]))) vs "
            + "\(mm((b[0, 3], b[1, 3], b[2, 3]))), voxel sizes \(mm(a.voxelSizes)) vs \(mm(b.voxelSizes))"
    }

    public var description: String { "\(nx)×\(ny)×\(nz)" }
}

/// An in-memory image: one or more 3D frames on a grid, Float32 voxels, x fastest then y, z, frame.
public struct Volume: Sendable {
    public var grid: Grid
    public var frames: Int
    public var voxels: [Float]
    /// Seconds between frames (nil for a 3D image).
    public var repetitionTime: Double?

    public init(grid: Grid, frames: Int = 1, voxels: [Float], repetitionTime: Double? = nil) {
        precondition(voxels.count == grid.voxelCount * frames, "voxel count \(voxels.count) does not match grid \(grid) × \(frames)")
        self.grid = grid
        self.frames = frames
        self.voxels = voxels
        self.repetitionTime = repetitionTime
    }

    /// A zero-filled volume on `grid`.
    public init(zeros grid: Grid, frames: Int = 1) {
        self.init(grid: grid, frames: frames, voxels: [Float](repeating: 0, count: grid.voxelCount * frames))
    }

    /// The image shape: 3 entries, or 4 when there is more than one frame.
    public var shape: [Int] { frames > 1 ? grid.shape + [frames] : grid.shape }
}
