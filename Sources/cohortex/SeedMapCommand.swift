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

    @Option(help: "Seed sphere NAME:x,y,z,r in MNI mm (e.g. PAG:0,-30,-10,6); repeatable.")
    var sphere: [String] = []

    @Option(help: "Seed from an atlas label: ATLAS:INDEX; repeatable.")
    var seedLabel: [String] = []

    @Option(help: "Seed from a mask image; repeatable.")
    var seedMask: [String] = []

    @OptionGroup var cleaning: CleaningOptions

    @Option(help: "Output Fisher z map (.nii or .nii.gz); a JSON sidecar is written next to it. With several seeds, put {seed} in the name.")
    var outZ: String

    @Option(help: "Output Pearson r map.")
    var outR: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if bold.isEmpty { throw ValidationError("give the BOLD series with --bold") }
        let seedCount = sphere.count + seedLabel.count + seedMask.count
        if seedCount == 0 { throw ValidationError("give a seed: --sphere, --seed-label or --seed-mask") }
        if seedCount > 1 && !(outZ.contains("{seed}") && (outR?.contains("{seed}") ?? true)) {
            throw ValidationError("with \(seedCount) seeds the output names need {seed} (e.g. sub-01_seed-{seed}_stat-z.nii.gz)")
        }
        for path in [outZ] + (outR.map { [$0] } ?? []) where !(path.hasSuffix(".nii") || path.hasSuffix(".nii.gz")) {
            throw ValidationError("output maps must end in .nii or .nii.gz: \(path)")
        }
    }

    func run() throws {
        global.apply()
        try reportingErrors {
            let seeds: [Seed] = try sphere.map { .sphere(try Sphere(parsing: $0)) } + seedLabel.map(Seed.label(parsing:))
                + seedMask.map { .mask(path: $0) }
            let names = seeds.map(\.name)
            if Set(names).count != names.count { throw ValidationError("seed names must differ: \(names.joined(separator: ", "))") }
            let options = try cleaning.options()
            let runs = try cleaning.runs(bold: bold)
            var timer = PhaseTimer()
            let result = try SeedMap.run(runs: runs, maskPath: mask, seeds: seeds, options: options)
            timer.append(result.timer)
            result.warnings.forEach { warn($0) }
            for (index, maps) in result.seeds.enumerated() {
                let sidecar = JSONValue.object([
                    ("Software", .string("cohortex \(CohortexVersion.string)")),
                    ("Measure", .string("seed-to-voxel Pearson correlation, Fisher z (mean over runs)")),
                    ("Seed", .string(maps.seed.description)),
                    ("SeedVoxels", .ints(maps.seedVoxels)),
                    ("Mask", .string(mask)),
                    ("MaskVoxels", .int(result.mask.count)),
                    ("ExcludedVoxels", .int(result.excluded)),
                ] + cleaning.json(options) + [
                    ("Runs", .array(result.qc.map(\.json))),
                    ("Warnings", .array(result.warnings.map { .string($0) })),
                ])
                let name = maps.seed.name
                try timer.measure("write") {
                    try SeedMap.write(result, seed: index, zPath: outZ.replacingOccurrences(of: "{seed}", with: name),
                                      rPath: outR?.replacingOccurrences(of: "{seed}", with: name), sidecar: sidecar)
                }
            }
            reportTiming(timer)
        }
    }
}
