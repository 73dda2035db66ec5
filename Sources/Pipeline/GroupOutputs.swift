import Foundation
import Kernels
import NIfTI
import Stats

/// Writes a group analysis: per contrast `contrast-<label>_stat-<kind>.nii.gz` maps (or a
/// `contrast-<label>_stats.tsv` for regional input), `design.tsv`, `mask.nii.gz` and the `glm.json` sidecar.
/// Measures not tested (outside the mask, constant, non-finite) get statistic 0 and p-values 1 in maps
/// and `n/a` with their status in tables: no NaN is ever written.
enum GroupOutputs {
    struct MapOutput {
        let kind: String
        let values: [Double]
        let fill: Float
        let intent: NIfTIIntent
        let intentName: String
    }

    /// Writes every map or table, the tested-voxel mask, the design and `glm.json` as one output set
    /// (maps compressed in parallel; the sidecar last; the previous set kept if anything fails).
    static func write(_ results: [ContrastResult], inputs: GroupInputs, options: GroupAnalysisOptions, fingerprint: UInt64,
                      context: StageContext) throws -> [String] {
        let folder = options.output
        var outputs = OutputSet()
        var outputsByContrast: [[(String, String)]] = []
        var atlas: [UInt16]?, labels: LabelTable?
        if let report = options.clusterReport, let mask = inputs.mask {
            if let path = report.atlas { atlas = try atlasLabelsOnGrid(path, grid: mask.grid, parallelism: context.parallelism) }
            if let name = report.labels {
                labels = name == FreeSurferLabels.tableName ? LabelTable(names: FreeSurferLabels.names) : try LabelTable(contentsOf: name)
            }
        }
        for result in results {
            let prefix = "contrast-\(result.contrast.label)"
            var named: [(String, String)] = []
            if let mask = inputs.mask {
                let spaceCode = inputs.spaceCode
                for map in maps(result) {
                    let path = "\(folder)/\(prefix)_stat-\(map.kind).nii.gz"
                    named.append((map.kind, path))
                    outputs.file(path) {
                        try NIfTIWriter.stage(mask.scatter(map.values.map { Float($0) }, fill: map.fill), to: path, intent: map.intent,
                                              intentName: map.intentName, description: "cohortex glm stat-\(map.kind)", spaceCode: spaceCode)
                    }
                }
                if let clusterOptions = options.clusterReport {
                    let report = ClusterReport(result, mask: mask, twoSided: options.twoSided, options: clusterOptions, atlas: atlas, labels: labels)
                    let threshold = clusterOptions.threshold
                    let clusters = "\(folder)/\(prefix)_clusters.tsv", peaks = "\(folder)/\(prefix)_peaks.tsv"
                    let index = "\(folder)/\(prefix)_clusters.nii.gz"
                    outputs.table(report.clusterTable, to: clusters)
                    outputs.table(report.peakTable, to: peaks)
                    outputs.file(index) {
                        try NIfTIWriter.stage(report.index, to: index, datatype: .int16, intent: .label, intentName: "cluster id",
                                              description: "cohortex glm clusters \(threshold)", spaceCode: spaceCode)
                    }
                    named += [("clusters", clusters), ("peaks", peaks), ("cluster_index", index)]
                }
            } else {
                let path = "\(folder)/\(prefix)_stats.tsv"
                outputs.table(table(result, names: inputs.measureNames), to: path)
                named.append(("table", path))
            }
            outputsByContrast.append(named)
        }
        if let mask = inputs.mask, let first = results.first {
            let tested = first.fit.tested.map { mask.indices[$0] }
            var voxels = [Float](repeating: 0, count: mask.grid.voxelCount)
            for i in tested { voxels[i] = 1 }
            outputs.image(Volume(grid: mask.grid, voxels: voxels), to: folder + "/mask.nii.gz", datatype: .uint8,
                          description: "cohortex glm: tested voxels", spaceCode: inputs.spaceCode)
        }
        let design = inputs.design
        let designTable = TSVTable(columns: ["participant_id"] + design.columnNames, rows: design.participants.indices.map { r in
            [design.participants[r]] + (0..<design.columnCount).map { "\(design[r, $0])" }
        })
        outputs.table(designTable, to: folder + "/design.tsv")
        let sidecar = GroupSidecar.provenance(results, inputs: inputs, options: options, outputs: outputsByContrast, fingerprint: fingerprint)
        outputs.sidecar(sidecar, for: folder + "/glm")
        return try outputs.commit(context: context)
    }

    /// The maps of one contrast, in the order they are listed in the sidecar.
    static func maps(_ result: ContrastResult) -> [MapOutput] {
        let plan = result.fit.plan
        let (df1, df2) = plan.statisticDegreesOfFreedom
        var out: [MapOutput] = []
        switch plan.contrast.kind {
        case .t:
            out.append(MapOutput(kind: "t", values: result.fit.statistic, fill: 0, intent: .tTest(degreesOfFreedom: df2), intentName: "t"))
        case .f:
            out.append(MapOutput(kind: "F", values: result.fit.statistic, fill: 0, intent: .fTest(numeratorDF: df1, denominatorDF: df2), intentName: "F"))
        }
        out.append(MapOutput(kind: "z", values: result.z, fill: 0, intent: .zScore, intentName: "z"))
        if plan.contrast.kind == .t {
            out.append(MapOutput(kind: "effect", values: result.fit.estimate, fill: 0, intent: .estimate, intentName: "contrast estimate"))
        }
        if let g = result.g { out.append(MapOutput(kind: "g", values: g, fill: 0, intent: .estimate, intentName: "Hedges g")) }
        out.append(MapOutput(kind: "p", values: result.p, fill: 1, intent: .pValue, intentName: "p parametric"))
        out.append(MapOutput(kind: "pfdr", values: result.q, fill: 1, intent: .pValue, intentName: "q FDR (BH)"))
        if let perm = result.permutation {
            out.append(MapOutput(kind: "pperm", values: perm.pUncorrected, fill: 1, intent: .pValue, intentName: "p permutation"))
            out.append(MapOutput(kind: "pfwe", values: perm.pFamilyWise, fill: 1, intent: .pValue, intentName: "p FWE (max stat)"))
            if let size = perm.clusterSize, let sizeP = perm.clusterSizePFamilyWise, let massP = perm.clusterMassPFamilyWise {
                out.append(MapOutput(kind: "clustersize", values: size, fill: 0, intent: .estimate, intentName: "cluster size (voxels)"))
                out.append(MapOutput(kind: "clusterpfwe", values: sizeP, fill: 1, intent: .pValue, intentName: "p FWE cluster size"))
                out.append(MapOutput(kind: "clustermasspfwe", values: massP, fill: 1, intent: .pValue, intentName: "p FWE cluster mass"))
            }
            if let tfce = perm.tfce, let unc = perm.tfcePUncorrected, let fwe = perm.tfcePFamilyWise {
                out.append(MapOutput(kind: "tfce", values: tfce, fill: 0, intent: .estimate, intentName: "TFCE"))
                out.append(MapOutput(kind: "tfcepperm", values: unc, fill: 1, intent: .pValue, intentName: "p TFCE permutation"))
                out.append(MapOutput(kind: "tfcepfwe", values: fwe, fill: 1, intent: .pValue, intentName: "p TFCE FWE"))
            }
        }
        return out
    }

    /// One row per region/edge.
    static func table(_ result: ContrastResult, names: [String]) -> TSVTable {
        let fit = result.fit
        let kind = fit.plan.contrast.kind
        let (df1, df2) = fit.plan.statisticDegreesOfFreedom
        var columns = ["region", "status"]
        columns += kind == .t ? ["estimate", "se", "t", "df"] : ["F", "df_num", "df_den"]
        columns += ["p", "z", "q_fdr"]
        if result.g != nil { columns.append("g") }
        if result.permutation != nil { columns += ["p_perm", "p_fwe"] }
        let rows = names.indices.map { m -> [String] in
            let ok = fit.status[m] == .ok
            func value(_ x: Double) -> String { ok ? TSVTable.format(x) : "n/a" }
            var row = [names[m], statusName(fit.status[m])]
            if kind == .t {
                row += [value(fit.estimate[m]), value(fit.standardError[m]), value(fit.statistic[m]), TSVTable.format(df2)]
            } else {
                row += [value(fit.statistic[m]), TSVTable.format(df1), TSVTable.format(df2)]
            }
            row += [value(result.p[m]), value(result.z[m]), value(result.q[m])]
            if let g = result.g { row.append(value(g[m])) }
            if let perm = result.permutation { row += [value(perm.pUncorrected[m]), value(perm.pFamilyWise[m])] }
            return row
        }
        return TSVTable(columns: columns, rows: rows)
    }

    static func statusName(_ status: MeasureStatus) -> String {
        switch status {
        case .ok: return "ok"
        case .constant: return "constant"
        case .nonFinite: return "non-finite"
        case .perfectFit: return "perfect-fit"
        }
    }
}
