import Foundation
import NIfTI
import Pipeline

/// QC-FC's outputs: `qcfc_edges.tsv`, `qcfc_summary.tsv` and the `qcfc.json` sidecar, as one output set.
extension QualityConnectivity {
    static let citation = "Ciric R, Wolf DH, Power JD, Roalf DR, Baum GL, Ruparel K, Shinohara RT, Elliott MA, Eickhoff SB, "
        + "Davatzikos C, Gur RC, Gur RE, Bassett DS, Satterthwaite TD (2017). Benchmarking of participant-level confound "
        + "regression strategies for the control of motion artifact in studies of functional connectivity. "
        + "NeuroImage 154:174-187. doi:10.1016/j.neuroimage.2017.03.020"

    /// Writes the edge table, the summary row and the sidecar into `folder`; returns the paths written.
    public static func write(_ result: QCFCResult, to folder: String, context: StageContext) throws -> [String] {
        var outputs = OutputSet()
        outputs.table(edgeTable(result), to: folder + "/qcfc_edges.tsv")
        outputs.table(summaryTable(result), to: folder + "/qcfc_summary.tsv")
        outputs.sidecar(provenance(result), for: folder + "/qcfc")
        return try outputs.commit(context: context)
    }

    /// One row per upper-triangle edge, row-major: n/a where not tested or without an atlas.
    static func edgeTable(_ result: QCFCResult) -> TSVTable {
        func value(_ x: Double?) -> String { x.map(TSVTable.format) ?? "n/a" }
        return TSVTable(columns: ["node_a", "node_b", "distance_mm", "qcfc_r", "qcfc_p", "qcfc_q", "status"], rows: result.edges.map { edge in
            [result.nodes[edge.nodeA], result.nodes[edge.nodeB], value(edge.distance), value(edge.r), value(edge.p), value(edge.q),
             edge.status.rawValue]
        })
    }

    /// One row of summary figures; with groups, mean/SD/count of mean FD per level (ascending) and Welch's test.
    static func summaryTable(_ result: QCFCResult) -> TSVTable {
        func value(_ x: Double?) -> String { x.map(TSVTable.format) ?? "n/a" }
        let s = result.summary
        var pairs: [(String, String)] = [
            ("participants", "\(s.participants)"), ("edges", "\(s.edges)"), ("edges_tested", "\(s.testedEdges)"),
            ("edges_nonfinite", "\(s.nonFiniteEdges)"), ("edges_constant", "\(s.constantEdges)"),
            ("mean_fd", value(s.meanFD)), ("sd_fd", value(s.sdFD)),
            ("median_abs_qcfc_r", value(s.medianAbsR)),
            ("percent_edges_p_below_0.05", value(s.percentUncorrected)),
            ("percent_edges_fdr_q_below_0.05", value(s.percentFDR)),
            ("distance_rho", value(s.distanceRho)), ("distance_p", value(s.distanceP)), ("distance_edges", "\(s.distanceEdges)"),
        ]
        for group in result.groups {
            pairs += [("n_\(group.level)", "\(group.participants)"), ("mean_fd_\(group.level)", value(group.mean)),
                      ("sd_fd_\(group.level)", value(group.sd))]
        }
        if result.groups.count == 2 {
            pairs += [("welch_t", value(result.welch?.t)), ("welch_df", value(result.welch?.df)), ("welch_p", value(result.welch?.p))]
        }
        return TSVTable(columns: pairs.map(\.0), rows: [pairs.map(\.1)])
    }

    static func provenance(_ result: QCFCResult) -> Provenance {
        var p = Provenance(stage: name)
        let n = result.summary.participants
        var method: [(String, JSONValue)] = [
            ("QCFC", .string("Pearson correlation across the \(n) participants between mean framewise displacement and each edge's connectivity value; edges are the upper triangle (i < j) in row-major order")),
            ("PValues", .string("two-sided: t = r sqrt((n - 2) / (1 - r^2)) against Student's t with n - 2 = \(n - 2) degrees of freedom (libnifti nifticdf)")),
            ("FDR", .string("Benjamini-Hochberg q over the tested edges (qcfc_q); percent_edges_fdr_q_below_0.05 counts q < 0.05")),
            ("SkippedEdges", .string("edges with an n/a or non-finite value for any participant, or the same value for every participant, are not tested: n/a with their status")),
            ("Accumulation", .string("Welford's running means and co-moments in Float64, one matrix at a time")),
        ]
        if result.atlas != nil {
            method.append(("DistanceDependence", .string("Spearman rank correlation (average ranks for ties) between edge length and QC-FC r over the tested edges; edge length is the Euclidean distance between the two nodes' centroids in world mm (mean of the label's voxel centres through the atlas affine)")))
            method.append(("NodeOrder", .string("node i of the matrices is the i-th non-zero label of the atlas in ascending order, as conmat orders its regions; a matrix whose regions vanished on the BOLD grid has fewer nodes and is refused")))
        }
        if !result.groups.isEmpty {
            method.append(("MotionByGroup", .string("mean and sample SD (n - 1) of mean FD per group level; with two levels, Welch's unequal-variance t test of the first level minus the second (levels in ascending order), Welch-Satterthwaite degrees of freedom, two-sided p")))
        }
        p.add([
            ("Method", .object(method)),
            ("Citation", .string(citation)),
            ("Participants", .array(result.participants.indices.map { s in
                .object([("participant_id", .string(result.participants[s])), ("matrix", .string(result.matrices[s])),
                         ("mean_fd", .number(result.meanFD[s])), ("group", result.groupOf[s].map { .string($0) } ?? .null)])
            })),
            ("Atlas", result.atlas.map { .string($0) } ?? .null),
            ("Nodes", .array(result.nodes.indices.map { i in
                var node: [(String, JSONValue)] = [("name", .string(result.nodes[i]))]
                if let labels = result.labels { node.append(("label", .int(labels[i]))) }
                if let centroids = result.centroids { node.append(("centroid_mm", .numbers(centroids[i]))) }
                return .object(node)
            })),
        ])
        if let welch = result.welch {
            p.add("WelchTest", .object([("first", .string(welch.first)), ("second", .string(welch.second)), ("difference", .string("\(welch.first) - \(welch.second)")),
                                        ("t", .number(welch.t)), ("df", .number(welch.df)), ("p", .number(welch.p))]))
        }
        return p
    }
}
