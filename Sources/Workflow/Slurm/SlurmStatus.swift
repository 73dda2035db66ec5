import Foundation

/// `cohortex status OUTPUT_DIR`: per participant of the latest cluster submission, done / failed (with the
/// error line and the task's log) / running / pending, from the exit records the task scripts leave
/// (a trap writes `status time job`) and `squeue` for tasks still queued.
public enum SlurmStatus {
    public enum State: String, Sendable { case done, failed, running, pending, unknown }

    public struct Row: Sendable, Equatable {
        public let participant: String
        public let state: State
        /// The task's last error line, when it failed.
        public let detail: String
        public let log: String
    }

    public struct Report: Sendable {
        public let submission: SlurmSubmission
        public let rows: [Row]
        public let group: State?
        /// Group permutation chunks, when the group level was split: how many ended well, failed, and were submitted.
        public let chunks: (done: Int, failed: Int, count: Int)?

        public var text: String {
            var lines = ["run \(submission.runID): \(rows.count) participant task(s)" + (submission.groupJob.map { ", group job \($0)" } ?? "")]
            lines.append("participant\tstate\tdetail\tlog")
            for row in rows { lines.append("sub-\(row.participant)\t\(row.state.rawValue)\t\(row.detail)\t\(row.log)") }
            let counts = Dictionary(grouping: rows, by: \.state).mapValues(\.count)
            let chunkText = chunks.map { "; group chunks \($0.done)/\($0.count) done" + ($0.failed > 0 ? ", \($0.failed) failed" : "") } ?? ""
            lines.append([State.done, .failed, .running, .pending, .unknown].compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }
                .joined(separator: ", ") + chunkText + (group.map { "; group \($0.rawValue)" } ?? ""))
            return lines.joined(separator: "\n")
        }
    }

    /// The latest submission under `output/slurm/`.
    public static func latest(output: String) throws -> SlurmSubmission {
        let root = output + "/slurm"
        let runs = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).sorted()
        for run in runs.reversed() {
            if let data = FileManager.default.contents(atPath: root + "/" + run + "/submission.json"),
               let submission = try? JSONDecoder().decode(SlurmSubmission.self, from: data) {
                return submission
            }
        }
        throw SlurmError.noSubmission(output: output)
    }

    public static func report(output: String) throws -> Report {
        let submission = try latest(output: output)
        let queued = SlurmCommands.queueStates(jobs: submission.arrays.map(\.jobID) + (submission.groupJob.map { [$0] } ?? []))
        // Accounting (when the cluster has it) names why a task ended without an exit record.
        var accounted: [String: String]?
        func accounting(_ task: String) -> String? {
            if accounted == nil { accounted = SlurmCommands.accountingStates(jobs: submission.arrays.map(\.jobID)) }
            return accounted?[task]
        }
        var rows: [Row] = []
        for array in submission.arrays {
            for (index, label) in array.labels.enumerated() {
                let log = submission.taskLog(jobID: array.jobID, index: index)
                if let record = try? String(contentsOfFile: submission.exitRecord(label), encoding: .utf8) {
                    let status = record.split(separator: " ").first.map(String.init) ?? "?"
                    if status == "0" {
                        rows.append(Row(participant: label, state: .done, detail: "", log: log))
                    } else {
                        rows.append(Row(participant: label, state: .failed, detail: "exit status \(status): " + lastError(log), log: log))
                    }
                    continue
                }
                switch queued["\(array.jobID)_\(index)"] ?? (queued[array.jobID] ?? "") {
                case "RUNNING", "COMPLETING": rows.append(Row(participant: label, state: .running, detail: "", log: log))
                case "PENDING", "CONFIGURING", "REQUEUED": rows.append(Row(participant: label, state: .pending, detail: "", log: log))
                case "":
                    let reason = accounting("\(array.jobID)_\(index)").map { "sacct: \($0)" } ?? "killed, or out of time/memory"
                    rows.append(Row(participant: label, state: .failed, detail: "ended without an exit record (\(reason)): " + lastError(log), log: log))
                default: rows.append(Row(participant: label, state: .unknown, detail: queued["\(array.jobID)_\(index)"] ?? "", log: log))
                }
            }
        }
        var group: State?
        if let job = submission.groupJob {
            if let record = try? String(contentsOfFile: submission.folder + "/exit/group", encoding: .utf8) {
                group = record.hasPrefix("0 ") ? .done : .failed
            } else {
                switch queued[job] ?? "" {
                case "RUNNING", "COMPLETING": group = .running
                case "": group = .unknown
                default: group = .pending
                }
            }
        }
        var chunks: (done: Int, failed: Int, count: Int)?
        if let count = submission.chunkCount {
            let records = (1...max(1, count)).compactMap { try? String(contentsOfFile: submission.chunkExitRecord($0), encoding: .utf8) }
            let done = records.filter { $0.hasPrefix("0 ") }.count
            chunks = (done, records.count - done, count)
        }
        return Report(submission: submission, rows: rows.sorted { $0.participant < $1.participant }, group: group, chunks: chunks)
    }

    /// The last `error:` line of a task's log (or its last line).
    static func lastError(_ log: String) -> String {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return "no log" }
        let lines = text.split(separator: "\n").map(String.init)
        return lines.last { $0.contains("error:") } ?? lines.last ?? ""
    }
}
