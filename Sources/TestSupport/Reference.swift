import Foundation

/// Locates the reference Python environment and Cohortex's own build products for tests.
public enum Reference {
    /// The package root (two levels above this file's folder).
    public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/Reference/<name>`.
    public static func script(_ name: String) -> String {
        packageRoot.appendingPathComponent("Tests/Reference/\(name)").path
    }

    /// The Python interpreter with nibabel/nilearn/statsmodels: `COHORTEX_PYTHON`, else `.venv/bin/python`
    /// (created by `make test`).
    public static var python: String {
        if let p = ProcessInfo.processInfo.environment["COHORTEX_PYTHON"], !p.isEmpty { return p }
        return packageRoot.appendingPathComponent(".venv/bin/python").path
    }

    /// The built `cohortex` binary: `COHORTEX_BIN`, else next to the test bundle.
    public static var cohortexBinary: String {
        if let p = ProcessInfo.processInfo.environment["COHORTEX_BIN"], !p.isEmpty { return p }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var folder = bundle.deletingLastPathComponent()
        while folder.path != "/" {
            let candidate = folder.appendingPathComponent("cohortex").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/release/cohortex").path
    }

    /// Runs a reference script with the venv's Python; throws with its stderr on failure.
    @discardableResult
    public static func runPython(_ script: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ReferenceError.missingPython(python)
        }
        let result = try run(python, [Reference.script(script)] + arguments, environment: environment)
        guard result.status == 0 else {
            throw ReferenceError.failed("\(script) \(arguments.joined(separator: " "))", result.stderr)
        }
        return result.stdout
    }

    /// Runs a program and captures its output.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        let errData = LockedData()
        let reader = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let status = waitForExit(process)
        while !errData.isSet { usleep(1000) }
        return ProcessResult(status: status,
                             stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData.get(), as: UTF8.self))
    }

    /// The exit status of a finished child, reaping it ourselves when Foundation's SIGCHLD handling misses
    /// it (seen when the child starts daemons, as `slurm-cluster.sh` does: `waitUntilExit` then never returns).
    private static func waitForExit(_ process: Process) -> Int32 {
        let pid = process.processIdentifier
        while process.isRunning {
            var raw: Int32 = 0
            if waitpid(pid, &raw, WNOHANG) == pid {
                let signal = raw & 0x7f
                return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
            }
            usleep(2000)
        }
        return process.terminationStatus
    }

    /// Runs the built `cohortex` binary.
    public static func cohortex(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try run(cohortexBinary, arguments, environment: environment)
    }

    /// A fresh temporary folder.
    public static func temporaryFolder(_ tag: String = "cohortex-test") throws -> String {
        let path = NSTemporaryDirectory() + "/\(tag)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Reads a little-endian float32 file.
    public static func readFloat32(_ path: String) throws -> [Float] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Writes a little-endian float32 file.
    public static func writeFloat32(_ values: [Float], to path: String) throws {
        try values.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: path)) }
    }

    /// Parses a JSON object.
    public static func json(_ text: String) throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw ReferenceError.failed("JSON", text)
        }
        return object
    }

    public static func jsonFile(_ path: String) throws -> [String: Any] {
        try json(String(contentsOfFile: path, encoding: .utf8))
    }
}

public struct ProcessResult: Sendable {
    public let status: Int32
    public let stdout: String
    public let stderr: String
}

public enum ReferenceError: Error, CustomStringConvertible {
    case missingPython(String)
    case failed(String, String)

    public var description: String {
        switch self {
        case .missingPython(let p):
            return "reference Python not found at \(p): run `make test` (it creates .venv with Tests/Reference/requirements.txt) or set COHORTEX_PYTHON"
        case .failed(let what, let stderr):
            return "reference run failed: \(what)\n\(stderr)"
        }
    }
}

private final class LockedData: @unchecked Sendable {
    // @unchecked: `data` is only touched while holding `lock`.
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    func get() -> Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
}
