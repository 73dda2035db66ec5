import Geometry

/// Nearest-neighbour mapping between grids through their affines, with scipy/nilearn semantics
/// (`resample_to_img(..., interpolation="nearest")`): a target voxel takes the source voxel at
/// `floor(x + 0.5)` of its source coordinate x, and lies outside when any x < 0 or x > n − 1.
public struct NearestNeighbourMap: Sendable {
    public let source: Grid
    public let target: Grid
    /// For every target voxel, the source linear index, or −1 outside the source's field of view.
    public let sourceIndex: [Int32]

    /// Builds the map (z-planes split over `parallelism`); nil when the source affine is singular.
    public init?(from source: Grid, to target: Grid, parallelism: Parallelism) {
        guard let inverse = source.affine.inverse else { return nil }
        self.source = source
        self.target = target
        let t = inverse.composed(after: target.affine)  // target voxel → source voxel
        let m = t.m
        let (nx, ny, nz) = (target.nx, target.ny, target.nz)
        let (sx, sy, sz) = (Double(source.nx - 1), Double(source.ny - 1), Double(source.nz - 1))
        let sliceSize = nx * ny
        var out = [Int32](repeating: -1, count: target.voxelCount)
        out.withUnsafeMutableBufferPointer { buffer in
            let box = UnsafeSendableBox(buffer)
            parallelism.forEach(chunks: nz) { k in
                let o = box.value
                for j in 0..<ny {
                    for i in 0..<nx {
                        let (di, dj, dk) = (Double(i), Double(j), Double(k))
                        let x = m[0] * di + m[1] * dj + m[2] * dk + m[3]
                        let y = m[4] * di + m[5] * dj + m[6] * dk + m[7]
                        let z = m[8] * di + m[9] * dj + m[10] * dk + m[11]
                        guard x >= 0, y >= 0, z >= 0, x <= sx, y <= sy, z <= sz else { continue }
                        let si = Int((x + 0.5).rounded(.down)), sj = Int((y + 0.5).rounded(.down)), sk = Int((z + 0.5).rounded(.down))
                        o[k * sliceSize + j * nx + i] = Int32(source.index(min(si, source.nx - 1), min(sj, source.ny - 1), min(sk, source.nz - 1)))
                    }
                }
            }
        }
        sourceIndex = out
    }

    /// `values` (one per source voxel) carried onto the target grid; `fill` outside the source.
    public func apply<T: Sendable>(_ values: [T], fill: T) -> [T] {
        precondition(values.count == source.voxelCount, "one value per source voxel")
        return sourceIndex.map { $0 >= 0 ? values[Int($0)] : fill }
    }
}
