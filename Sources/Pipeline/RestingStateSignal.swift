import Foundation
import Kernels
import NIfTI

/// The in-mask BOLD signal that ALFF and ReHo consume: a volumes × voxels matrix, the TR, and
/// which acquired volumes survive censoring.
///
/// Cleaning seam: `load` reads and validates, then calls `interimClean` (linear detrend and mean
/// removal over the kept volumes). Issue 4's `signal.clean` (confounds, strategy, FD censoring,
/// filters) replaces that one call; it may either keep every row and set `kept`, or drop the
/// censored rows and set `rowsAreKeptOnly` — the ALFF and ReHo stages accept both.
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

    public init(series: MaskedSeries, repetitionTime: Double, acquiredFrames: Int, kept: [Int],
                rowsAreKeptOnly: Bool, cleaning: JSONValue) {
        self.series = series
        self.repetitionTime = repetitionTime
        self.acquiredFrames = acquiredFrames
        self.kept = kept
        self.rowsAreKeptOnly = rowsAreKeptOnly
        self.cleaning = cleaning
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

    /// Reads `bold` within `mask`, checks them (4D, matching grids, non-empty mask, finite values,
    /// a TR), applies the censoring in `sampleMask` (one 1/0 per volume: keep/censor) and the
    /// interim cleaning. `minimumFrames` is what the caller's measure needs.
    public static func load(bold: String, mask maskPath: String, repetitionTime: Double? = nil,
                            sampleMask: String? = nil, minimumFrames: Int, purpose: String) throws -> RestingStateSignal {
        let image = try NIfTIImage(path: bold)
        let maskImage = try NIfTIImage(path: maskPath)
        try maskImage.requireGrid(image.grid, referencePath: bold)
        let mask = try maskImage.readMask()
        guard !mask.isEmpty else { throw SpatialError.emptyMask(path: maskPath) }
        let frames = image.header.frames
        guard frames >= minimumFrames else {
            throw SpatialError.notFourD(path: bold, frames: frames, needed: minimumFrames, purpose: purpose)
        }
        guard let tr = repetitionTime ?? image.header.repetitionTime.flatMap({ $0 > 0 ? $0 : nil }) else {
            throw SpatialError.missingRepetitionTime(path: bold)
        }
        let kept = try sampleMask.map { try readSampleMask($0, frames: frames) } ?? Array(0..<frames)
        guard kept.count >= minimumFrames else {
            throw SpatialError.tooFewVolumes(path: sampleMask ?? bold,
                                             detail: "\(kept.count) of \(frames) volumes kept after censoring; \(purpose) needs at least \(minimumFrames)")
        }
        var series = try image.readMasked(mask)
        try requireFinite(series, path: bold)
        interimClean(&series, kept: kept, repetitionTime: tr)
        let keptSet = Set(kept)
        let cleaning: JSONValue = .object([
            ("Detrend", .string("linear, fitted on the kept volumes")),
            ("MeanRemoved", .bool(true)),
            ("ConfoundRegression", .bool(false)),
            ("Filtering", .bool(false)),
            ("CensoredVolumes", .ints((0..<frames).filter { !keptSet.contains($0) })),
            ("SampleMask", sampleMask.map { .string($0) } ?? .null),
        ])
        return RestingStateSignal(series: series, repetitionTime: tr, acquiredFrames: frames, kept: kept,
                                  rowsAreKeptOnly: false, cleaning: cleaning)
    }

    /// Removes from every volume the least-squares line a + b·t fitted on the kept volumes
    /// (so the kept samples have zero mean and no linear trend), per voxel, in float64.
    public static func interimClean(_ series: inout MaskedSeries, kept: [Int], repetitionTime: Double) {
        let v = series.voxels
        let n = Double(kept.count)
        let tMean = kept.reduce(0.0) { $0 + Double($1) } / n
        let tVar = kept.reduce(0.0) { $0 + (Double($1) - tMean) * (Double($1) - tMean) }
        var mean = [Double](repeating: 0, count: v), slope = [Double](repeating: 0, count: v)
        series.values.withUnsafeMutableBufferPointer { x in
            for t in kept {
                let row = x.baseAddress! + t * v
                let dt = Double(t) - tMean
                for i in 0..<v { mean[i] += Double(row[i]); slope[i] += dt * Double(row[i]) }
            }
            for i in 0..<v { mean[i] /= n; slope[i] = tVar > 0 ? slope[i] / tVar : 0 }
            for t in 0..<series.frames {
                let row = x.baseAddress! + t * v
                let dt = Double(t) - tMean
                for i in 0..<v { row[i] = Float(Double(row[i]) - mean[i] - slope[i] * dt) }
            }
        }
    }

    /// Throws naming the first NaN/Inf in the in-mask series.
    static func requireFinite(_ series: MaskedSeries, path: String) throws {
        var count = 0, first: Int?
        for (i, x) in series.values.enumerated() where !x.isFinite {
            count += 1
            if first == nil { first = i }
        }
        guard let first else { return }
        let (frame, p) = first.quotientAndRemainder(dividingBy: series.voxels)
        let (i, j, k) = series.mask.grid.coordinates(of: series.mask.indices[p])
        throw SpatialError.nonFinite(path: path, count: count, voxel: [i, j, k], frame: frame)
    }

    /// A sample mask file: one number per volume, 1 = keep and 0 = censor (whitespace, comma or
    /// newline separated; `#` starts a comment). Returns the kept indices.
    static func readSampleMask(_ path: String, frames: Int) throws -> [Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SpatialError.badSampleMask(path: path, reason: "cannot read the file")
        }
        let tokens = text.split(separator: "\n").flatMap { line in
            line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map {
                $0.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" })
            } ?? []
        }
        guard tokens.count == frames else {
            throw SpatialError.badSampleMask(path: path, reason: "\(tokens.count) values for \(frames) volumes")
        }
        var kept: [Int] = []
        for (t, token) in tokens.enumerated() {
            switch token {
            case "1", "1.0", "true": kept.append(t)
            case "0", "0.0", "false": break
            default: throw SpatialError.badSampleMask(path: path, reason: "value \"\(token)\" for volume \(t) is not 1 (keep) or 0 (censor)")
            }
        }
        return kept
    }
}
