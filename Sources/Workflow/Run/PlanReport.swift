import Foundation
import NIfTI

/// The texts a person reads: the dry-run plan and the end-of-run summary table.
public enum PlanReport {
    /// What `--dry-run` prints: what was found, the stages, what is up to date, what would run, predicted memory.
    public static func render(plan: CohortPlan, sources: [String], roster: ParticipantRoster,
                              settings: ExecutionSettings, verifyInputs: Bool) -> String {
        var lines: [String] = []
        lines.append("pipeline \(plan.spec.name): \(plan.spec.description)")
        for source in sources { lines.append("inputs: \(source)") }
        if let space = plan.space { lines.append("space \(space), task \(plan.task)") }
        let sessions = Set(plan.jobs.compactMap(\.session))
        lines.append("found: \(plan.participants.count) participant(s) × \(max(1, sessions.count)) session label(s) × \(plan.runCounts.values.reduce(0, +)) run(s) in total")
        for note in roster.notes { lines.append("note: " + note) }
        for problem in plan.problems { lines.append("cannot run sub-\(problem.participant): \(problem.reason)") }
        let cifti = plan.skipped.filter { $0.reason.contains("CIFTI") }.count
        if cifti > 0 { lines.append("skipped \(cifti) CIFTI/GIFTI file(s) (Cohortex is volumetric for now)") }
        lines.append("stages: " + orderedStages(plan).joined(separator: ", "))
        lines.append("")
        lines.append(["participant", "stage", "session/run", "state", "peak memory"].joined(separator: "\t"))
        var toRun = 0
        var willRun = Set<Int>()
        for job in plan.jobs {
            let state: String
            if let dependency = job.dependencies.first(where: { willRun.contains($0) }) {
                state = "will run (after \(plan.jobs[dependency].work.stage))"
            } else {
                switch (try? JobFingerprint(job: job, verifyInputs: verifyInputs)).map({ JobStatus.check(job, fingerprint: $0) }) {
                case .upToDate?: state = "up to date"
                case .mustRun(let reason)?: state = "will run (\(reason))"
                case nil: state = "will run"
                }
            }
            if state.hasPrefix("will run") { toRun += 1; willRun.insert(job.id) }
            lines.append(["sub-\(job.participant)", job.work.stage, [job.session.map { "ses-\($0)" }, job.run].compactMap { $0 }.joined(separator: " "),
                          state, job.predictedPeakBytes.humanBytes].joined(separator: "\t"))
        }
        lines.append("")
        let peak = plan.jobs.map(\.predictedPeakBytes).max() ?? 0
        lines.append("\(toRun) of \(plan.jobs.count) job(s) would run, \(settings.jobs) at once with \(settings.threadsPerJob) thread(s) each; largest predicted peak \(peak.humanBytes) per job, budget \(settings.budget.memoryBytes.humanBytes) (\(settings.budget.memorySource)). Nothing was written.")
        return lines.joined(separator: "\n")
    }

    /// The end-of-run table: one line per participant.
    public static func summaryTable(_ report: CohortRunReport) -> String {
        var lines = ["participant\tstatus\tjobs run\treason"]
        for row in report.summary {
            lines.append("sub-\(row.participant)\t\(row.status.rawValue)\t\(row.jobsRun)\t\(row.reasons.joined(separator: "; "))")
        }
        let counts = Dictionary(grouping: report.summary, by: \.status).mapValues(\.count)
        lines.append("\(counts[.done] ?? 0) done, \(counts[.upToDate] ?? 0) up to date, \(counts[.failed] ?? 0) failed")
        return lines.joined(separator: "\n")
    }

    private static func orderedStages(_ plan: CohortPlan) -> [String] {
        var seen: [String] = []
        for job in plan.jobs where !seen.contains(job.work.stage) { seen.append(job.work.stage) }
        return seen
    }
}
