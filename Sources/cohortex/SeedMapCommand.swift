import ArgumentParser
import Foundation
import NIfTI
import Pipeline

struct SeedMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-map",
        abstract: "Seed-to-voxel connectivity: Pearson r and Fisher z maps of a cleaned seed against every cleaned in-mask voxel.",
        discussion: """
        Cleaning follows nilearn 0.14 signal.clean: censored volumes interpolated (cubic spline) before \
        filtering and dropped after, detrend and Butterworth band-pass on signals and confounds, standardised \
        confounds projected out, z-scoring last. The seed series is the mean of the raw in-seed voxels, cleaned \
        the same way (NiftiSpheresMasker order). Several --bold runs are averaged in Fisher z.
        """
    )

    @Option(help: "Preprocessed BOLD series (repeat for several runs of one subject).")
    var bold: [String] = []

    @Option(help: "Brain mask on the BOLD grid.")
    var mask: String

    @Option(help: "Seed sphere NAME:x,y,z,r in MNI mm (e.g. PAG:0,-30,-10,6); repeatable.", transform: parsing(Sphere.init(parsing:)))
    var sphere: [Sphere] = []

    @Option(help: "Seed from an atlas label: ATLAS:INDEX; repeatable.", transform: parsing(Seed.label(parsing:)))
    var seedLabel: [Seed] = []

    @Option(help: "Seed from a mask image; repeatable.")
    var seedMask: [String] = []

    @OptionGroup var cleaning: CleaningOptions

    @Option(help: "Output Fisher z map (.nii or .nii.gz); a JSON sidecar is written next to it. With several seeds, put {seed} in the name.")
    var outZ: String

    @Option(help: "Output Pearson r map.")
    var outR: String?

    @OptionGroup var global: GlobalOptions

    /// The stage request the flags describe.
    var request: SeedMap.Request {
        get throws {
            SeedMap.Request(runs: try cleaning.runs(bold: bold), mask: mask,
                            seeds: sphere.map(Seed.sphere) + seedLabel + seedMask.map { .mask(path: $0) },
                            denoising: cleaning.options, outputZ: outZ, outputR: outR)
        }
    }

    func validate() throws {
        if bold.isEmpty { throw ValidationError("give the BOLD series with --bold") }
        if sphere.isEmpty && seedLabel.isEmpty && seedMask.isEmpty { throw ValidationError("give a seed: --sphere, --seed-label or --seed-mask") }
        _ = try validated(try request) { try $0.validate() }
    }

    func run() throws {
        try reportingErrors {
            let outcome = try SeedMap.run(try request, context: global.context)
            reportTiming(outcome.timer)
        }
    }
}
