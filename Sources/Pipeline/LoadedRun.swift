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
                            minimumKept: Int = 10, storage: Storage = .shifted) throws -> LoadedRun {
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

        // The in-mask series, shifted by each voxel's first value: kept as is, or cleaned on the fly.
        let v = mask.count
        let extracting: [Int]?
        if case .cleaned(let positions) = storage, !cleaning.isCentringOnly {
            extracting = Array(Set(positions)).sorted()
        } else {
            extracting = nil
        }
        var shift = [Float](repeating: 0, count: v)
        var bad = [Bool](repeating: false, count: v)
        var shifted: [Float] = []
        var cleaned: [Float]?
        var extracted: [Float] = []
        var rawSum: [Float] = [], rawSquares: [Float] = []
        var smoothingNote: String?
        let smoothing = options.smoothingFWHM.flatMap { $0 > 0 ? $0 : nil }
        /// Runs `image`'s in-mask voxels through `gather(frame, frameBase, positions)`, frame by frame.
        func stream(_ gather: (Int, UnsafePointer<Float>, Range<Int>) -> Void) throws {
            if let fwhm = smoothing {
                // nilearn's maskers smooth the image before masking: whole volumes are smoothed as they
                // stream in (a few at a time, on workers) and then gathered.
                let grid = image.grid
                let smoother = GaussianSmoother(fwhm: fwhm, affine: grid.affine)
                let ring = SmoothingRing(smoother: smoother, grid: grid)
                var frame = 0
                try image.forEachChunk { _, values in
                    try ring.append(values) { smoothed in gather(frame, smoothed.baseAddress!, 0..<v); frame += 1 }
                }
                try ring.drain { smoothed in gather(frame, smoothed.baseAddress!, 0..<v); frame += 1 }
                let report = SmoothingStage.Report(smoother: smoother, frames: frame, nonFiniteReplaced: ring.replaced,
                                                   oblique: grid.affine.isOblique)
                smoothingNote = "\(run.bold): smoothed at \(fwhm) mm FWHM before cleaning" + (report.notes.isEmpty ? "" : " (" + report.notes.joined(separator: "; ") + ")")
            } else {
                try image.forEachMaskedPiece(mask) { frame, frameBase, positions in gather(frame, frameBase, positions) }
            }
        }
        // Raw buffers throughout: captured `var` arrays would pay a dynamic exclusivity check per voxel.
        try mask.indices.withUnsafeBufferPointer { idx in
        try shift.withUnsafeMutableBufferPointer { shift in
        try bad.withUnsafeMutableBufferPointer { bad in
            /// Writes the shifted in-mask voxels at `positions` of frame `t` to `row` (0 for NaN/Inf).
            func store(_ t: Int, _ frameBase: UnsafePointer<Float>, _ positions: Range<Int>, _ row: UnsafeMutablePointer<Float>) {
                if t == 0 {
                    for p in positions {
                        let x = frameBase[idx[p]]
                        if x.isFinite { shift[p] = x } else { bad[p] = true }
                        row[p] = 0
                    }
                } else {
                    for p in positions {
                        let x = frameBase[idx[p]]
                        if x.isFinite { row[p] = x - shift[p] } else { row[p] = 0; bad[p] = true }
                    }
                }
            }
            if let extracting {
                let rows = cleaning.rows, u = extracting.count
                extracted = [Float](repeating: 0, count: frames * u)
                rawSum = [Float](repeating: 0, count: v)
                rawSquares = [Float](repeating: 0, count: v)
                let matrix = cleaning.matrix.map(Float.init)
                cleaned = try [Float](unsafeUninitializedCapacity: rows * v) { y, count in
                    count = rows * v
                    let cleaner = StreamingCleaner(operatorMatrix: matrix, rows: rows, frames: frames, voxels: v, output: y)
                    try extracting.withUnsafeBufferPointer { columns in
                    try extracted.withUnsafeMutableBufferPointer { kept in
                    try rawSum.withUnsafeMutableBufferPointer { sum in
                    try rawSquares.withUnsafeMutableBufferPointer { squares in
                        try stream { frame, frameBase, positions in
                            guard frame >= dummy else { return }
                            let t = frame - dummy
                            let row = cleaner.row(t)
                            store(t, frameBase, positions, row)
                            for p in positions {
                                let x = row[p]
                                sum[p] += x
                                squares[p] += x * x
                            }
                            guard positions.upperBound == v else { return }
                            let out = kept.baseAddress! + t * u
                            for j in 0..<u { out[j] = row[columns[j]] }
                            cleaner.frameDone(t)
                        }
                    } } } }
                    cleaner.finish()
                }
            } else {
                // Every element is written (row 0 explicitly zero), so skip a 200 MB zero fill.
                shifted = [Float](unsafeUninitializedCapacity: frames * v) { _, count in count = frames * v }
                try shifted.withUnsafeMutableBufferPointer { out in
                    try stream { frame, frameBase, positions in
                        guard frame >= dummy else { return }
                        let t = frame - dummy
                        store(t, frameBase, positions, out.baseAddress! + t * v)
                    }
                }
            }
        } } }
        if let smoothingNote { notes.append(smoothingNote) }
        let nonFinite = bad.filter { $0 }.count
        if nonFinite > 0 {
            for p in 0..<v where bad[p] {
                shift[p] = 0
                if cleaned == nil {
                    for t in 0..<frames { shifted[t * v + p] = 0 }
                } else {
                    for t in 0..<cleaning.rows { cleaned![t * v + p] = 0 }
                    rawSum[p] = 0
                    rawSquares[p] = 0
                }
            }
        }
        var rawMean: [Float]?, rawSD: [Float]?
        if cleaned != nil {
            let constant = cleaning.constantResponse.map(Float.init)
            if constant.contains(where: { abs($0) > 1e-6 }) {
                for t in 0..<cleaning.rows { for p in 0..<v { cleaned![t * v + p] += constant[t] * shift[p] } }
            }
            let n = Float(frames)
            rawMean = (0..<v).map { shift[$0] + rawSum[$0] / n }
            rawSD = (0..<v).map { (max(0, rawSquares[$0] - rawSum[$0] * rawSum[$0] / n) / max(n - 1, 1)).squareRoot() }
        }
        let qc = RunQC(bold: run.bold, volumes: volumes, dummyScans: dummy, keptVolumes: kept.count,
                       motionOutliers: motionOutliers, nonSteadyStateVolumes: nonSteady.count, repetitionTime: parameters.repetitionTime,
                       meanFD: meanFD, maxFD: maxFD, confoundColumns: names, confoundRank: cleaning.confoundRank,
                       nonFiniteVoxels: nonFinite, notes: notes)
        var loaded = LoadedRun(run: run, mask: mask, frames: frames, shifted: shifted, shift: shift, cleaned: cleaned,
                               rawMean: rawMean, rawSD: rawSD, nonFinite: bad, cleaning: cleaning, qc: qc)
        if let extracting {
            loaded.extracted = extracted
            loaded.extractedColumn = Dictionary(uniqueKeysWithValues: extracting.enumerated().map { ($1, $0) })
        }
        return loaded
    }

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

