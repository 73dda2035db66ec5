import Foundation
import Kernels
import NIfTI

extension RegionConnectivity: Stage {
    public static let name = "conmat"

    /// An ROI-to-ROI matrix of one participant's runs.
    public struct Request: Sendable, Equatable, Codable {
        public var runs: [FunctionalRun]
        /// Integer label atlas and its optional label table.
        public var atlas: String
        public var labels: String?
        public var kind: ConnectivityMatrix.Kind
        public var estimator: ConnectivityMatrix.Estimator
        public var denoising: DenoisingOptions
        /// The matrix (TSV); its sidecar goes beside it.
        public var output: String
        /// The Fisher z matrix (default: the output name with `_z` before `.tsv`).
        public var outputZ: String?
        /// The cleaned region series, if wanted.
        public var outputTimeseries: String?

        public init(runs: [FunctionalRun], atlas: String, labels: String? = nil, kind: ConnectivityMatrix.Kind = .correlation,
                    estimator: ConnectivityMatrix.Estimator = .empirical, denoising: DenoisingOptions, output: String,
                    outputZ: String? = nil, outputTimeseries: String? = nil) {
            self.runs = runs
            self.atlas = atlas
            self.labels = labels
            self.kind = kind
            self.estimator = estimator
            self.denoising = denoising
            self.output = output
            self.outputZ = outputZ
            self.outputTimeseries = outputTimeseries
        }

        /// Where the z matrix goes.
        public var zPath: String { outputZ ?? String(output.dropLast(4)) + "_z.tsv" }

        /// Checks what can be checked before reading anything.
        public func validate() throws {
            guard !runs.isEmpty else { throw RequestError.missingInput(what: "BOLD series") }
            for path in [output] + [outputZ, outputTimeseries].compactMap({ $0 }) { try RequestError.requireExtension(path, [".tsv"]) }
        }
    }

    public struct Outcome: StageOutcome {
        public let result: Result
        public let files: [String]
        public let timer: PhaseTimer
    }

    /// Computes the matrix and writes it, its Fisher z, the optional series and the sidecar.
    public static func run(_ request: Request, context: StageContext) throws -> Outcome {
        try request.validate()
        var timer = PhaseTimer()
        let result = try timer.measure("compute") {
            try compute(runs: request.runs, atlas: request.atlas, labels: request.labels, kind: request.kind,
                        estimator: request.estimator, options: request.denoising, parallelism: context.parallelism)
        }
        result.notes.forEach(context.note)
        result.warnings.forEach(context.warn)
        var outputs = OutputSet()
        outputs.table(table(result.matrix, names: result.names), to: request.output)
        outputs.table(table(result.z, names: result.names), to: request.zPath)
        if let path = request.outputTimeseries { outputs.table(seriesTable(result.series, names: result.names), to: path) }
        var p = Provenance(stage: name)
        p.add([
            ("Measure", .string(request.kind == .correlation ? "Pearson correlation" : "partial correlation (from the precision matrix)")),
            ("CovarianceEstimator", .string(request.estimator.rawValue)),
            ("Atlas", .string(request.atlas)),
            ("Labels", request.labels.map { .string($0) } ?? .null),
            ("Regions", .array(zip(result.labels, result.names).map { .object([("index", .int($0)), ("name", .string($1))]) })),
            ("VanishedRegions", .array(result.vanished.map { .object([("index", .int($0.label)), ("name", .string($0.name))]) })),
            ("FisherZ", .string((request.zPath as NSString).lastPathComponent)),
        ])
        p.add(request.denoising.provenance(runs: request.runs, qc: result.qc))
        p.add([
            ("Notes", .array(result.notes.map { .string($0) })),
            ("Warnings", .array(result.warnings.map { .string($0) })),
        ])
        outputs.sidecar(p, for: request.output)
        let files = try timer.measure("write") { try outputs.commit(context: context) }
        return Outcome(result: result, files: files, timer: timer)
    }
}
