import Foundation
import Kernels
import NIfTI
import Pipeline
import Stats

/// Group QC: motion by group and QC-FC.
extension GroupLevel {
    /// Mean FD per level of `group` (n, mean, SD) and Welch's t test between two levels → `group/motion_by_group.tsv`.
    static func motionByGroup(design: TSVTable, output: String) throws -> (lines: [String], table: TSVTable?) {
        guard let g = design.columns.firstIndex(of: "group"), let f = design.columns.firstIndex(of: "mean_fd") else { return ([], nil) }
        var byLevel: [String: [Double]] = [:]
        for row in design.rows { if let fd = Double(row[f]), fd.isFinite { byLevel[row[g], default: []].append(fd) } }
        let levels = byLevel.keys.sorted()
        var rows: [[String]] = [], lines: [String] = []
        for level in levels {
            let (mean, variance) = CorrelationStatistics.meanAndVariance(byLevel[level]!)
            let sd = variance.map { $0.squareRoot() }
            rows.append([level, String(byLevel[level]!.count), TSVTable.format(mean), sd.map(TSVTable.format) ?? "n/a"])
            lines.append("mean FD \(level): \(String(format: "%.3f", mean)) mm (SD \(sd.map { String(format: "%.3f", $0) } ?? "n/a"), n = \(byLevel[level]!.count))")
        }
        var columns = ["group", "n", "mean_fd", "sd_fd"]
        if levels.count == 2, let welch = CorrelationStatistics.welch(byLevel[levels[0]]!, byLevel[levels[1]]!) {
            columns += ["welch_t", "welch_df", "welch_p"]
            rows = rows.map { $0 + [TSVTable.format(welch.t), TSVTable.format(welch.df), TSVTable.format(welch.p)] }
            lines.append("mean FD \(levels[0]) vs \(levels[1]): Welch t = \(String(format: "%.2f", welch.t)), df = \(String(format: "%.1f", welch.df)), p = \(String(format: "%.3g", welch.p))\(welch.p < 0.05 ? " — motion differs between groups: keep mean_fd in the model" : "")")
        }
        let table = TSVTable(columns: columns, rows: rows)
        try writeIfChanged(table.text, to: output + "/motion_by_group.tsv")
        return (lines, table)
    }

    /// QC-FC over the included participants' Pearson matrices (Ciric et al. 2017) → `group/qcfc/`; returns the summary lines.
    static func qualityConnectivity(connectivity: ConnectivitySpec, design: TSVTable, included: [String], jobs: [String: [Job]],
                                    folder: String, budget: ResourceBudget, log: RunLog) throws -> [String] {
        let ids = try design.column("participant_id").map(label)
        let fds = try design.column("mean_fd")
        var meanFD: [String: Double] = [:]
        for (id, fd) in zip(ids, fds) { if let value = Double(fd) { meanFD[id] = value } }
        var groups: [String: String]?
        if let g = design.columns.firstIndex(of: "group") { groups = Dictionary(uniqueKeysWithValues: design.rows.map { (label($0[0]), $0[g]) }) }
        let matrices = included.compactMap { participant -> (participant: String, path: String)? in
            guard let job = jobs[participant]?.first(where: { $0.work.stage == RegionConnectivity.name }), case .conmat(let c) = job.work else { return nil }
            return (participant, c.output)
        }
        let context = StageContext(parallelism: Parallelism(threads: budget.cores), diagnostics: JobDiagnostics(label: "QC-FC", log: log))
        let result = try QualityConnectivity.compute(matrices: matrices, meanFD: meanFD, atlas: connectivity.atlas, groups: groups, context: context)
        _ = try QualityConnectivity.write(result, to: folder, context: context)
        let s = result.summary
        var lines = ["QC-FC (\(s.participants) participants, \(s.testedEdges) edges): median |r| \(s.medianAbsR.map { String(format: "%.3f", $0) } ?? "n/a"), "
                     + "\(s.percentUncorrected.map { String(format: "%.1f", $0) } ?? "n/a") % of edges p < 0.05, \(s.percentFDR.map { String(format: "%.1f", $0) } ?? "n/a") % after FDR"]
        if let rho = s.distanceRho { lines.append("QC-FC distance dependence: Spearman ρ = \(String(format: "%.3f", rho))") }
        lines.forEach(log.info)
        return lines
    }
}

/// A per-participant QC table summarised over its runs, and the rules it breaks.
struct QualitySummary {
    let meanFD: Double
    let percentCensored: Double
    let retainedMinutes: Double

    init(table: TSVTable) throws {
        let volumes = try table.numericColumn("num_volumes").map { $0 ?? 0 }
        let fd = try table.numericColumn("mean_fd")
        let censored = try table.numericColumn("num_censored_volumes").map { $0 ?? 0 }
        let dummies = try table.numericColumn("num_dummy_volumes").map { $0 ?? 0 }
        let minutes = try table.numericColumn("retained_minutes").map { $0 ?? 0 }
        let weights = volumes.reduce(0, +)
        // Mean FD over the session: runs weighted by their volumes.
        meanFD = weights > 0 ? zip(fd, volumes).reduce(0) { $0 + ($1.0 ?? 0) * $1.1 } / weights : .nan
        let usable = zip(volumes, dummies).reduce(0) { $0 + $1.0 - $1.1 }
        percentCensored = usable > 0 ? 100 * censored.reduce(0, +) / usable : 100
        retainedMinutes = minutes.reduce(0, +)
    }

    static func text(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }

    /// The first rule broken, described; nil when the participant passes.
    func broken(_ rules: QCRules) -> String? {
        if let limit = rules.maxMeanFD, !(meanFD <= limit) { return "mean FD \(Self.text(meanFD, 3)) mm above \(TSVTable.format(limit)) mm" }
        if let limit = rules.maxCensoredPercent, percentCensored > limit {
            return "\(Self.text(percentCensored, 1)) % of volumes censored, above \(TSVTable.format(limit)) %"
        }
        if let limit = rules.minRemainingMinutes, retainedMinutes < limit {
            return "\(Self.text(retainedMinutes, 2)) min of data left after censoring, below \(TSVTable.format(limit)) min"
        }
        return nil
    }
}
