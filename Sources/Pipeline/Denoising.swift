import Foundation
import Kernels
import NIfTI

/// One BOLD run and its fMRIPrep confounds table.
public struct FunctionalRun: Sendable, Equatable {
    public var bold: String
    public var confounds: String?

    public init(bold: String, confounds: String? = nil) {
        self.bold = bold
        self.confounds = confounds
    }
}

/// Everything that decides how a run is denoised.
public struct DenoisingOptions: Sendable, Equatable {
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
            ("NonFiniteVoxelsExcluded", .int(nonFiniteVoxels)),
            ("ZeroVarianceVoxelsExcluded", .int(zeroVarianceVoxels)),
            ("MedianTSNR", .number(medianTSNR)),
            ("SeedVoxels", seedVoxels.map { .int($0) } ?? .null),
            ("Notes", .array(notes.map { .string($0) })),
        ])
    }
}

/// A run's in-mask series (after dummy scans), held once, with the operator that cleans it.
/// Each voxel is stored minus its first value (`shift`) so float32 keeps the fluctuations exact.
public struct LoadedRun: Sendable {
    public let run: FunctionalRun
    public let mask: VoxelMask
    public let frames: Int
    public var shifted: [Float]
    public let shift: [Float]
    /// Voxels with NaN/Inf anywhere in the run (their columns are zeroed and excluded).
    public let nonFinite: [Bool]
    public let cleaning: CleaningOperator
    public var qc: RunQC

    /// Reads the run's in-mask voxels (streaming), its confounds and censoring, and builds the operator.
    /// `minimumKept`: fewest kept volumes accepted (10 for connectivity; measures with their own checks pass less).
    public static func load(_ run: FunctionalRun, mask: VoxelMask, maskPath: String, options: DenoisingOptions,
                            minimumKept: Int = 10) throws -> LoadedRun {
        let image = try NIfTIImage(path: run.bold)
        guard image.header.dim.count >= 4, image.header.frames > 1 else {
            throw NIfTIError.invalidField(path: run.bold, field: "dim", value: "\(image.header.dim)", expected: "a 4D BOLD series")
        }
        try image.requireGrid(mask.grid, referencePath: maskPath)
        let volumes = image.header.frames
        let dummy = options.censoring.dummyScans
        guard dummy < volumes else {
            throw ConfoundError.tooFewVolumes(run: run.bold, kept: 0, frames: volumes, detail: "dropping \(dummy) dummy scans", minimum: minimumKept)
        }
        let frames = volumes - dummy

        var parameters = options.cleaning
        let headerTR = image.header.repetitionTime.flatMap { $0 > 0 ? $0 : nil }
        var notes: [String] = []
        if parameters.repetitionTime == nil {
            parameters.repetitionTime = headerTR
        } else if let header = headerTR, let given = parameters.repetitionTime, abs(header - given) > 1e-3 {
            notes.append("\(run.bold): --tr \(given) s overrides the header's \(header) s")
        }

        // Confounds and censoring.
        var confoundColumns: [[Double]] = [], names: [String] = []
        var kept = Array(0..<frames), motionOutliers = 0
        var meanFD: Double?, maxFD: Double?
        var nonSteady: [Int] = []
        var alsoCensored: [Int] = []
        if let sampleMask = options.censoring.sampleMask {
            let keptByUser = Set(try RestingStateSignal.readSampleMask(sampleMask, frames: volumes))
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
                throw ConfoundError.missingColumns(path: path, strategy: "--fd-threshold", missing: ["framewise_displacement"], available: table.columns)
            }
            if options.censoring.dvarsThreshold != nil && dvars == nil {
                throw ConfoundError.missingColumns(path: path, strategy: "--dvars-threshold", missing: ["std_dvars"], available: table.columns)
            }
            nonSteady = table.nonSteadyStateVolumes.map { $0 - dummy }.filter { $0 >= 0 }
            if let fd {
                let finite = fd.filter { $0.isFinite }
                if !finite.isEmpty { meanFD = finite.reduce(0, +) / Double(finite.count); maxFD = finite.max() }
            }
        } else if options.censoring.censorsMotion {
            throw ConfoundError.missingColumns(path: run.bold, strategy: "scrubbing", missing: ["framewise_displacement"], available: ["(no --confounds table given)"])
        }
        (kept, motionOutliers) = options.censoring.keptVolumes(frames: frames, fd: fd, dvars: dvars, alsoCensored: nonSteady + alsoCensored)
        guard kept.count >= minimumKept else {
            throw ConfoundError.tooFewVolumes(run: run.bold, kept: kept.count, frames: frames,
                                              detail: "censoring (\(motionOutliers) motion outliers, segments shorter than \(options.censoring.minSegment) removed)",
                                              minimum: minimumKept)
        }
        let cleaning: CleaningOperator
        do {
            cleaning = try CleaningOperator(frames: frames, kept: kept.count < frames ? kept : nil,
                                            confounds: confoundColumns, parameters: parameters)
        } catch CleaningError.missingRepetitionTime {
            throw NIfTIError.invalidField(path: run.bold, field: "pixdim[4]", value: "\(image.header.repetitionTime ?? 0)",
                                          expected: "a repetition time for filtering (or pass --tr SECONDS)")
        } catch let error as CleaningError {
            throw ConfoundError.tooFewVolumes(run: run.bold, kept: kept.count, frames: frames, detail: error.description, minimum: minimumKept)
        }

        // The in-mask series, shifted by each voxel's first kept-run value.
        let v = mask.count
        var shift = [Float](repeating: 0, count: v)
        var bad = [Bool](repeating: false, count: v)
        // Every element is written below (row 0 explicitly zero), so skip a 200 MB zero fill.
        var shifted = [Float](unsafeUninitializedCapacity: frames * v) { buffer, count in
            buffer.baseAddress!.initialize(repeating: 0, count: v)
            count = frames * v
        }
        var smoothingNote: String?
        // Raw buffers throughout: captured `var` arrays would pay a dynamic exclusivity check per voxel.
        try mask.indices.withUnsafeBufferPointer { idx in
        try shifted.withUnsafeMutableBufferPointer { out in
        try shift.withUnsafeMutableBufferPointer { shift in
        try bad.withUnsafeMutableBufferPointer { bad in
            /// Stores the in-mask voxels at `positions` of one frame (`frameBase[idx[p]]` is voxel p).
            func gather(_ frame: Int, _ frameBase: UnsafePointer<Float>, _ positions: Range<Int>) {
                guard frame >= dummy else { return }
                let t = frame - dummy
                let row = out.baseAddress! + t * v
                if t == 0 {
                    for p in positions {
                        let x = frameBase[idx[p]]
                        if x.isFinite { shift[p] = x } else { bad[p] = true }
                    }
                } else {
                    for p in positions {
                        let x = frameBase[idx[p]]
                        if x.isFinite { row[p] = x - shift[p] } else { bad[p] = true }
                    }
                }
            }
            if let fwhm = options.smoothingFWHM, fwhm > 0 {
                // Smoothing needs whole volumes (as nilearn's maskers, which smooth the image first).
                var volume = try image.readVolume()
                let report = try SmoothingStage.smooth(&volume, fwhm: fwhm)
                smoothingNote = "\(run.bold): smoothed at \(fwhm) mm FWHM before cleaning" + (report.notes.isEmpty ? "" : " (" + report.notes.joined(separator: "; ") + ")")
                let n = volume.grid.voxelCount
                volume.voxels.withUnsafeBufferPointer { all in
                    for frame in 0..<volume.frames { gather(frame, all.baseAddress! + frame * n, 0..<v) }
                }
            } else {
                try image.forEachMaskedPiece(mask) { frame, frameBase, positions in gather(frame, frameBase, positions) }
            }
        } } } }
        if let smoothingNote { notes.append(smoothingNote) }
        let nonFinite = bad.filter { $0 }.count
        if nonFinite > 0 {
            for p in 0..<v where bad[p] {
                shift[p] = 0
                for t in 0..<frames { shifted[t * v + p] = 0 }
            }
        }
        let qc = RunQC(bold: run.bold, volumes: volumes, dummyScans: dummy, keptVolumes: kept.count,
                       motionOutliers: motionOutliers, nonSteadyStateVolumes: nonSteady.count, repetitionTime: parameters.repetitionTime,
                       meanFD: meanFD, maxFD: maxFD, confoundColumns: names, confoundRank: cleaning.confoundRank,
                       nonFiniteVoxels: nonFinite, notes: notes)
        return LoadedRun(run: run, mask: mask, frames: frames, shifted: shifted, shift: shift, nonFinite: bad,
                         cleaning: cleaning, qc: qc)
    }

    /// The raw (unshifted) mean series over the voxels at `positions`, skipping non-finite voxels.
    public func meanSeries(positions: [Int]) -> [Double] {
        let good = positions.filter { !nonFinite[$0] }
        guard !good.isEmpty else { return [Double](repeating: .nan, count: frames) }
        let v = mask.count
        let base = good.reduce(0.0) { $0 + Double(shift[$1]) } / Double(good.count)
        return (0..<frames).map { t in
            base + good.reduce(0.0) { $0 + Double(shifted[t * v + $1]) } / Double(good.count)
        }
    }

    /// The cleaning operator as float32 (rows × frames) and its response to a constant.
    public var operatorFloat32: (matrix: [Float], constant: [Float]) {
        (cleaning.matrix.map(Float.init), cleaning.constantResponse.map(Float.init))
    }
}
