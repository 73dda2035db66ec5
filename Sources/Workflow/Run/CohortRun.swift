import Foundation
import NIfTI
import Pipeline

/// Everything `cohortex run … participant` needs, parsed.
public struct CohortRunRequest: Sendable {
    public var datasetRoot: String
    public var outputRoot: String
    public var pipeline: PipelineSpec
    /// `fmriprep` (and later `cat12`) derivative folders given explicitly.
    public var derivatives: [String: String]
    public var participantsFile: String?
    public var selection: Selection
    public var jobs: Int
    public var memoryGB: Double?
    public var threads: Int?
    public var verifyInputs: Bool
    public var stopOnFirstError: Bool
    public var dryRun: Bool
    public var verbosity: Verbosity
    /// Set on a cluster: the group level computes one share of every model's permutations, or combines the shares.
    public var permutationStep: GroupPermutationStep?

    public init(datasetRoot: String, outputRoot: String, pipeline: PipelineSpec, derivatives: [String: String] = [:],
                participantsFile: String? = nil, selection: Selection = Selection(), jobs: Int = 1, memoryGB: Double? = nil,
                threads: Int? = nil, verifyInputs: Bool = false, stopOnFirstError: Bool = false, dryRun: Bool = false,
                verbosity: Verbosity = .normal) {
        self.datasetRoot = datasetRoot
        self.outputRoot = outputRoot
        self.pipeline = pipeline
        self.derivatives = derivatives
        self.participantsFile = participantsFile
        self.selection = selection
        self.jobs = jobs
        self.memoryGB = memoryGB
        self.threads = threads
        self.verifyInputs = verifyInputs
        self.stopOnFirstError = stopOnFirstError
        self.dryRun = dryRun
        self.verbosity = verbosity
    }
}

/// A group level split across cluster tasks: each task computes chunk k of N of every model's permutations
/// (`chunks/chunk-<k>of<N>.glmchunk` in the model's folder), then one task combines them; the FWE p-values
/// equal a single-process run's bit for bit (the permutation stream is indexed, not sequential).
public enum GroupPermutationStep: Sendable, Equatable {
    case chunk(ChunkSelection)
    case combine
}

/// Why a cohort run cannot start at all (a participant's problem never stops the run: it is reported).
public enum CohortRunError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case outputInsideDataset(output: String, dataset: String)
    case outputIsInput(output: String)

    public var description: String {
        switch self {
        case .outputInsideDataset(let output, let dataset):
            return "\(output) is inside the BIDS dataset \(dataset): write outputs outside it, or to \(dataset)/derivatives/<name>"
        case .outputIsInput(let output): return "\(output) is an input derivatives folder: choose another output folder"
        }
    }

    public var errorDescription: String? { description }
}

/// One participant's line of the final summary.
public struct ParticipantSummary: Sendable, Equatable {
    public enum Status: String, Sendable { case done, upToDate = "up to date", failed }
    public let participant: String
    public let status: Status
    public let jobsRun: Int
    public let reasons: [String]
}

/// The result of a participant-level run.
public struct CohortRunReport: Sendable {
    public let plan: CohortPlan
    public let outcomes: [JobOutcome]
    public let summary: [ParticipantSummary]
    public let logPath: String?

    public var anyFailed: Bool { summary.contains { $0.status == .failed } }
    /// Jobs that actually ran (not up to date).
    public var jobsRun: Int { outcomes.filter { if case .ran = $0 { return true } else { return false } }.count }
}

/// `cohortex run BIDS_DIR OUTPUT_DIR participant`: discovery, plan, safety checks, execution, summary.
public enum CohortRun {
    /// What both levels start from: paths, discovery, the participant-level plan, the roster and the budget.
    struct Prepared {
        let dataset: String
        let output: String
        let inputs: [String]
        let fmriprep: String?
        let derivatives: FMRIPrepDerivatives?
        let cat12: CAT12Derivatives?
        let plan: CohortPlan
        let roster: ParticipantRoster
        let budget: ResourceBudget
    }

    static func prepare(_ request: CohortRunRequest) throws -> Prepared {
        let dataset = absolute(request.datasetRoot)
        let output = absolute(request.outputRoot)
        let spec = request.pipeline
        let needsFMRIPrep = spec.needsFunctional || spec.structural?.source == .fmriprep
        let fmriprep = needsFMRIPrep ? absolute(try FMRIPrepDerivatives.locate(in: dataset, override: request.derivatives["fmriprep"])) : nil
        var cat12Root = request.derivatives["cat12"].map(absolute)
        if spec.structural?.source == .cat12, cat12Root == nil {
            let guess = dataset + "/derivatives/cat12"
            guard FMRIPrepDerivatives.isFolder(guess) else { throw DiscoveryError.noCAT12Derivatives(root: dataset) }
            cat12Root = guess
        }
        let inputs = [fmriprep, cat12Root].compactMap { $0 }
        try checkOutput(output, dataset: dataset, inputs: inputs)
        let derivatives = try fmriprep.map { try FMRIPrepDerivatives(root: $0) }
        let cat12 = try cat12Root.map { try CAT12Derivatives(root: $0) }
        let plan = try CohortPlan(spec: spec, derivatives: derivatives, cat12: cat12, selection: request.selection,
                                  names: OutputNames(root: output))
        let roster = try ParticipantRoster(datasetRoot: dataset, file: request.participantsFile,
                                           found: (derivatives?.participants.map(\.label) ?? []) + (cat12?.participants.map(\.label) ?? []))
        let budget = ResourceBudget.detect(memoryGB: request.memoryGB, threads: request.threads)
        return Prepared(dataset: dataset, output: output, inputs: inputs, fmriprep: fmriprep, derivatives: derivatives, cat12: cat12,
                        plan: plan, roster: roster, budget: budget)
    }

    /// Plans (and unless dry-run, executes) the participant level.
    public static func participantLevel(_ request: CohortRunRequest, print: (String) -> Void) throws -> CohortRunReport {
        let prepared = try prepare(request)
        let (output, inputs, fmriprep, derivatives, plan, roster, budget) = (prepared.output, prepared.inputs, prepared.fmriprep,
                                                                             prepared.derivatives, prepared.plan, prepared.roster, prepared.budget)
        let settings = ExecutionSettings(jobs: request.jobs, budget: budget, verifyInputs: request.verifyInputs,
                                         stopOnFirstError: request.stopOnFirstError)

        if request.dryRun {
            print(PlanReport.render(plan: plan, sources: inputs, roster: roster, settings: settings, verifyInputs: request.verifyInputs))
            return CohortRunReport(plan: plan, outcomes: [], summary: [], logPath: nil)
        }

        let runID = runIdentifier()
        let log = RunLog(verbosity: request.verbosity, path: try prepareLogs(output: output, runID: runID))
        log.info("cohortex \(CohortexVersion.string) participant level, pipeline \(plan.spec.name): \(plan.participants.count) participant(s), \(plan.jobs.count) job(s), \(settings.jobs) at once, \(settings.threadsPerJob) thread(s) each, memory budget \(budget.memoryBytes.humanBytes) (\(budget.memorySource))")
        for source in inputs { log.info("inputs: \(source)\(source == fmriprep ? derivatives?.generatedBy.map { " (\($0))" } ?? "" : "")") }
        roster.notes.forEach(log.warning)
        plan.notes.forEach(log.detail)
        for skipped in plan.skipped { log.detail("skipped \(skipped.path): \(skipped.reason)") }
        for problem in plan.problems { log.error("sub-\(problem.participant): \(problem.reason)") }
        let hash = configurationHash(plan.spec)
        try DatasetDescription.install(DatasetDescription.cohortex(pipeline: plan.spec.name, configurationHash: hash, sources: inputs), in: output)
        try GroupLevel.writeIfChanged(Citation.markdown(spec: plan.spec, space: plan.space, fmriprep: derivatives?.generatedBy, configurationHash: hash),
                                      to: output + "/logs/CITATION.md")
        // Temporaries a killed run left (hidden `.NAME.tmp-HOST-PID-…`) go now, also in folders whose jobs are up to date;
        // those of a process still running (another array task) are kept.
        for folder in Set(plan.jobs.flatMap { $0.outputs.map { ($0 as NSString).deletingLastPathComponent } }).sorted()
        where FMRIPrepDerivatives.isFolder(folder) {
            _ = TemporaryName.removeStale(in: folder)
        }
        let outcomes = LocalExecutor(plan: plan, settings: settings, log: log).run()
        let summary = summarize(plan: plan, outcomes: outcomes)
        let report = CohortRunReport(plan: plan, outcomes: outcomes, summary: summary, logPath: log.path)
        for line in PlanReport.summaryTable(report).split(separator: "\n") { log.record(String(line)) }
        return report
    }

    /// The configuration hash recorded in dataset_description.json (CRC-64 of the resolved pipeline as canonical JSON).
    public static func configurationHash(_ spec: PipelineSpec) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(spec)).map(Array.init) ?? []
        return FileChecksum.text(FileChecksum.crc64(of: bytes))
    }

    static func summarize(plan: CohortPlan, outcomes: [JobOutcome]) -> [ParticipantSummary] {
        var labels = plan.participants
        for problem in plan.problems where !labels.contains(problem.participant) { labels.append(problem.participant) }
        return labels.sorted().map { label in
            let jobs = plan.jobs.filter { $0.participant == label }
            var reasons = plan.problems.filter { $0.participant == label }.map(\.reason)
            var ran = 0, failed = !reasons.isEmpty
            for job in jobs {
                switch outcomes[job.id] {
                case .ran: ran += 1
                case .upToDate, .skipped: break
                case .failed(let reason): failed = true; reasons.append("\(job.work.stage): \(reason)")
                case .notRun(let reason): failed = true; reasons.append("\(job.work.stage) not run: \(reason)")
                }
            }
            return ParticipantSummary(participant: label, status: failed ? .failed : ran > 0 ? .done : .upToDate, jobsRun: ran, reasons: reasons)
        }
    }

    /// Refuses an output folder inside the raw dataset (other than `derivatives/<name>`) or equal to an input.
    static func checkOutput(_ output: String, dataset: String, inputs: [String]) throws {
        if inputs.contains(output) { throw CohortRunError.outputIsInput(output: output) }
        if output == dataset { throw CohortRunError.outputInsideDataset(output: output, dataset: dataset) }
        if output.hasPrefix(dataset + "/") {
            let rest = output.dropFirst(dataset.count + 1).split(separator: "/")
            guard rest.count == 2, rest[0] == "derivatives" else { throw CohortRunError.outputInsideDataset(output: output, dataset: dataset) }
        }
        for input in inputs where output.hasPrefix(input + "/") { throw CohortRunError.outputIsInput(output: output) }
    }

    static func absolute(_ path: String) -> String {
        let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var result = (full as NSString).standardizingPath
        while result.count > 1 && result.hasSuffix("/") { result.removeLast() }
        return result
    }

    static func runIdentifier() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date()) + "-\(SystemCalls.processID)"
    }

    static func prepareLogs(output: String, runID: String) throws -> String {
        let folder = output + "/logs"
        do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
            throw NIfTIError.writeFailed(path: folder, reason: error.localizedDescription)
        }
        return folder + "/\(runID).log"
    }
}
