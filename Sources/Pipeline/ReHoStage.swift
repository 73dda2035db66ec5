import Foundation
import Kernels
import NIfTI

/// Regional homogeneity maps from a cleaned resting-state signal (`cohortex reho`).
public enum ReHoStage: Stage {
    public static let name = "reho"

    /// ReHo of one run.
    public struct Request: Sendable, Equatable, Codable {
        public var run: FunctionalRun
        /// Brain mask on the BOLD grid: neighbours outside it are left out.
        public var mask: String
        public var denoising: DenoisingOptions
        public var neighbourhood: ReHoNeighbourhood
        public var output: String
        /// z-scored ReHo within the mask, if wanted.
        public var zScored: String?

        public init(run: FunctionalRun, mask: String, denoising: DenoisingOptions = DenoisingOptions(),
                    neighbourhood: ReHoNeighbourhood = .vertices, output: String, zScored: String? = nil) {
            self.run = run
            self.mask = mask
            self.denoising = denoising
            self.neighbourhood = neighbourhood
            self.output = output
            self.zScored = zScored
        }

        /// Checks what can be checked before reading anything.
        public func validate() throws {
            for path in [output] + (zScored.map { [$0] } ?? []) { try RequestError.requireExtension(path, RequestError.imageExtensions) }
        }
    }

    /// Kendall's W per in-mask voxel and the stage's phase times.
    public struct Outcome: StageOutcome {
        public let reho: [Float]
        public let files: [String]
        public let timer: PhaseTimer
    }

    /// Reads and cleans the run, then computes and writes the maps.
    public static func run(_ request: Request, context: StageContext) throws -> Outcome {
        try request.validate()
        var timer = PhaseTimer()
        let signal = try RestingStateSignal.load(request.run, mask: request.mask, options: request.denoising, purpose: "ReHo",
                                                 context: context, timer: &timer)
        let outcome = try run(signal: signal, bold: request.run.bold, neighbourhood: request.neighbourhood,
                              output: request.output, zScored: request.zScored, context: context)
        timer.append(outcome.timer)
        return Outcome(reho: outcome.reho, files: outcome.files, timer: timer)
    }

    /// Computes ReHo over the kept volumes of an already loaded `signal` (from `bold`) and writes
    /// `output` (and the optional z-scored map) with sidecars.
    public static func run(signal: RestingStateSignal, bold: String, neighbourhood: ReHoNeighbourhood = .vertices,
                           output: String, zScored: String? = nil, context: StageContext) throws -> Outcome {
        var timer = PhaseTimer()
        let mask = signal.series.mask
        let rows = signal.kept.count
        // Voxels that held NaN/Inf were zeroed while reading; left in, their constant series would enter
        // every neighbour's W. They leave the mask instead, exactly like out-of-mask voxels, and get 0.
        let usable = signal.nonFinite.count == mask.count && signal.nonFinite.contains(true)
            ? (0..<mask.count).filter { !signal.nonFinite[$0] } : nil
        let reho = timer.measure("reho") { () -> [Float] in
            guard let usable else {
                var ranks = signal.keptRows
                return ranks.withUnsafeMutableBufferPointer { r in
                    let ties = ReHo.rankColumns(r, rows: rows, voxels: mask.count, parallelism: context.parallelism)
                    return ReHo.compute(ranks: UnsafeBufferPointer(r), rows: rows, tieTerms: ties, mask: mask, neighbourhood: neighbourhood,
                                        parallelism: context.parallelism)
                }
            }
            let kept = signal.keptRows, v = mask.count, u = usable.count
            var ranks = [Float](unsafeUninitializedCapacity: rows * u) { out, count in
                for t in 0..<rows { for (q, p) in usable.enumerated() { out[t * u + q] = kept[t * v + p] } }
                count = rows * u
            }
            let reduced = VoxelMask(grid: mask.grid, indices: usable.map { mask.indices[$0] })
            let w = ranks.withUnsafeMutableBufferPointer { r in
                let ties = ReHo.rankColumns(r, rows: rows, voxels: u, parallelism: context.parallelism)
                return ReHo.compute(ranks: UnsafeBufferPointer(r), rows: rows, tieTerms: ties, mask: reduced, neighbourhood: neighbourhood,
                                    parallelism: context.parallelism)
            }
            var full = [Float](repeating: 0, count: v)
            for (q, p) in usable.enumerated() { full[p] = w[q] }
            return full
        }
        let sidecar = { (measure: String) -> Provenance in
            var p = Provenance(stage: name)
            p.add([
                ("Measure", .string(measure)),
                ("Definition", .string("Kendall's W of the voxel's series with its in-mask neighbours; average ranks for ties, tie-corrected denominator M^2 n (n^2-1) - M sum(t^3-t) (AFNI 3dReHo)")),
                ("Source", .string(bold)),
                ("Neighbourhood", .int(neighbourhood.rawValue)),
                ("Volumes", .int(signal.acquiredFrames)),
                ("KeptVolumes", .int(rows)),
                ("MaskVoxels", .int(mask.count)),
                ("Cleaning", signal.cleaning),
                ("Reference", .string("Zang et al. 2004, NeuroImage 22:394; AFNI 3dReHo")),
            ])
            return p
        }
        var outputs = OutputSet()
        outputs.image(mask.scatter(reho), to: output, description: "cohortex ReHo")
        outputs.sidecar(sidecar("ReHo"), for: output)
        if let zScored {
            outputs.image(mask.scatter(MaskStandardization.standardized(reho).zScored), to: zScored, description: "cohortex zReHo")
            outputs.sidecar(sidecar("zReHo: (ReHo - mean) / SD over the mask"), for: zScored)
        }
        let files = try timer.measure("write") { try outputs.commit(context: context) }
        let v = mask.grid.affine.voxelSizes
        if max(v.0, v.1, v.2) - min(v.0, v.1, v.2) > 1e-3 * max(v.0, v.1, v.2) {
            context.note(String(format: "anisotropic voxels %.3g×%.3g×%.3g mm: the neighbourhood is counted in voxels, as AFNI 3dReHo does", v.0, v.1, v.2))
        }
        return Outcome(reho: reho, files: files, timer: timer)
    }
}
