import Foundation
import Kernels
import NIfTI

/// A sphere in world (MNI) millimetres.
public struct Sphere: Sendable, Equatable, Codable {
    public var name: String
    public var centre: (x: Double, y: Double, z: Double)
    public var radius: Double

    public init(name: String, x: Double, y: Double, z: Double, radius: Double) {
        self.name = name
        centre = (x, y, z)
        self.radius = radius
    }

    /// `NAME:x,y,z,r`, numbers as `%g` (so `PAG:0,-30,-10,6` reads back as written).
    public var specification: String {
        "\(name):" + [centre.x, centre.y, centre.z, radius].map { String(format: "%g", $0) }.joined(separator: ",")
    }

    /// Parses `NAME:x,y,z,r`.
    public init(parsing spec: String) throws {
        guard let colon = spec.lastIndex(of: ":") else { throw RegionError.invalidSphere(spec: spec, reason: "missing ':'") }
        let name = String(spec[..<colon]).trimmingCharacters(in: .whitespaces)
        let numbers = spec[spec.index(after: colon)...].split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !name.isEmpty else { throw RegionError.invalidSphere(spec: spec, reason: "the name is empty") }
        guard numbers.count == 4, numbers.allSatisfy({ $0 != nil && $0!.isFinite }) else {
            throw RegionError.invalidSphere(spec: spec, reason: "needs four numbers x,y,z,r")
        }
        guard numbers[3]! > 0 else { throw RegionError.invalidSphere(spec: spec, reason: "the radius must be positive") }
        self.init(name: name, x: numbers[0]!, y: numbers[1]!, z: numbers[2]!, radius: numbers[3]!)
    }

    public static func == (a: Sphere, b: Sphere) -> Bool {
        a.name == b.name && a.centre == b.centre && a.radius == b.radius
    }

    private enum CodingKeys: String, CodingKey { case name, centre, radius }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let xyz = try c.decode([Double].self, forKey: .centre)
        guard xyz.count == 3 else {
            throw DecodingError.dataCorruptedError(forKey: .centre, in: c, debugDescription: "centre needs three coordinates x, y, z")
        }
        self.init(name: try c.decode(String.self, forKey: .name), x: xyz[0], y: xyz[1], z: xyz[2],
                  radius: try c.decode(Double.self, forKey: .radius))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode([centre.x, centre.y, centre.z], forKey: .centre)
        try c.encode(radius, forKey: .radius)
    }

    /// Linear indices of the voxels of `grid` whose centres lie within the radius (sorted).
    public func voxels(in grid: Grid) -> [Int] {
        guard let inverse = grid.affine.inverse else { return [] }
        // Voxel-space bounding box of the sphere's bounding cube.
        var lo = [Double](repeating: .infinity, count: 3), hi = [Double](repeating: -.infinity, count: 3)
        for dx in [-radius, radius] { for dy in [-radius, radius] { for dz in [-radius, radius] {
            let p = inverse.apply(centre.x + dx, centre.y + dy, centre.z + dz)
            for (a, v) in [p.0, p.1, p.2].enumerated() { lo[a] = min(lo[a], v); hi[a] = max(hi[a], v) }
        } } }
        let dims = [grid.nx, grid.ny, grid.nz]
        let lower = (0..<3).map { max(0, Int(lo[$0].rounded(.down)) - 1) }
        let upper = (0..<3).map { min(dims[$0] - 1, Int(hi[$0].rounded(.up)) + 1) }
        guard (0..<3).allSatisfy({ lower[$0] <= upper[$0] }) else { return [] }
        let r2 = radius * radius
        var out: [Int] = []
        for k in lower[2]...upper[2] { for j in lower[1]...upper[1] { for i in lower[0]...upper[0] {
            let w = grid.affine.apply(Double(i), Double(j), Double(k))
            let d2 = (w.0 - centre.x) * (w.0 - centre.x) + (w.1 - centre.y) * (w.1 - centre.y) + (w.2 - centre.z) * (w.2 - centre.z)
            if d2 <= r2 { out.append(grid.index(i, j, k)) }
        } } }
        return out
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
