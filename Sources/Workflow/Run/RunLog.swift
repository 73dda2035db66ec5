import Foundation
import Logging
import NIfTI
import Pipeline

/// How much a cohort run says.
public enum Verbosity: Int, Sendable, Comparable {
    case quiet = 0, normal = 1, verbose = 2

    public static func < (a: Verbosity, b: Verbosity) -> Bool { a.rawValue < b.rawValue }

    /// The lowest swift-log level shown on standard error.
    var threshold: Logger.Level {
        switch self {
        case .quiet: return .error
        case .normal: return .info
        case .verbose: return .debug
        }
    }
}

/// The log of one cohort run, through swift-log: timestamped lines to standard error (at the chosen
/// verbosity) and, in full, to `OUTPUT/logs/<run-id>.log`; on a terminal a live progress line is redrawn
/// in place.
public final class RunLog: DiagnosticSink, @unchecked Sendable {
    // @unchecked: the logger is a value whose handler synchronises itself.
    private let logger: Logger
    private let sink: RunLogSink
    /// Where the full log is written, if anywhere.
    public var path: String? { sink.path }

    public init(verbosity: Verbosity, path: String?) {
        let sink = RunLogSink(verbosity: verbosity, path: path)
        self.sink = sink
        var logger = Logger(label: "cohortex.run") { _ in RunLogHandler(sink: sink) }
        logger.logLevel = .debug
        self.logger = logger
    }

    /// A line every run shows unless quiet.
    public func info(_ message: String) { logger.info("\(message)") }

    /// A line shown with `-v` (always in the log file).
    public func detail(_ message: String) { logger.debug("\(message)") }

    /// A warning: shown unless quiet.
    public func warning(_ message: String) { logger.warning("\(message)") }

    /// An error: always shown.
    public func error(_ message: String) { logger.error("\(message)") }

    /// A line for the log file only (the caller prints it itself).
    public func record(_ message: String) { sink.write(message, level: .info, fileOnly: true) }

    public func report(_ diagnostic: Diagnostic) {
        diagnostic.level == .warning ? warning(diagnostic.message) : detail(diagnostic.message)
    }

    /// Redraws the progress line (terminals only; elsewhere progress is in the job lines).
    public func progress(_ text: String) { sink.progress(text) }
}

/// The swift-log handler of a cohort run: every record goes to the sink.
struct RunLogHandler: LogHandler {
    let sink: RunLogSink
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .debug

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
             function: String, line: UInt) {
        sink.write("\(message)", level: level, fileOnly: false)
    }
}

/// Where a run's log lines go: the log file (everything) and standard error (at the verbosity).
final class RunLogSink: @unchecked Sendable {
    // @unchecked: `file` and `progressShown` are touched only while holding `lock`.
    private let lock = NSLock()
    private let verbosity: Verbosity
    private let file: FileHandle?
    private let terminal: Bool
    private var progressShown = false
    let path: String?

    init(verbosity: Verbosity, path: String?) {
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

    func write(_ message: String, level: Logger.Level, fileOnly: Bool) {
        let prefix: String
        switch level {
        case .warning: prefix = "warning: "
        case .error, .critical: prefix = "error: "
        default: prefix = ""
        }
        let line = Self.timestamp() + " " + prefix + message + "\n"
        lock.lock()
        defer { lock.unlock() }
        file?.write(Data(line.utf8))
        guard !fileOnly, level >= verbosity.threshold else { return }
        if progressShown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)); progressShown = false }
        FileHandle.standardError.write(Data((terminal ? prefix + message + "\n" : line).utf8))
    }

    func progress(_ text: String) {
        guard terminal, verbosity > .quiet else { return }
        lock.lock()
        defer { lock.unlock() }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
        progressShown = true
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
