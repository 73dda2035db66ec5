import Foundation
import Pipeline

/// What one job does: one stage request (the same request the single command builds), or the per-session
/// QC table assembled from a functional job's sidecar.
public enum JobWork: Sendable, Codable, Equatable {
    case seedMap(SeedMap.Request)
    case conmat(RegionConnectivity.Request)
    case alff(ALFFStage.Request)
    case reho(ReHoStage.Request)
    case gmVolume(GrayMatterVolume.Request)
    case qc(QualityTable.Request)
    case glm(GroupAnalysisOptions)

    /// The stage name as sidecars and logs give it.
    public var stage: String {
        switch self {
        case .seedMap: return SeedMap.name
        case .conmat: return RegionConnectivity.name
        case .alff: return ALFFStage.name
        case .reho: return ReHoStage.name
        case .gmVolume: return GrayMatterVolume.name
        case .qc: return QualityTable.name
        case .glm: return GroupAnalysis.name
        }
    }
}

/// One unit of a cohort run: a stage for one participant (and session or run), its expected files and
/// its predicted peak memory.
public struct Job: Sendable, Identifiable {
    /// Position in the plan (jobs run and are reported in this order when resources allow).
    public let id: Int
    public let participant: String
    public let session: String?
    /// `run-1` etc. for per-run stages.
    public let run: String?
    public let work: JobWork
    /// Input files whose fingerprints decide whether the outputs are up to date.
    public let inputs: [String]
    /// Every file the job writes (outputs and sidecars).
    public let outputs: [String]
    /// The sidecars among `outputs`: each lists the outputs it describes with their CRC-64.
    public let sidecars: [String]
    /// Jobs whose outputs this job reads.
    public let dependencies: [Int]
    /// Predicted peak resident memory in bytes, from the inputs' dimensions.
    public let predictedPeakBytes: Int

    /// `seed-map sub-01 ses-1` — how logs and summaries name the job.
    public var label: String {
        ([work.stage, "sub-\(participant)"] + [session.map { "ses-\($0)" }, run].compactMap { $0 }).joined(separator: " ")
    }
}
