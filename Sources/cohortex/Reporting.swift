import ArgumentParser
import Foundation
import Pipeline

/// Prints `error` as one `cohortex: error: …` line on stderr and exits with status 1.
/// (Usage errors exit with 64 through ArgumentParser.)
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        printError(error)
        throw ExitCode(1)
    }
}

/// Writes one `cohortex: error: …` line for `error`.
func printError(_ error: Error) {
    let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
    FileHandle.standardError.write(Data("cohortex: error: \(text)\n".utf8))
}

/// Checks a request before any data is read: a request the library refuses is a usage error (exit 64).
func validated<R>(_ request: R, _ check: (R) throws -> Void) throws -> R {
    do {
        try check(request)
    } catch {
        throw ValidationError((error as? LocalizedError)?.errorDescription ?? "\(error)")
    }
    return request
}

/// Writes a warning line on stderr.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("cohortex: warning: \(message)\n".utf8))
}

/// Writes an informational line on stderr.
func note(_ message: String) {
    FileHandle.standardError.write(Data("cohortex: \(message)\n".utf8))
}

/// Prints a stage's diagnostics as they arise: notes as `cohortex: …`, warnings as `cohortex: warning: …`.
struct StandardErrorSink: DiagnosticSink {
    func report(_ diagnostic: Diagnostic) {
        switch diagnostic.level {
        case .note: note(diagnostic.message)
        case .warning: warn(diagnostic.message)
        }
    }
}

/// With `COHORTEX_TIMING=1` in the environment, reports the stage's phase times on stderr.
func reportTiming(_ timer: PhaseTimer) {
    if ProcessInfo.processInfo.environment["COHORTEX_TIMING"] == "1" { note("timing: " + timer.summary) }
}

/// Rejects NaN and ±Inf for a numeric option (Double parses "nan" and "inf").
func requireFinite(_ value: Double?, _ flag: String) throws {
    if let value, !value.isFinite { throw ValidationError("\(flag) must be a finite number, got \(value)") }
}
