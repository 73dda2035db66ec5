import ArgumentParser
import Foundation
import Pipeline

struct SmoothCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smooth",
        abstract: "Gaussian smoothing of a 3D map or every volume of a 4D series (nilearn smooth_img semantics).",
        discussion: """
        σ = FWHM / √(8 ln 2) per axis from the voxel sizes in the affine; kernel truncated at 4σ, \
        `reflect` borders, NaN/Inf set to 0 first. Writes float32 OUT and OUT's JSON sidecar.
        """
    )

    @Argument(help: "Input NIfTI image (3D or 4D).")
    var input: String

    @Argument(help: "Output image (.nii or .nii.gz).")
    var output: String

    @Option(help: "Full width at half maximum in millimetres (0: no smoothing).")
    var fwhm: Double

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        guard fwhm >= 0, fwhm.isFinite else { throw ValidationError("--fwhm must be a finite number of millimetres ≥ 0, got \(fwhm)") }
    }

    func run() throws {
        global.apply()
        try reportingErrors {
            let report = try SmoothingStage.run(input: input, output: output, fwhm: fwhm)
            report.notes.forEach(note)
            reportTiming(report.timer)
        }
    }
}

/// Writes an informational line on stderr.
func note(_ message: String) {
    FileHandle.standardError.write(Data("cohortex: \(message)\n".utf8))
}

/// With `COHORTEX_TIMING=1` in the environment, reports the stage's phase times on stderr.
func reportTiming(_ timer: PhaseTimer) {
    if ProcessInfo.processInfo.environment["COHORTEX_TIMING"] == "1" { note("timing: " + timer.summary) }
}
