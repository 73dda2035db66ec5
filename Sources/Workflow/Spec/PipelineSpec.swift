import Foundation
import Kernels
import Pipeline

/// A cohort pipeline: which stages run per participant, with which parameters, and the group models.
/// Read from a YAML file (`PipelineSpec(yaml:file:)`) or a preset; every field is checked before any data is read.
public struct PipelineSpec: Sendable, Equatable, Codable {
    public var name: String
    public var description: String
    /// Output space of the functional inputs (`--space` overrides it).
    public var space: Space?
    public var task: String
    /// The session a cross-sectional analysis uses when participants have several.
    public var session: String?
    public var denoising: DenoisingOptions
    public var seedMap: SeedMapSpec?
    public var connectivity: ConnectivitySpec?
    public var structural: StructuralSpec?
    public var alff: ALFFSpec?
    public var reho: ReHoSpec?
    public var qc: QCRules
    public var group: GroupSpec?

    /// True when any stage reads BOLD series.
    public var needsFunctional: Bool { seedMap != nil || connectivity != nil || alff != nil || reho != nil }
}

/// Seed-to-voxel maps from MNI spheres.
public struct SeedMapSpec: Sendable, Equatable, Codable {
    public var seeds: [Sphere]
    /// Also write the Pearson r map beside the Fisher z map.
    public var pearsonR: Bool
}

/// Region-to-region matrices on an atlas in the functional space.
public struct ConnectivitySpec: Sendable, Equatable, Codable {
    /// The `atlas-` entity of the outputs.
    public var atlasName: String
    /// Label image (resolved to an absolute path).
    public var atlas: String
    public var labels: String?
    public var kind: ConnectivityMatrix.Kind
    public var estimator: ConnectivityMatrix.Estimator
    /// Also write the region time series.
    public var timeseries: Bool
}

/// Regional gray-matter volume.
public struct StructuralSpec: Sendable, Equatable, Codable {
    public enum Source: String, Sendable, Codable, CaseIterable {
        /// fMRIPrep's native-space GM probseg with FreeSurfer's aparc+aseg labels.
        case fmriprep
        /// CAT12's modulated GM (mwp1) with a template atlas.
        case cat12
    }
    public var source: Source
    /// FreeSurfer names (fmriprep) or label-table names (cat12) of the regions measured as Σ GM probability × voxel volume.
    public var cortical: [String]
    /// FreeSurfer names measured as the volume of their aseg label (fmriprep only).
    public var subcortical: [String]
    /// Template atlas for CAT12 (absolute path), its label table and `desc-` name.
    public var atlas: String?
    public var labels: String?
    public var atlasName: String
    /// Template space of fMRIPrep's probseg when a template atlas is used with fmriprep (unmodulated: density).
    public var space: Space?
    /// Measure an unmodulated template-space map anyway (outputs are then named and described as density).
    public var allowUnmodulated: Bool

    /// True when the measure is tissue density of a normalised map, not a volume.
    public var measuresDensity: Bool { source == .fmriprep && atlas != nil }
}

/// ALFF/fALFF band.
public struct ALFFSpec: Sendable, Equatable, Codable {
    public var low: Double
    public var high: Double
}

/// ReHo neighbourhood.
public struct ReHoSpec: Sendable, Equatable, Codable {
    public var neighbourhood: ReHoNeighbourhood
}

/// Participant exclusion rules applied before the group level (each excluded participant is listed with the rule broken).
public struct QCRules: Sendable, Equatable, Codable {
    public var maxMeanFD: Double?
    public var maxCensoredPercent: Double?
    public var minRemainingMinutes: Double?

    public init(maxMeanFD: Double? = nil, maxCensoredPercent: Double? = nil, minRemainingMinutes: Double? = nil) {
        self.maxMeanFD = maxMeanFD
        self.maxCensoredPercent = maxCensoredPercent
        self.minRemainingMinutes = minRemainingMinutes
    }
}

/// The group level: one or more GLMs over `participants.tsv`.
public struct GroupSpec: Sendable, Equatable, Codable {
    public var models: [GroupModel]
}

/// One group GLM on one participant-level output.
public struct GroupModel: Sendable, Equatable, Codable {
    /// Output folder name under `group/` (a BIDS label).
    public var name: String
    /// What is compared: `seed-map:<seed>` (Fisher z maps) or `gm-volume` (the regional table).
    public var input: String
    /// Model formula over participants.tsv columns (`~ group + age + sex + mean_fd`).
    public var formula: String
    public var contrasts: [String]
    /// Only participants whose column has this value (`group=pain` for a patients-only model).
    public var subset: [String: String]
    /// Reference levels (`group: control`).
    public var references: [String: String]
    public var permutations: Int
    public var seed: UInt64
    public var tfce: Bool
    public var twoSided: Bool
    /// Skip the model (with a note) when a formula column is missing from participants.tsv, instead of failing.
    public var optional: Bool
    /// Cluster tables of the model's maps (seed-map inputs only).
    public var clusters: ClusterReportOptions? = nil
    /// Cluster-extent and cluster-mass FWE inference (`clusters.forming_threshold`).
    public var clusterInference: ClusterInferenceOptions? = nil
}
