import Geometry

/// The voxels whose series enter a voxel's Kendall's W (the voxel itself included), as AFNI 3dReHo.
public enum ReHoNeighbourhood: Int, Sendable, Codable, CaseIterable {
    /// The voxel and its 6 face neighbours.
    case faces = 7
    /// Faces and the 12 edge neighbours.
    case edges = 19
    /// The full 3×3×3 cube.
    case vertices = 27

    /// True when offset (di, dj, dk) ∈ {−1, 0, 1}³ belongs to the neighbourhood.
    @inlinable
    public func contains(_ di: Int, _ dj: Int, _ dk: Int) -> Bool {
        let order = abs(di) + abs(dj) + abs(dk)
        switch self {
        case .faces: return order <= 1
        case .edges: return order <= 2
        case .vertices: return true
        }
    }
}

/// Regional homogeneity: Kendall's coefficient of concordance W of each in-mask voxel's series with
/// those of its in-mask neighbours (Zang et al. 2004; AFNI 3dReHo's formula with its tie correction):
///
///   W = (12 Σₜ Rₜ² − 3 M² n (n+1)²) / (M² n (n² − 1) − M Σⱼ Tⱼ)
///
/// Rₜ the sum over the M neighbours of their rank at time t (average ranks for ties), n the number of
/// volumes, Tⱼ = Σ(t³ − t) over neighbour j's tie groups. Series are ranked once; the rank sums
/// are 3D box-like filters of the per-volume rank image, evaluated slab by slab in parallel.
public enum ReHo {
    /// z-planes per parallel task.
    static let slabPlanes = 4

    /// W for every voxel of `mask` from a rows × mask.count matrix of time series (copied, then ranked).
    public static func compute(series: UnsafeBufferPointer<Float>, rows: Int, mask: VoxelMask,
                               neighbourhood: ReHoNeighbourhood = .vertices, parallelism: Parallelism) -> [Float] {
        var ranks = Array(series)
        return ranks.withUnsafeMutableBufferPointer { r in
            let ties = rankColumns(r, rows: rows, voxels: mask.count, parallelism: parallelism)
            return compute(ranks: UnsafeBufferPointer(r), rows: rows, tieTerms: ties, mask: mask, neighbourhood: neighbourhood,
                           parallelism: parallelism)
        }
    }

    /// W from columns already replaced by their ranks (`rankColumns`) and their tie terms.
    public static func compute(ranks: UnsafeBufferPointer<Float>, rows: Int, tieTerms: [Double], mask: VoxelMask,
                               neighbourhood: ReHoNeighbourhood, parallelism: Parallelism) -> [Float] {
        let v = mask.count
        precondition(ranks.count == rows * v && tieTerms.count == v, "ranks must be rows × mask voxels")
        guard v > 0, rows > 0 else { return [] }
        let hood = neighbourhoodTerms(mask: mask, tieTerms: tieTerms, neighbourhood: neighbourhood)
        var squares = [Double](repeating: 0, count: v)
        let g = mask.grid
        let slabs = (g.nz + slabPlanes - 1) / slabPlanes
        squares.withUnsafeMutableBufferPointer { sq in
            mask.indices.withUnsafeBufferPointer { idx in
                let shared = UnsafeSendableBox((ranks.baseAddress!, sq.baseAddress!, idx))
                parallelism.forEach(chunks: slabs) { s in
                    let (ranks, sq, idx) = shared.value
                    let z0 = s * slabPlanes, z1 = min(g.nz, z0 + slabPlanes)
                    ReHoSlab(grid: g, z0: z0, z1: z1, indices: idx, neighbourhood: neighbourhood)
                        .accumulateSquaredRankSums(ranks, rows: rows, voxels: v, into: sq)
                }
            }
        }
        let n = Double(rows)
        return (0..<v).map { p in
            let m = hood.counts[p]
            let numerator = 12 * squares[p] - 3 * m * m * n * (n + 1) * (n + 1)
            let denominator = m * m * n * (n * n - 1) - m * hood.ties[p]
            // Every series constant (all ties): W is 0/0; report 0, no concordance measurable.
            return denominator > 0 ? Float(numerator / denominator) : 0
        }
    }

    /// M (in-mask neighbours, self included) and Σ Tⱼ over them, for every in-mask voxel.
    static func neighbourhoodTerms(mask: VoxelMask, tieTerms: [Double], neighbourhood: ReHoNeighbourhood)
        -> (counts: [Double], ties: [Double]) {
        let g = mask.grid
        var position = [Int32](repeating: -1, count: g.voxelCount)
        for (p, i) in mask.indices.enumerated() { position[i] = Int32(p) }
        let offsets = (-1...1).flatMap { dk in (-1...1).flatMap { dj in (-1...1).map { di in (di, dj, dk) } } }
            .filter { neighbourhood.contains($0.0, $0.1, $0.2) }
        var counts = [Double](repeating: 0, count: mask.count)
        var ties = [Double](repeating: 0, count: mask.count)
        for (p, index) in mask.indices.enumerated() {
            let (i, j, k) = g.coordinates(of: index)
            var m = 0.0, t = 0.0
            for (di, dj, dk) in offsets {
                let x = i + di, y = j + dj, z = k + dk
                guard x >= 0, x < g.nx, y >= 0, y < g.ny, z >= 0, z < g.nz else { continue }
                let q = position[g.index(x, y, z)]
                if q >= 0 { m += 1; t += tieTerms[Int(q)] }
            }
            counts[p] = m
            ties[p] = t
        }
        return (counts, ties)
    }
}
