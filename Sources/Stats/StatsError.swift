import Foundation

/// Errors in a model, its contrasts or the group data; each names the columns, levels or participants involved.
public enum StatsError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case formulaSyntax(formula: String, reason: String)
    case duplicateTerm(formula: String, term: String)
    case duplicateParticipant(path: String, participant: String)
    case invalidReference(column: String, level: String, reason: String)
    case singleLevel(column: String, level: String)
    case smallGroup(column: String, level: String, participants: [String])
    case constantColumn(column: String, value: Double)
    case tooFewParticipants(count: Int, columns: [String])
    case rankDeficient(column: String, combination: [(column: String, weight: Double)])
    case contrastSyntax(contrast: String, reason: String)
    case contrastLength(contrast: String, found: Int, columns: [String])
    case contrastNotEstimable(contrast: String, reason: String)

    public static func == (a: StatsError, b: StatsError) -> Bool { a.description == b.description }

    public var description: String {
        switch self {
        case .formulaSyntax(let f, let reason):
            return "model \"\(f)\": \(reason)"
        case .duplicateTerm(let f, let term):
            return "model \"\(f)\": the term \(term) appears twice"
        case .duplicateParticipant(let path, let id):
            return "\(path): participant \(id) appears on more than one row"
        case .invalidReference(let column, let level, let reason):
            return "reference level \(column)=\(level): \(reason)"
        case .singleLevel(let column, let level):
            return "column \(column) has the single level \"\(level)\" among the included participants: it cannot be modelled (remove it from the model)"
        case .smallGroup(let column, let level, let ids):
            return "column \(column), level \"\(level)\" has \(ids.count) participant\(ids.count == 1 ? "" : "s") (\(ids.joined(separator: ", "))) after dropping missing values; every level needs at least 2"
        case .constantColumn(let column, let value):
            return "column \(column) is constant (\(value)) among the included participants: it cannot be modelled (remove it from the model)"
        case .tooFewParticipants(let n, let columns):
            return "\(n) participant\(n == 1 ? "" : "s") for \(columns.count) model columns (\(columns.joined(separator: ", "))): at least \(columns.count + 1) are needed for any residual degrees of freedom"
        case .rankDeficient(let column, let combination):
            let terms = combination.map { String(format: "%.6g", $0.weight) + "·" + $0.column }.joined(separator: " + ")
            let names = ([column] + combination.map(\.column)).joined(separator: ", ")
            return "the design is rank-deficient: column \(column) = \(terms) (collinear columns: \(names)); remove one of them from the model"
        case .contrastSyntax(let c, let reason):
            return "contrast \"\(c)\": \(reason)"
        case .contrastLength(let c, let found, let columns):
            return "contrast \"\(c)\": \(found) weights for \(columns.count) design columns (\(columns.joined(separator: ", ")))"
        case .contrastNotEstimable(let c, let reason):
            return "contrast \"\(c)\": \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
