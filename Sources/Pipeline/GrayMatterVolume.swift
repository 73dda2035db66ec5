import Foundation
import Kernels
import NIfTI

/// Regional gray-matter volume: per region, voxel count, Σ probability × voxel volume, and mean
/// probability, plus total GM and (with WM and CSF maps) total intracranial volume.
public enum GrayMatterVolume {
    /// Where the regions come from.
    public enum Regions: Sendable {
        /// An integer label image and an optional label table.
        case atlas(path: String, labels: String?)
        /// Spheres and/or binary masks, numbered 1… in the order given (spheres first).
        case custom(spheres: [Sphere], masks: [(name: String, path: String)])
    }

    /// One row of the output table.
    public struct Row: Sendable, Equatable {
        public var index: Int
        public var name: String
        public var voxels: Int
        public var volumeMM3: Double
        /// nil when the region has no voxel in the map.
        public var meanProbability: Double?
    }

    public struct Result: Sendable {
        public var rows: [Row]
        public var voxelVolumeMM3: Double
        public var totalGrayMatterMM3: Double
        public var totalWhiteMatterMM3: Double?
        public var totalCSFMM3: Double?
        /// GM + WM + CSF volume, when both WM and CSF maps were given.
        public var tivMM3: Double? {
            guard let wm = totalWhiteMatterMM3, let csf = totalCSFMM3 else { return nil }
            return totalGrayMatterMM3 + wm + csf
        }
        public var nanVoxels: Int
        public var belowZero: Int
        public var aboveOne: Int
        public var resampledRegions: Bool
        /// Informational lines for the log.
        public var notes: [String]
        public var warnings: [String]
    }

    /// Computes the table. The GM map is streamed once; regions are carried onto its grid first.
    public static func run(gm gmPath: String, wm: String? = nil, csf: String? = nil, regions: Regions) throws -> Result {
        let gmImage = try NIfTIImage(path: gmPath)
        guard gmImage.header.frames == 1 else {
            throw NIfTIError.invalidField(path: gmPath, field: "dim", value: "\(gmImage.header.dim)", expected: "a 3D probability map")
        }
        let grid = gmImage.grid
        let voxelVolume = grid.affine.voxelVolume
        var notes: [String] = [], warnings: [String] = []
        var rows: [Row] = []
        var resampled = false
        var sums: RegionalSums
        var total = RegionalSums(maxLabel: 0)

        switch regions {
        case .atlas(let atlasPath, let labelPath):
            let atlasImage = try NIfTIImage(path: atlasPath)
            let atlas = try atlasImage.readVolume3D()
            let native = try labels(of: atlas.voxels, grid: atlas.grid, path: atlasPath)
            let present = Array(Set(native)).filter { $0 != 0 }.sorted()
            var onGrid = native
            if !atlas.grid.matches(grid) {
                guard let map = NearestNeighbourMap(from: atlas.grid, to: grid) else { throw RegionError.singularAffine(path: atlasPath) }
                onGrid = map.apply(native, fill: 0)
                resampled = true
                notes.append("atlas \(atlasPath) (\(atlas.grid)) resampled to the map grid (\(grid)) by nearest neighbour")
                if orientation(atlas.grid) != orientation(grid) {
                    notes.append("atlas orientation \(orientation(atlas.grid)) differs from the map's \(orientation(grid)); mapped through the affines")
                }
            }
            let table = try labelPath.map { try LabelTable(contentsOf: $0) } ?? LabelTable(names: [:])
            let maxLabel = Int(present.last ?? 0)
            sums = RegionalSums(maxLabel: maxLabel)
            try gmImage.forEachChunk { first, values in
                onGrid.withUnsafeBufferPointer { l in
                    sums.add(labels: l.baseAddress! + first, values: values.baseAddress!, count: values.count)
                }
                total.add(values, toLabel: 0)
            }
            if !present.isEmpty && !onGrid.contains(where: { $0 != 0 }) {
                throw RegionError.noOverlap(path: atlasPath, reference: gmPath)
            }
            let inGrid = Set(onGrid)
            for label in present.map(Int.init) {
                rows.append(row(label, table.name(of: label), sums, label, voxelVolume))
                if !inGrid.contains(UInt16(label)) {
                    warnings.append("region \(label) (\(table.name(of: label))) of \(atlasPath) falls outside the map's field of view: reported with 0 voxels")
                }
            }
            if labelPath != nil {
                let unnamed = present.filter { table.names[Int($0)] == nil }
                if !unnamed.isEmpty { warnings.append("\(unnamed.count) atlas label(s) missing from the label table were named label-<index>: \(unnamed.prefix(10).map(String.init).joined(separator: ", "))") }
            }

        case .custom(let spheres, let masks):
            var regionIndices: [(String, [Int])] = spheres.map { ($0.name, $0.voxels(in: grid)) }
            for (name, path) in masks {
                let (values, wasResampled, _) = try valuesOnGrid(path, grid: grid)
                if wasResampled {
                    resampled = true
                    notes.append("ROI \(name) (\(path)) resampled to the map grid by nearest neighbour")
                }
                regionIndices.append((name, values.indices.filter { values[$0] != 0 && values[$0].isFinite }))
            }
            sums = RegionalSums(maxLabel: regionIndices.count)
            var positions = [Int](repeating: 0, count: regionIndices.count)
            try gmImage.forEachChunk { first, values in
                for (r, region) in regionIndices.enumerated() {
                    positions[r] = region.1.withUnsafeBufferPointer {
                        sums.add(label: r + 1, indices: $0, from: positions[r], chunkStart: first, values: values)
                    }
                }
                total.add(values, toLabel: 0)
            }
            for (r, region) in regionIndices.enumerated() {
                rows.append(row(r + 1, region.0, sums, r + 1, voxelVolume))
                if region.1.isEmpty { warnings.append("region \(region.0) has no voxel in the map's field of view: reported with 0 voxels") }
            }
        }

        if total.nanCount[0] > 0 { warnings.append("\(gmPath): \(total.nanCount[0]) NaN voxel(s) excluded") }
        if total.belowZero[0] + total.aboveOne[0] > 0 {
            warnings.append("\(gmPath): \(total.belowZero[0]) value(s) below 0 and \(total.aboveOne[0]) above 1 (kept as they are)")
        }
        let wmTotal = try wm.map { try totalVolume($0, grid: grid, reference: gmPath) }
        let csfTotal = try csf.map { try totalVolume($0, grid: grid, reference: gmPath) }
        return Result(rows: rows, voxelVolumeMM3: voxelVolume, totalGrayMatterMM3: total.sums[0] * voxelVolume,
                      totalWhiteMatterMM3: wmTotal, totalCSFMM3: csfTotal,
                      nanVoxels: total.nanCount[0], belowZero: total.belowZero[0], aboveOne: total.aboveOne[0],
                      resampledRegions: resampled, notes: notes, warnings: warnings)
    }

    static func row(_ index: Int, _ name: String, _ sums: RegionalSums, _ slot: Int, _ voxelVolume: Double) -> Row {
        let n = sums.voxels[slot]
        return Row(index: index, name: name, voxels: n, volumeMM3: sums.sums[slot] * voxelVolume,
                   meanProbability: n > 0 ? sums.sums[slot] / Double(n) : nil)
    }

    /// Σ probability × voxel volume of a whole map that must share the GM grid.
    static func totalVolume(_ path: String, grid: Grid, reference: String) throws -> Double {
        let image = try NIfTIImage(path: path)
        try image.requireGrid(grid, referencePath: reference)
        var sums = RegionalSums(maxLabel: 0)
        try image.forEachChunk { _, values in sums.add(values, toLabel: 0) }
        return sums.sums[0] * grid.affine.voxelVolume
    }

    /// Axis codes of a grid's affine (e.g. "RAS", "LAS"), as nibabel's aff2axcodes.
    static func orientation(_ grid: Grid) -> String {
        let names = [("L", "R"), ("P", "A"), ("I", "S")]
        return (0..<3).map { column -> String in
            let v = (0..<3).map { grid.affine[$0, column] }
            let axis = (0..<3).max { abs(v[$0]) < abs(v[$1]) }!
            return v[axis] >= 0 ? names[axis].1 : names[axis].0
        }.joined()
    }

    /// The TSV table: `index name voxels volume_mm3 mean_prob`.
    public static func table(_ result: Result) -> TSVTable {
        TSVTable(columns: ["index", "name", "voxels", "volume_mm3", "mean_prob"], rows: result.rows.map {
            [String($0.index), $0.name, String($0.voxels), TSVTable.format($0.volumeMM3), $0.meanProbability.map(TSVTable.format) ?? "n/a"]
        })
    }

    /// The JSON sidecar: totals, TIV, invalid-value counts, inputs and warnings.
    public static func sidecar(_ result: Result, inputs: [(String, String)]) -> JSONValue {
        .object([
            ("Software", .string("cohortex \(CohortexVersion.string)")),
            ("Measure", .string("gray-matter volume: sum of probability x voxel volume per region")),
            ("Inputs", .object(inputs.map { ($0.0, .string($0.1)) })),
            ("VoxelVolumeMM3", .number(result.voxelVolumeMM3)),
            ("RegionsResampledNearestNeighbour", .bool(result.resampledRegions)),
            ("TotalGrayMatterMM3", .number(result.totalGrayMatterMM3)),
            ("TotalWhiteMatterMM3", .number(result.totalWhiteMatterMM3)),
            ("TotalCSFMM3", .number(result.totalCSFMM3)),
            ("TotalIntracranialVolumeMM3", .number(result.tivMM3)),
            ("NaNVoxels", .int(result.nanVoxels)),
            ("ValuesBelowZero", .int(result.belowZero)),
            ("ValuesAboveOne", .int(result.aboveOne)),
            ("Notes", .array(result.notes.map { .string($0) })),
            ("Warnings", .array(result.warnings.map { .string($0) })),
        ])
    }
}
