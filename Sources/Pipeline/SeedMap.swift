import Foundation
import Kernels
import NIfTI

/// Seed-to-voxel functional connectivity: Pearson r between the cleaned seed series (mean of the raw
/// in-seed voxels, then cleaned, as nilearn's `NiftiSpheresMasker`) and every cleaned in-mask voxel,
/// and Fisher z = atanh(r). Several runs are averaged in z.
public enum SeedMap {
    /// One seed's maps.
    public struct SeedResult: Sendable {
        public var seed: Seed
        /// Fisher z per in-mask voxel (mean over runs), 0 where excluded.
        public var z: [Float]
        /// tanh of `z` (r for a single run).
        public var r: [Float]
        /// Seed voxels used in each run.
        public var seedVoxels: [Int]
    }

    public struct Result: Sendable {
        public var mask: VoxelMask
        public var seeds: [SeedResult]
        public var qc: [RunQC]
        public var excluded: Int
        public var warnings: [String]
        /// Phase times (`COHORTEX_TIMING=1`).
        public var timer = PhaseTimer()

        /// The first (or only) seed's z map.
        public var z: [Float] { seeds[0].z }
        public var r: [Float] { seeds[0].r }
    }

    /// Correlates every seed with every in-mask voxel in each run (all seeds in the same pass) and
    /// averages each z map over the runs where a voxel is valid.
    public static func compute(runs: [FunctionalRun], maskPath: String, seeds: [Seed], options: DenoisingOptions,
                               parallelism: Parallelism) throws -> Result {
        precondition(!seeds.isEmpty, "at least one seed")
        var timer = PhaseTimer()
        let mask = try timer.measure("mask") { try NIfTIImage(path: maskPath).readMask() }
        guard !mask.isEmpty else { throw SignalError.emptyMask(path: maskPath) }
        let seedPositions = try timer.measure("seeds") { try seeds.map { try $0.positions(in: mask, parallelism: parallelism) } }
        var accumulator = FisherZAccumulator(maps: seeds.count, count: mask.count)
        var seedVoxels = [[Int]](repeating: [], count: seeds.count)
        var qcs: [RunQC] = []
        var warnings: [String] = []
        for run in runs {
            // Cleaned while reading; the seed voxels' raw series are kept for nilearn's mean-then-clean order.
            let loaded = try timer.measure("read+clean") {
                try LoadedRun.load(run, mask: mask, maskPath: maskPath, options: options,
                                   storage: .cleaned(extracting: seedPositions.flatMap { $0 }), parallelism: parallelism)
            }
            let (maps, used, qc) = try timer.measure("correlate") {
                try correlate(loaded, seedPositions: seedPositions, seedNames: seeds.map(\.name), parallelism: parallelism)
            }
            accumulator.add(maps) { !maps[0][$0].isNaN }
            for s in 0..<seeds.count { seedVoxels[s].append(used[s]) }
            warnings += qc.notes
            if qc.nonFiniteVoxels > 0 { warnings.append("\(run.bold): \(qc.nonFiniteVoxels) in-mask voxel(s) hold NaN/Inf; excluded") }
            if qc.zeroVarianceVoxels > 0 { warnings.append("\(run.bold): \(qc.zeroVarianceVoxels) in-mask voxel(s) have zero variance; excluded (0 in the maps)") }
            qcs.append(qc)
        }
        let results = seeds.indices.map { s -> SeedResult in
            let z = accumulator.mean(s, empty: 0).map(Float.init)
            return SeedResult(seed: seeds[s], z: z, r: z.map { tanh($0) }, seedVoxels: seedVoxels[s])
        }
        return Result(mask: mask, seeds: results, qc: qcs, excluded: accumulator.neverValid, warnings: warnings, timer: timer)
    }

    /// z maps for one loaded run (NaN where the voxel is excluded), the seed voxels used, and QC.
    static func correlate(_ run: LoadedRun, seedPositions: [[Int]], seedNames: [String],
                          parallelism: Parallelism) throws -> ([[Float]], [Int], RunQC) {
        var qc = run.qc
        var cleanedSeeds: [[Float]] = []
        var used: [Int] = []
        for (positions, name) in zip(seedPositions, seedNames) {
            let usable = positions.filter { !run.nonFinite[$0] }
            guard !usable.isEmpty else {
                throw RegionError.emptySeed(name: name, detail: "every seed voxel of \(run.run.bold) holds NaN/Inf")
            }
            used.append(usable.count)
            cleanedSeeds.append(CleaningOperator.zscored(run.cleaning.apply(run.meanSeries(positions: usable))).map(Float.init))
        }
        qc.seedVoxels = used.count == 1 ? used[0] : nil
        var out: SeedCorrelation.Output
        if run.cleaning.isCentringOnly {
            // Nothing to clean (already-denoised data): bandwidth-bound passes, no matrix product.
            out = run.shifted.withUnsafeBufferPointer { data in
                SeedCorrelation.correlateStandardized(data: data, frames: run.frames, voxels: run.mask.count,
                                                      shift: run.shift, seed: cleanedSeeds[0], parallelism: parallelism)
            }
            for seed in cleanedSeeds.dropFirst() {
                out.r += run.shifted.withUnsafeBufferPointer { data in
                    SeedCorrelation.correlateStandardized(data: data, frames: run.frames, voxels: run.mask.count,
                                                          shift: run.shift, seed: seed, parallelism: parallelism).r
                }
            }
        } else {
            // `run` loads with `.cleaned` storage: anything beyond centring was applied while reading.
            guard let cleaned = run.cleaned, let rawMean = run.rawMean, let rawSD = run.rawSD else {
                preconditionFailure("seed maps need runs loaded with .cleaned storage")
            }
            let (r, sumSquares) = cleaned.withUnsafeBufferPointer { y in
                SeedCorrelation.correlateCleaned(cleaned: y, rows: run.cleaning.rows, voxels: run.mask.count, seeds: cleanedSeeds,
                                                parallelism: parallelism)
            }
            out = SeedCorrelation.Output(r: r, cleanedSumSquares: sumSquares, rawMean: rawMean, rawSD: rawSD)
        }
        var maps = [[Float]](repeating: [Float](repeating: .nan, count: run.mask.count), count: cleanedSeeds.count)
        var zeroVariance = 0
        for p in 0..<run.mask.count where !run.nonFinite[p] {
            guard out.rawSD[p] > 0, out.cleanedSumSquares[p] > 0, out.cleanedSumSquares[p].isFinite else {
                zeroVariance += 1
                continue
            }
            for s in 0..<cleanedSeeds.count { maps[s][p] = FisherZ.z(out.r[s][p]) }
        }
        qc.zeroVarianceVoxels = zeroVariance
        let tsnr = (0..<run.mask.count).compactMap { p -> Double? in
            run.nonFinite[p] || out.rawSD[p] <= 0 ? nil : Double(out.rawMean[p] / out.rawSD[p])
        }.sorted()
        qc.medianTSNR = tsnr.isEmpty ? nil : (tsnr[(tsnr.count - 1) / 2] + tsnr[tsnr.count / 2]) / 2
        return (maps, used, qc)
    }
}
