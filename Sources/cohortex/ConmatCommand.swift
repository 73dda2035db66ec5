import ArgumentParser
import Foundation
import Kernels
import NIfTI
import Pipeline

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

    /// The stage request the flags describe.
    var request: RegionConnectivity.Request {
        get throws {
            RegionConnectivity.Request(runs: try cleaning.runs(bold: bold), atlas: atlas, labels: labels, kind: kind,
                                       estimator: estimator, denoising: cleaning.options, output: out, outputZ: outZ,
                                       outputTimeseries: outTimeseries)
        }
    }

    func validate() throws {
        if bold.isEmpty { throw ValidationError("give the BOLD series with --bold") }
        _ = try validated(try request) { try $0.validate() }
    }

    func run() throws {
        try reportingErrors {
            let outcome = try RegionConnectivity.run(try request, context: global.context)
            reportTiming(outcome.timer)
        }
    }
}
