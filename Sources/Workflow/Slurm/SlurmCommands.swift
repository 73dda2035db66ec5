import Foundation

/// The SLURM client programs Cohortex calls (`sbatch`, `squeue`, `scontrol`, `sacct`), in one room: arguments are
/// passed as an argument vector, never through a shell, so no label or path is ever interpreted.
public enum SlurmCommands {
    /// What a program printed and how it ended.
    public struct Result: Sendable {
        public let status: Int32
        public let output: String
        public let error: String
    }

    /// Runs `program` (looked up on PATH) with `arguments`.
    public static func run(_ program: String, _ arguments: [String]) throws -> Result {
        guard let path = locate(program) else { throw SlurmError.programMissing(program: program) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain stderr on another thread so a chatty program never blocks on a full pipe.
        let errorBox = ErrorCapture()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errorBox.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let error = errorBox.data
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                      error: String(decoding: error, as: UTF8.self))
    }

    /// Submits a script with `sbatch --parsable` and the given options; returns the job id.
    public static func submit(script: String, options: [String]) throws -> String {
        let result = try run("sbatch", ["--parsable"] + options + [script])
        guard result.status == 0 else {
            throw SlurmError.submissionFailed(script: script, reason: result.error.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // `--parsable` prints `jobid[;cluster]`.
        let id = result.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw SlurmError.submissionFailed(script: script, reason: "sbatch printed no job id: \(result.output)")
        }
        return id
    }

    /// `MaxArraySize` from `scontrol show config` (SLURM's default 1001 when it cannot be read).
    public static func maxArraySize() -> Int {
        guard let result = try? run("scontrol", ["show", "config"]), result.status == 0 else { return 1001 }
        for line in result.output.split(separator: "\n") where line.hasPrefix("MaxArraySize") {
            if let value = line.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) { return value }
        }
        return 1001
    }

    /// States of the queued tasks of `jobs` (`12_3` or `12` → PENDING/RUNNING/…); finished tasks are absent.
    public static func queueStates(jobs: [String]) -> [String: String] {
        guard !jobs.isEmpty, let result = try? run("squeue", ["-h", "-r", "-j", jobs.joined(separator: ","), "-o", "%i %T"]),
              result.status == 0 else { return [:] }
        var states: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { states[String(parts[0])] = String(parts[1]) }
        }
        return states
    }

    /// Final states of the tasks of `jobs` from the accounting database (`12_3` → OUT_OF_MEMORY, TIMEOUT, …);
    /// empty when the cluster keeps no accounting (sacct then fails or prints nothing), as a test cluster.
    public static func accountingStates(jobs: [String]) -> [String: String] {
        guard !jobs.isEmpty, let result = try? run("sacct", ["-n", "-P", "-X", "-j", jobs.joined(separator: ","), "-o", "JobID,State"]),
              result.status == 0 else { return [:] }
        var states: [String: String] = [:]
        for line in result.output.split(separator: "\n") {
            let parts = line.split(separator: "|")
            // `CANCELLED by 0` → CANCELLED.
            if parts.count == 2 { states[String(parts[0])] = parts[1].split(separator: " ").first.map(String.init) ?? "" }
        }
        return states
    }

    static func locate(_ program: String) -> String? {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return folders.map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Standard error read on a helper thread (written once, read after the thread is joined).
private final class ErrorCapture: @unchecked Sendable {
    var data = Data()
}

/// Why a cluster submission failed.
public enum SlurmError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case programMissing(program: String)
    case submissionFailed(script: String, reason: String)
    case noSubmission(output: String)
    case invalidTime(String)

    public var description: String {
        switch self {
        case .programMissing(let program): return "\(program) not found on PATH (is this a SLURM submit host?)"
        case .submissionFailed(let script, let reason): return "\(script): sbatch refused it: \(reason)"
        case .noSubmission(let output): return "\(output): no cluster submission recorded (slurm/*/submission.json)"
        case .invalidTime(let text): return "'\(text)': expected a SLURM time limit such as 02:00:00, 1-12:00:00 or 90"
        }
    }

    public var errorDescription: String? { description }
}
