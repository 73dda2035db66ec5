import Foundation
import NIfTI
import Stats

/// The cluster-forming threshold of cluster-extent inference, as a one-sided p (nilearn's `threshold`) or a z;
/// applied on the t scale with the contrast's degrees of freedom (two-sided: p/2 in each tail, as nilearn).
public enum ClusterFormingThreshold: Sendable, Equatable, Codable, CustomStringConvertible {
    case p(Double)
    case z(Double)

    /// Parses `p=A` (0 < A < 1) or `z=V` (V > 0).
    public init?(parsing text: String) {
        guard let (kind, value) = thresholdParts(text) else { return nil }
        switch kind {
        case "p" where value < 1: self = .p(value)
        case "z": self = .z(value)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .p(let a): return "p=\(TSVTable.format(a))"
        case .z(let v): return "z=\(TSVTable.format(v))"
        }
    }

    /// The uncorrected one-sided p the threshold stands for.
    public var p: Double {
        switch self {
        case .p(let a): return a
        case .z(let v): return Distributions.zUpperTail(v)
        }
    }

    /// Above p = 0.001 clusters grow large and lose spatial specificity (Woo et al. 2014).
    public var isLenient: Bool { p > 0.001 * (1 + 1e-9) }

    /// The threshold on the t scale: the t with upper tail p (p/2 when two-sided).
    public func tThreshold(degreesOfFreedom df: Double, twoSided: Bool) -> Double {
        Distributions.tUpperQuantile(twoSided ? p / 2 : p, degreesOfFreedom: df)
    }
}

/// Cluster-extent and cluster-mass family-wise inference (randomise `-c/-C`, nilearn `threshold=`).
public struct ClusterInferenceOptions: Sendable, Equatable, Codable {
    public var threshold: ClusterFormingThreshold
    public var connectivity: VoxelConnectivity = .faces

    public init(threshold: ClusterFormingThreshold) { self.threshold = threshold }
}

/// Which voxels a cluster table keeps.
public enum ReportThreshold: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Voxel-wise max-statistic p_FWE below the level (`pfwe=0.05`).
    case voxelFWE(Double)
    /// TFCE p_FWE below the level (`tfce-pfwe=0.05`).
    case tfceFWE(Double)
    /// z-equivalent above the value (|z| when two-sided), uncorrected (`z=3.1`).
    case z(Double)
    /// Parametric p below the level, uncorrected (`p=0.001`).
    case p(Double)
    /// Clusters at the cluster-forming threshold whose size p_FWE is below the level (`cluster-pfwe=0.05`).
    case clusterFWE(Double)

    /// Parses `pfwe=A`, `tfce-pfwe=A`, `cluster-pfwe=A`, `z=V` or `p=A` (A in (0, 1), V > 0).
    public init?(parsing text: String) {
        guard let (kind, value) = thresholdParts(text) else { return nil }
        switch kind {
        case "pfwe" where value < 1: self = .voxelFWE(value)
        case "tfce-pfwe" where value < 1: self = .tfceFWE(value)
        case "p" where value < 1: self = .p(value)
        case "cluster-pfwe" where value < 1: self = .clusterFWE(value)
        case "z": self = .z(value)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .clusterFWE(let a): return "cluster-pfwe=\(TSVTable.format(a))"
        case .voxelFWE(let a): return "pfwe=\(TSVTable.format(a))"
        case .tfceFWE(let a): return "tfce-pfwe=\(TSVTable.format(a))"
        case .z(let v): return "z=\(TSVTable.format(v))"
        case .p(let a): return "p=\(TSVTable.format(a))"
        }
    }

    /// In words, for sidecars.
    public var meaning: String {
        switch self {
        case .clusterFWE(let a): return "clusters at the cluster-forming threshold with cluster-size p_FWE < \(TSVTable.format(a))"
        case .voxelFWE(let a): return "voxel-wise p_FWE (max statistic) < \(TSVTable.format(a))"
        case .tfceFWE(let a): return "TFCE p_FWE < \(TSVTable.format(a))"
        case .z(let v): return "z-equivalent > \(TSVTable.format(v)) (|z| when two-sided), uncorrected"
        case .p(let a): return "parametric p < \(TSVTable.format(a)), uncorrected"
        }
    }
}

/// How `glm` reports clusters of its maps: the threshold, the connectivity, the peak spacing and an atlas to name places.
public struct ClusterReportOptions: Sendable, Equatable, Codable {
    public var threshold: ReportThreshold
    public var connectivity: VoxelConnectivity = .faces
    /// Local maxima closer than this (mm) to a stronger one are not listed.
    public var peakDistance: Double = 8
    /// A label image (any grid: carried onto the maps' grid by nearest neighbour) and its label table
    /// (a file, or `freesurfer` for the built-in FreeSurfer names).
    public var atlas: String?
    public var labels: String?

    public init(threshold: ReportThreshold) { self.threshold = threshold }
}

/// `KIND=VALUE` with a finite, positive value.
private func thresholdParts(_ text: String) -> (String, Double)? {
    let parts = text.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
    guard parts.count == 2, let value = Double(parts[1]), value.isFinite, value > 0 else { return nil }
    return (parts[0], value)
}
