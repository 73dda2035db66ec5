import ArgumentParser
import Foundation
import Kernels
import Pipeline
import Workflow

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
    FileHandle.standardError.write(Data("cohortex: error: \(describe(error))\n".utf8))
}

/// The library's message (which never names a flag), followed by the flag to change where one applies.
func describe(_ error: Error) -> String {
    let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
    return flagHint(for: error).map { "\(text) (\($0))" } ?? text
}

/// The command-line remedy for a library error, if there is one.
func flagHint(for error: Error) -> String? {
    switch error {
    case SignalError.missingRepetitionTime, CleaningError.missingRepetitionTime: return "pass --tr SECONDS"
    case SpatialError.invalidFWHM: return "check --fwhm"
    case SpatialError.badBand: return "check --band"
    case SpatialError.filterWithBand: return "use --band, not --high-pass/--low-pass"
    case ConnectivityMatrix.MatrixError.singular: return "use --estimator ledoit-wolf"
    case GroupAnalysisError.duplicateLabel: return "name them, e.g. --contrast 'name=…'"
    case GroupAnalysisError.tfceNeedsMaps: return "--tfce needs --maps"
    case GroupAnalysisError.chunkNeedsPermutations: return "give --permutations > 0 with --chunk"
    case DiscoveryError.noCAT12Derivatives: return "give --derivatives cat12=DIR"
    case DiscoveryError.noFMRIPrepDerivatives: return "give --derivatives fmriprep=DIR"
    case DiscoveryError.spaceAmbiguous, DiscoveryError.spaceNotFound: return "choose with --space NAME:res-N"
    default: return nil
    }
}

/// Checks a request before any data is read: a request the library refuses is a usage error (exit 64).
func validated<R>(_ request: R, _ check: (R) throws -> Void) throws -> R {
    do {
        try check(request)
    } catch {
        throw ValidationError(describe(error))
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
