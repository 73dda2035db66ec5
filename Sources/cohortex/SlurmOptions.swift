import ArgumentParser
import Foundation
import Workflow

/// Where a cohort run executes.
enum ExecutorKind: String, ExpressibleByArgument, CaseIterable {
    case local
    case slurm
}

/// The cluster options of `cohortex run … --executor slurm`.
struct SlurmOptions: ParsableArguments {
    @Option(help: "SLURM executor: partition.")
    var partition: String?

    @Option(help: "SLURM executor: account.")
    var account: String?

    @Option(help: "SLURM executor: quality of service.")
    var qos: String?

    @Option(help: "SLURM executor: time limit per task (default 02:00:00).")
    var time: String = "02:00:00"

    @Option(name: .customLong("cpus-per-task"), help: "SLURM executor: cores per task (default 1).")
    var cpusPerTask: Int = 1

    @Option(name: .customLong("array-limit"), help: "SLURM executor: at most this many array tasks at once.")
    var arrayLimit: Int?

    @Option(name: .customLong("sbatch-arg"), help: "SLURM executor: an extra sbatch argument (repeatable), e.g. --sbatch-arg=--constraint=avx2.")
    var sbatchArguments: [String] = []

    @Option(name: .customLong("cohortex-command"), help: "SLURM executor: how compute nodes run Cohortex (default: this executable), e.g. 'apptainer exec cohortex.sif cohortex'.")
    var cohortexCommand: String?

    @Option(name: .customLong("group-chunks"), help: "SLURM executor: split every group model's permutations over N array tasks and combine them in the group job (the FWE p-values equal a single run's).")
    var groupChunks: Int = 1

    @Flag(name: .customLong("resubmit-failed"), help: "SLURM executor: submit only the participants whose last task failed.")
    var resubmitFailed = false

    func validate() throws {
        if cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1, got \(cpusPerTask)") }
        if groupChunks < 1 { throw ValidationError("--group-chunks must be at least 1, got \(groupChunks)") }
        if let arrayLimit, arrayLimit < 1 { throw ValidationError("--array-limit must be at least 1, got \(arrayLimit)") }
        // D-HH:MM:SS, HH:MM:SS, MM:SS or minutes, as sbatch accepts.
        let pattern = #"^(\d+-)?\d+(:\d{1,2}){0,2}$"#
        if time.range(of: pattern, options: .regularExpression) == nil { throw ValidationError(SlurmError.invalidTime(time).description + " (--time)") }
    }

    /// The settings, with the compute-node command split on spaces (quote-free: give a wrapper script for anything fancier).
    func settings(memoryGB: Double?) -> SlurmSettings {
        var settings = SlurmSettings()
        settings.partition = partition
        settings.account = account
        settings.qos = qos
        settings.time = time
        settings.memoryGB = memoryGB
        settings.cpusPerTask = cpusPerTask
        settings.arrayLimit = arrayLimit
        settings.extraArguments = sbatchArguments
        settings.resubmitFailed = resubmitFailed
        settings.groupChunks = groupChunks
        settings.command = cohortexCommand.map { $0.split(separator: " ").map(String.init) }
            ?? [URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path]
        return settings
    }
}

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Per participant of the latest cluster submission: done, failed (error line and log), running or pending."
    )

    @Argument(help: "The OUTPUT_DIR of a `cohortex run … --executor slurm`.")
    var outputDir: String

    func run() throws {
        try reportingErrors {
            let report = try SlurmStatus.report(output: (outputDir as NSString).standardizingPath)
            print(report.text)
            if report.rows.contains(where: { $0.state == .failed }) || report.group == .failed { throw ExitCode(1) }
        }
    }
}
