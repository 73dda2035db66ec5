import Foundation

/// The contract every pipeline step keeps, so one orchestrator can call them all alike — from the
/// command line, from a pipeline file, many participants in one process or one per cluster task:
/// a `Request` value (inputs, parameters, output paths; serialisable) → `run(request, context)` →
/// an `Outcome` naming the files written. The stage writes its outputs and their JSON sidecar itself.
public protocol Stage {
    /// Inputs, parameters and output paths of one run of the stage.
    associatedtype Request: Sendable & Codable
    /// What a run produced.
    associatedtype Outcome: StageOutcome

    /// The stage's name as it appears in sidecars and logs (`seed-map`, `glm`, …).
    static var name: String { get }

    /// Runs the stage: reads the inputs, computes, writes every output and its sidecar.
    static func run(_ request: Request, context: StageContext) throws -> Outcome
}

/// What every stage outcome reports.
public protocol StageOutcome: Sendable {
    /// Every file the run wrote, sidecars included, in the order written.
    var files: [String] { get }
    /// Wall time of the run's phases (read, compute, write).
    var timer: PhaseTimer { get }
}
