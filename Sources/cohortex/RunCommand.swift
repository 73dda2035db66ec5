import ArgumentParser
import Foundation
import Pipeline
import Workflow

/// The analysis level of a cohort run (BIDS-Apps convention).
enum AnalysisLevel: String, ExpressibleByArgument, CaseIterable {
    case participant
    case group
    /// Participant level, then group level (on SLURM: the group job depends on the participant arrays).
    case all
}

/// A `NAME=DIR` derivatives folder.
struct NamedFolder: ExpressibleByArgument {
    var name: String
    var path: String

    init?(argument: String) {
        let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, ["fmriprep", "cat12"].contains(parts[0]), !parts[1].isEmpty else { return nil }
        name = parts[0]
        path = parts[1]
    }
}

extension Space: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline over a whole fMRIPrep cohort (BIDS-Apps: BIDS_DIR OUTPUT_DIR participant).",
        discussion: """
        Finds fMRIPrep's outputs (BIDS_DIR/derivatives/fmriprep, the fMRIPrep folder itself, or \
        --derivatives fmriprep=DIR), plans one job per stage × participant × session (ALFF/ReHo per run), \
        runs them with a memory-aware limit and writes a BIDS derivatives dataset to OUTPUT_DIR. A rerun \
        skips every job whose outputs match their inputs and parameters; a failing participant is reported \
        and the others finish (exit status 1 if anything failed).
        """
    )

    @Argument(help: "Raw BIDS dataset (with derivatives/fmriprep) or fMRIPrep's output folder.")
    var bidsDir: String

    @Argument(help: "Output folder (a BIDS derivatives dataset).")
    var outputDir: String

    @Argument(help: "Analysis level: participant, group or all.")
    var level: AnalysisLevel

    @Option(help: "Pipeline: a preset name (see `cohortex pipelines`) or a YAML file.")
    var pipeline: String

    @Option(parsing: .upToNextOption, help: "Derivatives folders NAME=DIR (fmriprep=…, cat12=…).")
    var derivatives: [NamedFolder] = []

    @Option(help: "participants.tsv to use instead of BIDS_DIR/participants.tsv.")
    var participants: String?

    @Option(name: .customLong("participant-label"), parsing: .upToNextOption, help: "Only these participants (with or without sub-).")
    var participantLabels: [String] = []

    @Option(name: .customLong("session-label"), parsing: .upToNextOption, help: "Only these sessions (with or without ses-).")
    var sessionLabels: [String] = []

    @Option(help: "Task label (default: the pipeline's, else rest).")
    var task: String?

    @Option(help: "Output space as fMRIPrep names it: NAME or NAME:res-N (default: the pipeline's).")
    var space: Space?

    @Option(help: "Jobs run at once (participants in parallel).")
    var jobs: Int = 1

    @Option(name: .customLong("mem-gb"), help: "Memory budget in GB (default: cgroup or SLURM limit, else 80 % of RAM).")
    var memGB: Double?

    @Flag(name: .customLong("verify-inputs"), help: "Compare inputs by content hash, not only size and modification time.")
    var verifyInputs = false

    @Flag(name: .customLong("stop-on-first-error"), help: "Stop at the first failing job (debugging).")
    var stopOnFirstError = false

    @Flag(name: .customLong("dry-run"), help: "Print the plan (what is found, up to date, would run) and write nothing.")
    var dryRun = false

    @Option(help: "Where jobs run: local (this machine) or slurm (job arrays; see the SLURM options).")
    var executor: ExecutorKind = .local

    @OptionGroup(title: "SLURM executor") var slurm: SlurmOptions

    // The two halves of a split group level, as the SLURM executor's tasks call them.
    @Option(name: .customLong("glm-chunk"), help: ArgumentHelp("Group level: compute only permutation chunk k of N of every model.",
                                                               valueName: "k/N", visibility: .hidden),
            transform: GLMCommand.chunk)
    var glmChunk: ChunkSelection?

    @Flag(name: .customLong("glm-combine"), help: ArgumentHelp("Group level: combine every model's permutation chunks.", visibility: .hidden))
    var glmCombine = false

    @Flag(name: .shortAndLong, help: "Log every job.")
    var verbose = false

    @Flag(name: .shortAndLong, help: "Only errors and the summary.")
    var quiet = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1, got \(jobs)") }
        if let memGB, !(memGB > 0 && memGB.isFinite) { throw ValidationError("--mem-gb must be a positive number, got \(memGB)") }
        if verbose && quiet { throw ValidationError("--verbose and --quiet exclude each other") }
        if let task, !BIDSName.isLabel(task) { throw ValidationError("--task '\(task)': a BIDS label has letters and digits only") }
        do {
            _ = try Selection.labels(participantLabels, prefix: "sub-", what: "--participant-label")
            _ = try Selection.labels(sessionLabels, prefix: "ses-", what: "--session-label")
        } catch { throw ValidationError(describe(error)) }
        if Set(derivatives.map(\.name)).count != derivatives.count { throw ValidationError("--derivatives names a folder kind twice") }
        if glmChunk != nil || glmCombine {
            if glmChunk != nil && glmCombine { throw ValidationError("--glm-chunk and --glm-combine exclude each other") }
            if level != .group || executor != .local { throw ValidationError("--glm-chunk and --glm-combine belong to a local group level") }
        }
        if slurm.groupChunks > 1 && executor != .slurm { throw ValidationError("--group-chunks splits the group level over SLURM tasks: add --executor slurm") }
    }

    /// The options every cluster task repeats: the same pipeline, selections and inputs (paths made absolute).
    var taskArguments: [String] {
        var arguments = ["--pipeline", FileManager.default.fileExists(atPath: pipeline) ? absolute(pipeline) : pipeline]
        for folder in derivatives { arguments += ["--derivatives", "\(folder.name)=\(absolute(folder.path))"] }
        if let participants { arguments += ["--participants", absolute(participants)] }
        if let task { arguments += ["--task", task] }
        if let space { arguments += ["--space", space.description] }
        if !sessionLabels.isEmpty { arguments += ["--session-label"] + sessionLabels }
        if let memGB { arguments += ["--mem-gb", String(memGB)] }
        if verifyInputs { arguments.append("--verify-inputs") }
        arguments.append("-q")
        return arguments
    }

    private func absolute(_ path: String) -> String {
        ((path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path) as NSString).standardizingPath
    }

    func run() throws {
        try reportingErrors {
            let spec = try PipelineSpec.load(pipeline)
            var request = CohortRunRequest(
                datasetRoot: bidsDir, outputRoot: outputDir, pipeline: spec,
                derivatives: Dictionary(uniqueKeysWithValues: derivatives.map { ($0.name, $0.path) }),
                participantsFile: participants,
                selection: Selection(participants: try Selection.labels(participantLabels, prefix: "sub-", what: "participant label"),
                                     sessions: try Selection.labels(sessionLabels, prefix: "ses-", what: "session label"),
                                     space: space, task: task),
                jobs: jobs, memoryGB: memGB, threads: global.threads, verifyInputs: verifyInputs,
                stopOnFirstError: stopOnFirstError, dryRun: dryRun, verbosity: quiet ? .quiet : verbose ? .verbose : .normal)
            request.permutationStep = glmChunk.map { .chunk($0) } ?? (glmCombine ? .combine : nil)
            if executor == .slurm {
                let submission = try SlurmExecutor.submit(request, level: SlurmExecutor.Level(rawValue: level.rawValue)!,
                                                          settings: slurm.settings(memoryGB: memGB), taskArguments: taskArguments) { print($0) }
                if !dryRun {
                    let parts = submission.arrays.map { "array \($0.jobID) (\($0.labels.count) participant(s))" }
                        + (submission.chunkJob.map { ["group chunk array \($0) (\(submission.chunkCount ?? 0) task(s))"] } ?? [])
                        + (submission.groupJob.map { ["group job \($0)"] } ?? [])
                    note("submitted \(parts.joined(separator: ", "))"
                         + "; follow with: cohortex status \(outputDir)")
                }
                return
            }
            if level == .all {
                let report = try CohortRun.participantLevel(request) { print($0) }
                if !dryRun { print(PlanReport.summaryTable(report)) }
                let group = try GroupLevel.run(request) { print($0) }
                if !dryRun { print(GroupSummaryText.render(group)) }
                if report.anyFailed || group.anyFailed { throw ExitCode(1) }
                return
            }
            if level == .group {
                let report = try GroupLevel.run(request) { print($0) }
                if dryRun { return }
                print(GroupSummaryText.render(report))
                if let log = report.logPath { note("log: \(log)") }
                if report.anyFailed { throw ExitCode(1) }
                return
            }
            let report = try CohortRun.participantLevel(request) { print($0) }
            if !dryRun {
                print(PlanReport.summaryTable(report))
                if let log = report.logPath { note("log: \(log)") }
                if report.anyFailed { throw ExitCode(1) }
            }
        }
    }
}

struct PipelinesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipelines",
        abstract: "List the preset pipelines, or print one as YAML (`cohortex pipelines show NAME`).",
        subcommands: [ListPipelines.self, ShowPipeline.self],
        defaultSubcommand: ListPipelines.self
    )

    struct ListPipelines: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the presets with a one-line description.")

        func run() throws {
            try reportingErrors {
                for preset in Presets.all {
                    let spec = try PipelineSpec(yaml: preset.yaml, file: "preset \(preset.name)")
                    print("\(preset.name.padding(toLength: 26, withPad: " ", startingAt: 0))\(spec.description)")
                }
            }
        }
    }

    struct ShowPipeline: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a preset as YAML (a starting point for your own file).")

        @Argument(help: "Preset name.")
        var name: String

        func validate() throws {
            guard Presets.all.contains(where: { $0.name == name }) else {
                throw ValidationError("no preset '\(name)' (presets: \(Presets.all.map(\.name).joined(separator: ", ")))")
            }
        }

        func run() throws {
            print(Presets.all.first { $0.name == name }!.yaml, terminator: "")
        }
    }
}
