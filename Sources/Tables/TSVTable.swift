import Foundation

/// Errors reading a tab-separated table; each names the file, and the line or column involved.
public enum TableError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case fileNotFound(path: String)
    case empty(path: String)
    case raggedRow(path: String, line: Int, expected: Int, found: Int)
    case duplicateColumn(path: String, column: String)
    case missingColumn(path: String, column: String, available: [String])
    case notNumeric(path: String, column: String, line: Int, value: String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let p): return "\(p): no such file"
        case .empty(let p): return "\(p): the table is empty (expected a header line)"
        case .raggedRow(let p, let line, let expected, let found):
            return "\(p): line \(line) has \(found) tab-separated fields, the header has \(expected)"
        case .duplicateColumn(let p, let c): return "\(p): column \"\(c)\" appears twice in the header"
        case .missingColumn(let p, let c, let available):
            return "\(p): no column \"\(c)\"; available: \(available.joined(separator: ", "))"
        case .unreadable(let p, let reason): return "\(p): cannot read the table: \(reason)"
        case .notNumeric(let p, let c, let line, let value):
            return "\(p): column \"\(c)\", line \(line): \"\(value)\" is not a number (use n/a for missing)"
        }
    }

    public var errorDescription: String? { description }
}

/// A BIDS-style tab-separated table: one header line of column names, then rows of fields.
/// `n/a` (and empty fields) mean missing.
public struct TSVTable: Sendable, Equatable {
    public var path: String
    public var columns: [String]
    public var rows: [[String]]

    public init(path: String = "", columns: [String], rows: [[String]]) {
        self.path = path
        self.columns = columns
        self.rows = rows
    }

    /// Reads and checks `path` (every row has the header's field count; CRLF tolerated).
    public init(contentsOf path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw TableError.fileNotFound(path: path) }
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw TableError.unreadable(path: path, reason: error.localizedDescription)
        }
        // "\r\n" is one Character in Swift: normalise line ends before splitting.
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n")
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let header = lines.first else { throw TableError.empty(path: path) }
        let columns = header.split(separator: "\t", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\u{feff}", with: "")
        }
        var seen = Set<String>()
        for c in columns where !seen.insert(c).inserted { throw TableError.duplicateColumn(path: path, column: c) }
        var rows: [[String]] = []
        for (n, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == columns.count else {
                throw TableError.raggedRow(path: path, line: n + 2, expected: columns.count, found: fields.count)
            }
            rows.append(fields)
        }
        self.init(path: path, columns: columns, rows: rows)
    }

    /// Index of `name`, or an error listing the available columns.
    public func columnIndex(_ name: String) throws -> Int {
        guard let i = columns.firstIndex(of: name) else {
            throw TableError.missingColumn(path: path, column: name, available: columns)
        }
        return i
    }

    /// The fields of column `name`.
    public func column(_ name: String) throws -> [String] {
        let i = try columnIndex(name)
        return rows.map { $0[i] }
    }

    /// True for the missing-value markers `n/a`, `NA`, `nan` and empty fields.
    public static func isMissing(_ field: String) -> Bool {
        let f = field.trimmingCharacters(in: .whitespaces)
        return f.isEmpty || f == "n/a" || f == "NA" || f.lowercased() == "nan"
    }

    /// Column `name` as numbers; missing values become nil, anything else non-numeric is an error.
    public func numericColumn(_ name: String) throws -> [Double?] {
        let i = try columnIndex(name)
        return try rows.enumerated().map { n, row in
            let field = row[i].trimmingCharacters(in: .whitespaces)
            if Self.isMissing(field) { return nil }
            guard let v = Double(field) else {
                throw TableError.notNumeric(path: path, column: name, line: n + 2, value: field)
            }
            return v
        }
    }

    /// Tab-separated text with a trailing newline.
    public var text: String {
        ([columns] + rows).map { $0.joined(separator: "\t") }.joined(separator: "\n") + "\n"
    }

    /// A number as written in output tables: shortest round-trip form, `n/a` when not finite.
    public static func format(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "n/a"
    }
}
