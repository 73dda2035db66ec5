import Geometry

/// Cluster-extent and cluster-mass statistics over the tested voxels of a grid (FSL randomise `-c/-C`,
/// nilearn `permuted_ols(threshold=…)`): voxels whose statistic exceeds the cluster-forming threshold
/// (|statistic| when two-sided, positive and negative clusters apart) form clusters through the chosen
/// neighbours; a cluster's size is its voxel count, its mass Σ(|t| − threshold), as nilearn defines it.
public struct ClusterExtent: Sendable {
    /// Tested voxels (positions 0..<count correspond to the grid indices given at init).
    public let count: Int
    public let connectivity: VoxelConnectivity
    /// Compressed neighbour lists: the tested neighbours of position i are `neighbours[start[i]..<start[i+1]]`.
    let start: [Int32]
    let neighbours: [Int32]

    public init(grid: Grid, voxels: [Int], connectivity: VoxelConnectivity) {
        var position = [Int32](repeating: -1, count: grid.voxelCount)
        for (n, i) in voxels.enumerated() { position[i] = Int32(n) }
        let offsets = connectivity.offsets
        var start: [Int32] = [0], neighbours: [Int32] = []
        neighbours.reserveCapacity(voxels.count * offsets.count / 2)
        for i in voxels {
            let (x, y, z) = grid.coordinates(of: i)
            for (dx, dy, dz) in offsets {
                let a = x + dx, b = y + dy, c = z + dz
                guard a >= 0, a < grid.nx, b >= 0, b < grid.ny, c >= 0, c < grid.nz else { continue }
                let p = position[grid.index(a, b, c)]
                if p >= 0 { neighbours.append(p) }
            }
            start.append(Int32(neighbours.count))
        }
        self.count = voxels.count
        self.connectivity = connectivity
        self.start = start
        self.neighbours = neighbours
    }

    /// Reusable per-thread scratch (labels and a stack), so permuted maps allocate nothing.
    public final class Workspace: @unchecked Sendable {
        // @unchecked: one workspace is used by one thread at a time (one per lane).
        var label: [Int32]
        var stack: [Int32]

        public init(for extent: ClusterExtent) {
            label = [Int32](repeating: 0, count: extent.count)
            stack = []
            stack.reserveCapacity(extent.count)
        }
    }

    /// Every cluster of `map` (one value per tested voxel): the cluster id of each voxel (0: none, ids from 1
    /// in order of each cluster's lowest position), and each cluster's size and mass (index id − 1).
    public func clusters(_ map: UnsafePointer<Float>, threshold: Float, twoSided: Bool, workspace: Workspace)
        -> (labels: [Int32], sizes: [Int], masses: [Double]) {
        var sizes: [Int] = [], masses: [Double] = []
        label(map, threshold: threshold, twoSided: twoSided, workspace: workspace) { size, mass in
            sizes.append(size)
            masses.append(mass)
        }
        return (workspace.label, sizes, masses)
    }

    /// The largest cluster size and mass of `map` (0 when nothing exceeds the threshold). Mass is summed in
    /// Float64 and rounded to Float32 once, so observed and permuted masses compare through the same path.
    public func maxima(_ map: UnsafePointer<Float>, threshold: Float, twoSided: Bool, workspace: Workspace) -> (size: Float, mass: Float) {
        var size = 0, mass = 0.0
        label(map, threshold: threshold, twoSided: twoSided, workspace: workspace) { s, m in
            size = max(size, s)
            mass = max(mass, m)
        }
        return (Float(size), Float(mass))
    }

    /// Flood-fills the suprathreshold voxels in position order, reporting each cluster's size and mass.
    func label(_ map: UnsafePointer<Float>, threshold: Float, twoSided: Bool, workspace: Workspace, cluster: (Int, Double) -> Void) {
        let t = threshold
        workspace.label.withUnsafeMutableBufferPointer { label in
            for i in 0..<count { label[i] = 0 }
            var next: Int32 = 0
            start.withUnsafeBufferPointer { start in
            neighbours.withUnsafeBufferPointer { neighbours in
                for seed in 0..<count where label[seed] == 0 {
                    let v = map[seed]
                    let sign: Float
                    if v > t { sign = 1 } else if twoSided && -v > t { sign = -1 } else { continue }
                    next += 1
                    label[seed] = next
                    workspace.stack.removeAll(keepingCapacity: true)
                    workspace.stack.append(Int32(seed))
                    var size = 0, mass = 0.0
                    while let p = workspace.stack.popLast() {
                        let i = Int(p)
                        size += 1
                        mass += Double(sign * map[i] - t)
                        for k in Int(start[i])..<Int(start[i + 1]) {
                            let j = Int(neighbours[k])
                            if label[j] == 0 && sign * map[j] > t {
                                label[j] = next
                                workspace.stack.append(Int32(j))
                            }
                        }
                    }
                    cluster(size, mass)
                }
            }}
        }
    }
}
