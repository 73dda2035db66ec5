/// The in-mask voxels of a grid, as sorted linear indices (x fastest).
public struct VoxelMask: Sendable, Equatable {
    public let grid: Grid
    public let indices: [Int]

    public init(grid: Grid, indices: [Int]) {
        precondition(zip(indices, indices.dropFirst()).allSatisfy { $0 < $1 }, "mask indices must be strictly increasing")
        precondition(indices.last.map { $0 < grid.voxelCount } ?? true, "mask index outside the grid")
        self.grid = grid
        self.indices = indices
    }

    /// Voxels of a 3D volume that are non-zero and finite (NaN counts as outside, as FSL and nilearn do).
    public init(nonzeroIn volume: Volume) {
        precondition(volume.frames == 1, "a mask is a 3D image")
        var idx: [Int] = []
        idx.reserveCapacity(volume.voxels.count / 4)
        for (i, v) in volume.voxels.enumerated() where v != 0 && v.isFinite { idx.append(i) }
        self.init(grid: volume.grid, indices: idx)
    }

    /// Every voxel of the grid.
    public static func full(_ grid: Grid) -> VoxelMask { VoxelMask(grid: grid, indices: Array(0..<grid.voxelCount)) }

    public var count: Int { indices.count }
    public var isEmpty: Bool { indices.isEmpty }

    /// A volume holding `values[n]` at in-mask voxel n and `fill` elsewhere.
    public func scatter(_ values: [Float], fill: Float = 0) -> Volume {
        precondition(values.count == indices.count, "one value per in-mask voxel")
        var out = [Float](repeating: fill, count: grid.voxelCount)
        for (n, i) in indices.enumerated() { out[i] = values[n] }
        return Volume(grid: grid, voxels: out)
    }
}
