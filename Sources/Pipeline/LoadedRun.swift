import Foundation
import Kernels
import NIfTI

/// A run's in-mask series (after dummy scans) with the operator that cleans it — held either raw or
/// already cleaned. Raw voxels are stored minus their first value (`shift`) so float32 keeps the
/// fluctuations exact.
public struct LoadedRun: Sendable {
    /// What `load` keeps of the series.
    public enum Storage: Sendable, Equatable {
        /// The shifted series, frames × voxels (for consumers that only need region means).
        case shifted
        /// The cleaned series C·X, rows × voxels, computed while the file decompresses; the raw
        /// series of the `extracting` positions (seed voxels) are kept too. Falls back to `.shifted`
        /// when the operator only centres (the fused one-pass correlation is faster there).
        case cleaned(extracting: [Int])
    }

    public let run: FunctionalRun
    public let mask: VoxelMask
    public let frames: Int
    /// Shifted series, frames × voxels (empty when the run was loaded cleaned).
    public var shifted: [Float]
    public let shift: [Float]
    /// C·X for every voxel (rows × voxels, C·1·shift added back), when loaded cleaned.
    public var cleaned: [Float]?
    /// Raw mean and sample SD of every voxel over the frames, when loaded cleaned (for tSNR).
    public var rawMean: [Float]?
    public var rawSD: [Float]?
    /// Shifted series of the extracted positions (frames × count), when loaded cleaned.
    var extracted: [Float] = []
    var extractedColumn: [Int: Int] = [:]
    /// Voxels with NaN/Inf anywhere in the run (their columns are zeroed and excluded).
    public let nonFinite: [Bool]
    public let cleaning: CleaningOperator
    public var qc: RunQC

    /// Reads the run's in-mask voxels (streaming), its confounds and censoring, and builds the operator.
    /// `minimumKept`: fewest kept volumes accepted (10 for connectivity; measures with their own checks pass less).
    public static func load(_ run: FunctionalRun, mask: VoxelMask, maskPath: String, options: DenoisingOptions,
                            minimumKept: Int = 10, storage: Storage = .shifted, parallelism: Parallelism) throws -> LoadedRun {
        let image = try NIfTIImage(path: run.bold)
        guard image.header.dim.count >= 4, image.header.frames > 1 else {
            throw SignalError.notFourD(path: run.bold, frames: image.header.frames, needed: 2, purpose: "a functional run")
        }
        try image.requireGrid(mask.grid, referencePath: maskPath)
        try image.checkVoxelDataSize()  // the operator and series buffers are sized by the header
        let volumes = image.header.frames
        let dummy = options.censoring.dummyScans
        guard dummy < volumes else {
            throw SignalError.tooFewVolumes(path: run.bold, kept: 0, frames: volumes, detail: "dropping \(dummy) dummy scans", minimum: minimumKept)
        }
        let frames = volumes - dummy

        var parameters = options.cleaning
        let headerTR = image.header.repetitionTime.flatMap { $0 > 0 ? $0 : nil }
        var notes: [String] = []
        if parameters.repetitionTime == nil {
            parameters.repetitionTime = headerTR
        } else if let header = headerTR, let given = parameters.repetitionTime, abs(header - given) > 1e-3 {
            notes.append("\(run.bold): the given repetition time \(given) s overrides the header's \(header) s")
        }
        // nilearn lowers a cutoff at or above Nyquist to just below it; say so rather than do it silently.
        var appliedLowPass = parameters.lowPass
        if let low = parameters.lowPass, let tr = parameters.repetitionTime, tr > 0, low >= 0.5 / tr {
            appliedLowPass = Butterworth.appliedCutoff(low, samplingRate: 1 / tr)
            notes.append("\(run.bold): low-pass \(low) Hz is at or above the Nyquist frequency \(0.5 / tr) Hz (TR \(tr) s); "
                         + "applied just below Nyquist (\(appliedLowPass!) Hz), as nilearn does")
        }

        // Confounds and censoring.
        var confoundColumns: [[Double]] = [], names: [String] = []
        var kept = Array(0..<frames), motionOutliers = 0
        var meanFD: Double?, maxFD: Double?
        var nonSteady: [Int] = []
        var alsoCensored: [Int] = []
        if let sampleMask = options.censoring.sampleMask {
            let keptByUser = Set(try Censoring.readSampleMask(sampleMask, frames: volumes))
            alsoCensored = (dummy..<volumes).filter { !keptByUser.contains($0) }.map { $0 - dummy }
        }
        var fd: [Double]?, dvars: [Double]?
        if let path = run.confounds {
            let table = try ConfoundsTable(contentsOf: path)
            guard table.rows == volumes else {
                throw ConfoundError.rowCountMismatch(path: path, rows: table.rows, volumes: volumes, bold: run.bold)
            }
            (names, confoundColumns) = try table.select(options.strategy, from: dummy)
            fd = table.column("framewise_displacement").map { Array($0.dropFirst(dummy)) }
            dvars = table.column("std_dvars").map { Array($0.dropFirst(dummy)) }
            if options.censoring.fdThreshold != nil && fd == nil {
                throw ConfoundError.missingColumns(path: path, strategy: "FD censoring", missing: ["framewise_displacement"], available: table.columns)
            }
            if options.censoring.dvarsThreshold != nil && dvars == nil {
                throw ConfoundError.missingColumns(path: path, strategy: "DVARS censoring", missing: ["std_dvars"], available: table.columns)
            }
            nonSteady = table.nonSteadyStateVolumes.map { $0 - dummy }.filter { $0 >= 0 }
            if let fd {
                let finite = fd.filter { $0.isFinite }
                if !finite.isEmpty { meanFD = finite.reduce(0, +) / Double(finite.count); maxFD = finite.max() }
            }
        } else if options.censoring.censorsMotion {
            throw ConfoundError.missingColumns(path: run.bold, strategy: "scrubbing", missing: ["framewise_displacement"], available: ["(no confounds table given)"])
        }
        (kept, motionOutliers) = options.censoring.keptVolumes(frames: frames, fd: fd, dvars: dvars, alsoCensored: nonSteady + alsoCensored)
        guard kept.count >= minimumKept else {
            throw SignalError.tooFewVolumes(path: run.bold, kept: kept.count, frames: frames,
                                            detail: "censoring (\(motionOutliers) motion outliers, segments shorter than \(options.censoring.minSegment) removed)",
                                            minimum: minimumKept)
        }
        let cleaning: CleaningOperator
        do {
            cleaning = try CleaningOperator(frames: frames, kept: kept.count < frames ? kept : nil,
                                            confounds: confoundColumns, parameters: parameters)
        } catch CleaningError.missingRepetitionTime {
            throw SignalError.missingRepetitionTime(path: run.bold)
        } catch let error as CleaningError {
            throw SignalError.cleaningFailed(path: run.bold, reason: error.description)
        }
        // What cleaning leaves: with as many regressors as volumes the cleaned series is rounding noise.
        let nu = cleaning.effectiveDegreesOfFreedom
        let confoundText = run.confounds == nil ? "none" : "\(options.strategy), rank \(cleaning.confoundRank)"
        guard nu >= minimumDegreesOfFreedom - 1e-6 else {  // tolerance: detrended 12 volumes leave exactly 10
            throw ConfoundError.tooFewDegreesOfFreedom(run: run.bold, effective: nu, kept: kept.count, confounds: confoundText,
                                                       minimum: minimumDegreesOfFreedom)
        }
        if nu < warningDegreesOfFreedom {
            notes.append("\(run.bold): cleaning leaves \(String(format: "%.1f", nu)) effective degrees of freedom of \(kept.count) kept volumes (confounds: \(confoundText)); estimates below \(Int(warningDegreesOfFreedom)) are noisy")
        }

        let series = try readSeries(image, mask: mask, bold: run.bold, dummy: dummy, frames: frames, cleaning: cleaning,
                                    storage: storage, smoothingFWHM: options.smoothingFWHM, parallelism: parallelism)
        if let note = series.smoothingNote { notes.append(note) }
        let nonFinite = series.nonFinite.filter { $0 }.count
        let qc = RunQC(bold: run.bold, volumes: volumes, dummyScans: dummy, keptVolumes: kept.count,
                       motionOutliers: motionOutliers, nonSteadyStateVolumes: nonSteady.count, repetitionTime: parameters.repetitionTime,
                       meanFD: meanFD, maxFD: maxFD, confoundColumns: names, confoundRank: cleaning.confoundRank,
                       nonFiniteVoxels: nonFinite, effectiveDegreesOfFreedom: nu, lowPassApplied: appliedLowPass, notes: notes)
        return LoadedRun(run: run, mask: mask, frames: frames, shifted: series.shifted, shift: series.shift, cleaned: series.cleaned,
                         rawMean: series.rawMean, rawSD: series.rawSD, extracted: series.extracted,
                         extractedColumn: series.extractedColumn, nonFinite: series.nonFinite, cleaning: cleaning, qc: qc)
    }

    /// Fewest effective degrees of freedom (ν) a cleaned run may keep; below the warning level a map is
    /// written with a warning.
    public static let minimumDegreesOfFreedom = 10.0
    public static let warningDegreesOfFreedom = 30.0

    /// The raw (unshifted) mean series over the voxels at `positions`, skipping non-finite voxels.
    public func meanSeries(positions: [Int]) -> [Double] {
        let good = positions.filter { !nonFinite[$0] }
        guard !good.isEmpty else { return [Double](repeating: .nan, count: frames) }
        let base = good.reduce(0.0) { $0 + Double(shift[$1]) } / Double(good.count)
        if shifted.isEmpty {
            let columns = good.map { position -> Int in
                guard let column = extractedColumn[position] else { preconditionFailure("position \(position) was not extracted") }
                return column
            }
            let u = extractedColumn.count
            return (0..<frames).map { t in
                base + columns.reduce(0.0) { $0 + Double(extracted[t * u + $1]) } / Double(good.count)
            }
        }
        let v = mask.count
        return (0..<frames).map { t in
            base + good.reduce(0.0) { $0 + Double(shifted[t * v + $1]) } / Double(good.count)
        }
    }

    /// The cleaning operator as float32 (rows × frames) and its response to a constant.
    public var operatorFloat32: (matrix: [Float], constant: [Float]) {
        (cleaning.matrix.map(Float.init), cleaning.constantResponse.map(Float.init))
    }
}

