import Foundation

/// Why a finished group model could not be exported for FSL randomise / PALM; each names the file,
/// column, contrast or participant involved and what was expected.
public enum PALMExportError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The model folder has no `design.tsv`.
    case missingDesign(path: String)
    /// The model folder has no `glm.json`.
    case missingModel(path: String)
    /// `glm.json` is not JSON, or lacks an entry the export needs.
    case unreadableModel(path: String, reason: String)
    /// `design.tsv` has no participant rows or no design column.
    case emptyDesign(path: String)
    /// A design value that is not a finite number.
    case designValue(path: String, participant: String, column: String, value: String)
    /// `glm.json` lists no contrast.
    case noContrasts(path: String)
    /// A contrast's columns are not design.tsv's design columns.
    case contrastColumns(path: String, label: String, expected: [String], found: [String])
    /// A contrast's weight rows do not fit its type or the design.
    case contrastWeights(path: String, label: String, detail: String)
    /// The number of maps differs from the number of design rows.
    case mapCount(design: String, rows: Int, maps: Int)
    /// The map of a design row belongs to another participant (or names none).
    case participantMismatch(path: String, row: Int, expected: String, found: String?)
    /// A map with more than one frame.
    case notThreeD(path: String, frames: Int)
    /// A map on another grid than the first.
    case gridMismatch(path: String, reference: String, detail: String)

    public var description: String {
        switch self {
        case .missingDesign(let p):
            return "\(p): no such file (expected the design table `cohortex glm` writes beside glm.json)"
        case .missingModel(let p):
            return "\(p): no such file (expected the glm.json sidecar of a finished group model)"
        case .unreadableModel(let p, let reason):
            return "\(p): cannot read the group model: \(reason)"
        case .emptyDesign(let p):
            return "\(p): expected participant_id, at least one design column and one row per participant"
        case .designValue(let p, let participant, let column, let value):
            return "\(p): column \"\(column)\" of \(participant) holds \"\(value)\"; expected a finite number"
        case .noContrasts(let p):
            return "\(p): the model lists no contrast; expected at least one t or F contrast"
        case .contrastColumns(let p, let label, let expected, let found):
            return "\(p): contrast \(label) is over columns [\(found.joined(separator: ", "))]; design.tsv has [\(expected.joined(separator: ", "))]"
        case .contrastWeights(let p, let label, let detail):
            return "\(p): contrast \(label): \(detail)"
        case .mapCount(let design, let rows, let maps):
            return "\(maps) map(s) given for the \(rows) participant rows of \(design); expected one map per row, in the same order"
        case .participantMismatch(let p, let row, let expected, let found):
            let whose = found.map { "belongs to sub-\($0)" } ?? "names no participant (no sub-<label> in the file name)"
            return "\(p): map \(row) \(whose); design row \(row) is \(expected)"
        case .notThreeD(let p, let frames):
            return "\(p): \(frames) frames; expected a 3D map (one frame) per participant"
        case .gridMismatch(let p, let reference, let detail):
            return "\(p): grid differs from \(reference) (\(detail)); every map must share the first map's grid"
        }
    }

    public var errorDescription: String? { description }
}
