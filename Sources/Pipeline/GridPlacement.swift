import Foundation
import Kernels
import NIfTI

/// Reads an ROI or label image and carries it onto `grid` (nearest neighbour through the affines
/// when the grids differ). Returns the values on `grid` and whether resampling happened.
func valuesOnGrid(_ path: String, grid: Grid, parallelism: Parallelism) throws -> (values: [Float], resampled: Bool, orientationDiffers: Bool) {
    let image = try NIfTIImage(path: path)
    let volume = try image.readVolume3D()
    if volume.grid.matches(grid) { return (volume.voxels, false, false) }
    guard let map = NearestNeighbourMap(from: volume.grid, to: grid, parallelism: parallelism) else { throw RegionError.singularAffine(path: path) }
    let signs = { (g: Grid) in (0..<3).map { g.affine[$0, $0] >= 0 } }
    return (map.apply(volume.voxels, fill: 0), true, signs(volume.grid) != signs(grid))
}

/// Integer labels of an atlas image; non-integer, negative or huge values are errors naming the voxel.
func atlasLabels(of values: [Float], grid: Grid, path: String) throws -> [UInt16] {
    var out = [UInt16](repeating: 0, count: values.count)
    for (i, v) in values.enumerated() {
        // Range first (false for NaN), then integrality through an exact Int32 round trip (no libm call).
        if v >= 0 && v <= 65535 {
            let label = Int32(v)
            if Float(label) == v {
                out[i] = UInt16(label)
                continue
            }
        }
        let c = grid.coordinates(of: i)
        if v.isFinite && v.rounded() == v {
            throw RegionError.labelOutOfRange(path: path, voxel: [c.0, c.1, c.2], value: v)
        }
        throw RegionError.nonIntegerLabel(path: path, voxel: [c.0, c.1, c.2], value: v)
    }
    return out
}

/// An atlas's integer labels carried onto `grid` (checked on the atlas's own grid first, so a float
/// atlas is refused with the same message wherever an atlas is read).
func atlasLabelsOnGrid(_ path: String, grid: Grid, parallelism: Parallelism) throws -> [UInt16] {
    let atlas = try NIfTIImage(path: path).readVolume3D()
    let native = try atlasLabels(of: atlas.voxels, grid: atlas.grid, path: path)
    if atlas.grid.matches(grid) { return native }
    guard let map = NearestNeighbourMap(from: atlas.grid, to: grid, parallelism: parallelism) else { throw RegionError.singularAffine(path: path) }
    return map.apply(native, fill: 0)
}

/// The non-zero labels occurring in `labels`, ascending (a histogram, not a Set: atlases have millions of voxels).
func labelsPresent(_ labels: [UInt16]) -> [Int] {
    var seen = [Bool](repeating: false, count: 65536)
    labels.withUnsafeBufferPointer { l in seen.withUnsafeMutableBufferPointer { s in for v in l { s[Int(v)] = true } } }
    return (1..<65536).filter { seen[$0] }
}
