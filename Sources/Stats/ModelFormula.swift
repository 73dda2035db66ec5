import Foundation

/// A model formula over participants.tsv columns, e.g. `~ group + age + C(site)`.
/// An intercept is always part of the model (`~ 1` is the intercept alone, a one-sample model);
/// `C(column)` forces a numeric column to be categorical.
public struct ModelFormula: Sendable, Equatable, CustomStringConvertible {
    /// One term: a participants.tsv column, optionally forced categorical.
    public struct Term: Sendable, Equatable {
        public let column: String
        public let forceCategorical: Bool

        public init(column: String, forceCategorical: Bool = false) {
            self.column = column
            self.forceCategorical = forceCategorical
        }
    }

    /// The formula as the user wrote it.
    public let text: String
    public let terms: [Term]

    /// Parses `text`; interactions, intercept removal and left-hand sides are refused with the reason.
    public init(_ text: String) throws {
        self.text = text
        var body = text.trimmingCharacters(in: .whitespaces)
        if let tilde = body.firstIndex(of: "~") {
            let lhs = body[..<tilde].trimmingCharacters(in: .whitespaces)
            guard lhs.isEmpty else {
                throw StatsError.formulaSyntax(formula: text, reason: "the response is the maps or the table, not \"\(lhs)\": write the model as \"~ term + term\"")
            }
            body = String(body[body.index(after: tilde)...])
        }
        guard !body.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw StatsError.formulaSyntax(formula: text, reason: "no terms (write ~ 1 for a one-sample model)")
        }
        if body.contains(":") || body.contains("*") {
            throw StatsError.formulaSyntax(formula: text, reason: "interaction terms (a:b, a*b) are not supported; add a product column to participants.tsv instead")
        }
        if body.contains("-") {
            throw StatsError.formulaSyntax(formula: text, reason: "term removal (\"- …\") is not supported; the model always has an intercept")
        }
        var terms: [Term] = []
        for raw in body.split(separator: "+", omittingEmptySubsequences: false) {
            let piece = raw.trimmingCharacters(in: .whitespaces)
            if piece == "1" { continue }
            if piece == "0" {
                throw StatsError.formulaSyntax(formula: text, reason: "models without an intercept are not supported")
            }
            var name = piece
            var categorical = false
            if piece.hasPrefix("C(") && piece.hasSuffix(")") {
                name = String(piece.dropFirst(2).dropLast()).trimmingCharacters(in: .whitespaces)
                categorical = true
            }
            guard Self.isColumnName(name) else {
                let shown = piece.isEmpty ? "an empty term" : "\"\(piece)\""
                throw StatsError.formulaSyntax(formula: text, reason: "\(shown) is not a column name (letters, digits, _ and .) or C(column)")
            }
            if terms.contains(where: { $0.column == name }) {
                throw StatsError.duplicateTerm(formula: text, term: name)
            }
            terms.append(Term(column: name, forceCategorical: categorical))
        }
        self.terms = terms
    }

    static func isColumnName(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, !CharacterSet.decimalDigits.contains(first) else { return false }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_."))
        return s.unicodeScalars.allSatisfy { allowed.contains($0) }
    }

    /// The formula normalised: `~ 1 + term + …`.
    public var description: String {
        "~ " + (["1"] + terms.map { $0.forceCategorical ? "C(\($0.column))" : $0.column }).joined(separator: " + ")
    }
}
