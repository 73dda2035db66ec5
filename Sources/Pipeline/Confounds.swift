import Foundation
import NIfTI

/// Problems with a confounds table or the censoring it implies; each names the file or run.
public enum ConfoundError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case missingColumns(path: String, strategy: String, missing: [String], available: [String])
    case rowCountMismatch(path: String, rows: Int, volumes: Int, bold: String)
    case unknownStrategy(String)
    case notNumeric(path: String, column: String, line: Int, value: String)
    case invalidRegex(String)
    case badSampleMask(path: String, reason: String)
    case nonFiniteValues(path: String, column: String, rows: [Int])
    case tooFewDegreesOfFreedom(run: String, effective: Double, kept: Int, confounds: String, minimum: Double)

    public var description: String {
        switch self {
        case .missingColumns(let p, let strategy, let missing, let available):
            return "\(p): strategy \(strategy) needs column(s) \(missing.joined(separator: ", ")), which the table lacks; available: \(available.joined(separator: ", "))"
        case .rowCountMismatch(let p, let rows, let volumes, let bold):
            return "\(p): \(rows) rows, but \(bold) has \(volumes) volumes (one row per volume expected)"
        case .unknownStrategy(let s):
            return "unknown confound strategy \"\(s)\"; use 6P, 24P, 36P, acompcor, columns:NAME,NAME,… or regex:PATTERN"
        case .notNumeric(let p, let c, let line, let v):
            return "\(p): column \(c), line \(line): \"\(v)\" is not a number"
        case .badSampleMask(let p, let reason):
            return "\(p): invalid sample mask: \(reason)"
        case .invalidRegex(let pattern):
            return "invalid confound regular expression \"\(pattern)\""
        case .tooFewDegreesOfFreedom(let run, let effective, let kept, let confounds, let minimum):
            return "\(run): cleaning leaves \(String(format: "%.1f", effective)) effective degrees of freedom of \(kept) kept volumes (confounds: \(confounds)); at least \(String(format: "%g", minimum)) are needed for a meaningful map"
        case .nonFiniteValues(let p, let c, let rows):
            let shown = rows.prefix(10).map(String.init).joined(separator: ", ") + (rows.count > 10 ? ", … (\(rows.count) rows)" : "")
            return "\(p): column \(c) has no finite value in data row(s) \(shown) (1-based, header not counted); only the first row of derivative, framewise_displacement and dvars columns may be n/a"
        }
    }

    public var errorDescription: String? { description }
}

/// A named set of fMRIPrep confound columns (the strategies of nilearn's `load_confounds_strategy` / XCP-D).
public enum ConfoundStrategy: Sendable, Equatable, Codable, CustomStringConvertible {
    case sixP, twentyFourP, thirtySixP, aCompCor
    case columns([String])
    case regex(String)

    /// Parses `6P`, `24P`, `36P`, `acompcor`, `columns:a,b,c` or `regex:PATTERN`.
    public init(parsing text: String) throws {
        switch text.lowercased() {
        case "6p": self = .sixP
        case "24p": self = .twentyFourP
        case "36p": self = .thirtySixP
        case "acompcor", "acompcor24p": self = .aCompCor
        default:
            if text.hasPrefix("columns:") {
                self = .columns(text.dropFirst(8).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            } else if text.hasPrefix("regex:") {
                let pattern = String(text.dropFirst(6))
                guard (try? NSRegularExpression(pattern: pattern)) != nil else { throw ConfoundError.invalidRegex(pattern) }
                self = .regex(pattern)
            } else {
                throw ConfoundError.unknownStrategy(text)
            }
        }
    }

    public var description: String {
        switch self {
        case .sixP: return "6P"
        case .twentyFourP: return "24P"
        case .thirtySixP: return "36P"
        case .aCompCor: return "acompcor"
        case .columns(let c): return "columns:" + c.joined(separator: ",")
        case .regex(let r): return "regex:" + r
        }
    }

    static let motion = ["trans_x", "trans_y", "trans_z", "rot_x", "rot_y", "rot_z"]

    /// Base column, first derivative, square, and squared derivative (fMRIPrep's expansion names).
    static func expanded(_ bases: [String]) -> [String] {
        bases.flatMap { [$0, $0 + "_derivative1", $0 + "_power2", $0 + "_derivative1_power2"] }
    }

    /// The column names this strategy selects from `available`.
    public func columns(available: [String]) throws -> [String] {
        switch self {
        case .sixP: return Self.motion
        case .twentyFourP: return Self.expanded(Self.motion)
        case .thirtySixP: return Self.expanded(Self.motion + ["csf", "white_matter", "global_signal"])
        case .aCompCor:
            // Newer fMRIPrep splits aCompCor by tissue (c_ = CSF, w_ = WM): up to 5 of each, as nilearn's n_compcor=5;
            // else the combined a_comp_cor. fMRIPrep keeps the components explaining 50% of the variance, which can be
            // fewer than five: component 00 is required, 01–04 are taken while the table has them.
            let split = available.contains("c_comp_cor_00") && available.contains("w_comp_cor_00")
            let comp = (split ? ["c_comp_cor_", "w_comp_cor_"] : ["a_comp_cor_"]).flatMap { prefix in
                [prefix + "00"] + (1..<5).map { prefix + String(format: "%02d", $0) }.prefix { available.contains($0) }
            }
            return Self.expanded(Self.motion) + comp
        case .columns(let c): return c
        case .regex(let pattern):
            let re = try NSRegularExpression(pattern: pattern)
            return available.filter { re.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }
        }
    }
}

/// An fMRIPrep `*_desc-confounds_timeseries.tsv`: numeric columns, `n/a` kept as NaN.
public struct ConfoundsTable: Sendable {
    public let path: String
    public let columns: [String]
    public let values: [String: [Double]]
    public let rows: Int
    /// Columns whose first data row is literally `n/a` (fMRIPrep's mark for "no value for volume 0").
    let leadingNotAvailable: Set<String>

    public init(contentsOf path: String) throws {
        let table = try TSVTable(contentsOf: path)
        var values: [String: [Double]] = [:]
        var leading: Set<String> = []
        for (c, name) in table.columns.enumerated() {
            values[name] = try table.rows.enumerated().map { n, row in
                let field = row[c].trimmingCharacters(in: .whitespaces)
                if n == 0 && field == "n/a" { leading.insert(name) }
                if TSVTable.isMissing(field) { return .nan }
                guard let v = Double(field) else { throw ConfoundError.notNumeric(path: path, column: name, line: n + 2, value: field) }
                return v
            }
        }
        self.path = path
        columns = table.columns
        self.values = values
        rows = table.rows.count
        leadingNotAvailable = leading
    }

    /// The strategy's columns from row `first` on; an error names any missing column and lists the
    /// available ones. fMRIPrep cannot compute a derivative, FD or DVARS for the first volume and writes
    /// `n/a` there: that one cell becomes 0. Any other `n/a`, NaN, empty or infinite cell would silently
    /// enter the regression, so it is an error naming the column and rows.
    public func select(_ strategy: ConfoundStrategy, from first: Int = 0) throws -> (names: [String], columns: [[Double]]) {
        let names = try strategy.columns(available: columns)
        let missing = names.filter { values[$0] == nil }
        guard missing.isEmpty else {
            throw ConfoundError.missingColumns(path: path, strategy: strategy.description, missing: missing, available: columns)
        }
        let selected = try names.map { name -> [Double] in
            let column = values[name]!
            let leadingZero = leadingNotAvailable.contains(name) && Self.hasLeadingNotAvailable(name)
            let bad = (min(first, rows)..<rows).filter { !column[$0].isFinite && !($0 == 0 && leadingZero) }
            guard bad.isEmpty else { throw ConfoundError.nonFiniteValues(path: path, column: name, rows: bad.map { $0 + 1 }) }
            return column.dropFirst(first).map { $0.isNaN ? 0 : $0 }
        }
        return (names, selected)
    }

    /// Columns fMRIPrep leaves `n/a` in the first row: temporal derivatives, FD and DVARS.
    static func hasLeadingNotAvailable(_ name: String) -> Bool {
        name.contains("_derivative1") || ["framewise_displacement", "dvars", "std_dvars"].contains(name)
    }

    /// A column as stored (NaN for n/a), or nil when absent.
    public func column(_ name: String) -> [Double]? { values[name] }

    /// Volumes flagged by fMRIPrep's `non_steady_state_outlier*` one-hot columns (always censored, as nilearn does).
    public var nonSteadyStateVolumes: [Int] {
        let flags = columns.filter { $0.hasPrefix("non_steady_state") }.compactMap { values[$0] }
        return (0..<rows).filter { t in flags.contains { $0[t] == 1 } }
    }
}

/// Which volumes survive: dummy scans dropped, then motion outliers (FD and/or standardised DVARS above
/// thresholds) censored, then kept segments shorter than `minSegment` censored too (nilearn's `scrub`).
public struct Censoring: Sendable, Equatable, Codable {
    public var dummyScans: Int = 0
    public var fdThreshold: Double?
    public var dvarsThreshold: Double?
    public var minSegment: Int = 5
    /// A user censoring file: one 1 (keep) or 0 (censor) per acquired volume.
    public var sampleMask: String?

    public init(dummyScans: Int = 0, fdThreshold: Double? = nil, dvarsThreshold: Double? = nil, minSegment: Int = 5,
                sampleMask: String? = nil) {
        self.dummyScans = dummyScans
        self.fdThreshold = fdThreshold
        self.dvarsThreshold = dvarsThreshold
        self.minSegment = minSegment
        self.sampleMask = sampleMask
    }

    public var censorsMotion: Bool { fdThreshold != nil || dvarsThreshold != nil }

    /// Kept volume indices (counted after the dummy scans) for `frames` post-dummy volumes;
    /// `alsoCensored` (fMRIPrep's non-steady-state volumes) are removed after the segment rule, as nilearn does.
    public func keptVolumes(frames: Int, fd: [Double]?, dvars: [Double]?, alsoCensored: [Int] = []) -> (kept: [Int], motionOutliers: Int) {
        var outlier = [Bool](repeating: false, count: frames)
        if let threshold = fdThreshold, let fd {
            for t in 0..<frames where fd[t] > threshold { outlier[t] = true }   // n/a (NaN) never exceeds
        }
        if let threshold = dvarsThreshold, let dvars {
            for t in 0..<frames where dvars[t] > threshold { outlier[t] = true }
        }
        let motion = outlier.filter { $0 }.count
        if motion > 0 {
            // Censor runs of kept volumes shorter than minSegment (at the edges too).
            var t = 0
            while t < frames {
                guard !outlier[t] else { t += 1; continue }
                var end = t
                while end < frames && !outlier[end] { end += 1 }
                if end - t < minSegment { for i in t..<end { outlier[i] = true } }
                t = end
            }
        }
        for t in alsoCensored where t >= 0 && t < frames { outlier[t] = true }
        return ((0..<frames).filter { !outlier[$0] }, motion)
    }
}

extension Censoring {
    /// A sample mask file: one number per volume, 1 = keep and 0 = censor (whitespace, comma or
    /// newline separated; `#` starts a comment). Returns the kept indices.
    public static func readSampleMask(_ path: String, frames: Int) throws -> [Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ConfoundError.badSampleMask(path: path, reason: "cannot read the file")
        }
        let tokens = text.split(separator: "\n").flatMap { line in
            line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map {
                $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" })
            } ?? []
        }
        guard tokens.count == frames else {
            throw ConfoundError.badSampleMask(path: path, reason: "\(tokens.count) values for \(frames) volumes")
        }
        var kept: [Int] = []
        for (t, token) in tokens.enumerated() {
            switch token {
            case "1", "1.0", "true": kept.append(t)
            case "0", "0.0", "false": break
            default: throw ConfoundError.badSampleMask(path: path, reason: "value \"\(token)\" for volume \(t) is not 1 (keep) or 0 (censor)")
            }
        }
        return kept
    }
}
