import Foundation
import Kernels
import NIfTI

/// Seed-to-voxel functional connectivity: Pearson r between the cleaned seed series (mean of the raw
/// in-seed voxels, then cleaned, as nilearn's `NiftiSpheresMasker`) and every cleaned in-mask voxel,
/// and Fisher z = atanh(r). Several runs are averaged in z.
public enum SeedMap {
    /// |r| is capped below 1 so z stays finite (a one-voxel seed correlates perfectly with itself).
    public static let maximumR: Float = 1 - 1e-7

    public struct Result: Sendable {
        public var mask: VoxelMask
        /// Fisher z per in-mask voxel (mean over runs), 0 where excluded.
        public var z: [Float]
        /// tanh of `z` (r for a single run).
        public var r: [Float]
        public var qc: [RunQC]
        public var excluded: Int
        public var warnings: [String]
    }

    /// Runs every run and averages the z maps over the runs where a voxel is valid.
    public static func run(runs: [FunctionalRun], maskPath: String, seed: Seed, options: DenoisingOptions) throws -> Result {
        let mask = try NIfTIImage(path: maskPath).readMask()
        guard !mask.isEmpty else { throw NIfTIError.invalidField(path: maskPath, field: "voxels", value: "0", expected: "a non-empty brain mask") }
        let seedPositions = try seed.positions(in: mask)
        var zSum = [Double](repeating: 0, count: mask.count)
        var valid = [Int](repeating: 0, count: mask.count)
        var qcs: [RunQC] = []
        var warnings: [String] = []
        for run in runs {
            let loaded = try LoadedRun.load(run, mask: mask, maskPath: maskPath, options: options)
            let (z, qc) = try correlate(loaded, seedPositions: seedPositions, seedName: seed.name)
            for p in 0..<mask.count where !z[p].isNaN {
                zSum[p] += Double(z[p])
                valid[p] += 1
            }
            warnings += qc.notes
            if qc.nonFiniteVoxels > 0 { warnings.append("\(run.bold): \(qc.nonFiniteVoxels) in-mask voxel(s) hold NaN/Inf; excluded") }
            if qc.zeroVarianceVoxels > 0 { warnings.append("\(run.bold): \(qc.zeroVarianceVoxels) in-mask voxel(s) have zero variance; excluded (0 in the maps)") }
            qcs.append(qc)
        }
        let z = (0..<mask.count).map { valid[$0] > 0 ? Float(zSum[$0] / Double(valid[$0])) : 0 }
        let excluded = valid.filter { $0 == 0 }.count
        return Result(mask: mask, z: z, r: z.map { tanh($0) }, qc: qcs, excluded: excluded, warnings: warnings)
    }

    /// z for one loaded run (NaN where the voxel is excluded) and its QC.
    static func correlate(_ run: LoadedRun, seedPositions: [Int], seedName: String) throws -> ([Float], RunQC) {
        var qc = run.qc
        let usable = seedPositions.filter { !run.nonFinite[$0] }
        guard !usable.isEmpty else {
            throw RegionError.emptySeed(name: seedName, detail: "every seed voxel of \(run.run.bold) holds NaN/Inf")
        }
        qc.seedVoxels = usable.count
        let seedClean = CleaningOperator.zscored(run.cleaning.apply(run.meanSeries(positions: usable)))
        let out: SeedCorrelation.Output
        if run.cleaning.isCentringOnly {
            // Nothing to clean (already-denoised data): one bandwidth-bound pass, no matrix product.
            out = run.shifted.withUnsafeBufferPointer { data in
                SeedCorrelation.correlateStandardized(data: data, frames: run.frames, voxels: run.mask.count,
                                                      shift: run.shift, seed: seedClean.map(Float.init))
            }
        } else {
            let (matrix, constant) = run.operatorFloat32
            out = run.shifted.withUnsafeBufferPointer { data in
                SeedCorrelation.correlate(data: data, frames: run.frames, voxels: run.mask.count, shift: run.shift,
                                          operatorMatrix: matrix, rows: run.cleaning.rows, constantResponse: constant,
                                          seeds: [seedClean.map(Float.init)])
            }
        }
        var z = [Float](repeating: .nan, count: run.mask.count)
        var zeroVariance = 0
        for p in 0..<run.mask.count where !run.nonFinite[p] {
            guard out.rawSD[p] > 0, out.cleanedSumSquares[p] > 0, out.cleanedSumSquares[p].isFinite else {
                zeroVariance += 1
                continue
            }
            z[p] = atanh(min(maximumR, max(-maximumR, out.r[0][p])))
        }
        qc.zeroVarianceVoxels = zeroVariance
        let tsnr = (0..<run.mask.count).compactMap { p -> Double? in
            run.nonFinite[p] || out.rawSD[p] <= 0 ? nil : Double(out.rawMean[p] / out.rawSD[p])
        }.sorted()
        qc.medianTSNR = tsnr.isEmpty ? nil : (tsnr[(tsnr.count - 1) / 2] + tsnr[tsnr.count / 2]) / 2
        return (z, qc)
    }

    /// Writes the z map (and the r map) as float32 NIfTI with the BOLD grid, plus a JSON sidecar.
    public static func write(_ result: Result, zPath: String, rPath: String?, sidecar: JSONValue) throws {
        let dof = Double((result.qc.map(\.keptVolumes).min() ?? 3) - 3)
        try NIfTIWriter.write(result.mask.scatter(result.z), to: zPath, intent: .zScore, intentName: "FisherZ",
                              description: "cohortex seed-map Fisher z")
        if let rPath {
            try NIfTIWriter.write(result.mask.scatter(result.r), to: rPath, intent: .correlation(degreesOfFreedom: dof),
                                  intentName: "PearsonR", description: "cohortex seed-map Pearson r")
        }
        try AtomicFile.write(sidecar.rendered(pretty: true) + "\n", to: sidecarPath(for: zPath))
    }

    /// `Z.nii.gz` → `Z.json`.
    public static func sidecarPath(for path: String) -> String {
        var base = path
        for ext in [".gz", ".nii"] where base.hasSuffix(ext) { base = String(base.dropLast(ext.count)) }
        return base + ".json"
    }
}
