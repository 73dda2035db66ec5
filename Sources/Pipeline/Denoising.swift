import Foundation
import Kernels
import NIfTI

/// One BOLD run and its fMRIPrep confounds table.
public struct FunctionalRun: Sendable, Equatable, Codable {
    public var bold: String
    public var confounds: String?

    public init(bold: String, confounds: String? = nil) {
        self.bold = bold
        self.confounds = confounds
    }
}

/// Everything that decides how a run is denoised.
public struct DenoisingOptions: Sendable, Equatable, Codable {
    /// Confound columns to regress out (used when the run has a confounds table).
    public var strategy: ConfoundStrategy
    public var censoring: Censoring
    /// Detrend/filter settings; `repetitionTime` here overrides the header's.
    public var cleaning: CleaningParameters
    /// Gaussian smoothing (mm FWHM) of every volume before masking and cleaning, as nilearn's maskers.
    public var smoothingFWHM: Double?

    public init(strategy: ConfoundStrategy = .twentyFourP, censoring: Censoring = Censoring(),
                cleaning: CleaningParameters = CleaningParameters(), smoothingFWHM: Double? = nil) {
        self.strategy = strategy
        self.censoring = censoring
        self.cleaning = cleaning
        self.smoothingFWHM = smoothingFWHM
    }
}

extension DenoisingOptions {
    /// The cleaning parameters as every connectivity sidecar records them (seed-map, conmat, alff, reho:
    /// the same keys for the same thing); `confounds` lists the tables of the runs, in order.
    public func provenance(confounds: [String]) -> [(String, JSONValue)] {
        [
            ("ConfoundStrategy", confounds.isEmpty ? .null : .string(strategy.description)),
            ("ConfoundsFiles", .array(confounds.map { .string($0) })),
            ("Detrend", .bool(cleaning.detrend)),
            ("HighPassHz", .number(cleaning.highPass)),
            ("LowPassHz", .number(cleaning.lowPass)),
            ("Filter", cleaning.filters ? .string("Butterworth order 5, zero-phase (sosfiltfilt, odd padding)") : .null),
            ("RepetitionTimeOverride", .number(cleaning.repetitionTime)),
            ("FDThreshold", .number(censoring.fdThreshold)),
            ("DVARSThreshold", .number(censoring.dvarsThreshold)),
            ("MinSegment", .int(censoring.minSegment)),
            ("DummyScans", .int(censoring.dummyScans)),
            ("SampleMask", censoring.sampleMask.map { .string($0) } ?? .null),
            ("SmoothingFWHMmm", .number(smoothingFWHM)),
        ]
    }
}

extension DenoisingOptions {
    /// The tail every connectivity sidecar shares: the cleaning parameters, the standardisation and each run's QC.
    func provenance(runs: [FunctionalRun], qc: [RunQC]) -> [(String, JSONValue)] {
        provenance(confounds: runs.compactMap(\.confounds)) + [
            ("Standardize", .string("zscore_sample")),
            ("Runs", .array(qc.map(\.json))),
        ]
    }
}

/// Quality figures for one run, written to the JSON sidecar.
public struct RunQC: Sendable {
    public var bold: String
    public var volumes: Int
    public var dummyScans: Int
    public var keptVolumes: Int
    public var motionOutliers: Int
    /// Volumes fMRIPrep flagged as non-steady-state (censored).
    public var nonSteadyStateVolumes: Int
    public var repetitionTime: Double?
    public var meanFD: Double?
    public var maxFD: Double?
    public var confoundColumns: [String]
    public var confoundRank: Int
    public var nonFiniteVoxels: Int
    /// ν = tr(CCᵀ)² / tr((CCᵀ)²) of the cleaning operator C.
    public var effectiveDegreesOfFreedom: Double?
    /// The low-pass cutoff the filter used (below Nyquist; nil without low-pass filtering).
    public var lowPassApplied: Double? = nil
    public var zeroVarianceVoxels: Int = 0
    public var medianTSNR: Double?
    public var seedVoxels: Int?
    /// Things the user should know (e.g. a TR override), repeated as warnings.
    public var notes: [String] = []

    public var censoredVolumes: Int { volumes - dummyScans - keptVolumes }
    public var percentCensored: Double { 100 * Double(censoredVolumes) / Double(max(1, volumes - dummyScans)) }

    public var json: JSONValue {
        .object([
            ("Bold", .string(bold)),
            ("Volumes", .int(volumes)),
            ("DummyScans", .int(dummyScans)),
            ("KeptVolumes", .int(keptVolumes)),
            ("CensoredVolumes", .int(censoredVolumes)),
            ("PercentCensored", .number(percentCensored)),
            ("MotionOutliers", .int(motionOutliers)),
            ("NonSteadyStateVolumes", .int(nonSteadyStateVolumes)),
            ("RepetitionTime", .number(repetitionTime)),
            ("MeanFramewiseDisplacement", .number(meanFD)),
            ("MaxFramewiseDisplacement", .number(maxFD)),
            ("ConfoundColumns", .array(confoundColumns.map { .string($0) })),
            ("ConfoundRank", .int(confoundRank)),
            ("EffectiveDegreesOfFreedom", .number(effectiveDegreesOfFreedom)),
            ("LowPassAppliedHz", .number(lowPassApplied)),
            ("NonFiniteVoxelsExcluded", .int(nonFiniteVoxels)),
            ("ZeroVarianceVoxelsExcluded", .int(zeroVarianceVoxels)),
            ("MedianTSNR", .number(medianTSNR)),
            ("SeedVoxels", seedVoxels.map { .int($0) } ?? .null),
            ("Notes", .array(notes.map { .string($0) })),
        ])
    }
}
