import ArgumentParser
import Kernels
import NIfTI
import Pipeline

/// Denoising flags shared by seed-map and conmat (nilearn `signal.clean` semantics).
struct CleaningOptions: ParsableArguments {
    @Option(name: .customLong("confounds"), help: "fMRIPrep *_desc-confounds_timeseries.tsv, one per --bold, in the same order.")
    var confounds: [String] = []

    @Option(help: "Confounds to regress: 6P, 24P, 36P, acompcor, columns:NAME,… or regex:PATTERN.",
            transform: parsing(ConfoundStrategy.init(parsing:)))
    var strategy: ConfoundStrategy = .twentyFourP

    @Option(help: "Censor volumes with framewise displacement above this (mm).")
    var fdThreshold: Double?

    @Option(help: "Censor volumes with standardised DVARS above this.")
    var dvarsThreshold: Double?

    @Option(help: "After censoring, also censor kept segments shorter than this many volumes.")
    var minSegment: Int = 5

    @Option(help: "Drop this many initial (non-steady-state) volumes.")
    var dummyScans: Int = 0

    @Option(name: .customLong("sample-mask"), help: "Censoring file: one 1 (keep) or 0 (censor) per acquired volume.")
    var sampleMask: String?

    @Option(help: "High-pass cutoff in Hz (Butterworth, order 5, zero-phase).")
    var highPass: Double?

    @Option(help: "Low-pass cutoff in Hz.")
    var lowPass: Double?

    @Option(help: "Repetition time in seconds (overrides the header).")
    var tr: Double?

    @Flag(help: "Do not remove the linear trend.")
    var noDetrend = false

    @Option(help: "Gaussian smoothing in mm FWHM of every volume before masking and cleaning (nilearn's smoothing_fwhm).")
    var smoothingFwhm: Double?

    func validate() throws {
        for (value, flag) in [(fdThreshold, "--fd-threshold"), (dvarsThreshold, "--dvars-threshold"), (highPass, "--high-pass"),
                              (lowPass, "--low-pass"), (tr, "--tr"), (smoothingFwhm, "--smoothing-fwhm")] {
            try requireFinite(value, flag)
        }
        if let h = highPass, h <= 0 { throw ValidationError("--high-pass must be positive, got \(h)") }
        if let l = lowPass, l <= 0 { throw ValidationError("--low-pass must be positive, got \(l)") }
        if let h = highPass, let l = lowPass, h >= l { throw ValidationError("--high-pass (\(h)) must be below --low-pass (\(l))") }
        if let tr, tr <= 0 { throw ValidationError("--tr must be positive, got \(tr)") }
        if minSegment < 1 { throw ValidationError("--min-segment must be at least 1") }
        if dummyScans < 0 { throw ValidationError("--dummy-scans cannot be negative") }
        if let f = fdThreshold, f <= 0 { throw ValidationError("--fd-threshold must be positive") }
        if let d = dvarsThreshold, d <= 0 { throw ValidationError("--dvars-threshold must be positive") }
        if let f = smoothingFwhm, !(f >= 0 && f.isFinite) { throw ValidationError("--smoothing-fwhm must be a non-negative number of mm, got \(f)") }
    }

    /// Pairs BOLD runs with their confounds tables (one table per run, in order, or none).
    func runs(bold: [String]) throws -> [FunctionalRun] {
        guard confounds.isEmpty || confounds.count == bold.count else {
            throw ValidationError("give one --confounds per --bold (\(bold.count) runs, \(confounds.count) tables)")
        }
        return bold.enumerated().map { FunctionalRun(bold: $1, confounds: confounds.isEmpty ? nil : confounds[$0]) }
    }

    /// The denoising the flags describe.
    var options: DenoisingOptions {
        DenoisingOptions(
            strategy: strategy,
            censoring: Censoring(dummyScans: dummyScans, fdThreshold: fdThreshold, dvarsThreshold: dvarsThreshold,
                                 minSegment: minSegment, sampleMask: sampleMask),
            cleaning: CleaningParameters(repetitionTime: tr, detrend: !noDetrend, highPass: highPass, lowPass: lowPass),
            smoothingFWHM: smoothingFwhm)
    }
}
