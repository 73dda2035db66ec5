import Foundation
import Kernels
import NIfTI
import Pipeline

/// How a job ended.
public enum JobOutcome: Sendable, Equatable {
    /// Ran and wrote its outputs, in this many seconds.
    case ran(seconds: Double, reason: String)
    /// Outputs already matched the fingerprint: nothing was touched.
    case upToDate
    case failed(reason: String)
    /// Not started: a job it depends on failed, or the run stopped at the first error.
    case notRun(reason: String)
    /// Deliberately not run (an optional group model whose columns are absent).
    case skipped(reason: String)

    public var isFailure: Bool {
        switch self {
        case .failed, .notRun: return true
        default: return false
        }
    }
}

/// Settings of one local execution.
public struct ExecutionSettings: Sendable {
    /// Jobs run at once (at most; memory may allow fewer).
    public var jobs: Int
    public var budget: ResourceBudget
    /// Also compare inputs' content hashes, not only size and modification time.
    public var verifyInputs: Bool
    public var stopOnFirstError: Bool

    public init(jobs: Int, budget: ResourceBudget, verifyInputs: Bool = false, stopOnFirstError: Bool = false) {
        self.jobs = jobs
        self.budget = budget
        self.verifyInputs = verifyInputs
        self.stopOnFirstError = stopOnFirstError
    }

    /// Threads each running job gets: the cores shared between concurrent jobs.
    public var threadsPerJob: Int { max(1, budget.cores / max(1, jobs)) }
}

/// Runs a plan's jobs on this machine: up to `jobs` at once in plan order, never starting one whose
/// predicted peak memory would exceed what is left of the budget (a job larger than the whole budget
/// runs alone), dependencies first. Each job checks its fingerprint and is skipped when up to date.
public final class LocalExecutor: @unchecked Sendable {
    // @unchecked: all mutable state below is guarded by `condition`.
    private let plan: CohortPlan
    private let settings: ExecutionSettings
    private let log: RunLog
    private let condition = NSCondition()
    private var pending: [Int]
    private var outcomes: [Int: JobOutcome] = [:]
    private var running = 0
    private var memoryInUse = 0
    private var stopped = false
    private let started = Date()

    public init(plan: CohortPlan, settings: ExecutionSettings, log: RunLog) {
        self.plan = plan
        self.settings = settings
        self.log = log
        pending = plan.jobs.map(\.id)
    }

    /// Runs every job; returns each job's outcome, in plan order.
    public func run() -> [JobOutcome] {
        let workers = max(1, min(settings.jobs, plan.jobs.count))
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            Thread.detachNewThread { [self] in
                work()
                group.leave()
            }
        }
        group.wait()
        return plan.jobs.map { outcomes[$0.id] ?? .notRun(reason: "not started") }
    }

    private func work() {
        condition.lock()
        while true {
            guard !pending.isEmpty else { break }
            if stopped {
                for id in pending { outcomes[id] = .notRun(reason: "the run stopped at the first error") }
                pending.removeAll()
                break
            }
            var chosen: Int?
            for (position, id) in pending.enumerated() {
                let job = plan.jobs[id]
                if let failed = job.dependencies.first(where: { outcomes[$0]?.isFailure == true }) {
                    outcomes[id] = .notRun(reason: "\(plan.jobs[failed].label) failed")
                    pending.remove(at: position)
                    chosen = -1
                    break
                }
                guard job.dependencies.allSatisfy({ outcomes[$0] != nil }) else { continue }
                if running == 0 || memoryInUse + job.predictedPeakBytes <= settings.budget.memoryBytes {
                    pending.remove(at: position)
                    chosen = id
                    break
                }
            }
            guard let id = chosen else {
                condition.wait()
                continue
            }
            if id < 0 { condition.broadcast(); continue }
            let job = plan.jobs[id]
            if job.predictedPeakBytes > settings.budget.memoryBytes {
                log.warning("\(job.label): predicted peak \(job.predictedPeakBytes.humanBytes) exceeds the memory budget \(settings.budget.memoryBytes.humanBytes); it runs alone")
            }
            running += 1
            memoryInUse += job.predictedPeakBytes
            condition.unlock()
            let outcome = execute(job)
            condition.lock()
            running -= 1
            memoryInUse -= job.predictedPeakBytes
            outcomes[id] = outcome
            if case .failed = outcome, settings.stopOnFirstError { stopped = true }
            showProgress()
            condition.broadcast()
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Checks the job's fingerprint, runs its stage if needed, and reports.
    private func execute(_ job: Job) -> JobOutcome {
        let fingerprint: JobFingerprint
        do { fingerprint = try JobFingerprint(job: job, verifyInputs: settings.verifyInputs) } catch {
            log.error("\(job.label): \(PlanBuilder.describe(error))")
            return .failed(reason: PlanBuilder.describe(error))
        }
        let status = JobStatus.check(job, fingerprint: fingerprint)
        guard case .mustRun(let reason) = status else {
            log.detail("\(job.label): up to date")
            return .upToDate
        }
        log.detail("\(job.label): running (\(reason))")
        let context = StageContext(parallelism: Parallelism(threads: settings.threadsPerJob),
                                   diagnostics: JobDiagnostics(label: job.label, log: log),
                                   sidecarExtras: [("Job", fingerprint.json)])
        let clock = Date()
        do {
            try Self.runStage(job.work, context: context)
        } catch {
            let reason = PlanBuilder.describe(error)
            log.error("\(job.label): \(reason)")
            return .failed(reason: reason)
        }
        let seconds = Date().timeIntervalSince(clock)
        log.info("\(job.label): done in \(String(format: "%.1f", seconds)) s")
        return .ran(seconds: seconds, reason: reason)
    }

    /// Calls the stage the job names: the same library call the single command makes.
    static func runStage(_ work: JobWork, context: StageContext) throws {
        switch work {
        case .seedMap(let request): _ = try SeedMap.run(request, context: context)
        case .conmat(let request): _ = try RegionConnectivity.run(request, context: context)
        case .alff(let request): _ = try ALFFStage.run(request, context: context)
        case .reho(let request): _ = try ReHoStage.run(request, context: context)
        case .gmVolume(let request): _ = try GrayMatterVolume.run(request, context: context)
        case .qc(let request): _ = try QualityTable.run(request, context: context)
        case .glm(let options): _ = try GroupAnalysis.run(options, context: context)
        }
    }

    /// Participants done/total, jobs running, throughput and ETA (call with the lock held).
    private func showProgress() {
        let finishedParticipants = plan.participants.filter { label in
            plan.jobs.filter { $0.participant == label }.allSatisfy { outcomes[$0.id] != nil }
        }.count
        let elapsed = Date().timeIntervalSince(started)
        let rate = elapsed > 0 ? Double(finishedParticipants) / elapsed * 60 : 0
        let remaining = plan.participants.count - finishedParticipants
        let eta = rate > 0 ? String(format: "%.0f s", Double(remaining) / rate * 60) : "—"
        log.progress("\(finishedParticipants)/\(plan.participants.count) participants · \(running) job(s) running · "
                     + String(format: "%.1f", rate) + " participants/min · ETA \(eta)")
    }
}
