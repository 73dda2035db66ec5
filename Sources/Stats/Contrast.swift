import Foundation

/// A t or F contrast over the columns of a design.
///
/// Written as (optionally prefixed by `label=`):
/// - `pain-control`: the difference between two levels of a categorical term (t);
/// - `age`, `-age`: the slope of a covariate, positive or negative (t); `mean` the intercept;
/// - `group[pain]`: one design column by name (t);
/// - `0,1,0,0` or `[0 1 0 0]`: weights over the design columns (t); `[0 1 0; 0 0 1]` several rows (F);
/// - `F(group)`, `F(group, age)`, `F(pain-control, age)`: an F test over every column of a term
///   and/or t items.
public struct Contrast: Sendable, Equatable {
    public enum Kind: String, Sendable { case t, f = "F" }

    /// The standardised effect reported as Hedges' g, when the contrast is a comparison of groups.
    public enum EffectSize: Sendable, Equatable {
        case twoGroups(term: String, first: String, second: String)
        case oneSample
    }

    /// Alphanumeric label used in output names (`contrast-<label>_stat-t.nii.gz`).
    public let label: String
    public let specification: String
    public let kind: Kind
    /// rows × design columns.
    public let weights: [[Double]]
    public let effectSize: EffectSize?

    public init(label: String, specification: String, kind: Kind, weights: [[Double]], effectSize: EffectSize? = nil) {
        self.label = label
        self.specification = specification
        self.kind = kind
        self.weights = weights
        self.effectSize = effectSize
    }

    public var rank: Int { weights.count }

    /// Parses `specification` against `design`; `index` numbers unnamed weight-vector contrasts (`c1`, `c2`, …).
    public init(_ specification: String, design: DesignMatrix, index: Int = 0) throws {
        let spec = specification.trimmingCharacters(in: .whitespaces)
        var body = spec
        var label: String?
        if let eq = spec.firstIndex(of: "=") {
            let name = spec[..<eq].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, name.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) }) else {
                throw StatsError.contrastSyntax(contrast: spec, reason: "the label before \"=\" must be letters and digits")
            }
            label = name
            body = spec[spec.index(after: eq)...].trimmingCharacters(in: .whitespaces)
        }
        let parser = ContrastParser(spec: spec, design: design)
        var rows: [[Double]]
        var kind = Kind.t
        var effect: EffectSize?
        var derived: String
        if body.hasPrefix("F(") && body.hasSuffix(")") {
            let inner = String(body.dropFirst(2).dropLast())
            let items = ContrastParser.splitTopLevel(inner)
            guard !items.isEmpty, !items.contains(where: \.isEmpty) else {
                throw StatsError.contrastSyntax(contrast: spec, reason: "F() needs one or more comma-separated items")
            }
            rows = try items.flatMap { try parser.item($0, inF: true).rows }
            kind = .f
            derived = "F" + items.enumerated().map { n, item in
                let word = ContrastParser.labelWords(item)
                return n == 0 ? word : word.prefix(1).uppercased() + word.dropFirst()
            }.joined()
        } else if body.hasPrefix("[") || body.first.map({ "0123456789.+-".contains($0) }) == true && ContrastParser.isNumeric(body)
                    && (try? parser.levelDifference(body)) == nil {  // "2-1" is a level difference when a C(column) has levels 1 and 2
            rows = try parser.matrix(body)
            kind = rows.count > 1 ? .f : .t
            derived = "c\(index + 1)"
        } else {
            let item = try parser.item(body, inF: false)
            rows = item.rows
            effect = item.effect
            derived = ContrastParser.labelWords(body)
        }
        if kind == .f { try parser.requireIndependent(rows) }
        self.init(label: label ?? derived, specification: spec, kind: kind, weights: rows, effectSize: effect)
    }
}

/// The grammar behind `Contrast.init(_:design:)`.
struct ContrastParser {
    let spec: String
    let design: DesignMatrix

    var p: Int { design.columnCount }

    func unit(_ column: Int, _ sign: Double = 1) -> [Double] {
        var w = [Double](repeating: 0, count: p)
        w[column] = sign
        return w
    }

    /// One t item (or, inside F(), a term expanding to all its columns).
    func item(_ raw: String, inF: Bool) throws -> (rows: [[Double]], effect: Contrast.EffectSize?) {
        var text = raw.trimmingCharacters(in: .whitespaces)
        var sign = 1.0
        if text.hasPrefix("-") { sign = -1; text = text.dropFirst().trimmingCharacters(in: .whitespaces) }
        else if text.hasPrefix("+") { text = text.dropFirst().trimmingCharacters(in: .whitespaces) }
        guard !text.isEmpty else { throw StatsError.contrastSyntax(contrast: spec, reason: "empty item") }
        if text.hasPrefix("[") || Self.isNumeric(text) && (try? levelDifference(text)) == nil {
            let rows = try matrix(text)
            return (rows.map { $0.map { $0 * sign } }, nil)
        }
        if ["mean", "intercept"].contains(text) {
            return ([unit(0, sign)], design.factors.isEmpty ? .oneSample : nil)
        }
        if let c = design.columns.firstIndex(where: { $0.name == text }) {
            return ([unit(c, sign)], nil)
        }
        if let factor = design.factor(text) {
            guard inF else {
                let example = "\(factor.levels[1])-\(factor.levels[0])"
                throw StatsError.contrastSyntax(contrast: spec, reason: "\(text) is categorical: compare two of its levels (\(factor.levels.joined(separator: ", "))), e.g. \(example), or test all of them with F(\(text))")
            }
            return (design.columnIndices(ofTerm: text).map { unit($0, sign) }, nil)
        }
        if let term = design.columns.first(where: { $0.term == text }), case .covariate = term.kind,
           let c = design.columns.firstIndex(of: term) {
            return ([unit(c, sign)], nil)
        }
        if let difference = try levelDifference(text) {
            return ([difference.weights.map { $0 * sign }],
                    sign > 0 ? difference.effect : .twoGroups(term: difference.term, first: difference.second, second: difference.first))
        }
        throw StatsError.contrastSyntax(contrast: spec, reason: "\"\(text)\" is not a level difference, a model term or a design column. \(vocabulary)")
    }

    /// `A-B` for two levels of the same categorical term, trying every hyphen as the split point.
    func levelDifference(_ text: String) throws -> (weights: [Double], term: String, first: String, second: String, effect: Contrast.EffectSize)? {
        var matches: [(FactorCoding, String, String)] = []
        for i in text.indices where text[i] == "-" {
            let a = text[..<i].trimmingCharacters(in: .whitespaces), b = text[text.index(after: i)...].trimmingCharacters(in: .whitespaces)
            for factor in design.factors where factor.levels.contains(a) && factor.levels.contains(b) {
                matches.append((factor, a, b))
            }
        }
        guard let (factor, a, b) = matches.first else {
            if text.contains("-") {
                let levels = design.factors.map { "\($0.term): \($0.levels.joined(separator: ", "))" }
                if design.factors.isEmpty {
                    throw StatsError.contrastSyntax(contrast: spec, reason: "\"\(text)\" looks like a level difference, but the model has no categorical term")
                }
                throw StatsError.contrastSyntax(contrast: spec, reason: "\"\(text)\" is not a difference of two levels of one term; levels are \(levels.joined(separator: "; "))")
            }
            return nil
        }
        guard matches.count == 1 else {
            throw StatsError.contrastSyntax(contrast: spec, reason: "\(a)-\(b) is ambiguous: levels of \(matches.map(\.0.term).joined(separator: " and ")); use design columns, e.g. \(matches[0].0.term)[\(a)]")
        }
        guard a != b else { throw StatsError.contrastSyntax(contrast: spec, reason: "\(a)-\(b) compares a level with itself") }
        var w = [Double](repeating: 0, count: p)
        let columns = design.columnIndices(ofTerm: factor.term)
        // Treatment coding: a level's mean minus the reference's is its dummy's coefficient; the reference's is 0.
        if let i = factor.levels.firstIndex(of: a), i > 0 { w[columns[i - 1]] += 1 }
        if let i = factor.levels.firstIndex(of: b), i > 0 { w[columns[i - 1]] -= 1 }
        return (w, factor.term, a, b, .twoGroups(term: factor.term, first: a, second: b))
    }

    /// `[1 0 0; 0 1 0]`, `[0,1,0]` or `0,1,0`: rows of weights, each as long as the design.
    func matrix(_ text: String) throws -> [[Double]] {
        var body = text.trimmingCharacters(in: .whitespaces)
        if body.hasPrefix("[") {
            guard body.hasSuffix("]") else { throw StatsError.contrastSyntax(contrast: spec, reason: "unbalanced [ ]") }
            body = String(body.dropFirst().dropLast())
        }
        let rows = try body.split(separator: ";").map { row -> [Double] in
            let fields = row.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" })
            return try fields.map { field in
                guard let v = Double(field), v.isFinite else {
                    throw StatsError.contrastSyntax(contrast: spec, reason: "\"\(field)\" is not a number")
                }
                return v
            }
        }
        for row in rows {
            guard row.count == p else { throw StatsError.contrastLength(contrast: spec, found: row.count, columns: design.columnNames) }
            guard row.contains(where: { $0 != 0 }) else {
                throw StatsError.contrastNotEstimable(contrast: spec, reason: "a row of weights is all zero")
            }
        }
        guard !rows.isEmpty else { throw StatsError.contrastSyntax(contrast: spec, reason: "no weights") }
        return rows
    }

    /// F rows must be linearly independent (each adds a degree of freedom to the numerator).
    func requireIndependent(_ rows: [[Double]]) throws {
        for n in rows.indices where orthonormalBasis(Array(rows[...n]), limit: n + 1).count <= n {
            throw StatsError.contrastNotEstimable(contrast: spec, reason: "row \(n + 1) of the F contrast is a combination of the rows before it")
        }
    }

    var vocabulary: String {
        var parts = ["design columns: \(design.columnNames.joined(separator: ", "))"]
        for f in design.factors { parts.append("levels of \(f.term): \(f.levels.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }

    static func isNumeric(_ text: String) -> Bool {
        let allowed = CharacterSet(charactersIn: "0123456789.+-eE, ;\t[]")
        return !text.isEmpty && text.unicodeScalars.allSatisfy { allowed.contains($0) }
            && text.contains(where: { $0.isNumber })
    }

    /// Splits on commas outside brackets.
    static func splitTopLevel(_ text: String) -> [String] {
        var items: [String] = [], current = "", depth = 0
        for ch in text {
            if ch == "[" { depth += 1 } else if ch == "]" { depth -= 1 }
            if ch == ",", depth == 0 {
                items.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            } else {
                current.append(ch)
            }
        }
        items.append(current.trimmingCharacters(in: .whitespaces))
        return items
    }

    /// `pain-control` → `painMinusControl`, `-age` → `negAge`: letters and digits only, for file names.
    static func labelWords(_ text: String) -> String {
        var t = text.trimmingCharacters(in: .whitespaces)
        var words: [String] = []
        if t.hasPrefix("-") { words.append("neg"); t.removeFirst() }
        let parts = t.split(separator: "-", omittingEmptySubsequences: true)
        for (n, part) in parts.enumerated() {
            if n > 0 { words.append("Minus") }
            words.append(String(part))
        }
        var out = ""
        for word in words {
            let clean = String(word.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) })
            out += out.isEmpty ? clean : clean.prefix(1).uppercased() + clean.dropFirst()
        }
        return out.isEmpty ? "contrast" : out
    }
}
