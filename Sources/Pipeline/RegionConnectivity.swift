import Foundation
import Kernels
import NIfTI

/// ROI-to-ROI connectivity: the mean raw signal of every atlas region (labels carried onto the BOLD
/// grid by nearest neighbour), cleaned like any voxel, then a correlation or partial-correlation
/// matrix (nilearn `NiftiLabelsMasker` + `ConnectivityMeasure`). Several runs are averaged in Fisher z.
public enum RegionConnectivity {
    public struct Result: Sendable {
        public var labels: [Int]
        public var names: [String]
        /// Matrix of the chosen kind (r or partial r), regions × regions; for several runs tanh(mean z).
        public var matrix: [Double]
        /// Fisher z of `matrix`, NaN on the diagonal.
        public var z: [Double]
        /// Cleaned, z-scored region series of the last run (volumes × regions).
        public var series: [[Double]]
        /// Labels present in the atlas but with no voxel on the BOLD grid.
        public var vanished: [(label: Int, name: String)]
        public var qc: [RunQC]
        public var notes: [String]
        public var warnings: [String]
    }

    /// Region signals of every run, their matrix of `kind`, averaged over runs in Fisher z.
    public static func compute(runs: [FunctionalRun], atlas atlasPath: String, labels labelPath: String?,
                               kind: ConnectivityMatrix.Kind, estimator: ConnectivityMatrix.Estimator,
                               options: DenoisingOptions, parallelism: Parallelism) throws -> Result {
        guard let first = runs.first else { throw RequestError.missingInput(what: "BOLD series") }
        let firstImage = try NIfTIImage(path: first.bold)
        try firstImage.checkVoxelDataSize()  // the atlas is carried onto this grid before any voxel is read
        let grid = firstImage.grid
        let prepared = try PreparedRegions(.atlas(path: atlasPath, labels: labelPath), grid: grid, mapPath: first.bold,
                                           parallelism: parallelism)
        let onGrid = prepared.labels!
        let mask = VoxelMask(grid: grid, indices: onGrid.indices.filter { onGrid[$0] != 0 })
        var members: [Int: [Int]] = [:]
        for (position, voxel) in mask.indices.enumerated() { members[Int(onGrid[voxel]), default: []].append(position) }
        let regions = prepared.atlasRows.filter { members[$0.label] != nil }
        let vanished = prepared.atlasRows.filter { members[$0.label] == nil }
        var warnings = prepared.warnings.filter { !$0.contains("outside the map's field of view") }
        if !vanished.isEmpty {
            warnings.append("\(vanished.count) atlas region(s) have no voxel on the BOLD grid and are left out of the matrix: "
                            + vanished.map { "\($0.label) (\($0.name))" }.joined(separator: ", "))
        }
        let r = regions.count
        guard r >= 2 else { throw RegionError.tooFewRegions(path: atlasPath, regions: r) }
        var accumulator = FisherZAccumulator(maps: 1, count: r * r)
        var qcs: [RunQC] = []
        var lastSeries: [[Double]] = []
        for run in runs {
            let loaded = try LoadedRun.load(run, mask: mask, maskPath: atlasPath, options: options, parallelism: parallelism)
            var qc = loaded.qc
            var series: [[Double]] = []
            for region in regions {
                let raw = loaded.meanSeries(positions: members[region.label]!)
                guard raw.allSatisfy(\.isFinite) else {
                    throw RegionError.emptySeed(name: region.name, detail: "every voxel of region \(region.label) in \(run.bold) holds NaN/Inf")
                }
                series.append(CleaningOperator.zscored(loaded.cleaning.apply(raw)))
            }
            let constant = series.enumerated().filter { $0.element.allSatisfy { abs($0) < 1e-12 } }
            if !constant.isEmpty {
                warnings.append("\(run.bold): \(constant.count) region(s) have zero variance after cleaning: " + constant.map { regions[$0.offset].name }.joined(separator: ", "))
            }
            let matrix = try ConnectivityMatrix.compute(series, kind: kind, estimator: estimator)
            accumulator.add(matrix.map(FisherZ.z))
            warnings += qc.notes
            if qc.nonFiniteVoxels > 0 { warnings.append("\(run.bold): \(qc.nonFiniteVoxels) labelled voxel(s) hold NaN/Inf; left out of their region's mean") }
            qc.seedVoxels = nil
            qcs.append(qc)
            lastSeries = series
        }
        var z = accumulator.mean(0, empty: .nan)
        var matrix = z.map { tanh($0) }
        for i in 0..<r {
            z[i * r + i] = .nan
            matrix[i * r + i] = 1
        }
        return Result(labels: regions.map(\.label), names: regions.map(\.name), matrix: matrix, z: z,
                      series: lastSeries, vanished: vanished.map { ($0.label, $0.name) }, qc: qcs,
                      notes: prepared.notes, warnings: warnings)
    }

    /// A square matrix as TSV: first column `Node` (XCP-D's `relmat` layout, so its readers work unchanged),
    /// then one column per region name.
    public static func table(_ values: [Double], names: [String]) -> TSVTable {
        let r = names.count
        return TSVTable(columns: ["Node"] + names, rows: (0..<r).map { i in
            [names[i]] + (0..<r).map { TSVTable.format(values[i * r + $0]) }
        })
    }

    /// Region series as TSV: one column per region, one row per kept volume.
    public static func seriesTable(_ series: [[Double]], names: [String]) -> TSVTable {
        let n = series.first?.count ?? 0
        return TSVTable(columns: names, rows: (0..<n).map { t in series.map { TSVTable.format($0[t]) } })
    }
}
