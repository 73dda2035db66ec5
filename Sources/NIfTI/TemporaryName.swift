import Foundation

/// Names of the hidden files an output goes through — `.NAME.tmp-…` while written, `.NAME.prev-…` for
/// the previous version moved aside during a swap — carrying the host, process id and process start
/// time, so a later run can tell a dead run's leftovers from a concurrent run's files.
public enum TemporaryName {
    public enum Kind: String, Sendable {
        case staged = "tmp"
        case previous = "prev"
    }

    /// Leftovers from another host are removed once older than this (process liveness cannot be
    /// checked across hosts): a day, far beyond any single output's write time.
    public static let foreignHostAge: Double = 24 * 3600

    /// This host's name as it appears in hidden names (letters, digits and `-`; anything else `_`).
    public static let hostTag = String(SystemCalls.hostName.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" })

    /// A fresh hidden name beside `path`.
    public static func make(for path: String, kind: Kind) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = (path as NSString).deletingLastPathComponent
        let prefix = folder.isEmpty ? "" : folder + "/"
        return prefix + ".\(url.lastPathComponent).\(kind.rawValue)-\(hostTag)-\(SystemCalls.processID)-"
            + "\(SystemCalls.processStartTime)-\(UInt32.random(in: 0...UInt32.max))"
    }

    /// The owner recorded in a hidden name, if it is one of ours.
    static func owner(of name: String) -> (host: String, pid: Int32, start: UInt64)? {
        guard name.hasPrefix("."), let marker = name.range(of: #"\.(tmp|prev)-"#, options: [.regularExpression, .backwards]) else {
            return nil
        }
        let fields = name[marker.upperBound...].split(separator: "-")
        guard fields.count >= 4, let pid = Int32(fields[fields.count - 3]), let start = UInt64(fields[fields.count - 2]) else { return nil }
        return (fields[..<(fields.count - 3)].joined(separator: "-"), pid, start)
    }

    /// Removes the leftovers of runs that are gone from `folder`: on this host, those whose process
    /// (pid and start time) no longer runs; from other hosts, those older than `foreignHostAge`.
    /// A concurrent run's files are never touched. Returns the paths removed.
    @discardableResult
    public static func removeStale(in folder: String, now: Date = Date()) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder) else { return [] }
        var removed: [String] = []
        for name in names {
            guard let owner = owner(of: name) else { continue }
            let path = (folder.isEmpty ? "" : folder + "/") + name
            let stale: Bool
            if owner.host == hostTag {
                stale = SystemCalls.startTime(of: owner.pid) != owner.start
            } else {
                stale = (SystemCalls.modificationTime(path).map { now.timeIntervalSince1970 - $0 > foreignHostAge }) ?? false
            }
            if stale {
                SystemCalls.remove(path)
                removed.append(path)
            }
        }
        return removed.sorted()
    }
}
