import Tables

/// One column of a design matrix and how it was coded.
public struct DesignColumn: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case intercept
        /// A continuous covariate, centred at `mean` (over the included participants).
        case covariate(term: String, mean: Double)
        /// The treatment-coded dummy of `level` (1 for that level, 0 otherwise) of a categorical term.
        case level(term: String, level: String)
    }

    public let name: String
    public let kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    /// The model term the column belongs to (`nil` for the intercept).
    public var term: String? {
        switch kind {
        case .intercept: return nil
        case .covariate(let t, _), .level(let t, _): return t
        }
    }
}

/// How a categorical term was dummy-coded: its levels (reference first) and participant counts.
public struct FactorCoding: Sendable, Equatable {
    public let term: String
    /// Levels in coding order; `levels[0]` is the reference (no column of its own).
    public let levels: [String]
    public let counts: [Int]
    public var reference: String { levels[0] }
}

/// A participant left out of the model, with the reason (missing values, no map, …).
public struct DroppedParticipant: Sendable, Equatable {
    public let id: String
    public let reason: String

    public init(id: String, reason: String) {
        self.id = id
        self.reason = reason
    }
}

/// A design matrix built from participants.tsv and a formula: intercept, mean-centred covariates,
/// treatment-coded factors; rows with a missing value in any model column are dropped and listed.
public struct DesignMatrix: Sendable {
    /// Participant ids, one per row, in table order.
    public let participants: [String]
    public let columns: [DesignColumn]
    /// Row-major rows × columns values.
    public let values: [Double]
    public let factors: [FactorCoding]
    public let dropped: [DroppedParticipant]
    public let formula: ModelFormula?
    /// Things a person should check (e.g. a column read as categorical because of one stray value).
    public var warnings: [String] = []

    /// A design given directly (rows × columns, row-major).
    public init(participants: [String], columns: [DesignColumn], values: [Double],
                factors: [FactorCoding] = [], dropped: [DroppedParticipant] = [], formula: ModelFormula? = nil) {
        precondition(values.count == participants.count * columns.count, "values must be rows × columns")
        self.participants = participants
        self.columns = columns
        self.values = values
        self.factors = factors
        self.dropped = dropped
        self.formula = formula
    }

    public var rowCount: Int { participants.count }
    public var columnCount: Int { columns.count }
    public var columnNames: [String] { columns.map(\.name) }

    public subscript(row: Int, column: Int) -> Double { values[row * columns.count + column] }

    /// Builds the design from `table` (participant ids in `idColumn`). `references` picks the
    /// reference level of categorical terms (default: the first level in sorted order);
    /// `excluded` maps participant ids to a reason for leaving them out before coding (e.g. "no map").
    public init(table: TSVTable, formula: ModelFormula, references: [String: String] = [:],
                excluded: [String: String] = [:], idColumn: String = "participant_id") throws {
        let ids = try table.column(idColumn).map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        for id in ids where !seen.insert(id).inserted { throw StatsError.duplicateParticipant(path: table.path, participant: id) }
        let fields = try formula.terms.map { try table.column($0.column).map { $0.trimmingCharacters(in: .whitespaces) } }
        let categorical = formula.terms.enumerated().map { t, term in
            term.forceCategorical || fields[t].contains { !TSVTable.isMissing($0) && Double($0) == nil }
        }
        // A column that is numeric but for a few values is almost always a typo (age = "old"), not a factor.
        var warnings: [String] = []
        var strayWord: [Int: Int] = [:]  // term → first row holding a word in an otherwise numeric column
        for (t, term) in formula.terms.enumerated() where categorical[t] && !term.forceCategorical {
            let present = fields[t].indices.filter { !TSVTable.isMissing(fields[t][$0]) }
            let words = present.filter { Double(fields[t][$0]) == nil }
            guard words.count < present.count, words.count * 2 <= present.count else { continue }
            strayWord[t] = words[0]
            let shown = words.prefix(3).map { "\"\(fields[t][$0])\" (\(ids[$0]))" }.joined(separator: ", ")
            warnings.append("\(table.path): column \(term.column) holds \(present.count - words.count) numbers but also \(shown)"
                            + (words.count > 3 ? " and \(words.count - 3) more" : "")
                            + ", so it is treated as categorical; correct the value(s), or write C(\(term.column)) to mean a factor")
        }
        for (column, level) in references {
            guard let t = formula.terms.firstIndex(where: { $0.column == column }) else {
                throw StatsError.invalidReference(column: column, level: level, reason: "\(column) is not a term of the model \(formula)")
            }
            guard categorical[t] else {
                throw StatsError.invalidReference(column: column, level: level, reason: "\(column) is a numeric covariate; write C(\(column)) in the model to treat it as categorical")
            }
        }

        // Rows: excluded ids first, then rows with a missing value in any model column.
        var keep: [Int] = []
        var dropped: [DroppedParticipant] = []
        for (r, id) in ids.enumerated() {
            if let reason = excluded[id] { dropped.append(DroppedParticipant(id: id, reason: reason)); continue }
            let missing = formula.terms.indices.filter { TSVTable.isMissing(fields[$0][r]) }.map { formula.terms[$0].column }
            if !missing.isEmpty {
                dropped.append(DroppedParticipant(id: id, reason: "missing value in \(missing.joined(separator: ", "))"))
                continue
            }
            keep.append(r)
        }

        var columns = [DesignColumn(name: "intercept", kind: .intercept)]
        var columnValues: [[Double]] = [[Double](repeating: 1, count: keep.count)]
        var factors: [FactorCoding] = []
        for (t, term) in formula.terms.enumerated() {
            let column = keep.map { fields[t][$0] }
            if categorical[t] {
                let coding: FactorCoding
                do {
                    coding = try Self.coding(term: term.column, values: column, ids: keep.map { ids[$0] },
                                             reference: references[term.column])
                } catch let error as StatsError {
                    // Read as a factor only because of a stray word: name that value, not the levels it created.
                    guard let row = strayWord[t] else { throw error }
                    throw TableError.notNumeric(path: table.path, column: term.column, line: row + 2, value: fields[t][row])
                }
                factors.append(coding)
                for level in coding.levels.dropFirst() {
                    columns.append(DesignColumn(name: "\(term.column)[\(level)]", kind: .level(term: term.column, level: level)))
                    columnValues.append(column.map { $0 == level ? 1 : 0 })
                }
            } else {
                let numbers = try column.enumerated().map { n, field -> Double in
                    guard let v = Double(field), v.isFinite else {
                        throw TableError.notNumeric(path: table.path, column: term.column, line: keep[n] + 2, value: field)
                    }
                    return v
                }
                // Mean in float64, then centred: the intercept is the mean response at the mean covariate.
                let mean = numbers.reduce(0, +) / Double(max(1, numbers.count))
                if let first = numbers.first, numbers.allSatisfy({ $0 == first }) {
                    throw StatsError.constantColumn(column: term.column, value: first)
                }
                columns.append(DesignColumn(name: term.column, kind: .covariate(term: term.column, mean: mean)))
                columnValues.append(numbers.map { $0 - mean })
            }
        }
        guard keep.count > columns.count else {
            throw StatsError.tooFewParticipants(count: keep.count, columns: columns.map(\.name))
        }
        var values = [Double](repeating: 0, count: keep.count * columns.count)
        for (c, col) in columnValues.enumerated() {
            for r in 0..<keep.count { values[r * columns.count + c] = col[r] }
        }
        self.init(participants: keep.map { ids[$0] }, columns: columns, values: values,
                  factors: factors, dropped: dropped, formula: formula)
        self.warnings = warnings
    }

    /// Sorted levels (numerically when every level is a number) with the reference moved first;
    /// refuses single-level terms and levels with fewer than two participants.
    static func coding(term: String, values: [String], ids: [String], reference: String?) throws -> FactorCoding {
        var levels = Array(Set(values))
        if levels.allSatisfy({ Double($0) != nil }) {
            levels.sort { Double($0)! < Double($1)! }
        } else {
            levels.sort()
        }
        if let reference {
            guard let i = levels.firstIndex(of: reference) else {
                throw StatsError.invalidReference(column: term, level: reference,
                                                  reason: "not a level of \(term); levels: \(levels.joined(separator: ", "))")
            }
            levels.insert(levels.remove(at: i), at: 0)
        }
        guard levels.count >= 2 else { throw StatsError.singleLevel(column: term, level: levels.first ?? "") }
        for level in levels {
            let members = zip(values, ids).filter { $0.0 == level }.map(\.1)
            if members.count < 2 { throw StatsError.smallGroup(column: term, level: level, participants: members) }
        }
        return FactorCoding(term: term, levels: levels, counts: levels.map { l in values.filter { $0 == l }.count })
    }

    /// The factor coding of categorical `term`, if it is one.
    public func factor(_ term: String) -> FactorCoding? { factors.first { $0.term == term } }

    /// Indices of the columns that code `term`.
    public func columnIndices(ofTerm term: String) -> [Int] {
        columns.indices.filter { columns[$0].term == term }
    }
}
