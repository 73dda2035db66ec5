import Foundation
import Kernels
import NIfTI

/// Regional homogeneity maps from a cleaned resting-state signal (`cohortex reho`).
public enum ReHoStage {
    /// Kendall's W per in-mask voxel and the stage's phase times.
    public struct Result: Sendable {
        public let reho: [Float]
        public var notes: [String]
        public var timer: PhaseTimer
    }

    /// Computes ReHo over the kept volumes of `signal` (from `bold`) and writes `output` (and the
    /// optional z-scored map) with sidecars.
    public static func run(signal: RestingStateSignal, bold: String, neighbourhood: ReHoNeighbourhood = .vertices,
                           output: String, zScored: String? = nil) throws -> Result {
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
                    let ties = ReHo.rankColumns(r, rows: rows, voxels: mask.count)
                    return ReHo.compute(ranks: UnsafeBufferPointer(r), rows: rows, tieTerms: ties, mask: mask, neighbourhood: neighbourhood)
                }
            }
            let kept = signal.keptRows, v = mask.count, u = usable.count
            var ranks = [Float](unsafeUninitializedCapacity: rows * u) { out, count in
                for t in 0..<rows { for (q, p) in usable.enumerated() { out[t * u + q] = kept[t * v + p] } }
                count = rows * u
            }
            let reduced = VoxelMask(grid: mask.grid, indices: usable.map { mask.indices[$0] })
            let w = ranks.withUnsafeMutableBufferPointer { r in
                let ties = ReHo.rankColumns(r, rows: rows, voxels: u)
                return ReHo.compute(ranks: UnsafeBufferPointer(r), rows: rows, tieTerms: ties, mask: reduced, neighbourhood: neighbourhood)
            }
            var full = [Float](repeating: 0, count: v)
            for (q, p) in usable.enumerated() { full[p] = w[q] }
            return full
        }
        let sidecar = { (measure: String) -> JSONValue in
            .object([
                ("Tool", .string("cohortex reho")),
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
        }
        try timer.measure("write") {
            try NIfTIWriter.write(mask.scatter(reho), to: output, description: "cohortex ReHo")
            try writeSidecar(sidecar("ReHo"), for: output)
            if let zScored {
                try NIfTIWriter.write(mask.scatter(ALFF.standardized(reho).zScored), to: zScored, description: "cohortex zReHo")
                try writeSidecar(sidecar("zReHo: (ReHo - mean) / SD over the mask"), for: zScored)
            }
        }
        var notes: [String] = []
        let v = mask.grid.affine.voxelSizes
        if max(v.0, v.1, v.2) - min(v.0, v.1, v.2) > 1e-3 * max(v.0, v.1, v.2) {
            notes.append(String(format: "anisotropic voxels %.3g×%.3g×%.3g mm: the neighbourhood is counted in voxels, as AFNI 3dReHo does", v.0, v.1, v.2))
        }
        return Result(reho: reho, notes: notes, timer: timer)
    }
}
