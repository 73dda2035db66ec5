import Foundation
import Kernels
import NIfTI

/// A seed region for connectivity: an MNI sphere, an atlas label, or a mask image.
public enum Seed: Sendable, Equatable, Codable, CustomStringConvertible {
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
        case .label(let atlas, let index): return "\(imageStem(of: atlas))-\(index)"
        case .mask(let path): return imageStem(of: path)
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
    public func positions(in mask: VoxelMask, parallelism: Parallelism) throws -> [Int] {
        let grid = mask.grid
        let linear: [Int]
        switch self {
        case .sphere(let s):
            linear = s.nilearnVoxels(in: mask)
        case .label(let atlas, let index):
            let labels = try atlasLabelsOnGrid(atlas, grid: grid, parallelism: parallelism)
            linear = mask.indices.filter { Int(labels[$0]) == index }
        case .mask(let path):
            let (values, _, _) = try valuesOnGrid(path, grid: grid, parallelism: parallelism)
            linear = mask.indices.filter { values[$0] != 0 && values[$0].isFinite }
        }
        let positions = mask.positions(of: linear)
        guard !positions.isEmpty else {
            throw RegionError.emptySeed(name: name, detail: "\(description) does not overlap the brain mask")
        }
        return positions
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
