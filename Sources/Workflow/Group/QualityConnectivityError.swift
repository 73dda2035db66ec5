import Foundation

/// Why QC-FC could not be computed; each names the file, participant or node involved and what was expected.
public enum QualityConnectivityError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// Fewer than three participants: a correlation over fewer has no residual degree of freedom.
    case tooFewParticipants(count: Int)
    /// The same participant listed twice.
    case duplicateParticipant(participant: String)
    /// No mean FD for a participant.
    case missingMotion(participant: String, matrix: String)
    /// A mean FD that is NaN or infinite.
    case nonFiniteMotion(participant: String, value: Double)
    /// Every participant has the same mean FD: nothing to correlate with.
    case constantMotion(value: Double, participants: Int)
    /// A matrix with fewer than two nodes (no edge).
    case tooFewNodes(path: String, nodes: Int)
    /// Row count differs from the node columns of the header.
    case notSquare(path: String, rows: Int, columns: Int)
    /// The row names (first column) differ from the header's node columns.
    case rowNamesDiffer(path: String, row: Int, name: String, column: String)
    /// A matrix whose nodes (names or order) differ from the first matrix's.
    case nodeMismatch(path: String, reference: String, detail: String)
    /// A value that is neither a number nor n/a.
    case notNumeric(path: String, row: String, column: String, value: String)
    /// The value at (a, b) differs from the one at (b, a).
    case asymmetric(path: String, nodeA: String, nodeB: String, upper: Double, lower: Double)
    /// The atlas holds a value that is not a non-negative integer.
    case nonIntegerLabel(path: String, voxel: [Int], value: Float)
    /// The atlas has another number of labels than the matrices have nodes.
    case atlasNodeCount(path: String, labels: Int, nodes: Int, matrix: String)
    /// A node named after a label (`label-<n>` or `<n>`) sits where the atlas has another label.
    case atlasLabelMismatch(path: String, node: String, position: Int, label: Int)

    public var description: String {
        switch self {
        case .tooFewParticipants(let count):
            return "QC-FC needs at least 3 participants (a correlation over n needs n - 2 >= 1 degrees of freedom); \(count) given"
        case .duplicateParticipant(let participant):
            return "participant \(participant) is listed twice; expected one connectivity matrix per participant"
        case .missingMotion(let participant, let matrix):
            return "no mean FD for participant \(participant) (matrix \(matrix)); every participant needs one"
        case .nonFiniteMotion(let participant, let value):
            return "mean FD of participant \(participant) is \(value); expected a finite number"
        case .constantMotion(let value, let participants):
            return "all \(participants) participants have mean FD \(value); QC-FC needs motion that varies across participants"
        case .tooFewNodes(let path, let nodes):
            return "\(path): \(nodes) node(s); expected a connectivity matrix with at least 2 nodes"
        case .notSquare(let path, let rows, let columns):
            return "\(path): \(rows) rows and \(columns) node columns; expected a square matrix (first column the node names, then one column per node)"
        case .rowNamesDiffer(let path, let row, let name, let column):
            return "\(path): row \(row) is node \"\(name)\" but column \(row + 1) of the header is \"\(column)\"; expected the same nodes in the same order"
        case .nodeMismatch(let path, let reference, let detail):
            return "\(path): nodes differ from \(reference) (\(detail)); every matrix needs the same nodes in the same order"
        case .notNumeric(let path, let row, let column, let value):
            return "\(path): row \"\(row)\", column \"\(column)\": \"\(value)\" is not a number (use n/a for missing)"
        case .asymmetric(let path, let a, let b, let upper, let lower):
            return "\(path): (\(a), \(b)) is \(upper) but (\(b), \(a)) is \(lower); expected a symmetric matrix"
        case .nonIntegerLabel(let path, let voxel, let value):
            return "\(path): atlas values must be non-negative integer labels; voxel \(voxel) holds \(value)"
        case .atlasNodeCount(let path, let labels, let nodes, let matrix):
            return "\(path): \(labels) label(s) but \(matrix) has \(nodes) node(s); expected one label per node, nodes in ascending label order"
        case .atlasLabelMismatch(let path, let node, let position, let label):
            return "\(path): node \(position) is \"\(node)\" but the atlas's label \(position) in ascending order is \(label); expected nodes in ascending label order"
        }
    }

    public var errorDescription: String? { description }
}
