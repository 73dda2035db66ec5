import Foundation
import NIfTI
import Pipeline

/// How much a cohort run says.
public enum Verbosity: Int, Sendable, Comparable {
    case quiet = 0, normal = 1, verbose = 2

    public static func < (a: Verbosity, b: Verbosity) -> Bool { a.rawValue < b.rawValue }
}

/// The log of one cohort run: timestamped lines to standard error (at the chosen verbosity) and, in full,
/// to `OUTPUT/logs/<run-id>.log`; on a terminal a live progress line is redrawn in place.
public final class RunLog: DiagnosticSink, @unchecked Sendable {
    // @unchecked: `file`, `progressShown` are touched only while holding `lock`.
    private let lock = NSLock()
    private let verbosity: Verbosity
    private let file: FileHandle?
    private let terminal: Bool
    private var progressShown = false
    /// Where the full log is written, if anywhere.
    public let path: String?

    public init(verbosity: Verbosity, path: String?) {
        self.verbosity = verbosity
        self.path = path
        terminal = SystemCalls.isTerminal(2)
        if let path {
            FileManager.default.createFile(atPath: path, contents: nil)
            file = FileHandle(forWritingAtPath: path)
        } else {
            file = nil
        }
    }

    deinit { try? file?.close() }

    /// A line every run shows unless quiet.
    public func info(_ message: String) { write(message, level: .normal) }

    /// A line shown with `-v` (always in the log file).
    public func detail(_ message: String) { write(message, level: .verbose) }

    /// A warning: shown unless quiet.
    public func warning(_ message: String) { write("warning: " + message, level: .normal) }

    /// A line for the log file only (the caller prints it itself).
    public func record(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        file?.write(Data((Self.timestamp() + " " + message + "\n").utf8))
    }

    /// An error: always shown.
    public func error(_ message: String) { write("error: " + message, level: .quiet) }

    public func report(_ diagnostic: Diagnostic) {
        diagnostic.level == .warning ? warning(diagnostic.message) : detail(diagnostic.message)
    }

    /// Redraws the progress line (terminals only; elsewhere progress is in the job lines).
    public func progress(_ text: String) {
        guard terminal, verbosity > .quiet else { return }
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        progressShown = true
    }

    private func write(_ message: String, level: Verbosity) {
        let line = Self.timestamp() + " " + message + "\n"
        lock.lock()
        defer { lock.unlock() }
        file?.write(Data(line.utf8))
        guard verbosity >= level else { return }
        if progressShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); progressShown = false }
        FileHandle.standardError.write(Data((terminal ? message + "\n" : line).utf8))
    }

    static func timestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: Date())
    }
}

/// A sink that names the job in front of each diagnostic.
struct JobDiagnostics: DiagnosticSink {
    let label: String
    let log: RunLog

    func report(_ diagnostic: Diagnostic) {
        log.report(Diagnostic(diagnostic.level, "\(label): \(diagnostic.message)"))
    }
}
