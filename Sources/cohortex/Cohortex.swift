import ArgumentParser
import Foundation
import Kernels
import Pipeline

@main
struct Cohortex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohortex",
        abstract: "Neuroimaging cohort pipeline: NIfTI I/O, regional volumes, connectivity, group statistics.",
        version: CohortexVersion.string,
        subcommands: [HeaderCommand.self, StatsCommand.self, GMVolumeCommand.self, SeedMapCommand.self, ConmatCommand.self,
                      SmoothCommand.self, ALFFCommand.self, ReHoCommand.self, GLMCommand.self,
                      RunCommand.self, StatusCommand.self, PipelinesCommand.self, SimulateCommand.self]
    )
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Worker threads (results are identical for any count). Default: all cores (or COHORTEX_THREADS).")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// The thread budget: `--threads`, else `COHORTEX_THREADS`, else every core this process may use.
    var parallelism: Parallelism {
        if let threads { return Parallelism(threads: threads) }
        if let text = ProcessInfo.processInfo.environment["COHORTEX_THREADS"], let n = Int(text), n > 0 { return Parallelism(threads: n) }
        return .available
    }

    /// The context a command runs its stage with: the thread budget and diagnostics printed on stderr.
    var context: StageContext { StageContext(parallelism: parallelism, diagnostics: StandardErrorSink()) }
}
