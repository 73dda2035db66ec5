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
        public init(_ regions: Regions, grid: Grid, mapPath: String) throws {
            self.grid = grid
            var notes: [String] = [], warnings: [String] = []
            var resampled = false
            switch regions {
            case .atlas(let atlasPath, let labelPath):
                let atlas = try NIfTIImage(path: atlasPath).readVolume3D()
                let native = try Pipeline.labels(of: atlas.voxels, grid: atlas.grid, path: atlasPath)
                let present = labelsPresent(native)
                var onGrid = native
                if !atlas.grid.matches(grid) {
                    guard let map = NearestNeighbourMap(from: atlas.grid, to: grid) else { throw RegionError.singularAffine(path: atlasPath) }
                    onGrid = map.apply(native, fill: 0)
                    resampled = true
                    notes.append("atlas \(atlasPath) (\(atlas.grid)) resampled to the map grid (\(grid)) by nearest neighbour")
                    let (a, b) = (GrayMatterVolume.orientation(atlas.grid), GrayMatterVolume.orientation(grid))
                    if a != b { notes.append("atlas orientation \(a) differs from the map's \(b); mapped through the affines") }
                }
                let inGrid = Set(labelsPresent(onGrid))
                if !present.isEmpty && inGrid.isEmpty {
                    throw RegionError.noOverlap(path: atlasPath, reference: mapPath)
                }
                let table = try labelPath.map { try LabelTable(contentsOf: $0) } ?? LabelTable(names: [:])
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
                maxLabel = present.last ?? 0
            case .custom(let spheres, let masks):
                var lists: [(index: Int, name: String, voxels: [Int])] = spheres.enumerated().map { ($0 + 1, $1.name, $1.voxels(in: grid)) }
                for (name, path) in masks {
                    let (values, wasResampled, _) = try valuesOnGrid(path, grid: grid)
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

    /// Computes the table. The GM map is streamed once; regions are carried onto its grid first.
    public static func run(gm gmPath: String, wm: String? = nil, csf: String? = nil, regions: Regions) throws -> Result {
        let grid = try checkedGrid(gmPath)
        return try run(gm: gmPath, wm: wm, csf: csf, prepared: PreparedRegions(regions, grid: grid, mapPath: gmPath))
    }

    /// Computes the table with regions already prepared for the map's grid (cohorts reuse them).
    public static func run(gm gmPath: String, wm: String? = nil, csf: String? = nil, prepared: PreparedRegions) throws -> Result {
        let gmImage = try NIfTIImage(path: gmPath)
        guard gmImage.header.frames == 1 else {
            throw NIfTIError.invalidField(path: gmPath, field: "dim", value: "\(gmImage.header.dim)", expected: "a 3D probability map")
        }
        let grid = gmImage.grid
        try gmImage.requireGrid(prepared.grid, referencePath: "the grid the regions were prepared for")
        let voxelVolume = grid.affine.voxelVolume
        var sums = RegionalSums(maxLabel: prepared.maxLabel)
        var total = RegionalSums(maxLabel: 0)
        var positions = [Int](repeating: 0, count: prepared.lists.count)
        try gmImage.forEachChunk { first, values in
            if let labels = prepared.labels {
                labels.withUnsafeBufferPointer { l in
                    sums.add(labels: l.baseAddress! + first, values: values.baseAddress!, count: values.count)
                }
            }
            for (r, region) in prepared.lists.enumerated() {
                positions[r] = region.voxels.withUnsafeBufferPointer {
                    sums.add(label: region.index, indices: $0, from: positions[r], chunkStart: first, values: values)
                }
            }
            // With an atlas every voxel has a slot (0 = background), so the total falls out of `sums`.
            if prepared.labels == nil { total.add(values, toLabel: 0) }
        }
        if prepared.labels != nil {
            let t = sums.total
            (total.voxels[0], total.sums[0], total.nanCount[0], total.belowZero[0], total.aboveOne[0]) = (t.voxels, t.sum, t.nan, t.belowZero, t.aboveOne)
        }
        let rows = prepared.labels != nil
            ? prepared.atlasRows.map { row($0.label, $0.name, sums, $0.label, voxelVolume) }
            : prepared.lists.map { row($0.index, $0.name, sums, $0.index, voxelVolume) }
        var warnings = prepared.warnings
        if total.nanCount[0] > 0 { warnings.append("\(gmPath): \(total.nanCount[0]) NaN voxel(s) excluded") }
        if total.belowZero[0] + total.aboveOne[0] > 0 {
            warnings.append("\(gmPath): \(total.belowZero[0]) value(s) below 0 and \(total.aboveOne[0]) above 1 (kept as they are)")
        }
        let wmTotal = try wm.map { try totalVolume($0, grid: grid, reference: gmPath) }
        let csfTotal = try csf.map { try totalVolume($0, grid: grid, reference: gmPath) }
        return Result(rows: rows, voxelVolumeMM3: voxelVolume, totalGrayMatterMM3: total.sums[0] * voxelVolume,
                      totalWhiteMatterMM3: wmTotal, totalCSFMM3: csfTotal,
                      nanVoxels: total.nanCount[0], belowZero: total.belowZero[0], aboveOne: total.aboveOne[0],
                      resampledRegions: prepared.resampled, notes: prepared.notes, warnings: warnings)
    }

    /// The non-zero labels occurring in `labels`, ascending (a histogram, not a Set: atlases have millions of voxels).
    static func labelsPresent(_ labels: [UInt16]) -> [Int] {
        var seen = [Bool](repeating: false, count: 65536)
        labels.withUnsafeBufferPointer { l in seen.withUnsafeMutableBufferPointer { s in for v in l { s[Int(v)] = true } } }
        return (1..<65536).filter { seen[$0] }
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

extension GrayMatterVolume {
    /// Runs many GM maps against the same regions, several at a time (each map is streamed with
    /// its own read-ahead thread). A map that fails does not stop the others: its slot holds the error.
    /// Regions are prepared once per distinct grid. Results come back in input order.
    public static func runCohort(gms: [String], wms: [String]? = nil, csfs: [String]? = nil,
                                 regions: Regions) -> [Swift.Result<Result, Error>] {
        precondition(wms.map { $0.count == gms.count } ?? true && csfs.map { $0.count == gms.count } ?? true,
                     "one WM and one CSF map per GM map")
        var cache: [Grid: Swift.Result<PreparedRegions, Error>] = [:]
        let grids: [Swift.Result<Grid, Error>] = gms.map { path in Swift.Result { try checkedGrid(path) } }
        for case .success(let grid) in grids where cache[grid] == nil {
            let example = gms[grids.firstIndex { (try? $0.get()) == grid }!]
            cache[grid] = Swift.Result { try PreparedRegions(regions, grid: grid, mapPath: example) }
        }
        let prepared = UnsafeSendableBox(cache)
        return Parallel.map(chunks: gms.count) { n in
            Swift.Result {
                let grid = try grids[n].get()
                return try run(gm: gms[n], wm: wms?[n], csf: csfs?[n], prepared: try prepared.value[grid]!.get())
            }
        }
    }

    /// The grid of a map whose file can hold the voxels its header claims: regions are carried onto
    /// the grid (arrays of its size) before the map itself is read.
    static func checkedGrid(_ path: String) throws -> Grid {
        let image = try NIfTIImage(path: path)
        try image.checkVoxelDataSize()
        return image.grid
    }

    /// The participant label of a BIDS file name (`sub-01_…` → `sub-01`), else the name without extension.
    public static func participant(of path: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        if let range = name.range(of: #"sub-[A-Za-z0-9]+"#, options: .regularExpression) { return String(name[range]) }
        return stem(of: path)
    }

    /// File name without `.nii`, `.nii.gz`, `.hdr`, `.img`(`.gz`).
    public static func stem(of path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        for ext in [".gz", ".nii", ".hdr", ".img"] where name.hasSuffix(ext) { name = String(name.dropLast(ext.count)) }
        return name
    }

    /// One row per map: `participant_id`, total GM (and TIV when WM/CSF were given), then each region's
    /// volume in mm³, columns named by region — the layout `cohortex glm --table` reads (every column
    /// but `participant_id` numeric; the source files are in each map's sidecar).
    public static func cohortTable(_ results: [(path: String, result: Result)]) -> TSVTable {
        let regionNames = results.first?.result.rows.map(\.name) ?? []
        let withTIV = results.allSatisfy { $0.result.tivMM3 != nil } && !results.isEmpty
        let columns = ["participant_id", "total_gm_mm3"] + (withTIV ? ["tiv_mm3"] : []) + regionNames
        return TSVTable(columns: columns, rows: results.map { item in
            [participant(of: item.path), TSVTable.format(item.result.totalGrayMatterMM3)]
                + (withTIV ? [TSVTable.format(item.result.tivMM3!)] : [])
                + item.result.rows.map { TSVTable.format($0.volumeMM3) }
        })
    }
}
