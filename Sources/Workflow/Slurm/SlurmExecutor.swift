import Foundation
import NIfTI
import Pipeline

/// How cohort jobs are submitted to SLURM.
public struct SlurmSettings: Sendable, Equatable {
    public var partition: String?
    public var account: String?
    public var qos: String?
    /// Time limit per task (`--time`); run time depends on the cluster, so it is given, not predicted.
    public var time: String = "02:00:00"
    /// Memory per task in GB; default: the largest predicted peak of the participant's jobs, plus a margin.
    public var memoryGB: Double?
    public var cpusPerTask: Int = 1
    /// At most this many array tasks at once (`%K`).
    public var arrayLimit: Int?
    /// Extra `sbatch` arguments, passed as they are (one argument each).
    public var extraArguments: [String] = []
    /// How a compute node runs Cohortex (default: this executable's path), e.g. `apptainer exec c.sif cohortex`.
    public var command: [String] = [CommandLine.arguments[0]]
    /// Submit only the participants whose last task failed.
    public var resubmitFailed = false
    /// Split every group model's permutations over this many array tasks, combined by the group job (1: no split).
    public var groupChunks = 1

    public init() {}
}

/// What was submitted: written to `OUTPUT/slurm/<run-id>/submission.json`, read by `cohortex status`.
public struct SlurmSubmission: Sendable, Codable, Equatable {
    public struct ArrayJob: Sendable, Codable, Equatable {
        public let jobID: String
        /// Participant label of each task index.
        public let labels: [String]
    }
    public let runID: String
    public let folder: String
    public var arrays: [ArrayJob]
    public var groupJob: String?
    /// The array of group permutation chunks (task k computes chunk k of `chunkCount`), when the group level was split.
    public var chunkJob: String?
    public var chunkCount: Int?
    /// The dataset and output folders every task names (absolute).
    public let dataset: String
    public let output: String
    /// The `cohortex run` options every task repeats (pipeline, selections, derivatives).
    public let options: [String]

    /// `OUTPUT/slurm/<run-id>/exit/<label>`: the exit record a participant task leaves.
    public func exitRecord(_ label: String) -> String { folder + "/exit/sub-\(label)" }
    /// The exit record of group permutation chunk `k` (1-based).
    public func chunkExitRecord(_ k: Int) -> String { folder + "/exit/group-chunk-\(k)" }
    /// The log of a participant task.
    public func taskLog(jobID: String, index: Int) -> String { folder + "/logs/participant-\(jobID)_\(index).out" }
}

/// `cohortex run … --executor slurm`: one array of participant tasks per `MaxArraySize` participants, each
/// task running `cohortex run … participant --participant-label <its label>` (the local code path), and for
/// `all` a group job that starts after every array has ended (`afterany`: the group level itself excludes,
/// and lists, participants whose outputs are incomplete).
public enum SlurmExecutor {
    public enum Level: String, Sendable { case participant, group, all }

    /// Writes the scripts and (unless `dryRun`) submits them; prints each `sbatch` command line.
    public static func submit(_ request: CohortRunRequest, level: Level, settings: SlurmSettings, taskArguments: [String],
                              print: (String) -> Void) throws -> SlurmSubmission {
        let prepared = try CohortRun.prepare(request)
        let plan = prepared.plan
        let runID = CohortRun.runIdentifier()
        let folder = prepared.output + "/slurm/" + runID
        var labels = try participantsToRun(plan: plan, output: prepared.output, request: request, settings: settings)
        if level == .group { labels = [] }
        if !request.dryRun {
            for sub in ["logs", "exit"] {
                try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
            }
        }
        var submission = SlurmSubmission(runID: runID, folder: folder, arrays: [], groupJob: nil, dataset: prepared.dataset,
                                         output: prepared.output, options: taskArguments)
        let common = commonOptions(settings)
        if !labels.isEmpty {
            let size = max(1, SlurmCommands.maxArraySize())
            let peak = plan.jobs.filter { labels.contains($0.participant) }.map(\.predictedPeakBytes).max() ?? (1 << 30)
            let megabytes = settings.memoryGB.map { Int(($0 * 1024).rounded(.up)) } ?? Int((Double(peak) * 1.25 / Double(1 << 20)).rounded(.up)) + 256
            for (part, start) in stride(from: 0, to: labels.count, by: size).enumerated() {
                let chunk = Array(labels[start..<min(labels.count, start + size)])
                let script = folder + "/participant-\(part + 1).sbatch"
                let text = participantScript(labels: chunk, submission: submission, settings: settings)
                var options = common + ["--job-name=cohortex-participant", "--mem=\(megabytes)M",
                                        "--array=0-\(chunk.count - 1)" + (settings.arrayLimit.map { "%\($0)" } ?? ""),
                                        "--output=\(folder)/logs/participant-%A_%a.out"]
                options += settings.extraArguments
                let jobID = try submitOrShow(script: script, text: text, options: options, dryRun: request.dryRun, print: print)
                submission.arrays.append(SlurmSubmission.ArrayJob(jobID: jobID, labels: chunk))
            }
        }
        if level != .participant {
            let memory = "--mem=\(settings.memoryGB.map { Int(($0 * 1024).rounded(.up)) } ?? 4096)M"
            var after = submission.arrays.map(\.jobID)
            if settings.groupChunks > 1 {
                // Chunks of an earlier split would be mixed with this one's: start from none.
                if !request.dryRun { try removeChunkFolders(output: prepared.output + "/group") }
                let script = folder + "/group-chunks.sbatch"
                let text = chunkScript(count: settings.groupChunks, submission: submission, settings: settings)
                var options = common + ["--job-name=cohortex-group-chunk", memory, "--array=1-\(settings.groupChunks)"
                                        + (settings.arrayLimit.map { "%\($0)" } ?? ""),
                                        "--output=\(folder)/logs/group-chunk-%A_%a.out"]
                if !after.isEmpty { options.append("--dependency=afterany:" + after.joined(separator: ":")) }
                options += settings.extraArguments
                submission.chunkJob = try submitOrShow(script: script, text: text, options: options, dryRun: request.dryRun, print: print)
                submission.chunkCount = settings.groupChunks
                after.append(submission.chunkJob!)
            }
            let script = folder + "/group.sbatch"
            let text = groupScript(submission: submission, settings: settings, combine: settings.groupChunks > 1)
            var options = common + ["--job-name=cohortex-group", memory, "--output=\(folder)/logs/group-%j.out"]
            if !after.isEmpty { options.append("--dependency=afterany:" + after.joined(separator: ":")) }
            options += settings.extraArguments
            submission.groupJob = try submitOrShow(script: script, text: text, options: options, dryRun: request.dryRun, print: print)
        }
        if labels.isEmpty && level == .participant { print("every participant is up to date: nothing submitted") }
        if !request.dryRun {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.stage(String(decoding: try encoder.encode(submission), as: UTF8.self) + "\n", to: folder + "/submission.json").commit()
        }
        return submission
    }

    /// Participants with at least one job not up to date (or, resubmitting, whose last task failed).
    static func participantsToRun(plan: CohortPlan, output: String, request: CohortRunRequest, settings: SlurmSettings) throws -> [String] {
        if settings.resubmitFailed {
            let report = try SlurmStatus.report(output: output)
            return report.rows.filter { $0.state == .failed }.map(\.participant).filter(plan.participants.contains)
        }
        return plan.participants.filter { label in
            plan.jobs.filter { $0.participant == label }.contains { job in
                guard let fingerprint = try? JobFingerprint(job: job, verifyInputs: request.verifyInputs) else { return true }
                if case .upToDate = JobStatus.check(job, fingerprint: fingerprint) { return false }
                return true
            }
        }
    }

    static func commonOptions(_ settings: SlurmSettings) -> [String] {
        var options = ["--time=\(settings.time)", "--cpus-per-task=\(settings.cpusPerTask)", "--nodes=1", "--ntasks=1"]
        if let partition = settings.partition { options.append("--partition=\(partition)") }
        if let account = settings.account { options.append("--account=\(account)") }
        if let qos = settings.qos { options.append("--qos=\(qos)") }
        return options
    }

    /// Writes the script; submits it (or, dry-run, only shows the command); returns the job id (`DRYRUN` when not submitted).
    static func submitOrShow(script: String, text: String, options: [String], dryRun: Bool, print: (String) -> Void) throws -> String {
        print((["sbatch", "--parsable"] + options + [script]).map(\.shellQuoted).joined(separator: " "))
        if dryRun {
            print(text)
            return "DRYRUN"
        }
        try AtomicFile.stage(text, to: script).commit()
        return try SlurmCommands.submit(script: script, options: options)
    }

    /// A participant array task: picks its label by `SLURM_ARRAY_TASK_ID`, records its exit status and time on
    /// exit (a trap), and runs the local participant level for that label. Every word is quoted.
    static func participantScript(labels: [String], submission: SlurmSubmission, settings: SlurmSettings) -> String {
        let command = settings.command.map(\.shellQuoted).joined(separator: " ")
        return """
        #!/bin/bash
        # Cohortex participant task (run \(submission.runID)): one participant per array task.
        set -u
        labels=(\(labels.map(\.shellQuoted).joined(separator: " ")))
        label=${labels[$SLURM_ARRAY_TASK_ID]}
        record=\((submission.folder + "/exit/sub-").shellQuoted)"$label"
        trap 'status=$?; printf "%s %s %s\\n" "$status" "$(date +%s)" "${SLURM_JOB_ID:-}" > "$record"' EXIT
        \(command) run \(submission.dataset.shellQuoted) \(submission.output.shellQuoted) participant \(submission.options.map(\.shellQuoted).joined(separator: " ")) --participant-label "$label" --jobs 1 --threads \(settings.cpusPerTask)

        """
    }

    /// The group job: the local group level over whatever the participant tasks produced (combining the
    /// permutation chunks when the group level was split).
    static func groupScript(submission: SlurmSubmission, settings: SlurmSettings, combine: Bool) -> String {
        let command = settings.command.map(\.shellQuoted).joined(separator: " ")
        return """
        #!/bin/bash
        # Cohortex group job (run \(submission.runID)): after every participant task\(combine ? " and permutation chunk" : "") has ended.
        set -u
        trap 'status=$?; printf "%s %s %s\\n" "$status" "$(date +%s)" "${SLURM_JOB_ID:-}" > \((submission.folder + "/exit/group").shellQuoted)' EXIT
        \(command) run \(submission.dataset.shellQuoted) \(submission.output.shellQuoted) group \(submission.options.map(\.shellQuoted).joined(separator: " ")) --threads \(settings.cpusPerTask)\(combine ? " --glm-combine" : "")

        """
    }

    /// A group permutation chunk task: chunk `SLURM_ARRAY_TASK_ID` of `count` of every model's permutations.
    static func chunkScript(count: Int, submission: SlurmSubmission, settings: SlurmSettings) -> String {
        let command = settings.command.map(\.shellQuoted).joined(separator: " ")
        return """
        #!/bin/bash
        # Cohortex group permutation chunk (run \(submission.runID)): chunk $SLURM_ARRAY_TASK_ID of \(count) of every model.
        set -u
        record=\((submission.folder + "/exit/group-chunk-").shellQuoted)"$SLURM_ARRAY_TASK_ID"
        trap 'status=$?; printf "%s %s %s\\n" "$status" "$(date +%s)" "${SLURM_JOB_ID:-}" > "$record"' EXIT
        \(command) run \(submission.dataset.shellQuoted) \(submission.output.shellQuoted) group \(submission.options.map(\.shellQuoted).joined(separator: " ")) --threads \(settings.cpusPerTask) --glm-chunk "$SLURM_ARRAY_TASK_ID/\(count)"

        """
    }

    /// Removes `group/model-*/chunks` (left by an earlier split).
    static func removeChunkFolders(output: String) throws {
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []) where name.hasPrefix("model-") {
            let chunks = output + "/" + name + "/chunks"
            guard FileManager.default.fileExists(atPath: chunks) else { continue }
            do { try FileManager.default.removeItem(atPath: chunks) } catch {
                throw NIfTIError.writeFailed(path: chunks, reason: "cannot remove an earlier run's permutation chunks: \(error.localizedDescription)")
            }
        }
    }
}
