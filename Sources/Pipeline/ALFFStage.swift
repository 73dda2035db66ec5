import Foundation
import Kernels
import NIfTI

/// ALFF/fALFF maps from a cleaned resting-state signal (`cohortex alff`).
public enum ALFFStage {
    /// Output paths; nil entries are not written.
    public struct Outputs: Sendable {
        public var alff: String
        public var falff: String?
        /// ALFF / mean in-mask ALFF, and (ALFF − mean) / σ within the mask.
        public var meanNormalisedALFF: String?
        public var zScoredALFF: String?
        public var meanNormalisedFALFF: String?
        public var zScoredFALFF: String?

        public init(alff: String, falff: String? = nil, meanNormalisedALFF: String? = nil, zScoredALFF: String? = nil,
                    meanNormalisedFALFF: String? = nil, zScoredFALFF: String? = nil) {
            self.alff = alff
            self.falff = falff
            self.meanNormalisedALFF = meanNormalisedALFF
            self.zScoredALFF = zScoredALFF
            self.meanNormalisedFALFF = meanNormalisedFALFF
            self.zScoredFALFF = zScoredFALFF
        }
    }

    /// The maps and the plan they came from.
    public struct Result: Sendable {
        public let maps: ALFF.Maps
        public let plan: ALFFPlan
        public var notes: [String]
        public var timer: PhaseTimer
    }

    /// The plan for `signal` and band, with errors naming `bold`.
    public static func plan(for signal: RestingStateSignal, low: Double, high: Double, bold: String) throws -> ALFFPlan {
        do {
            return try ALFFPlan(repetitionTime: signal.repetitionTime, frames: signal.acquiredFrames,
                                kept: signal.kept, low: low, high: high)
        } catch let error as ALFFPlanError {
            switch error {
            case .invalidBand: throw SpatialError.badBand(detail: error.description)
            default: throw SpatialError.tooFewVolumes(path: bold, detail: error.description)
            }
        }
    }

    /// Computes the maps of `signal` (from `bold`) and writes every requested output with its sidecar.
    public static func run(signal: RestingStateSignal, bold: String, low: Double = 0.01, high: Double = 0.08,
                           outputs: Outputs) throws -> Result {
        var timer = PhaseTimer()
        let plan = try plan(for: signal, low: low, high: high, bold: bold)
        let series = signal.series
        let maps = timer.measure("alff") {
            series.values.withUnsafeBufferPointer { ALFF.compute($0, rows: series.frames, voxels: series.voxels, plan: plan) }
        }
        var notes: [String] = []
        let resolution = 1 / (Double(signal.acquiredFrames) * signal.repetitionTime)
        if resolution > low && low > 0 {
            notes.append(String(format: "frequency spacing %.4g Hz (%d volumes × TR %g s) is coarser than the band's lower edge %g Hz",
                                resolution, signal.acquiredFrames, signal.repetitionTime, low))
        }
        if plan.method == .lombScargle {
            notes.append("\(signal.acquiredFrames - plan.kept.count) censored volume(s): spectrum by Lomb–Scargle over the \(plan.kept.count) kept volumes (XCP-D)")
        }
        let mask = series.mask
        let sidecar = { (measure: String, definition: String) -> JSONValue in
            .object([
                ("Tool", .string("cohortex alff")),
                ("Measure", .string(measure)),
                ("Definition", .string(definition)),
                ("Source", .string(bold)),
                ("BandHz", .numbers([low, high])),
                ("BandBinsHz", .numbers(plan.frequencies[plan.bandBins].map { $0 })),
                ("RepetitionTime", .number(signal.repetitionTime)),
                ("Volumes", .int(signal.acquiredFrames)),
                ("KeptVolumes", .int(plan.kept.count)),
                ("SpectrumMethod", .string(plan.method.rawValue)),
                ("MaskVoxels", .int(mask.count)),
                ("Cleaning", signal.cleaning),
                ("Reference", .string("XCP-D compute_alff (xcp_d/utils/restingstate.py); Zou et al. 2008 (fALFF)")),
            ])
        }
        let alffDefinition = "2 * mean(sqrt(P_f)) over bins [argmin|f-low|, argmin|f-high|) * SD of the voxel series; P: scipy periodogram(scaling='spectrum') of the standardised series, or lombscargle(normalize=True) over kept volumes"
        let falffDefinition = "sum of sqrt(P_f) over the band / sum of sqrt(P_f) over every bin up to Nyquist"
        try timer.measure("write") {
            func write(_ values: [Float], _ path: String?, _ measure: String, _ definition: String) throws {
                guard let path else { return }
                try NIfTIWriter.write(mask.scatter(values), to: path, description: "cohortex \(measure)")
                try writeSidecar(sidecar(measure, definition), for: path)
            }
            try write(maps.alff, outputs.alff, "ALFF", alffDefinition)
            try write(maps.falff, outputs.falff, "fALFF", falffDefinition)
            if outputs.meanNormalisedALFF != nil || outputs.zScoredALFF != nil {
                let (m, z) = ALFF.standardized(maps.alff)
                try write(m, outputs.meanNormalisedALFF, "mALFF", "ALFF / mean in-mask ALFF")
                try write(z, outputs.zScoredALFF, "zALFF", "(ALFF - mean) / SD over the mask (population SD)")
            }
            if outputs.meanNormalisedFALFF != nil || outputs.zScoredFALFF != nil {
                let (m, z) = ALFF.standardized(maps.falff)
                try write(m, outputs.meanNormalisedFALFF, "mfALFF", "fALFF / mean in-mask fALFF")
                try write(z, outputs.zScoredFALFF, "zfALFF", "(fALFF - mean) / SD over the mask (population SD)")
            }
        }
        return Result(maps: maps, plan: plan, notes: notes, timer: timer)
    }
}
