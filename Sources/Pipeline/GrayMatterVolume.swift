import Foundation
import Kernels
import NIfTI

/// Regional gray-matter volume: per region, voxel count, Σ probability × voxel volume, and mean
/// probability, plus total GM and (with WM and CSF maps) total intracranial volume.
public enum GrayMatterVolume {
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
    public static func measure(gm gmPath: String, wm: String? = nil, csf: String? = nil, regions: RegionDefinition,
                               parallelism: Parallelism) throws -> Result {
        let grid = try checkedGrid(gmPath)
        return try measure(gm: gmPath, wm: wm, csf: csf,
                           prepared: PreparedRegions(regions, grid: grid, mapPath: gmPath, parallelism: parallelism))
    }

    /// Computes the table with regions already prepared for the map's grid (cohorts reuse them).
    public static func measure(gm gmPath: String, wm: String? = nil, csf: String? = nil, prepared: PreparedRegions) throws -> Result {
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

    /// The TSV table: `index name voxels volume_mm3 mean_prob label_volume_mm3`. `label_volume_mm3` (voxels ×
    /// voxel volume) is the volume of a segmentation label itself — the measure for deep grey matter, which
    /// tissue classifiers under-segment (FreeSurfer's aseg.stats reports the same).
    public static func table(_ result: Result) -> TSVTable {
        TSVTable(columns: ["index", "name", "voxels", "volume_mm3", "mean_prob", "label_volume_mm3"], rows: result.rows.map {
            [String($0.index), $0.name, String($0.voxels), TSVTable.format($0.volumeMM3), $0.meanProbability.map(TSVTable.format) ?? "n/a",
             TSVTable.format(Double($0.voxels) * result.voxelVolumeMM3)]
        })
    }
}

extension GrayMatterVolume {
    /// Runs many GM maps against the same regions, several at a time (each map is streamed with
    /// its own read-ahead thread). A map that fails does not stop the others: its slot holds the error.
    /// Regions are prepared once per distinct grid. Results come back in input order.
    public static func measureCohort(gms: [String], wms: [String]? = nil, csfs: [String]? = nil,
                                     regions: RegionDefinition, parallelism: Parallelism) -> [Swift.Result<Result, Error>] {
        precondition(wms.map { $0.count == gms.count } ?? true && csfs.map { $0.count == gms.count } ?? true,
                     "one WM and one CSF map per GM map")
        var cache: [Grid: Swift.Result<PreparedRegions, Error>] = [:]
        let grids: [Swift.Result<Grid, Error>] = gms.map { path in Swift.Result { try checkedGrid(path) } }
        for case .success(let grid) in grids where cache[grid] == nil {
            let example = gms[grids.firstIndex { (try? $0.get()) == grid }!]
            cache[grid] = Swift.Result { try PreparedRegions(regions, grid: grid, mapPath: example, parallelism: parallelism) }
        }
        let prepared = UnsafeSendableBox(cache)
        // One map per worker: each streams with its own read-ahead thread.
        return parallelism.map(chunks: gms.count) { n in
            Swift.Result {
                let grid = try grids[n].get()
                return try measure(gm: gms[n], wm: wms?[n], csf: csfs?[n], prepared: try prepared.value[grid]!.get())
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
        return imageStem(of: path)
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
