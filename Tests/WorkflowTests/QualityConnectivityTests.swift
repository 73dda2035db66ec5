import Foundation
import NIfTI
import Pipeline
import Testing
import TestSupport
import Workflow

/// QC-FC (Ciric et al. 2017) against scipy's pearsonr / spearmanr / false_discovery_control / Welch
/// ttest_ind and nibabel centroids, on seeded matrices with a planted motion dependence.
@Suite("QC-FC")
struct QualityConnectivityTests {
    /// Non-contiguous atlas labels, one per node (conmat orders nodes by ascending label).
    static let labels = [3, 5, 8, 11, 12, 20, 31, 40]
    static let nodes = labels.map { "label-\($0)" }
    /// An oblique, anisotropic grid so centroids go through every affine entry.
    static let grid = Grid(nx: 12, ny: 10, nz: 9, affine: Affine(rows: [[2, 0.1, 0, -20], [0, 2.5, 0.2, -30], [0.05, 0, 3, -10], [0, 0, 0, 1]]))

    struct Cohort {
        let folder: String
        let matrices: [(participant: String, path: String)]
        let fd: [String: Double]
        let groups: [String: String]
        let atlas: String
    }

    /// Writes the atlas: each label a box of its own size somewhere in the grid, plus a few scattered voxels.
    static func writeAtlas(to path: String, seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        var voxels = [Float](repeating: 0, count: grid.voxelCount)
        for (n, label) in labels.enumerated() {
            let (x0, y0, z0) = ((n % 4) * 3, (n / 4) * 5, (n % 3) * 3)
            for k in z0..<(z0 + 2 + n % 2) { for j in y0..<(y0 + 3) { for i in x0..<(x0 + 2 + n % 3) {
                voxels[grid.index(i, j, k)] = Float(label)
            } } }
            for _ in 0..<3 { voxels[Int.random(in: 0..<grid.voxelCount, using: &rng)] = Float(label) }
        }
        try NIfTIWriter.write(Volume(grid: grid, voxels: voxels), to: path, datatype: .int16)
    }

    /// `n` participants: mean FD, a group (pain moves more), and a matrix whose edges from node 0
    /// track FD; edge (2, 5) is the same for everyone and edge (1, 6) is n/a for one participant.
    static func cohort(n: Int = 14, seed: UInt64 = 11) throws -> Cohort {
        let folder = try Reference.temporaryFolder("cohortex-qcfc")
        var rng = SeededRandom(seed: seed)
        let base = (0..<(nodes.count * nodes.count)).map { _ in 0.4 * rng.normal() }
        var matrices: [(participant: String, path: String)] = []
        var fd: [String: Double] = [:], groups: [String: String] = [:]
        for s in 0..<n {
            let id = String(format: "sub-%02d", s + 1)
            let group = s % 2 == 0 ? "control" : "pain"
            let motion = 0.08 + 0.2 * Double.random(in: 0..<1, using: &rng) + (group == "pain" ? 0.06 : 0)
            let r = nodes.count
            var values = [Double](repeating: 1, count: r * r)
            for i in 0..<r {
                for j in (i + 1)..<r {
                    var value = tanh(base[i * r + j] + 0.15 * rng.normal() + (i == 0 ? 2.5 * motion : 0))
                    if i == 2 && j == 5 { value = 0.25 }
                    if i == 1 && j == 6 && s == 4 { value = .nan }
                    values[i * r + j] = value
                    values[j * r + i] = value
                }
            }
            let path = "\(folder)/\(id)_desc-conmat_relmat.tsv"
            try RegionConnectivity.table(values, names: nodes).write(to: path)
            matrices.append((id, path))
            // FD keyed by the bare label for half the cohort: `sub-01` and `01` are the same participant.
            fd[s % 2 == 0 ? id : String(id.dropFirst(4))] = motion
            groups[id] = group
        }
        let atlas = folder + "/atlas.nii.gz"
        try writeAtlas(to: atlas, seed: seed + 1)
        return Cohort(folder: folder, matrices: matrices, fd: fd, groups: groups, atlas: atlas)
    }

    static func reference(_ cohort: Cohort, atlas: Bool = true, groups: Bool = true) throws -> [String: Any] {
        let spec: [String: Any] = [
            "matrices": cohort.matrices.map(\.path),
            "fd": cohort.matrices.map { cohort.fd[$0.participant] ?? cohort.fd[String($0.participant.dropFirst(4))] ?? .nan },
            "atlas": atlas ? cohort.atlas as Any : NSNull(),
            "groups": groups ? cohort.matrices.map { cohort.groups[$0.participant] ?? "" } as Any : NSNull(),
        ]
        let path = cohort.folder + "/spec.json"
        try JSONSerialization.data(withJSONObject: spec).write(to: URL(fileURLWithPath: path))
        return try Reference.json(try Reference.runPython("group_reference.py", ["qcfc", path]))
    }

    static func number(_ any: Any?) -> Double? { (any as? NSNumber)?.doubleValue }
    static func relative(_ a: Double?, _ b: Double?) -> Double {
        guard let a, let b else { return a == nil && b == nil ? 0 : .infinity }
        return abs(a - b) / max(abs(b), 1e-300)
    }
    static let context = StageContext(parallelism: .serial)

    @Test("every edge's r, p and q, the centroids, distances, ρ, the summary and Welch's test equal scipy/nibabel's")
    func againstScipy() throws {
        let cohort = try Self.cohort()
        let result = try QualityConnectivity.compute(matrices: cohort.matrices, meanFD: cohort.fd, atlas: cohort.atlas,
                                                     groups: cohort.groups, context: Self.context)
        let reference = try Self.reference(cohort)
        #expect(reference["nodes"] as? [String] == Self.nodes && result.nodes == Self.nodes)

        let edges = try #require(reference["edges"] as? [[String: Any]])
        try #require(edges.count == result.edges.count && result.edges.count == 28)
        var worstR = 0.0, worstP = 0.0, worstQ = 0.0, worstDistance = 0.0
        for (mine, theirs) in zip(result.edges, edges) {
            #expect(mine.status.rawValue == theirs["status"] as? String, "edge \(mine.nodeA)-\(mine.nodeB)")
            if mine.status == .ok {
                worstR = max(worstR, abs((mine.r ?? .nan) - (Self.number(theirs["r"]) ?? .nan)))
                worstP = max(worstP, Self.relative(mine.p, Self.number(theirs["p"])))
                worstQ = max(worstQ, Self.relative(mine.q, Self.number(theirs["q"])))
            } else {
                #expect(mine.r == nil && mine.p == nil && mine.q == nil && theirs["r"] is NSNull)
            }
            worstDistance = max(worstDistance, abs((mine.distance ?? .nan) - (Self.number(theirs["distance"]) ?? .nan)))
        }
        #expect(worstR <= 1e-10, "worst |Δr| \(worstR)")
        #expect(worstP <= 1e-8, "worst relative Δp \(worstP)")
        #expect(worstQ <= 1e-8, "worst relative Δq \(worstQ)")
        #expect(worstDistance <= 1e-9, "worst |Δdistance| \(worstDistance) mm")
        #expect(result.edges[0].status == .ok && (result.edges[0].p ?? 1) < 0.01, "the planted FD dependence of node 0's edges is found")

        #expect(result.labels == Self.labels && reference["labels"] as? [Int] == Self.labels)
        let centroids = try #require(reference["centroids"] as? [[Double]])
        let worstCentroid = zip(result.centroids ?? [], centroids).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .infinity
        #expect(worstCentroid <= 1e-9, "worst centroid error \(worstCentroid) mm")
        #expect(abs((result.summary.distanceRho ?? .nan) - (Self.number(reference["rho"]) ?? .nan)) <= 1e-10)
        #expect(Self.relative(result.summary.distanceP, Self.number(reference["rho_p"])) <= 1e-8)
        #expect(result.summary.distanceEdges == reference["distance_edges"] as? Int)

        let summary = try #require(reference["summary"] as? [String: Any])
        let s = result.summary
        #expect(s.participants == 14 && summary["participants"] as? Int == 14)
        #expect(s.edges == 28 && s.testedEdges == summary["tested"] as? Int && s.testedEdges == 26)
        #expect(s.nonFiniteEdges == 1 && summary["nonfinite"] as? Int == 1 && s.constantEdges == 1 && summary["constant"] as? Int == 1)
        #expect(abs(s.meanFD - (Self.number(summary["mean_fd"]) ?? .nan)) <= 1e-12)
        #expect(abs(s.sdFD - (Self.number(summary["sd_fd"]) ?? .nan)) <= 1e-12)
        #expect(abs((s.medianAbsR ?? .nan) - (Self.number(summary["median_abs_r"]) ?? .nan)) <= 1e-10)
        #expect(abs((s.percentUncorrected ?? .nan) - (Self.number(summary["percent_p"]) ?? .nan)) <= 1e-12)
        #expect(abs((s.percentFDR ?? .nan) - (Self.number(summary["percent_fdr"]) ?? .nan)) <= 1e-12)
        #expect((s.percentFDR ?? 0) > 0, "some planted edges survive FDR")

        let groups = try #require(reference["groups"] as? [[String: Any]])
        #expect(result.groups.map(\.level) == ["control", "pain"] && groups.map { $0["level"] as? String } == ["control", "pain"])
        for (mine, theirs) in zip(result.groups, groups) {
            #expect(mine.participants == theirs["n"] as? Int)
            #expect(abs(mine.mean - (Self.number(theirs["mean"]) ?? .nan)) <= 1e-12)
            #expect(abs((mine.sd ?? .nan) - (Self.number(theirs["sd"]) ?? .nan)) <= 1e-12)
        }
        let welch = try #require(reference["welch"] as? [String: Any])
        let test = try #require(result.welch)
        #expect(test.first == "control" && test.second == "pain")
        #expect(abs(test.t - (Self.number(welch["t"]) ?? .nan)) <= 1e-10)
        #expect(abs(test.df - (Self.number(welch["df"]) ?? .nan)) <= 1e-9)
        #expect(Self.relative(test.p, Self.number(welch["p"])) <= 1e-8)
    }

    @Test("qcfc_edges.tsv, qcfc_summary.tsv and qcfc.json: columns, values as computed, identical bytes on a rerun")
    func files() throws {
        let cohort = try Self.cohort(seed: 12)
        let result = try QualityConnectivity.compute(matrices: cohort.matrices, meanFD: cohort.fd, atlas: cohort.atlas,
                                                     groups: cohort.groups, context: Self.context)
        let out = cohort.folder + "/qcfc"
        let written = try QualityConnectivity.write(result, to: out, context: Self.context)
        #expect(Set(written.map { URL(fileURLWithPath: $0).lastPathComponent }) == ["qcfc_edges.tsv", "qcfc_summary.tsv", "qcfc.json"])

        let edges = try TSVTable(contentsOf: out + "/qcfc_edges.tsv")
        #expect(edges.columns == ["node_a", "node_b", "distance_mm", "qcfc_r", "qcfc_p", "qcfc_q", "status"])
        #expect(edges.rows.count == 28 && edges.rows[0][0] == "label-3" && edges.rows[0][1] == "label-5" && edges.rows[27][0] == "label-31")
        let r = try edges.numericColumn("qcfc_r")
        #expect(zip(r, result.edges).allSatisfy { $0 == $1.r }, "r round-trips exactly through the table")
        #expect(try edges.column("status").filter { $0 != "ok" }.sorted() == ["constant", "non-finite"])

        let summary = try TSVTable(contentsOf: out + "/qcfc_summary.tsv")
        #expect(summary.columns == ["participants", "edges", "edges_tested", "edges_nonfinite", "edges_constant", "mean_fd", "sd_fd",
                                    "median_abs_qcfc_r", "percent_edges_p_below_0.05", "percent_edges_fdr_q_below_0.05", "distance_rho",
                                    "distance_p", "distance_edges", "n_control", "mean_fd_control", "sd_fd_control", "n_pain",
                                    "mean_fd_pain", "sd_fd_pain", "welch_t", "welch_df", "welch_p"])
        #expect(summary.rows.count == 1 && summary.rows[0][0] == "14" && summary.rows[0][2] == "26")
        #expect(try summary.numericColumn("welch_p") == [result.welch?.p])

        let sidecar = try Reference.jsonFile(out + "/qcfc.json")
        #expect(sidecar["Stage"] as? String == "qcfc" && (sidecar["Citation"] as? String)?.contains("Ciric") == true)
        #expect((sidecar["Outputs"] as? [[String: Any]])?.count == 2)
        #expect((sidecar["Nodes"] as? [[String: Any]])?.first?["label"] as? Int == 3)

        let before = try ["qcfc_edges.tsv", "qcfc_summary.tsv", "qcfc.json"].map { try Data(contentsOf: URL(fileURLWithPath: "\(out)/\($0)")) }
        let again = try QualityConnectivity.compute(matrices: cohort.matrices, meanFD: cohort.fd, atlas: cohort.atlas,
                                                    groups: cohort.groups, context: Self.context)
        _ = try QualityConnectivity.write(again, to: out, context: Self.context)
        let after = try ["qcfc_edges.tsv", "qcfc_summary.tsv", "qcfc.json"].map { try Data(contentsOf: URL(fileURLWithPath: "\(out)/\($0)")) }
        #expect(before == after)
    }

    @Test("without atlas or groups: distances n/a, no ρ, no group figures; r still equals scipy's")
    func withoutAtlas() throws {
        let cohort = try Self.cohort(n: 12, seed: 13)
        let result = try QualityConnectivity.compute(matrices: cohort.matrices, meanFD: cohort.fd, atlas: nil, context: Self.context)
        let reference = try Self.reference(cohort, atlas: false, groups: false)
        let edges = try #require(reference["edges"] as? [[String: Any]])
        let worst = zip(result.edges, edges).filter { $0.0.status == .ok }.map { abs(($0.0.r ?? .nan) - (Self.number($0.1["r"]) ?? .nan)) }.max() ?? .infinity
        #expect(worst <= 1e-10)
        #expect(result.edges.allSatisfy { $0.distance == nil } && result.summary.distanceRho == nil && result.groups.isEmpty && result.welch == nil)
        _ = try QualityConnectivity.write(result, to: cohort.folder + "/plain", context: Self.context)
        let summary = try TSVTable(contentsOf: cohort.folder + "/plain/qcfc_summary.tsv")
        #expect(summary.columns.last == "distance_edges" && summary.rows[0][10] == "n/a")
        let table = try TSVTable(contentsOf: cohort.folder + "/plain/qcfc_edges.tsv")
        #expect(try table.column("distance_mm").allSatisfy { $0 == "n/a" })
    }

    @Test("tied edge lengths (labels at the corners of a cube): Spearman ρ with average ranks equals scipy's")
    func distanceTies() throws {
        let cohort = try Self.cohort(n: 13, seed: 15)
        // One voxel per label at the corners of a cube on an axis-aligned grid: 12 edges, 12 face and
        // 4 space diagonals, each set of exactly equal length.
        let cube = Grid(nx: 5, ny: 5, nz: 5, affine: .scaling(2, 2, 2, origin: (-4, -4, -4)))
        var voxels = [Float](repeating: 0, count: cube.voxelCount)
        for (n, label) in Self.labels.enumerated() { voxels[cube.index(4 * (n & 1), 4 * (n >> 1 & 1), 4 * (n >> 2))] = Float(label) }
        try NIfTIWriter.write(Volume(grid: cube, voxels: voxels), to: cohort.atlas, datatype: .int16)
        let result = try QualityConnectivity.compute(matrices: cohort.matrices, meanFD: cohort.fd, atlas: cohort.atlas, context: Self.context)
        #expect(Set(result.edges.compactMap(\.distance)).count == 3)
        let reference = try Self.reference(cohort, groups: false)
        #expect(abs((result.summary.distanceRho ?? .nan) - (Self.number(reference["rho"]) ?? .nan)) <= 1e-10)
        #expect(Self.relative(result.summary.distanceP, Self.number(reference["rho_p"])) <= 1e-8)
    }

    @Test("errors name the file or participant: node mismatch, fewer than 3 participants, missing or constant FD, atlas node count")
    func errors() throws {
        let cohort = try Self.cohort(n: 6, seed: 14)
        // Two nodes swapped in one participant's matrix (names and values together).
        var swapped = Self.nodes
        swapped.swapAt(1, 2)
        let odd = cohort.folder + "/sub-03_swapped.tsv"
        try RegionConnectivity.table([Double](repeating: 0.5, count: 64).enumerated().map { $0.offset % 9 == 0 ? 1 : $0.element },
                                     names: swapped).write(to: odd)
        var matrices = cohort.matrices
        matrices[2] = ("sub-03", odd)
        let mismatch = #expect(throws: QualityConnectivityError.self) {
            try QualityConnectivity.compute(matrices: matrices, meanFD: cohort.fd, atlas: nil, context: Self.context)
        }
        #expect(mismatch == .nodeMismatch(path: odd, reference: cohort.matrices[0].path, detail: "node 2 is \"label-8\", expected \"label-5\""))
        #expect(mismatch?.description.contains(odd) == true && mismatch?.description.contains("same nodes in the same order") == true)

        let few = #expect(throws: QualityConnectivityError.self) {
            try QualityConnectivity.compute(matrices: Array(cohort.matrices.prefix(2)), meanFD: cohort.fd, atlas: nil, context: Self.context)
        }
        #expect(few == .tooFewParticipants(count: 2))
        #expect(few?.description.contains("at least 3 participants") == true)

        var fd = cohort.fd
        fd["sub-05"] = nil
        let missing = #expect(throws: QualityConnectivityError.self) {
            try QualityConnectivity.compute(matrices: cohort.matrices, meanFD: fd, atlas: nil, context: Self.context)
        }
        #expect(missing == .missingMotion(participant: "sub-05", matrix: cohort.matrices[4].path))
        #expect(missing?.description.contains("no mean FD for participant sub-05") == true)

        let still = Dictionary(uniqueKeysWithValues: cohort.matrices.map { ($0.participant, 0.2) })
        let constant = #expect(throws: QualityConnectivityError.self) {
            try QualityConnectivity.compute(matrices: cohort.matrices, meanFD: still, atlas: nil, context: Self.context)
        }
        #expect(constant == .constantMotion(value: 0.2, participants: 6))

        // An atlas with one label fewer than the matrices have nodes.
        let smaller = cohort.folder + "/atlas-7.nii.gz"
        var voxels = try NIfTIImage(path: cohort.atlas).readVolume3D().voxels
        for i in voxels.indices where voxels[i] == 40 { voxels[i] = 0 }
        try NIfTIWriter.write(Volume(grid: Self.grid, voxels: voxels), to: smaller, datatype: .int16)
        let count = #expect(throws: QualityConnectivityError.self) {
            try QualityConnectivity.compute(matrices: cohort.matrices, meanFD: cohort.fd, atlas: smaller, context: Self.context)
        }
        #expect(count == .atlasNodeCount(path: smaller, labels: 7, nodes: 8, matrix: cohort.matrices[0].path))
    }
}
