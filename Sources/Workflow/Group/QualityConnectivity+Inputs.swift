import Foundation
import NIfTI

/// Reading QC-FC's inputs: connectivity matrices in the conmat layout and an integer label atlas.
extension QualityConnectivity {
    /// One participant's matrix: its node names and upper-triangle values (i < j, row-major; NaN for n/a).
    struct UpperTriangle {
        var nodes: [String]
        var values: [Double]
    }

    /// Relative tolerance of the symmetry check: matrices computed in Float64 and written at full
    /// precision are symmetric far within it; a table that is not a connectivity matrix is not.
    static let symmetryTolerance = 1e-6

    /// Reads a conmat-layout TSV (first column the node names, then one column per node, diagonal
    /// present), checks it is square, named alike on both axes and symmetric, and returns its upper triangle.
    static func readMatrix(_ path: String) throws -> UpperTriangle {
        let table = try TSVTable(contentsOf: path)
        let nodes = Array(table.columns.dropFirst())
        guard nodes.count >= 2 else { throw QualityConnectivityError.tooFewNodes(path: path, nodes: nodes.count) }
        guard table.rows.count == nodes.count else {
            throw QualityConnectivityError.notSquare(path: path, rows: table.rows.count, columns: nodes.count)
        }
        let n = nodes.count
        var matrix = [Double](repeating: .nan, count: n * n)
        for (i, row) in table.rows.enumerated() {
            let name = row[0].trimmingCharacters(in: .whitespaces)
            guard name == nodes[i] else { throw QualityConnectivityError.rowNamesDiffer(path: path, row: i + 1, name: name, column: nodes[i]) }
            for j in 0..<n {
                let field = row[j + 1].trimmingCharacters(in: .whitespaces)
                if TSVTable.isMissing(field) { continue }
                guard let value = Double(field) else {
                    throw QualityConnectivityError.notNumeric(path: path, row: name, column: nodes[j], value: field)
                }
                matrix[i * n + j] = value
            }
        }
        var upper: [Double] = []
        upper.reserveCapacity(n * (n - 1) / 2)
        for i in 0..<n {
            for j in (i + 1)..<n {
                let a = matrix[i * n + j], b = matrix[j * n + i]
                let bothMissing = a.isNaN && b.isNaN
                let close = a == b || abs(a - b) <= symmetryTolerance * max(1, abs(a), abs(b))
                guard bothMissing || close else {
                    throw QualityConnectivityError.asymmetric(path: path, nodeA: nodes[i], nodeB: nodes[j], upper: a, lower: b)
                }
                upper.append(a)
            }
        }
        return UpperTriangle(nodes: nodes, values: upper)
    }

    /// How two node lists differ, in one phrase.
    static func nodeDifference(_ nodes: [String], reference: [String]) -> String {
        if nodes.count != reference.count { return "\(nodes.count) nodes vs \(reference.count)" }
        let k = zip(nodes, reference).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
        return "node \(k + 1) is \"\(nodes[k])\", expected \"\(reference[k])\""
    }

    /// Label centroids of an integer atlas: labels present (non-zero) in ascending order, each with the
    /// mean of its voxel centres mapped through the affine (world mm). Voxel indices are summed in
    /// Float64 (exact for any grid) and the affine applied to their mean, which equals the mean of the
    /// mapped voxel centres because the affine is linear.
    static func centroids(atlas path: String) throws -> (labels: [Int], centroids: [[Double]]) {
        let volume = try NIfTIImage(path: path).readVolume3D()
        let grid = volume.grid
        var sums: [Int: (count: Double, i: Double, j: Double, k: Double)] = [:]
        for (index, value) in volume.voxels.enumerated() where value != 0 {
            guard value.isFinite, value > 0, value.rounded() == value, value < 1e9 else {
                let c = grid.coordinates(of: index)
                throw QualityConnectivityError.nonIntegerLabel(path: path, voxel: [c.0, c.1, c.2], value: value)
            }
            let (i, j, k) = grid.coordinates(of: index)
            let old = sums[Int(value)] ?? (0, 0, 0, 0)
            sums[Int(value)] = (old.count + 1, old.i + Double(i), old.j + Double(j), old.k + Double(k))
        }
        let entries = sums.sorted { $0.key < $1.key }
        let centroids = entries.map { entry -> [Double] in
            let s = entry.value
            let world = grid.affine.apply(s.i / s.count, s.j / s.count, s.k / s.count)
            return [world.0, world.1, world.2]
        }
        return (entries.map(\.key), centroids)
    }

    /// Checks the atlas against the nodes: one label per node, and a node named after a label
    /// (`label-<n>`, conmat's name for an unnamed label, or plain `<n>`) must sit at that label's position.
    static func checkAtlas(_ path: String, labels: [Int], nodes: [String], matrix: String) throws {
        guard labels.count == nodes.count else {
            throw QualityConnectivityError.atlasNodeCount(path: path, labels: labels.count, nodes: nodes.count, matrix: matrix)
        }
        for (position, (node, label)) in zip(nodes, labels).enumerated() {
            let number = node.hasPrefix("label-") ? Int(node.dropFirst(6)) : Int(node)
            if let number, number != label {
                throw QualityConnectivityError.atlasLabelMismatch(path: path, node: node, position: position + 1, label: label)
            }
        }
    }
}
