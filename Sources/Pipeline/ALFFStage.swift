import Foundation
import Kernels
import NIfTI

/// ALFF/fALFF maps from a cleaned resting-state signal (`cohortex alff`).
public enum ALFFStage: Stage {
    public static let name = "alff"

    /// Output paths; nil entries are not written.
    public struct Outputs: Sendable, Equatable, Codable {
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

    /// ALFF/fALFF of one run.
    public struct Request: Sendable, Equatable, Codable {
        public var run: FunctionalRun
        /// Brain mask on the BOLD grid.
        public var mask: String
        /// Cleaning before the spectrum (no band-pass filter: the band picks frequencies).
        public var denoising: DenoisingOptions
        /// Frequency band in Hz.
        public var low: Double
        public var high: Double
        public var outputs: Outputs

        public init(run: FunctionalRun, mask: String, denoising: DenoisingOptions = DenoisingOptions(), low: Double = 0.01,
                    high: Double = 0.08, outputs: Outputs) {
            self.run = run
            self.mask = mask
            self.denoising = denoising
            self.low = low
            self.high = high
            self.outputs = outputs
        }

        /// Checks what can be checked before reading anything.
        public func validate() throws {
            guard low >= 0, high > low, high.isFinite else { throw SpatialError.badBand(detail: "LOW,HIGH in Hz with 0 ≤ LOW < HIGH, got \(low),\(high)") }
            if denoising.cleaning.filters { throw SpatialError.filterWithBand }
            let o = outputs
            for path in [o.alff] + [o.falff, o.meanNormalisedALFF, o.zScoredALFF, o.meanNormalisedFALFF, o.zScoredFALFF].compactMap({ $0 }) {
                try RequestError.requireExtension(path, RequestError.imageExtensions)
            }
        }
    }

    /// The maps and the plan they came from.
    public struct Outcome: StageOutcome {
        public let maps: ALFF.Maps
        public let plan: ALFFPlan
        public let files: [String]
        public let timer: PhaseTimer
    }

    /// Reads and cleans the run, computes the maps and writes every requested output with its sidecar.
    public static func run(_ request: Request, context: StageContext) throws -> Outcome {
        try request.validate()
        var timer = PhaseTimer()
        let signal = try RestingStateSignal.load(request.run, mask: request.mask, options: request.denoising, purpose: "ALFF",
                                                 context: context, timer: &timer)
        var outcome = try run(signal: signal, bold: request.run.bold, low: request.low, high: request.high,
                              outputs: request.outputs, context: context)
        timer.append(outcome.timer)
        outcome = Outcome(maps: outcome.maps, plan: outcome.plan, files: outcome.files, timer: timer)
        return outcome
    }

    /// The plan for `signal` and band, with errors naming `bold`.
    public static func plan(for signal: RestingStateSignal, low: Double, high: Double, bold: String) throws -> ALFFPlan {
        do {
            return try ALFFPlan(repetitionTime: signal.repetitionTime, frames: signal.acquiredFrames,
                                kept: signal.kept, low: low, high: high)
        } catch let error as ALFFPlanError {
            switch error {
            case .invalidBand: throw SpatialError.badBand(detail: error.description)
            default: throw SpatialError.spectrumNotResolved(path: bold, detail: error.description)
            }
        }
    }

    /// Computes the maps of an already loaded `signal` (from `bold`) and writes every requested output with its sidecar.
    public static func run(signal: RestingStateSignal, bold: String, low: Double = 0.01, high: Double = 0.08,
                           outputs: Outputs, context: StageContext) throws -> Outcome {
        var timer = PhaseTimer()
        let plan = try plan(for: signal, low: low, high: high, bold: bold)
        let series = signal.series
        let maps = timer.measure("alff") {
            series.values.withUnsafeBufferPointer {
                ALFF.compute($0, rows: series.frames, voxels: series.voxels, plan: plan, parallelism: context.parallelism)
            }
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
        let sidecar = { (measure: String, definition: String) -> Provenance in
            var p = Provenance(stage: name)
            p.add([
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
            return p
        }
        let alffDefinition = "2 * mean(sqrt(P_f)) over bins [argmin|f-low|, argmin|f-high|) * SD of the voxel series; P: scipy periodogram(scaling='spectrum') of the standardised series, or lombscargle(normalize=True) over kept volumes"
        let falffDefinition = "sum of sqrt(P_f) over the band / sum of sqrt(P_f) over every bin up to Nyquist"
        var files = OutputSet()
        do {
            func write(_ values: [Float], _ path: String?, _ measure: String, _ definition: String) {
                guard let path else { return }
                files.image(mask.scatter(values), to: path, description: "cohortex \(measure)")
                files.sidecar(sidecar(measure, definition), for: path)
            }
            write(maps.alff, outputs.alff, "ALFF", alffDefinition)
            write(maps.falff, outputs.falff, "fALFF", falffDefinition)
            if outputs.meanNormalisedALFF != nil || outputs.zScoredALFF != nil {
                let (m, z) = MaskStandardization.standardized(maps.alff)
                write(m, outputs.meanNormalisedALFF, "mALFF", "ALFF / mean in-mask ALFF")
                write(z, outputs.zScoredALFF, "zALFF", "(ALFF - mean) / SD over the mask (population SD)")
            }
            if outputs.meanNormalisedFALFF != nil || outputs.zScoredFALFF != nil {
                let (m, z) = MaskStandardization.standardized(maps.falff)
                write(m, outputs.meanNormalisedFALFF, "mfALFF", "fALFF / mean in-mask fALFF")
                write(z, outputs.zScoredFALFF, "zfALFF", "(fALFF - mean) / SD over the mask (population SD)")
            }
        }
        let written = try timer.measure("write") { try files.commit(context: context) }
        notes.forEach(context.note)
        return Outcome(maps: maps, plan: plan, files: written, timer: timer)
    }
}
