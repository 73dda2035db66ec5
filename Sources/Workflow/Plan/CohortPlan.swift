import Foundation
import NIfTI
import Pipeline

/// Which part of the dataset a run covers.
public struct Selection: Sendable, Equatable {
    /// Participant labels (without `sub-`); empty = everyone found.
    public var participants: [String] = []
    /// Session labels; empty = every session.
    public var sessions: [String] = []
    /// Overrides the pipeline's space.
    public var space: Space?
    /// Overrides the pipeline's task.
    public var task: String?

    public init(participants: [String] = [], sessions: [String] = [], space: Space? = nil, task: String? = nil) {
        self.participants = participants
        self.sessions = sessions
        self.space = space
        self.task = task
    }

    /// Checks every label is a BIDS label (letters and digits), accepting a leading `sub-`/`ses-`.
    public static func labels(_ values: [String], prefix: String, what: String) throws -> [String] {
        try values.map { value in
            let label = value.hasPrefix(prefix) ? String(value.dropFirst(prefix.count)) : value
            guard BIDSName.isLabel(label) else { throw DiscoveryError.invalidLabel(what: what, label: value) }
            return label
        }
    }
}

/// A participant that cannot be run, and why (reported; the others go on).
public struct ParticipantProblem: Sendable, Equatable {
    public let participant: String
    public let reason: String
}

/// The jobs of one level of a cohort run, in a fixed order, with what was found and what is missing.
public struct CohortPlan: Sendable {
    public let spec: PipelineSpec
    public let space: Space?
    public let task: String
    public let jobs: [Job]
    /// Participants with at least one job.
    public let participants: [String]
    /// Runs planned per participant (for the summary).
    public let runCounts: [String: Int]
    public let problems: [ParticipantProblem]
    public let skipped: [SkippedFile]
    public let notes: [String]

    /// Plans the participant level of `spec` over `derivatives`, writing under `names.root`.
    public init(spec: PipelineSpec, derivatives fmriprep: FMRIPrepDerivatives?, cat12: CAT12Derivatives? = nil, selection: Selection,
                names: OutputNames) throws {
        self.spec = spec
        let task = selection.task ?? spec.task
        self.task = task
        var builder = PlanBuilder(spec: spec, names: names, task: task)
        builder.cat12 = Dictionary(grouping: cat12?.participants ?? [], by: \.label)
        var everyone = fmriprep?.participants ?? []
        if spec.structural?.source == .cat12 {
            let known = Set(everyone.map(\.label))
            everyone += Set(builder.cat12.keys).subtracting(known).sorted().map { ParticipantDerivatives(label: $0) }
            everyone.sort { $0.label < $1.label }
        }
        let found = Dictionary(uniqueKeysWithValues: everyone.map { ($0.label, $0) })
        let unknown = selection.participants.filter { found[$0] == nil }
        guard unknown.isEmpty else { throw DiscoveryError.unknownParticipants(labels: unknown) }
        let chosen = selection.participants.isEmpty ? everyone : selection.participants.compactMap { found[$0] }
        let derivatives = fmriprep ?? FMRIPrepDerivatives.empty

        if spec.needsFunctional {
            let requested = selection.space ?? spec.space ?? Space(name: "MNI152NLin2009cAsym")
            let withTask = Set(derivatives.participants.flatMap { $0.runs.filter { $0.task == task }.map { $0.space } })
            let picked = try requested.pick(among: withTask)
            if spec.seedMap != nil, !picked.isMNI {
                throw DiscoveryError.spaceNotFound(requested: "an MNI template space for seeds given in MNI mm (got \(picked))",
                                                   available: withTask.sorted().map(\.description))
            }
            space = picked
        } else {
            space = selection.space ?? spec.space
        }
        builder.space = space
        for participant in chosen {
            builder.add(participant, sessions: selection.sessions)
        }
        jobs = builder.jobs
        participants = builder.planned
        runCounts = builder.runCounts
        problems = builder.problems
        skipped = derivatives.skipped + (cat12?.skipped ?? [])
        notes = builder.notes
    }
}
