import ArgumentParser
import Foundation
import Kernels
import NIfTI
import Pipeline

extension ConnectivityMatrix.Kind: ExpressibleByArgument {}
extension ConnectivityMatrix.Estimator: ExpressibleByArgument {}

struct ConmatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conmat",
        abstract: "ROI-to-ROI connectivity matrix (correlation or partial correlation) from atlas region signals.",
        discussion: """
        Region signal = mean of the raw voxels of each label (atlas carried onto the BOLD grid by nearest \
        neighbour), cleaned as in seed-map. Writes the matrix and its Fisher z as TSV with region names as \
        header and first column, and a JSON sidecar listing QC and any region that vanished on the BOLD grid.
        """
    )

    @Option(help: "Preprocessed BOLD series (repeat for several runs; matrices are averaged in Fisher z).")
    var bold: [String] = []

    @Option(help: "Integer label atlas.")
    var atlas: String

    @Option(help: "Label table: TSV with index and name columns, or `index name` lines.")
    var labels: String?

    @OptionGroup var cleaning: CleaningOptions

    @Option(help: "correlation or partial.")
    var kind: ConnectivityMatrix.Kind = .correlation

    @Option(help: "Covariance estimator: empirical or ledoit-wolf.")
    var estimator: ConnectivityMatrix.Estimator = .empirical

    @Option(help: "Output matrix TSV (r or partial r).")
    var out: String

    @Option(help: "Output Fisher z matrix TSV (default: OUT with _z before .tsv).")
    var outZ: String?

    @Option(help: "Also write the cleaned region time series (TSV).")
    var outTimeseries: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if bold.isEmpty { throw ValidationError("give the BOLD series with --bold") }
        for path in [out] + [outZ, outTimeseries].compactMap({ $0 }) where !path.hasSuffix(".tsv") {
            throw ValidationError("table outputs must end in .tsv: \(path)")
        }
    }

    func run() throws {
        global.apply()
        try reportingErrors {
            let options = try cleaning.options()
            let result = try RegionConnectivity.run(runs: try cleaning.runs(bold: bold), atlas: atlas, labels: labels,
                                                    kind: kind, estimator: estimator, options: options)
            result.notes.forEach { FileHandle.standardError.write(Data("cohortex: \($0)\n".utf8)) }
            result.warnings.forEach { warn($0) }
            let zPath = outZ ?? String(out.dropLast(4)) + "_z.tsv"
            try RegionConnectivity.table(result.matrix, names: result.names).write(to: out)
            try RegionConnectivity.table(result.z, names: result.names).write(to: zPath)
            if let outTimeseries { try RegionConnectivity.seriesTable(result.series, names: result.names).write(to: outTimeseries) }
            let sidecar = JSONValue.object([
                ("Software", .string("cohortex \(CohortexVersion.string)")),
                ("Measure", .string(kind == .correlation ? "Pearson correlation" : "partial correlation (from the precision matrix)")),
                ("CovarianceEstimator", .string(estimator.rawValue)),
                ("Atlas", .string(atlas)),
                ("Labels", labels.map { .string($0) } ?? .null),
                ("Regions", .array(zip(result.labels, result.names).map { .object([("index", .int($0)), ("name", .string($1))]) })),
                ("VanishedRegions", .array(result.vanished.map { .object([("index", .int($0.label)), ("name", .string($0.name))]) })),
                ("FisherZ", .string(zPath)),
            ] + cleaning.json(options) + [
                ("Runs", .array(result.qc.map(\.json))),
                ("Notes", .array(result.notes.map { .string($0) })),
                ("Warnings", .array(result.warnings.map { .string($0) })),
            ])
            try AtomicFile.write(sidecar.rendered(pretty: true) + "\n", to: String(out.dropLast(4)) + ".json")
        }
    }
}
