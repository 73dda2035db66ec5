import ArgumentParser
import Foundation
import Kernels
import Pipeline

/// The BOLD input shared by `alff` and `reho`. Cleaning seam: issue 4's flags (--confounds,
/// --strategy, --fd-threshold, --high-pass, --low-pass) belong here, and `load` is the one call to
/// replace with the cleaning stage (today it applies a linear detrend and mean removal only).
struct RestingStateInputOptions: ParsableArguments {
    @Option(help: "4D BOLD series (NIfTI).")
    var bold: String

    @Option(help: "3D brain mask on the BOLD grid: non-zero voxels are analysed.")
    var mask: String

    @Option(help: "Repetition time in seconds (default: pixdim[4] of the BOLD header).")
    var tr: Double?

    @Option(name: .customLong("sample-mask"), help: "Censoring: a text file with one 1 (keep) or 0 (censor) per volume.")
    var sampleMask: String?

    func validate() throws {
        if let tr, !(tr > 0 && tr.isFinite) { throw ValidationError("--tr must be a positive number of seconds, got \(tr)") }
    }

    /// Reads, checks and cleans the signal (linear detrend + mean removal over the kept volumes).
    func load(minimumFrames: Int, purpose: String) throws -> RestingStateSignal {
        try RestingStateSignal.load(bold: bold, mask: mask, repetitionTime: tr, sampleMask: sampleMask,
                                    minimumFrames: minimumFrames, purpose: purpose)
    }
}

struct ALFFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alff",
        abstract: "ALFF and fALFF maps (XCP-D definition; Lomb–Scargle over kept volumes when censored).",
        discussion: """
        ALFF = 2 · mean √P(f) over the band · SD of the voxel's series, P the one-sided periodogram \
        (scaling "spectrum") of the standardised series; with censoring, the normalised Lomb–Scargle \
        periodogram of the kept volumes (XCP-D). fALFF = Σ√P over the band / Σ√P up to Nyquist. \
        The signal is linearly detrended and mean-centred first; confound regression is not applied yet.
        """
    )

    @OptionGroup var input: RestingStateInputOptions

    @Option(help: "Frequency band LOW,HIGH in Hz.")
    var band: String = "0.01,0.08"

    @Option(name: .customLong("out-alff"), help: "ALFF map (float32 NIfTI; a JSON sidecar is written beside it).")
    var outALFF: String

    @Option(name: .customLong("out-falff"), help: "fALFF map.")
    var outFALFF: String?

    @Option(name: .customLong("out-malff"), help: "Mean-normalised ALFF (ALFF / in-mask mean).")
    var outMALFF: String?

    @Option(name: .customLong("out-zalff"), help: "z-scored ALFF within the mask.")
    var outZALFF: String?

    @Option(name: .customLong("out-mfalff"), help: "Mean-normalised fALFF.")
    var outMFALFF: String?

    @Option(name: .customLong("out-zfalff"), help: "z-scored fALFF within the mask.")
    var outZFALFF: String?

    @OptionGroup var global: GlobalOptions

    /// `--band` as (low, high).
    var bandEdges: (Double, Double)? {
        let parts = band.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let lo = parts[0], let hi = parts[1], lo >= 0, hi > lo, hi.isFinite else { return nil }
        return (lo, hi)
    }

    func validate() throws {
        if bandEdges == nil { throw ValidationError("--band must be LOW,HIGH in Hz with 0 ≤ LOW < HIGH, got \(band)") }
    }

    func run() throws {
        global.apply()
        try reportingErrors {
            let (low, high) = bandEdges!
            var timer = PhaseTimer()
            let signal = try timer.measure("read") { try input.load(minimumFrames: 3, purpose: "ALFF") }
            let outputs = ALFFStage.Outputs(alff: outALFF, falff: outFALFF, meanNormalisedALFF: outMALFF, zScoredALFF: outZALFF,
                                            meanNormalisedFALFF: outMFALFF, zScoredFALFF: outZFALFF)
            let result = try ALFFStage.run(signal: signal, bold: input.bold, low: low, high: high, outputs: outputs)
            result.notes.forEach(note)
            timer.append(result.timer)
            reportTiming(timer)
        }
    }
}
