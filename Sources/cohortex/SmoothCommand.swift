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
        _ = try validated(SmoothingStage.Request(input: input, output: output, fwhm: fwhm)) { try $0.validate() }
    }

    func run() throws {
        try reportingErrors {
            let outcome = try SmoothingStage.run(SmoothingStage.Request(input: input, output: output, fwhm: fwhm), context: global.context)
            reportTiming(outcome.timer)
        }
    }
}
