import Geometry

/// The z-planes [z0, z1) of the grid plus one plane on each side, with a one-voxel zero halo in
/// x and y: per volume, the ranks of in-mask voxels are scattered into it (zero elsewhere, so
/// out-of-mask neighbours drop out) and the neighbourhood rank sum Rₜ of every own in-mask voxel is
///   27: S₉(z) + S₉(z−1) + S₉(z+1),  19: S₉(z) + S₅(z−1) + S₅(z+1),  7: S₅(z) + G(z−1) + G(z+1),
/// with S₉ the 3×3 in-plane box sum (separable) and S₅ the in-plane cross (centre + 4 faces).
/// Ranks are half-integers, so every sum is exact in float32 and Rₜ² exact in float64.
struct ReHoSlab {
    let grid: Grid
    let z0: Int
    let z1: Int
    let indices: UnsafeBufferPointer<Int>
    let neighbourhood: ReHoNeighbourhood

    /// Adds Σₜ Rₜ² of every in-mask voxel with z in [z0, z1) to `squares` (indexed by mask position).
    func accumulateSquaredRankSums(_ ranks: UnsafePointer<Float>, rows: Int, voxels: Int,
                                   into squares: UnsafeMutablePointer<Double>) {
        let w = grid.nx + 2, plane = w * (grid.ny + 2), planes = z1 - z0 + 2, total = planes * plane
        let planeVoxels = grid.nx * grid.ny
        let lo = lowerBound(max(0, z0 - 1) * planeVoxels), hi = lowerBound(min(grid.nz, z1 + 1) * planeVoxels)
        let ownLo = lowerBound(z0 * planeVoxels), ownHi = lowerBound(z1 * planeVoxels)
        guard ownHi > ownLo else { return }

        // Offset of each scattered voxel inside the padded slab.
        let offsets = UnsafeMutablePointer<Int32>.allocate(capacity: hi - lo)
        let buffers = UnsafeMutablePointer<Float>.allocate(capacity: 4 * total)
        defer { offsets.deallocate(); buffers.deallocate() }
        buffers.initialize(repeating: 0, count: 4 * total)
        for p in lo..<hi {
            let (x, y, z) = grid.coordinates(of: indices[p])
            offsets[p - lo] = Int32((z - (z0 - 1)) * plane + (y + 1) * w + (x + 1))
        }
        let g = buffers, h = buffers + total, box = buffers + 2 * total, cross = buffers + 3 * total
        let (centre, side): (UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>)
        switch neighbourhood {
        case .vertices: (centre, side) = (box, box)
        case .edges: (centre, side) = (box, cross)
        case .faces: (centre, side) = (cross, g)
        }
        let needBox = neighbourhood != .faces, needCross = neighbourhood != .vertices

        for t in 0..<rows {
            let row = ranks + t * voxels
            for p in lo..<hi { g[Int(offsets[p - lo])] = row[p] }
            Self.rowSums(g, into: h, count: total)
            if needBox { Self.verticalSum(h, h, h, stride: w, into: box, count: total) }
            if needCross { Self.verticalSum(g, h, g, stride: w, into: cross, count: total) }
            for p in ownLo..<ownHi {
                let o = Int(offsets[p - lo])
                let r = Double(centre[o] + side[o - plane] + side[o + plane])
                squares[p] += r * r
            }
        }
    }

    /// h[i] = g[i−1] + g[i] + g[i+1] (garbage only in halo columns, which are never read).
    static func rowSums(_ g: UnsafePointer<Float>, into h: UnsafeMutablePointer<Float>, count: Int) {
        for i in 1..<(count - 1) { h[i] = g[i - 1] + g[i] + g[i + 1] }
    }

    /// out[i] = above[i − stride] + middle[i] + below[i + stride].
    static func verticalSum(_ above: UnsafePointer<Float>, _ middle: UnsafePointer<Float>, _ below: UnsafePointer<Float>,
                            stride: Int, into out: UnsafeMutablePointer<Float>, count: Int) {
        for i in stride..<(count - stride) { out[i] = above[i - stride] + middle[i] + below[i + stride] }
    }

    /// First mask position whose linear index is ≥ `x`.
    func lowerBound(_ x: Int) -> Int {
        var lo = 0, hi = indices.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if indices[mid] < x { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
