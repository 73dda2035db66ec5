import Foundation

extension String {
    /// The string as one POSIX shell word: single-quoted, embedded single quotes written `'\''`.
    /// Every label, path and argument a generated script contains goes through this.
    public var shellQuoted: String {
        "'" + replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
