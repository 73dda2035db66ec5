import Foundation
import Kernels
import NIfTI

/// How much a diagnostic matters to the person reading it.
public enum DiagnosticLevel: String, Sendable, Codable {
    /// Informational: what was done (a resampled atlas, a TR override).
    case note
    /// Something the user should check (excluded voxels, vanished regions).
    case warning
}

/// One message a stage wants a person to see; the CLI prints it, a cohort run logs it per participant.
public struct Diagnostic: Sendable, Equatable, Codable {
    public var level: DiagnosticLevel
    public var message: String

    public init(_ level: DiagnosticLevel, _ message: String) {
        self.level = level
        self.message = message
    }
}

/// Receives diagnostics as they arise; may be called from several stages at once.
public protocol DiagnosticSink: Sendable {
    /// Takes one diagnostic.
    func report(_ diagnostic: Diagnostic)
}

/// Keeps diagnostics in memory, in arrival order (tests, and runs that print them later).
public final class DiagnosticLog: DiagnosticSink, @unchecked Sendable {
    // @unchecked: every access to `entries` holds `lock`.
    private let lock = NSLock()
    private var entries: [Diagnostic] = []

    public init() {}

    public func report(_ diagnostic: Diagnostic) {
        lock.lock()
        entries.append(diagnostic)
        lock.unlock()
    }

    /// Everything reported so far.
    public var diagnostics: [Diagnostic] {
        lock.lock()
        defer { lock.unlock() }
        return entries
    }
}

/// What every stage runs with: an explicit thread budget handed down to the kernels, and where its
/// diagnostics go. Nothing process-wide: two stages in one process can run with a budget each.
public struct StageContext: Sendable {
    /// Threads the stage and its kernels may use.
    public var parallelism: Parallelism
    /// Where notes and warnings go as they arise.
    public var diagnostics: any DiagnosticSink

    /// Keys added to every sidecar the stage writes (a cohort run records each job's fingerprint here).
    public var sidecarExtras: [(String, JSONValue)]

    public init(parallelism: Parallelism, diagnostics: any DiagnosticSink = DiagnosticLog(), sidecarExtras: [(String, JSONValue)] = []) {
        self.parallelism = parallelism
        self.diagnostics = diagnostics
        self.sidecarExtras = sidecarExtras
    }

    /// Reports an informational line.
    public func note(_ message: String) { diagnostics.report(Diagnostic(.note, message)) }

    /// Reports a warning.
    public func warn(_ message: String) { diagnostics.report(Diagnostic(.warning, message)) }
}
