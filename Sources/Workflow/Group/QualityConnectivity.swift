import Foundation
import NIfTI
import Pipeline
import Stats

/// QC-FC (Ciric et al. 2017, "Benchmarking of participant-level confound regression strategies for
/// the control of motion artifact in studies of functional connectivity", NeuroImage 154): how much
/// each connectivity edge still tracks head motion across participants after denoising — the Pearson
/// correlation of mean FD with the edge, its distance dependence, and the motion of each group.
public enum QualityConnectivity {
    /// The stage name recorded in the sidecar.
    public static let name = "qcfc"

    /// QC-FC of one connectivity matrix per participant (conmat layout, the same nodes in the same
    /// order) against `meanFD` (keyed by participant id; `sub-01` and `01` are the same participant).
    /// With `atlas` (integer labels; node i is the i-th label present in ascending order, as conmat
    /// orders its regions) the edge lengths and their Spearman correlation with QC-FC; with `groups`
    /// (participant → level) mean FD per level and, for two levels, Welch's t test.
    public static func compute(matrices: [(participant: String, path: String)], meanFD: [String: Double], atlas: String?,
                               groups: [String: String]? = nil, context: StageContext) throws -> QCFCResult {
        let n = matrices.count
        guard n >= 3 else { throw QualityConnectivityError.tooFewParticipants(count: n) }
        var seen = Set<String>()
        for (participant, _) in matrices where !seen.insert(label(of: participant)).inserted {
            throw QualityConnectivityError.duplicateParticipant(participant: participant)
        }
        let fd = try matrices.map { entry -> Double in
            guard let value = lookup(entry.participant, in: meanFD) else {
                throw QualityConnectivityError.missingMotion(participant: entry.participant, matrix: entry.path)
            }
            guard value.isFinite else { throw QualityConnectivityError.nonFiniteMotion(participant: entry.participant, value: value) }
            return value
        }
        if fd.allSatisfy({ $0 == fd[0] }) { throw QualityConnectivityError.constantMotion(value: fd[0], participants: n) }

        // 1. Stream the matrices: Welford's updates of the means and co-moments of (FD, edge) in
        //    Float64, so only a few numbers per edge are kept whatever the cohort size.
        let first = try readMatrix(matrices[0].path)
        let nodes = first.nodes
        let edgeCount = first.values.count
        var meanX = 0.0, m2X = 0.0
        var meanY = [Double](repeating: 0, count: edgeCount), m2Y = meanY, coMoment = meanY
        var finite = [Bool](repeating: true, count: edgeCount), varies = [Bool](repeating: false, count: edgeCount)
        let firstValues = first.values
        for (s, entry) in matrices.enumerated() {
            let values: [Double]
            if s == 0 {
                values = firstValues
            } else {
                let matrix = try readMatrix(entry.path)
                guard matrix.nodes == nodes else {
                    throw QualityConnectivityError.nodeMismatch(path: entry.path, reference: matrices[0].path,
                                                                detail: nodeDifference(matrix.nodes, reference: nodes))
                }
                values = matrix.values
            }
            let count = Double(s + 1)
            let dx = fd[s] - meanX
            meanX += dx / count
            m2X += dx * (fd[s] - meanX)
            for e in 0..<edgeCount where finite[e] {
                let y = values[e]
                guard y.isFinite else { finite[e] = false; continue }
                if y != firstValues[e] { varies[e] = true }
                let dy = y - meanY[e]
                meanY[e] += dy / count
                let after = y - meanY[e]
                m2Y[e] += dy * after
                coMoment[e] += dx * after
            }
        }

        // 2. r and p per edge; BH over the tested edges.
        var r = [Double?](repeating: nil, count: edgeCount), p = r
        var tested: [Int] = []
        for e in 0..<edgeCount where finite[e] && varies[e] && m2Y[e] > 0 {
            let value = max(-1, min(1, coMoment[e] / (m2X * m2Y[e]).squareRoot()))
            r[e] = value
            p[e] = CorrelationStatistics.pValue(r: value, n: n)
            tested.append(e)
        }
        var q = [Double?](repeating: nil, count: edgeCount)
        for (e, value) in zip(tested, FDR.benjaminiHochberg(tested.map { p[$0] ?? 1 })) { q[e] = value }

        // 3. Distance dependence.
        var labels: [Int]?, centroids: [[Double]]?
        var distance = [Double?](repeating: nil, count: edgeCount)
        if let atlas {
            let found = try Self.centroids(atlas: atlas)
            try checkAtlas(atlas, labels: found.labels, nodes: nodes, matrix: matrices[0].path)
            labels = found.labels
            centroids = found.centroids
            var e = 0
            for i in 0..<nodes.count {
                for j in (i + 1)..<nodes.count {
                    let (a, b) = (found.centroids[i], found.centroids[j])
                    distance[e] = ((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2])).squareRoot()
                    e += 1
                }
            }
        }
        let paired = tested.compactMap { e in distance[e].flatMap { d in r[e].map { (d, $0) } } }
        let dependence = atlas == nil ? nil : CorrelationStatistics.spearman(paired.map(\.0), paired.map(\.1))

        var edges: [QCFCEdge] = []
        edges.reserveCapacity(edgeCount)
        var e = 0
        for i in 0..<nodes.count {
            for j in (i + 1)..<nodes.count {
                let status: QCFCEdge.Status = !finite[e] ? .nonFinite : r[e] == nil ? .constant : .ok
                edges.append(QCFCEdge(nodeA: i, nodeB: j, distance: distance[e], r: r[e], p: p[e], q: q[e], status: status))
                e += 1
            }
        }

        // 4. Summary.
        let nonFinite = finite.filter { !$0 }.count
        let constant = edgeCount - tested.count - nonFinite
        let percent = { (count: Int) -> Double? in tested.isEmpty ? nil : 100 * Double(count) / Double(tested.count) }
        let motion = CorrelationStatistics.meanAndVariance(fd)
        let summary = QCFCSummary(
            participants: n, edges: edgeCount, testedEdges: tested.count, nonFiniteEdges: nonFinite, constantEdges: constant,
            meanFD: motion.mean, sdFD: (motion.variance ?? 0).squareRoot(),
            medianAbsR: CorrelationStatistics.median(tested.compactMap { r[$0].map(abs) }),
            percentUncorrected: percent(tested.filter { (p[$0] ?? 1) < 0.05 }.count),
            percentFDR: percent(tested.filter { (q[$0] ?? 1) < 0.05 }.count),
            distanceRho: dependence?.rho, distanceP: dependence?.p, distanceEdges: atlas == nil ? 0 : paired.count)
        if nonFinite + constant > 0 {
            context.warn("QC-FC: \(nonFinite) edge(s) with n/a or non-finite values and \(constant) constant edge(s) across participants are not tested (n/a)")
        }

        // 5. Motion by group.
        let groupOf = matrices.map { entry in groups.flatMap { lookup(entry.participant, in: $0) } }
        let levels = Set(groupOf.compactMap { $0 }).sorted()
        let byLevel = levels.map { level in fd.indices.filter { groupOf[$0] == level }.map { fd[$0] } }
        let groupMotion = zip(levels, byLevel).map { level, values -> GroupMotion in
            let (mean, variance) = CorrelationStatistics.meanAndVariance(values)
            return GroupMotion(level: level, participants: values.count, mean: mean, sd: variance?.squareRoot())
        }
        var welch: WelchTest?
        if levels.count == 2, let test = CorrelationStatistics.welch(byLevel[0], byLevel[1]) {
            welch = WelchTest(first: levels[0], second: levels[1], t: test.t, df: test.df, p: test.p)
        }
        let ungrouped = groups == nil ? 0 : groupOf.filter { $0 == nil }.count
        if ungrouped > 0 { context.warn("QC-FC: \(ungrouped) participant(s) have no group and are left out of the motion-by-group figures") }

        return QCFCResult(participants: matrices.map(\.participant), matrices: matrices.map(\.path), meanFD: fd, nodes: nodes,
                          atlas: atlas, labels: labels, centroids: centroids, edges: edges, summary: summary,
                          groupOf: groupOf, groups: groupMotion, welch: welch)
    }

    /// The value for a participant id: the id as given, else the same label with or without `sub-`.
    static func lookup<T>(_ participant: String, in map: [String: T]) -> T? {
        if let value = map[participant] { return value }
        let bare = label(of: participant)
        return map[bare] ?? map["sub-" + bare]
    }

    /// `sub-01` → `01`; a bare label is kept.
    static func label(of participant: String) -> String {
        participant.hasPrefix("sub-") ? String(participant.dropFirst(4)) : participant
    }
}
