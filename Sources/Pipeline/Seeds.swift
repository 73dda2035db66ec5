import Foundation
import Kernels
import NIfTI

/// A seed region for connectivity: an MNI sphere, an atlas label, or a mask image.
public enum Seed: Sendable, Equatable, CustomStringConvertible {
    case sphere(Sphere)
    case label(atlas: String, index: Int)
    case mask(path: String)

    /// Parses `--seed-label ATLAS:INDEX`.
    public static func label(parsing spec: String) throws -> Seed {
        guard let colon = spec.lastIndex(of: ":"), let index = Int(spec[spec.index(after: colon)...]), index > 0 else {
            throw RegionError.invalidROI(spec: spec, reason: "expected ATLAS:INDEX with a positive integer label")
        }
        return .label(atlas: String(spec[..<colon]), index: index)
    }

    public var name: String {
        switch self {
        case .sphere(let s): return s.name
        case .label(let atlas, let index): return "\(GrayMatterVolume.stem(of: atlas))-\(index)"
        case .mask(let path): return GrayMatterVolume.stem(of: path)
        }
    }

    public var description: String {
        switch self {
        case .sphere(let s): return "sphere \(s.name) at (\(s.centre.x), \(s.centre.y), \(s.centre.z)) mm, radius \(s.radius) mm"
        case .label(let atlas, let index): return "label \(index) of \(atlas)"
        case .mask(let path): return "mask \(path)"
        }
    }

    /// Positions (columns of the masked series) of the seed's voxels within `mask`.
    public func positions(in mask: VoxelMask) throws -> [Int] {
        let grid = mask.grid
        let linear: [Int]
        switch self {
        case .sphere(let s):
            linear = s.nilearnVoxels(in: mask)
        case .label(let atlas, let index):
            let (values, _, _) = try valuesOnGrid(atlas, grid: grid)
            linear = mask.indices.filter { values[$0] == Float(index) }
        case .mask(let path):
            let (values, _, _) = try valuesOnGrid(path, grid: grid)
            linear = mask.indices.filter { values[$0] != 0 && values[$0].isFinite }
        }
        let positions = mask.positions(of: linear)
        guard !positions.isEmpty else {
            throw RegionError.emptySeed(name: name, detail: "\(description) does not overlap the brain mask")
        }
        return positions
    }
}

extension Sphere {
    /// The voxels nilearn's `NiftiSpheresMasker` takes for this sphere among the in-mask voxels:
    /// centres within the radius (world mm, inclusive), plus the voxel nearest the centre (rounded
    /// half-to-even, as numpy) and any voxel whose world coordinates truncate to the centre's.
    public func nilearnVoxels(in mask: VoxelMask) -> [Int] {
        let grid = mask.grid
        var chosen = Set(voxels(in: grid))
        if let inverse = grid.affine.inverse {
            let p = inverse.apply(centre.x, centre.y, centre.z)
            let ijk = [p.0, p.1, p.2].map { Int($0.rounded(.toNearestOrEven)) }
            if ijk[0] >= 0, ijk[1] >= 0, ijk[2] >= 0, ijk[0] < grid.nx, ijk[1] < grid.ny, ijk[2] < grid.nz {
                chosen.insert(grid.index(ijk[0], ijk[1], ijk[2]))
            }
        }
        let target = [Int(centre.x), Int(centre.y), Int(centre.z)]
        for i in Sphere(name: name, x: centre.x, y: centre.y, z: centre.z, radius: max(radius, 2) + 2).voxels(in: grid) {
            let c = grid.coordinates(of: i)
            let w = grid.affine.apply(Double(c.0), Double(c.1), Double(c.2))
            if [Int(w.0), Int(w.1), Int(w.2)] == target { chosen.insert(i) }
        }
        let inMask = Set(mask.indices)
        return chosen.filter { inMask.contains($0) }.sorted()
    }
}

extension VoxelMask {
    /// Positions in `indices` of the given linear voxel indices that lie in the mask (sorted input).
    public func positions(of linear: [Int]) -> [Int] {
        var out: [Int] = []
        var p = 0
        for i in linear.sorted() {
            while p < indices.count && indices[p] < i { p += 1 }
            if p < indices.count && indices[p] == i { out.append(p) }
        }
        return out
    }
}
