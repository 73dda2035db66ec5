import Geometry

/// Which voxels touch: sharing a face (6, randomise's and nilearn's default), also an edge (18), or also a corner (26).
public enum VoxelConnectivity: Int, Sendable, Codable, CaseIterable {
    case faces = 6
    case edges = 18
    case corners = 26

    /// The (di, dj, dk) offsets of the neighbours.
    public var offsets: [(Int, Int, Int)] {
        var out: [(Int, Int, Int)] = []
        for dk in -1...1 {
            for dj in -1...1 {
                for di in -1...1 {
                    let order = abs(di) + abs(dj) + abs(dk)
                    guard order > 0 else { continue }
                    if self == .faces && order > 1 { continue }
                    if self == .edges && order > 2 { continue }
                    out.append((di, dj, dk))
                }
            }
        }
        return out
    }
}

/// One connected set of suprathreshold voxels of one sign.
public struct Cluster: Sendable, Equatable {
    /// Grid indices, ascending.
    public let voxels: [Int]
    /// +1 for a cluster of positive statistics, −1 for negative ones.
    public let sign: Int
    /// Local maxima of |statistic| (grid indices), strongest first, each at least the minimum distance from
    /// every stronger one; the first is the cluster's peak.
    public let peaks: [Int]

    public var peak: Int { peaks[0] }
}

/// Connected-component labelling of a thresholded statistic map, as FSL `cluster` and nilearn
/// `get_clusters_table` report it: positive and negative voxels never join one cluster.
public enum ClusterLabelling {
    /// Clusters of the voxels where `passes` holds, largest first (ties: stronger peak, then lower first index).
    /// - Parameters:
    ///   - statistic: one value per grid voxel (the map the peaks are taken from).
    ///   - passes: one flag per grid voxel.
    ///   - minimumPeakDistance: local maxima closer than this (mm) to a stronger one are dropped.
    public static func clusters(statistic: [Float], passes: [Bool], grid: Grid, connectivity: VoxelConnectivity,
                                minimumPeakDistance: Double) -> [Cluster] {
        precondition(statistic.count == grid.voxelCount && passes.count == grid.voxelCount, "one value per grid voxel")
        let offsets = connectivity.offsets
        var label = [Int32](repeating: 0, count: grid.voxelCount)
        var components: [[Int]] = []
        var stack: [Int] = []
        for start in 0..<grid.voxelCount where passes[start] && label[start] == 0 {
            let positive = statistic[start] >= 0
            let id = Int32(components.count + 1)
            label[start] = id
            stack.append(start)
            var members: [Int] = []
            while let v = stack.popLast() {
                members.append(v)
                let (i, j, k) = grid.coordinates(of: v)
                for (di, dj, dk) in offsets {
                    let a = i + di, b = j + dj, c = k + dk
                    guard a >= 0, a < grid.nx, b >= 0, b < grid.ny, c >= 0, c < grid.nz else { continue }
                    let u = grid.index(a, b, c)
                    guard passes[u], label[u] == 0, (statistic[u] >= 0) == positive else { continue }
                    label[u] = id
                    stack.append(u)
                }
            }
            members.sort()
            components.append(members)
        }
        var clusters = components.map { members -> Cluster in
            let sign = statistic[members[0]] >= 0 ? 1 : -1
            return Cluster(voxels: members, sign: sign,
                           peaks: localMaxima(members, statistic: statistic, grid: grid, minimumDistance: minimumPeakDistance))
        }
        clusters.sort { a, b in
            if a.voxels.count != b.voxels.count { return a.voxels.count > b.voxels.count }
            let pa = abs(statistic[a.peak]), pb = abs(statistic[b.peak])
            if pa != pb { return pa > pb }
            return a.voxels[0] < b.voxels[0]
        }
        return clusters
    }

    /// Voxels whose |statistic| is at least that of every 26-neighbour in the cluster (on a plateau the
    /// lowest index), strongest first, dropping any within `minimumDistance` mm of a stronger kept one.
    static func localMaxima(_ members: [Int], statistic: [Float], grid: Grid, minimumDistance: Double) -> [Int] {
        let inCluster = Set(members)
        let offsets = VoxelConnectivity.corners.offsets
        var candidates: [Int] = []
        for v in members {
            let value = abs(statistic[v])
            let (i, j, k) = grid.coordinates(of: v)
            var isMaximum = true
            for (di, dj, dk) in offsets {
                let a = i + di, b = j + dj, c = k + dk
                guard a >= 0, a < grid.nx, b >= 0, b < grid.ny, c >= 0, c < grid.nz else { continue }
                let u = grid.index(a, b, c)
                guard inCluster.contains(u) else { continue }
                let other = abs(statistic[u])
                if other > value || (other == value && u < v) {
                    isMaximum = false
                    break
                }
            }
            if isMaximum { candidates.append(v) }
        }
        candidates.sort { abs(statistic[$0]) != abs(statistic[$1]) ? abs(statistic[$0]) > abs(statistic[$1]) : $0 < $1 }
        var kept: [(Int, (Double, Double, Double))] = []
        for v in candidates {
            let (i, j, k) = grid.coordinates(of: v)
            let world = grid.affine.apply(Double(i), Double(j), Double(k))
            let far = kept.allSatisfy { _, w in
                let dx = w.0 - world.0, dy = w.1 - world.1, dz = w.2 - world.2
                return (dx * dx + dy * dy + dz * dz).squareRoot() >= minimumDistance
            }
            if far { kept.append((v, world)) }
        }
        return kept.map(\.0)
    }
}
