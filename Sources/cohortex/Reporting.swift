import ArgumentParser
import Foundation

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
        let text = (error as? LocalizedError)?.errorDescription ?? "\(error)"
        FileHandle.standardError.write(Data("cohortex: error: \(text)\n".utf8))
        throw ExitCode(1)
    }
}

/// Writes a warning line on stderr.
func warn(_ message: String) {
    FileHandle.standardError.write(Data("cohortex: warning: \(message)\n".utf8))
}
