import Foundation
import NIfTI
import Pipeline

/// The per-session QC table (`desc-linc_qc.tsv`): one row per run, XCP-D's column names where XCP-D has
/// the measure (`mean_fd`, `num_dummy_volumes`, `num_censored_volumes`, `num_retained_volumes`), then ours.
/// Built from the `Runs` record of a functional stage's sidecar, so it never re-reads a BOLD series.
public enum QualityTable: Stage {
    public static let name = "qc"

    public struct Request: Sendable, Equatable, Codable {
        /// A functional stage's sidecar holding `Runs`.
        public var source: String
        /// Seed names, for the seed voxel count column.
        public var seeds: [String]
        public var output: String
    }

    public struct Outcome: StageOutcome {
        public let table: TSVTable
        public let files: [String]
        public let timer: PhaseTimer
    }

    public static let columns = [
        "sub", "ses", "task", "acq", "run", "space", "res",
        "mean_fd", "max_fd", "num_dummy_volumes", "num_censored_volumes", "num_retained_volumes",
        "num_volumes", "num_non_steady_state_volumes", "num_motion_outliers", "percent_censored", "retained_minutes",
        "effective_dof", "median_tsnr", "confound_rank", "num_confounds", "seed_voxels",
    ]

    public static func run(_ request: Request, context: StageContext) throws -> Outcome {
        var timer = PhaseTimer()
        let runs = try timer.measure("read") { try Self.runs(in: request.source) }
        var rows: [[String]] = []
        for run in runs {
            let bold = run["Bold"] as? String ?? ""
            let name = BIDSName(fileName: (bold as NSString).lastPathComponent)
            func number(_ key: String) -> String {
                guard let value = run[key] as? Double, value.isFinite else { return "n/a" }
                return TSVTable.format(value)
            }
            func count(_ key: String) -> String {
                guard let value = run[key] as? Double, value.isFinite, value == value.rounded() else { return "n/a" }
                return String(Int(value))
            }
            let kept = run["KeptVolumes"] as? Int ?? 0
            let minutes = (run["RepetitionTime"] as? Double).map { TSVTable.format(Double(kept) * $0 / 60) } ?? "n/a"
            rows.append(["sub", "ses", "task", "acq", "run", "space", "res"].map { name?[$0] ?? "n/a" } + [
                number("MeanFramewiseDisplacement"), number("MaxFramewiseDisplacement"), count("DummyScans"),
                count("CensoredVolumes"), count("KeptVolumes"), count("Volumes"), count("NonSteadyStateVolumes"),
                count("MotionOutliers"), number("PercentCensored"), minutes, number("EffectiveDegreesOfFreedom"),
                number("MedianTSNR"), count("ConfoundRank"), String((run["ConfoundColumns"] as? [Any])?.count ?? 0),
                count("SeedVoxels"),
            ])
        }
        let table = TSVTable(columns: columns, rows: rows)
        var outputs = OutputSet()
        outputs.table(table, to: request.output)
        var p = Provenance(stage: name)
        p.add([
            ("Description", .string("Per-run quality figures of the runs combined in this session's connectivity outputs")),
            // The source sits in the same folder: its name alone keeps the sidecar identical wherever the outputs live.
            ("Source", .string((request.source as NSString).lastPathComponent)),
            ("Columns", .object([
                ("mean_fd", .string("mean framewise displacement (Power), mm, over all volumes")),
                ("num_censored_volumes", .string("volumes censored by the FD/DVARS thresholds, non-steady-state flags or a sample mask (dummy scans excluded)")),
                ("num_retained_volumes", .string("volumes kept for correlation")),
                ("effective_dof", .string("effective temporal degrees of freedom of the cleaning operator (tr(CC')^2 / tr((CC')^2))")),
                ("median_tsnr", .string("median over mask voxels of mean / SD of the uncleaned series")),
                ("seed_voxels", .string("voxels of the first seed inside the mask")),
            ])),
        ])
        outputs.sidecar(p, for: request.output)
        let files = try timer.measure("write") { try outputs.commit(context: context) }
        return Outcome(table: table, files: files, timer: timer)
    }

    /// The `Runs` array of a stage sidecar.
    static func runs(in sidecar: String) throws -> [[String: Any]] {
        guard let data = FileManager.default.contents(atPath: sidecar),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let runs = object["Runs"] as? [[String: Any]] else {
            throw QualityTableError.noRuns(path: sidecar)
        }
        return runs
    }
}

/// A sidecar without the run records the QC table is built from.
public enum QualityTableError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case noRuns(path: String)

    public var description: String {
        switch self {
        case .noRuns(let path): return "\(path): no Runs record (not the sidecar of a functional stage, or damaged)"
        }
    }

    public var errorDescription: String? { description }
}
