import ArgumentParser
import Kernels
import Pipeline

@main
struct Cohortex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohortex",
        abstract: "Neuroimaging cohort pipeline: NIfTI I/O, regional volumes, connectivity, group statistics.",
        version: CohortexVersion.string,
        subcommands: [HeaderCommand.self, StatsCommand.self, GMVolumeCommand.self, SeedMapCommand.self, ConmatCommand.self,
                      SmoothCommand.self, ALFFCommand.self, ReHoCommand.self, GLMCommand.self, KernelBenchCommand.self]
    )
}

/// Options every subcommand shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "Worker threads (results are identical for any count). Default: all cores.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
    }

    /// Applies the options to the process.
    func apply() {
        if let threads { Parallel.threadCount = threads }
    }
}
