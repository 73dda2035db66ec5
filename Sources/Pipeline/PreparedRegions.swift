import Foundation
import Kernels
import NIfTI

/// Where regions come from: an integer label atlas, or spheres and binary masks.
public enum RegionDefinition: Sendable, Equatable, Codable {
    /// An integer label image and an optional label table.
    case atlas(path: String, labels: String?)
    /// Spheres and/or binary masks, numbered 1… in the order given (spheres first).
    case custom(spheres: [Sphere], masks: [NamedMask])
}

/// A binary mask image with the name its region gets in tables.
public struct NamedMask: Sendable, Equatable, Codable {
    public var name: String
    public var path: String

    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    /// Parses `NAME:MASK`.
    public init(parsing spec: String) throws {
        guard let colon = spec.firstIndex(of: ":"), colon != spec.startIndex, spec.index(after: colon) != spec.endIndex else {
            throw RegionError.invalidROI(spec: spec, reason: "missing NAME: or path")
        }
        self.init(name: String(spec[..<colon]), path: String(spec[spec.index(after: colon)...]))
    }
}

/// Regions carried onto one map grid, ready to be summed over any map on that grid.
public struct PreparedRegions: Sendable {
    public let grid: Grid
    /// Per-voxel labels on `grid` (atlas), or nil for index-list regions.
    let labels: [UInt16]?
    /// (index, name, voxel indices on `grid`) for index-list regions (spheres, masks).
    let lists: [(index: Int, name: String, voxels: [Int])]
    /// (label, name) for every label present in the native atlas, in order.
    let atlasRows: [(label: Int, name: String)]
    let maxLabel: Int
    public let resampled: Bool
    public let notes: [String]
    public let warnings: [String]

    /// Reads the region definitions and maps them onto `grid` (nearest neighbour when grids differ).
    public init(_ regions: RegionDefinition, grid: Grid, mapPath: String, parallelism: Parallelism) throws {
        self.grid = grid
        var notes: [String] = [], warnings: [String] = []
        var resampled = false
        switch regions {
        case .atlas(let atlasPath, let labelPath):
            let atlas = try NIfTIImage(path: atlasPath).readVolume3D()
            let native = try atlasLabels(of: atlas.voxels, grid: atlas.grid, path: atlasPath)
            let present = labelsPresent(native)
            var onGrid = native
            if !atlas.grid.matches(grid) {
                guard let map = NearestNeighbourMap(from: atlas.grid, to: grid, parallelism: parallelism) else { throw RegionError.singularAffine(path: atlasPath) }
                onGrid = map.apply(native, fill: 0)
                resampled = true
                notes.append("atlas \(atlasPath) (\(atlas.grid)) resampled to the map grid (\(grid)) by nearest neighbour")
                let (a, b) = (atlas.grid.orientation, grid.orientation)
                if a != b { notes.append("atlas orientation \(a) differs from the map's \(b); mapped through the affines") }
            }
            let inGrid = Set(labelsPresent(onGrid))
            if !present.isEmpty && inGrid.isEmpty {
                throw RegionError.noOverlap(path: atlasPath, reference: mapPath)
            }
            let table = try labelPath.map { $0 == FreeSurferLabels.tableName ? FreeSurferLabels.table : try LabelTable(contentsOf: $0) }
                ?? LabelTable(names: [:])
            for label in present where !inGrid.contains(label) {
                warnings.append("region \(label) (\(table.name(of: label))) of \(atlasPath) falls outside the map's field of view: reported with 0 voxels")
            }
            if labelPath != nil {
                let unnamed = present.filter { table.names[$0] == nil }
                if !unnamed.isEmpty {
                    warnings.append("\(unnamed.count) atlas label(s) missing from the label table were named label-<index>: \(unnamed.prefix(10).map(String.init).joined(separator: ", "))")
                }
            }
            labels = onGrid
            lists = []
            atlasRows = present.map { ($0, table.name(of: $0)) }
            var labelNamed: [String: Int] = [:]
            for row in atlasRows {
                if let other = labelNamed[row.name] {
                    throw RegionError.duplicateRegionName(path: labelPath ?? atlasPath, name: row.name, labels: [other, row.label])
                }
                labelNamed[row.name] = row.label
            }
            maxLabel = present.last ?? 0
        case .custom(let spheres, let masks):
            var lists: [(index: Int, name: String, voxels: [Int])] = spheres.enumerated().map { ($0 + 1, $1.name, $1.voxels(in: grid)) }
            for mask in masks {
            let (name, path) = (mask.name, mask.path)
                let (values, wasResampled, _) = try valuesOnGrid(path, grid: grid, parallelism: parallelism)
                if wasResampled {
                    resampled = true
                    notes.append("ROI \(name) (\(path)) resampled to the map grid by nearest neighbour")
                }
                lists.append((lists.count + 1, name, values.indices.filter { values[$0] != 0 && values[$0].isFinite }))
            }
            for region in lists where region.voxels.isEmpty {
                warnings.append("region \(region.name) has no voxel in the map's field of view: reported with 0 voxels")
            }
            labels = nil
            self.lists = lists
            atlasRows = []
            maxLabel = lists.count
        }
        self.resampled = resampled
        self.notes = notes
        self.warnings = warnings
    }
}

extension Grid {
    /// Axis codes of the grid's affine (e.g. "RAS", "LAS"), as nibabel's aff2axcodes.
    var orientation: String {
        let names = [("L", "R"), ("P", "A"), ("I", "S")]
        return (0..<3).map { column -> String in
            let v = (0..<3).map { affine[$0, column] }
            let axis = (0..<3).max { abs(v[$0]) < abs(v[$1]) }!
            return v[axis] >= 0 ? names[axis].1 : names[axis].0
        }.joined()
    }
}
