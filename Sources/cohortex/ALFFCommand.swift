import ArgumentParser
import Foundation
import Kernels
import Pipeline

/// The BOLD input shared by `alff` and `reho`, cleaned with the flags of seed-map/conmat.
struct RestingStateInputOptions: ParsableArguments {
    @Option(help: "4D BOLD series (NIfTI).")
    var bold: String

    @Option(help: "3D brain mask on the BOLD grid: non-zero voxels are analysed.")
    var mask: String

    @OptionGroup var cleaning: CleaningOptions

    /// Reads and cleans the signal; prints the cleaning warnings.
    func load(minimumFrames: Int, purpose: String) throws -> RestingStateSignal {
        let runs = try cleaning.runs(bold: [bold])
        let signal = try RestingStateSignal.load(run: runs[0], mask: mask, options: try cleaning.options(),
                                                 minimumFrames: minimumFrames, purpose: purpose)
        signal.warnings.forEach { warn($0) }
        return signal
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
        The signal is cleaned first as in seed-map (confounds, censoring, detrend), without a band-pass filter.
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
        if input.cleaning.highPass != nil || input.cleaning.lowPass != nil {
            throw ValidationError("ALFF is computed on the unfiltered cleaned signal: use --band, not --high-pass/--low-pass")
        }
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
