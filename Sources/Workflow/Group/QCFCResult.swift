import Foundation

/// One edge (upper triangle, i < j) and its QC-FC correlation with mean FD.
public struct QCFCEdge: Sendable, Equatable {
    /// Whether the edge was tested.
    public enum Status: String, Sendable, Equatable {
        case ok
        /// Some participant's value is n/a, NaN or infinite.
        case nonFinite = "non-finite"
        /// Every participant has the same value.
        case constant
    }

    /// Node indices (into `QCFCResult.nodes`), a < b.
    public let nodeA: Int
    public let nodeB: Int
    /// Distance between the nodes' centroids in mm (nil without an atlas).
    public let distance: Double?
    /// Pearson r of mean FD and the edge across participants (nil when not tested).
    public let r: Double?
    /// Two-sided p of r (t with n − 2 df).
    public let p: Double?
    /// Benjamini–Hochberg q over the tested edges.
    public let q: Double?
    public let status: Status
}

/// Mean FD of one group level.
public struct GroupMotion: Sendable, Equatable {
    public let level: String
    public let participants: Int
    public let mean: Double
    /// Sample SD (n − 1); nil for a single participant.
    public let sd: Double?
}

/// Welch's two-sample t test of mean FD between two group levels (first − second).
public struct WelchTest: Sendable, Equatable {
    public let first: String
    public let second: String
    public let t: Double
    /// Welch–Satterthwaite degrees of freedom.
    public let df: Double
    /// Two-sided p.
    public let p: Double
}

/// The QC-FC summary figures (Ciric et al. 2017).
public struct QCFCSummary: Sendable, Equatable {
    public let participants: Int
    /// Upper-triangle edges, tested or not.
    public let edges: Int
    public let testedEdges: Int
    public let nonFiniteEdges: Int
    public let constantEdges: Int
    /// Mean and sample SD of mean FD over the participants.
    public let meanFD: Double
    public let sdFD: Double
    /// Median |QC-FC r| over the tested edges (nil when none).
    public let medianAbsR: Double?
    /// Percent of tested edges with uncorrected p < 0.05.
    public let percentUncorrected: Double?
    /// Percent of tested edges with Benjamini–Hochberg q < 0.05.
    public let percentFDR: Double?
    /// Spearman ρ between edge distance and QC-FC r over the tested edges, and its two-sided p (with an atlas).
    public let distanceRho: Double?
    public let distanceP: Double?
    /// Edges entering the distance correlation.
    public let distanceEdges: Int
}

/// QC-FC of a cohort's connectivity matrices: per edge, per node and summary figures, and mean FD by group.
public struct QCFCResult: Sendable {
    /// Participants in the order given, their matrix files and mean FD.
    public let participants: [String]
    public let matrices: [String]
    public let meanFD: [Double]
    /// Node names as in the matrices.
    public let nodes: [String]
    /// The atlas, its labels in ascending order (node i ↔ labels[i]) and their centroids in world mm.
    public let atlas: String?
    public let labels: [Int]?
    public let centroids: [[Double]]?
    /// Upper-triangle edges in row-major order: (0,1), (0,2), …, (1,2), …
    public let edges: [QCFCEdge]
    public let summary: QCFCSummary
    /// Group of each participant (nil without groups, or for a participant without one).
    public let groupOf: [String?]
    /// Mean FD per group level, levels in ascending order (empty without groups).
    public let groups: [GroupMotion]
    /// Welch's test when there are exactly two levels.
    public let welch: WelchTest?
}
