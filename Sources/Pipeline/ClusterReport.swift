import Foundation
import Kernels
import NIfTI
import Stats

/// Refusals of a cluster report.
public enum ClusterReportError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    case needsPermutations(threshold: String)
    case needsTFCE(threshold: String)
    case needsClusterInference(threshold: String)
    case labelsWithoutAtlas

    public var description: String {
        switch self {
        case .needsPermutations(let t): return "the cluster threshold \(t) is a family-wise p-value: it needs permutations"
        case .needsTFCE(let t): return "the cluster threshold \(t) is a TFCE p-value: it needs TFCE"
        case .needsClusterInference(let t): return "the cluster threshold \(t) is a cluster-extent p-value: it needs a cluster-forming threshold"
        case .labelsWithoutAtlas: return "a label table names the regions of an atlas image: give the atlas too"
        }
    }

    public var errorDescription: String? { description }
}

/// The cluster table, local-maxima table and cluster-index image of one contrast, as FSL `cluster` (+ `atlasquery`)
/// and nilearn `get_clusters_table` give them: clusters largest first, world (scanner/template) millimetres, the
/// peak statistic and its z, the smallest p_FWE inside, the label at the peak and the cluster's share of each region.
public struct ClusterReport: Sendable {
    public let clusters: [Cluster]
    public let clusterTable: TSVTable
    public let peakTable: TSVTable
    /// Cluster ids on the grid (0 outside every cluster).
    public let index: Volume

    /// Checks the options against the analysis before anything is computed.
    public static func validate(_ options: ClusterReportOptions, permutations: Int, tfce: Bool, clusterInference: Bool = false) throws {
        switch options.threshold {
        case .clusterFWE:
            if !clusterInference || permutations == 0 { throw ClusterReportError.needsClusterInference(threshold: options.threshold.description) }
        case .voxelFWE: if permutations == 0 { throw ClusterReportError.needsPermutations(threshold: options.threshold.description) }
        case .tfceFWE: if !tfce || permutations == 0 { throw ClusterReportError.needsTFCE(threshold: options.threshold.description) }
        case .z, .p: break
        }
        if options.labels != nil && options.atlas == nil { throw ClusterReportError.labelsWithoutAtlas }
    }

    /// The report of one contrast's maps (per in-mask voxel) over `mask`.
    public init(_ result: ContrastResult, mask: VoxelMask, twoSided: Bool, options: ClusterReportOptions,
                atlas: [UInt16]?, labels: LabelTable?) {
        let grid = mask.grid
        let n = mask.count
        let isT = result.contrast.kind == .t
        var passes = [Bool](repeating: false, count: grid.voxelCount)
        var statistic = [Float](repeating: 0, count: grid.voxelCount)
        for m in 0..<n {
            let i = mask.indices[m]
            statistic[i] = Float(result.fit.statistic[m])
            guard result.fit.status[m] == .ok else { continue }
            switch options.threshold {
            case .voxelFWE(let a): passes[i] = (result.permutation?.pFamilyWise[m] ?? 1) < a
            case .tfceFWE(let a): passes[i] = (result.permutation?.tfcePFamilyWise?[m] ?? 1) < a
            case .p(let a): passes[i] = result.p[m] < a
            case .z(let v): passes[i] = isT && twoSided ? abs(result.z[m]) > v : result.z[m] > v
            case .clusterFWE(let a): passes[i] = (result.permutation?.clusterSizePFamilyWise?[m] ?? 1) < a
            }
        }
        let clusters = ClusterLabelling.clusters(statistic: statistic, passes: passes, grid: grid,
                                                 connectivity: options.connectivity, minimumPeakDistance: options.peakDistance)
        // Per-grid-voxel lookups of the in-mask values.
        var position = [Int32](repeating: -1, count: grid.voxelCount)
        for (m, i) in mask.indices.enumerated() { position[i] = Int32(m) }
        func value(_ values: [Double]?, _ i: Int) -> Double? { values.map { $0[Int(position[i])] } }
        func world(_ i: Int) -> (Double, Double, Double) {
            let (a, b, c) = grid.coordinates(of: i)
            return grid.affine.apply(Double(a), Double(b), Double(c))
        }
        func name(_ i: Int) -> String {
            guard let atlas else { return "n/a" }
            let label = Int(atlas[i])
            return label == 0 ? "unlabelled" : (labels?.name(of: label) ?? "label-\(label)")
        }
        func mm(_ x: Double) -> String { TSVTable.format((x * 1000).rounded() / 1000) }
        let statName = isT ? "t" : "F"
        let fwe = result.permutation?.pFamilyWise
        let tfceFWE = result.permutation?.tfcePFamilyWise
        let sizeFWE = result.permutation?.clusterSizePFamilyWise, massFWE = result.permutation?.clusterMassPFamilyWise
        let voxelVolume = grid.affine.voxelVolume

        var clusterColumns = ["cluster_id", "sign", "voxels", "volume_mm3", "peak_x", "peak_y", "peak_z", "peak_\(statName)", "peak_zstat"]
        if fwe != nil { clusterColumns.append("p_fwe") }
        if tfceFWE != nil { clusterColumns.append("p_tfce_fwe") }
        if sizeFWE != nil { clusterColumns += ["p_fwe_size", "p_fwe_mass"] }
        clusterColumns += ["cog_x", "cog_y", "cog_z", "peak_label", "regions"]
        var clusterRows: [[String]] = [], peakRows: [[String]] = []
        var ids = [Float](repeating: 0, count: grid.voxelCount)
        for (c, cluster) in clusters.enumerated() {
            let id = c + 1
            // Centre of gravity weighted by |statistic| (FSL's COG), summed in voxel order.
            var weight = 0.0, sx = 0.0, sy = 0.0, sz = 0.0
            var counts: [Int: Int] = [:]
            for i in cluster.voxels {
                ids[i] = Float(id)
                let w = abs(Double(statistic[i]))
                let p = world(i)
                weight += w; sx += w * p.0; sy += w * p.1; sz += w * p.2
                if let atlas { counts[Int(atlas[i]), default: 0] += 1 }
            }
            let peak = cluster.peak, peakWorld = world(peak)
            var row = [String(id), cluster.sign > 0 ? "positive" : "negative", String(cluster.voxels.count),
                       mm(Double(cluster.voxels.count) * voxelVolume), mm(peakWorld.0), mm(peakWorld.1), mm(peakWorld.2),
                       TSVTable.format(Double(statistic[peak])), TSVTable.format(value(result.z, peak)!)]
            if let fwe { row.append(TSVTable.format(cluster.voxels.map { fwe[Int(position[$0])] }.min()!)) }
            if let tfceFWE { row.append(TSVTable.format(cluster.voxels.map { tfceFWE[Int(position[$0])] }.min()!)) }
            if let sizeFWE, let massFWE {
                // Equal to the forming-threshold cluster's p when the table's clusters are those clusters.
                row.append(TSVTable.format(cluster.voxels.map { sizeFWE[Int(position[$0])] }.min()!))
                row.append(TSVTable.format(cluster.voxels.map { massFWE[Int(position[$0])] }.min()!))
            }
            row += [mm(sx / weight), mm(sy / weight), mm(sz / weight), name(peak)]
            if atlas != nil {
                // Largest share first; ties by label number.
                let shares = counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { label, count in
                    let share = 100 * Double(count) / Double(cluster.voxels.count)
                    return "\(label == 0 ? "unlabelled" : (labels?.name(of: label) ?? "label-\(label)")): \(String(format: "%.1f", share))%"
                }
                row.append(shares.joined(separator: "; "))
            } else {
                row.append("n/a")
            }
            clusterRows.append(row)
            for (k, v) in cluster.peaks.enumerated() {
                let w = world(v)
                var peakRow = [String(id), String(k + 1), mm(w.0), mm(w.1), mm(w.2), TSVTable.format(Double(statistic[v])),
                               TSVTable.format(value(result.z, v)!)]
                if let fwe { peakRow.append(TSVTable.format(fwe[Int(position[v])])) }
                peakRow.append(name(v))
                peakRows.append(peakRow)
            }
        }
        var peakColumns = ["cluster_id", "peak", "x", "y", "z", statName, "zstat"]
        if fwe != nil { peakColumns.append("p_fwe") }
        peakColumns.append("label")
        self.clusters = clusters
        self.clusterTable = TSVTable(columns: clusterColumns, rows: clusterRows)
        self.peakTable = TSVTable(columns: peakColumns, rows: peakRows)
        self.index = Volume(grid: grid, voxels: ids)
    }
}
