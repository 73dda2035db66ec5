import Foundation
import Kernels
import NIfTI

/// The in-mask BOLD signal that ALFF and ReHo consume: a volumes × voxels matrix, the TR, and
/// which acquired volumes survive censoring.
///
/// `load` cleans with the same operator as `seed-map` (confounds, censoring, detrend, filter) and keeps
/// only the kept volumes (`rowsAreKeptOnly`); the ALFF and ReHo stages also accept all rows plus `kept`.
public struct RestingStateSignal: Sendable {
    /// Cleaned signal, rows = volumes (all acquired, or only the kept ones when `rowsAreKeptOnly`).
    public var series: MaskedSeries
    /// Seconds between volumes.
    public var repetitionTime: Double
    /// Volumes acquired.
    public var acquiredFrames: Int
    /// Indices (0-based) of the volumes kept after censoring, increasing; all when nothing is censored.
    public var kept: [Int]
    /// True when `series` holds only the kept rows (censored rows removed by the cleaning step).
    public var rowsAreKeptOnly: Bool
    /// What was done to the signal, recorded in every output's sidecar.
    public var cleaning: JSONValue
    /// Warnings for the log (excluded voxels, TR overrides).
    public var warnings: [String] = []
    /// Per in-mask voxel: true when it held NaN/Inf and was zeroed (empty: none flagged).
    public var nonFinite: [Bool] = []

    public init(series: MaskedSeries, repetitionTime: Double, acquiredFrames: Int, kept: [Int],
                rowsAreKeptOnly: Bool, cleaning: JSONValue) {
        self.series = series
        self.repetitionTime = repetitionTime
        self.acquiredFrames = acquiredFrames
        self.kept = kept
        self.rowsAreKeptOnly = rowsAreKeptOnly
        self.cleaning = cleaning
    }

    /// Reads and cleans `run` for a stage (`purpose`: at least 3 kept volumes) with the context's thread budget,
    /// timed as "read", its warnings reported to the context.
    static func load(_ run: FunctionalRun, mask: String, options: DenoisingOptions, purpose: String, context: StageContext,
                     timer: inout PhaseTimer) throws -> RestingStateSignal {
        let signal = try timer.measure("read") {
            try load(run: run, mask: mask, options: options, minimumFrames: 3, purpose: purpose, parallelism: context.parallelism)
        }
        signal.warnings.forEach(context.warn)
        return signal
    }

    /// The kept rows only, as a contiguous kept × voxels matrix.
    public var keptRows: [Float] {
        if rowsAreKeptOnly || kept.count == series.frames { return series.values }
        let v = series.voxels
        var out = [Float]()
        out.reserveCapacity(kept.count * v)
        for t in kept { out.append(contentsOf: series.values[(t * v)..<((t + 1) * v)]) }
        return out
    }

    /// Reads `bold` within `mask` with the simple defaults (linear detrend, optional sample mask).
    public static func load(bold: String, mask maskPath: String, repetitionTime: Double? = nil,
                            sampleMask: String? = nil, minimumFrames: Int, purpose: String,
                            parallelism: Parallelism) throws -> RestingStateSignal {
        try load(run: FunctionalRun(bold: bold), mask: maskPath,
                 options: DenoisingOptions(censoring: Censoring(sampleMask: sampleMask),
                                           cleaning: CleaningParameters(repetitionTime: repetitionTime)),
                 minimumFrames: minimumFrames, purpose: purpose, parallelism: parallelism)
    }

    /// Reads `run` within `mask` and cleans it as `seed-map` does (`signal.clean` semantics: confounds,
    /// censoring, detrend, optional filter), keeping the cleaned kept volumes as a volumes × voxels
    /// matrix. Voxels holding NaN/Inf are zeroed and reported in the sidecar's `Cleaning`.
    public static func load(run: FunctionalRun, mask maskPath: String, options: DenoisingOptions,
                            minimumFrames: Int, purpose: String, parallelism: Parallelism) throws -> RestingStateSignal {
        let image = try NIfTIImage(path: run.bold)
        let maskImage = try NIfTIImage(path: maskPath)
        try maskImage.requireGrid(image.grid, referencePath: run.bold)
        let mask = try maskImage.readMask()
        guard !mask.isEmpty else { throw SignalError.emptyMask(path: maskPath) }
        let frames = image.header.frames
        guard frames >= minimumFrames else {
            throw SignalError.notFourD(path: run.bold, frames: frames, needed: minimumFrames, purpose: purpose)
        }
        guard options.cleaning.repetitionTime != nil || image.header.repetitionTime.map({ $0 > 0 }) == true else {
            throw SignalError.missingRepetitionTime(path: run.bold)
        }
        let loaded = try LoadedRun.load(run, mask: mask, maskPath: maskPath, options: options, minimumKept: 2,
                                        storage: .cleaned(extracting: []), parallelism: parallelism)
        let kept = loaded.cleaning.outputFrames
        guard kept.count >= minimumFrames else {
            throw SignalError.tooFewVolumes(path: options.censoring.sampleMask ?? run.bold, kept: kept.count, frames: loaded.frames,
                                            detail: "censoring (\(purpose))", minimum: minimumFrames)
        }
        let cleaned = clean(loaded, parallelism: parallelism)
        let keptSet = Set(kept)
        let qc = loaded.qc
        let cleaning: JSONValue = .object([("Method", .string("nilearn signal.clean semantics (see seed-map); no standardisation"))]
            + options.provenance(confounds: run.confounds.map { [$0] } ?? []) + [
            ("ConfoundColumns", .array(qc.confoundColumns.map { .string($0) })),
            ("ConfoundRank", .int(qc.confoundRank)),
            ("EffectiveDegreesOfFreedom", .number(qc.effectiveDegreesOfFreedom)),
            ("CensoredVolumes", .ints((0..<loaded.frames).filter { !keptSet.contains($0) }.map { $0 + qc.dummyScans })),
            ("MeanFramewiseDisplacement", .number(qc.meanFD)),
            ("NonFiniteVoxelsExcluded", .int(qc.nonFiniteVoxels)),
        ])
        let series = MaskedSeries(mask: mask, frames: kept.count, values: cleaned, repetitionTime: qc.repetitionTime)
        var signal = RestingStateSignal(series: series, repetitionTime: qc.repetitionTime!, acquiredFrames: loaded.frames,
                                        kept: kept, rowsAreKeptOnly: true, cleaning: cleaning)
        signal.warnings = qc.notes
        signal.nonFinite = loaded.nonFinite
        if qc.nonFiniteVoxels > 0 {
            signal.warnings.append("\(run.bold): \(qc.nonFiniteVoxels) in-mask voxel(s) hold NaN/Inf; zeroed (0 in the maps)")
        }
        return signal
    }

    /// C · X for every voxel: folded in while reading (`LoadedRun.Storage.cleaned`), or else one SGEMM over
    /// fixed column blocks, adding back each voxel's shift when C does not remove constants.
    static func clean(_ run: LoadedRun, parallelism: Parallelism) -> [Float] {
        if let cleaned = run.cleaned { return cleaned }
        let (matrix, constant) = run.operatorFloat32
        let rows = run.cleaning.rows, v = run.mask.count
        var out = [Float](repeating: 0, count: rows * v)
        matrix.withUnsafeBufferPointer { c in
            run.shifted.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { y in
                    BLAS.multiply(m: rows, n: v, k: run.frames, a: c.baseAddress!, lda: run.frames,
                                  b: x.baseAddress!, ldb: v, c: y.baseAddress!, ldc: v, parallelism: parallelism)
                }
            }
        }
        if constant.contains(where: { abs($0) > 1e-6 }) {
            for t in 0..<rows { for p in 0..<v { out[t * v + p] += constant[t] * run.shift[p] } }
        }
        return out
    }
}
