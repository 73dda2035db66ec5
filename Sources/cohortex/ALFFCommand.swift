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

    /// The run and its confounds table.
    var run: FunctionalRun {
        get throws { try cleaning.runs(bold: [bold])[0] }
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

    @Option(help: ArgumentHelp("Frequency band LOW,HIGH in Hz (0 ≤ LOW < HIGH).", valueName: "low,high"))
    var band = FrequencyBand(low: 0.01, high: 0.08)

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

    /// The stage request the flags describe.
    var request: ALFFStage.Request {
        get throws {
            let outputs = ALFFStage.Outputs(alff: outALFF, falff: outFALFF, meanNormalisedALFF: outMALFF, zScoredALFF: outZALFF,
                                            meanNormalisedFALFF: outMFALFF, zScoredFALFF: outZFALFF)
            return ALFFStage.Request(run: try input.run, mask: input.mask, denoising: input.cleaning.options,
                                     low: band.low, high: band.high, outputs: outputs)
        }
    }

    func validate() throws {
        if input.cleaning.highPass != nil || input.cleaning.lowPass != nil {
            throw ValidationError("ALFF is computed on the unfiltered cleaned signal: use --band, not --high-pass/--low-pass")
        }
        _ = try validated(try request) { try $0.validate() }
    }

    func run() throws {
        try reportingErrors {
            let outcome = try ALFFStage.run(try request, context: global.context)
            reportTiming(outcome.timer)
        }
    }
}
