import Foundation
import Kernels
import NIfTI

extension LoadedRun {
    /// What streaming a run's in-mask voxels produced (see `Storage`).
    struct ReadSeries {
        var shift: [Float]
        var nonFinite: [Bool]
        var shifted: [Float]
        var cleaned: [Float]?
        var rawMean: [Float]?
        var rawSD: [Float]?
        var extracted: [Float]
        var extractedColumn: [Int: Int]
        var smoothingNote: String?
    }

    /// Streams `image`'s in-mask voxels after `dummy` volumes, each shifted by its first value, and keeps
    /// them as `storage` asks: shifted as read, or cleaned by `cleaning` on the fly (with the raw series
    /// of the extracted positions and every voxel's raw mean and SD). NaN/Inf voxels are zeroed and flagged.
    static func readSeries(_ image: NIfTIImage, mask: VoxelMask, bold: String, dummy: Int, frames: Int,
                           cleaning: CleaningOperator, storage: Storage, smoothingFWHM: Double?,
                           parallelism: Parallelism) throws -> ReadSeries {
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
        let smoothing = smoothingFWHM.flatMap { $0 > 0 ? $0 : nil }
        /// Runs `image`'s in-mask voxels through `gather(frame, frameBase, positions)`, frame by frame.
        func stream(_ gather: (Int, UnsafePointer<Float>, Range<Int>) -> Void) throws {
            if let fwhm = smoothing {
                // nilearn's maskers smooth the image before masking: whole volumes are smoothed as they
                // stream in (a few at a time, on workers) and then gathered.
                let grid = image.grid
                let smoother = GaussianSmoother(fwhm: fwhm, affine: grid.affine)
                let ring = SmoothingRing(smoother: smoother, grid: grid, parallelism: parallelism)
                var frame = 0
                try image.forEachChunk { _, values in
                    try ring.append(values) { smoothed in gather(frame, smoothed.baseAddress!, 0..<v); frame += 1 }
                }
                try ring.drain { smoothed in gather(frame, smoothed.baseAddress!, 0..<v); frame += 1 }
                let notes = smoother.notes(nonFiniteReplaced: ring.replaced, oblique: grid.affine.isOblique)
                smoothingNote = "\(bold): smoothed at \(fwhm) mm FWHM before cleaning" + (notes.isEmpty ? "" : " (" + notes.joined(separator: "; ") + ")")
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
                    let cleaner = StreamingCleaner(operatorMatrix: matrix, rows: rows, frames: frames, voxels: v, output: y,
                                                   parallelism: parallelism)
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
        if bad.contains(true) {
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
        return ReadSeries(shift: shift, nonFinite: bad, shifted: shifted, cleaned: cleaned, rawMean: rawMean, rawSD: rawSD,
                          extracted: extracted,
                          extractedColumn: Dictionary(uniqueKeysWithValues: (extracting ?? []).enumerated().map { ($1, $0) }),
                          smoothingNote: smoothingNote)
    }
}
