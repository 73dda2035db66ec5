import Foundation
import Kernels
import NIfTI

extension SeedMap: Stage {
    public static let name = "seed-map"

    /// Seed-to-voxel maps of one participant's runs.
    public struct Request: Sendable, Equatable, Codable {
        public var runs: [FunctionalRun]
        /// Brain mask on the BOLD grid.
        public var mask: String
        public var seeds: [Seed]
        public var denoising: DenoisingOptions
        /// Fisher z map; with several seeds `{seed}` in the name stands for each seed's name.
        public var outputZ: String
        /// Pearson r map (same naming), if wanted.
        public var outputR: String?

        public init(runs: [FunctionalRun], mask: String, seeds: [Seed], denoising: DenoisingOptions,
                    outputZ: String, outputR: String? = nil) {
            self.runs = runs
            self.mask = mask
            self.seeds = seeds
            self.denoising = denoising
            self.outputZ = outputZ
            self.outputR = outputR
        }

        /// Checks what can be checked before reading anything.
        public func validate() throws {
            guard !runs.isEmpty else { throw RequestError.missingInput(what: "BOLD series") }
            guard !seeds.isEmpty else { throw RequestError.missingInput(what: "seed") }
            let names = seeds.map(\.name)
            if Set(names).count != names.count { throw RequestError.duplicateNames(what: "seed names", names: names) }
            for path in [outputZ] + (outputR.map { [$0] } ?? []) {
                try RequestError.requireExtension(path, RequestError.imageExtensions)
                if seeds.count > 1 && !path.contains("{seed}") { throw RequestError.seedPlaceholderMissing(seeds: seeds.count, path: path) }
            }
        }

        /// The output paths of seed `name`.
        public func paths(seed name: String) -> (z: String, r: String?) {
            (outputZ.replacingOccurrences(of: "{seed}", with: name), outputR?.replacingOccurrences(of: "{seed}", with: name))
        }
    }

    public struct Outcome: StageOutcome {
        public let result: Result
        public let files: [String]
        public let timer: PhaseTimer
    }

    /// Computes every seed's maps and writes them (z, then r, per seed) with one sidecar per seed.
    public static func run(_ request: Request, context: StageContext) throws -> Outcome {
        try request.validate()
        let result = try compute(runs: request.runs, maskPath: request.mask, seeds: request.seeds, options: request.denoising,
                                 parallelism: context.parallelism)
        var timer = result.timer
        result.warnings.forEach(context.warn)
        // Degrees of freedom of the r map's intent: the fewest kept volumes over the runs, minus 3.
        let dof = Double((result.qc.map(\.keptVolumes).min() ?? 3) - 3)
        var outputs = OutputSet()
        for maps in result.seeds {
            let (zPath, rPath) = request.paths(seed: maps.seed.name)
            outputs.image(result.mask.scatter(maps.z), to: zPath, intent: .zScore, intentName: "FisherZ",
                          description: "cohortex seed-map \(maps.seed.name) Fisher z")
            if let rPath {
                outputs.image(result.mask.scatter(maps.r), to: rPath, intent: .correlation(degreesOfFreedom: dof),
                              intentName: "PearsonR", description: "cohortex seed-map \(maps.seed.name) Pearson r")
            }
            var p = Provenance(stage: name)
            p.add([
                ("Measure", .string("seed-to-voxel Pearson correlation, Fisher z (mean over runs)")),
                ("Seed", .string(maps.seed.description)),
                ("SeedVoxels", .ints(maps.seedVoxels)),
                ("Mask", .string(request.mask)),
                ("MaskVoxels", .int(result.mask.count)),
                ("ExcludedVoxels", .int(result.excluded)),
            ])
            p.add(request.denoising.provenance(runs: request.runs, qc: result.qc))
            p.add("Warnings", .array(result.warnings.map { .string($0) }))
            outputs.sidecar(p, for: zPath)
        }
        let files = try timer.measure("write") { try outputs.commit(context: context) }
        return Outcome(result: result, files: files, timer: timer)
    }
}
