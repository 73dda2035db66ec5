/// How a BOLD series is denoised; the semantics and order of nilearn 0.14's `signal.clean`.
public struct CleaningParameters: Sendable, Equatable, Codable {
    /// Seconds per volume (needed for filtering).
    public var repetitionTime: Double?
    /// Remove the mean and linear trend (signals and confounds).
    public var detrend: Bool
    /// Butterworth cutoffs in Hz (nil: no filter on that side).
    public var highPass: Double?
    public var lowPass: Double?
    public var filterOrder: Int
    /// z-score confounds before projecting them out.
    public var standardizeConfounds: Bool

    public init(repetitionTime: Double? = nil, detrend: Bool = true, highPass: Double? = nil, lowPass: Double? = nil,
                filterOrder: Int = 5, standardizeConfounds: Bool = true) {
        self.repetitionTime = repetitionTime
        self.detrend = detrend
        self.highPass = highPass
        self.lowPass = lowPass
        self.filterOrder = filterOrder
        self.standardizeConfounds = standardizeConfounds
    }

    public var filters: Bool { highPass != nil || lowPass != nil }
}

/// Errors building a cleaning operator.
public enum CleaningError: Error, Equatable, Sendable, CustomStringConvertible {
    case missingRepetitionTime
    case noVolumesLeft(frames: Int)
    case filter(FilterError)

    public var description: String {
        switch self {
        case .missingRepetitionTime: return "filtering needs the repetition time, and the header has none"
        case .noVolumesLeft(let frames): return "every one of the \(frames) volumes is censored"
        case .filter(let e): return e.description
        }
    }
}

/// The whole of `signal.clean` except the final per-voxel standardisation, as one T′×T matrix C
/// (float64, row-major): cleaned = C · raw. Censored volumes are interpolated (not-a-knot cubic spline)
/// before filtering and removed after; detrending and the zero-phase Butterworth filter act on signals
/// and confounds alike; standardised confounds are projected out (pivoted QR); the output is centred.
/// Everything here is linear in the signal, so it is built once per run from unit impulses and then
/// applied to every voxel as one matrix product.
public struct CleaningOperator: Sendable {
    public let inputFrames: Int
    /// Input frame index of every output row (the kept volumes).
    public let outputFrames: [Int]
    /// T′ × T, row-major.
    public let matrix: [Double]
    /// Confound directions projected out (rank after pivoted QR).
    public let confoundRank: Int

    public var rows: Int { outputFrames.count }

    /// Builds the operator for `frames` volumes. `kept`: sorted indices of uncensored volumes (nil: all);
    /// `confounds`: one array of `frames` values per confound column.
    public init(frames: Int, kept: [Int]? = nil, confounds: [[Double]] = [], parameters p: CleaningParameters) throws {
        inputFrames = frames
        let keptFrames = kept ?? Array(0..<frames)
        guard !keptFrames.isEmpty else { throw CleaningError.noVolumesLeft(frames: frames) }
        var sections: [BiquadSection] = []
        if p.filters {
            guard let tr = p.repetitionTime, tr > 0 else { throw CleaningError.missingRepetitionTime }
            do {
                sections = try Butterworth.design(order: p.filterOrder, highPass: p.highPass, lowPass: p.lowPass, samplingRate: 1 / tr)
            } catch let e as FilterError { throw CleaningError.filter(e) }
        }
        let censoring = keptFrames.count < frames
        // Step 1: interpolate censored volumes inside the kept span (filtering) or drop them (no filter).
        let span = censoring && p.filters ? Array(keptFrames.first!...keptFrames.last!) : keptFrames
        var interpolation: [[Double]] = []   // weights over kept frames for each censored frame in `span`
        let keptSet = Set(keptFrames)
        let censoredInSpan = span.filter { !keptSet.contains($0) }
        if !censoredInSpan.isEmpty {
            interpolation = CubicSpline.weights(knots: keptFrames.map(Double.init), queries: censoredInSpan.map(Double.init))
        }
        let keptPosition = Dictionary(uniqueKeysWithValues: keptFrames.enumerated().map { ($1, $0) })
        let censoredRow = Dictionary(uniqueKeysWithValues: censoredInSpan.enumerated().map { ($1, $0) })

        /// Steps 1–4 on one series of `frames` values → the series on the kept volumes.
        func process(_ raw: [Double]) throws -> [Double] {
            var x = span.map { f -> Double in
                if let r = censoredRow[f] { return zip(interpolation[r], keptFrames).reduce(0) { $0 + $1.0 * raw[$1.1] } }
                return raw[f]
            }
            if p.detrend { x = Self.detrended(x) }
            if !sections.isEmpty {
                do { x = try Butterworth.filtfilt(x, sections) } catch let e as FilterError { throw CleaningError.filter(e) }
                if censoring { x = keptFrames.map { x[$0 - span[0]] } }
            }
            return x
        }

        // Confound basis on the kept volumes.
        var basis: [[Double]] = []
        if !confounds.isEmpty {
            var cleaned = try confounds.map(process)
            if p.standardizeConfounds {
                cleaned = cleaned.map(Self.zscored)
            } else {
                cleaned = cleaned.map { c in
                    let m = c.map(abs).max() ?? 0
                    return m == 0 ? c : c.map { $0 / m }
                }
            }
            basis = PivotedQR.orthonormalBasis(columns: cleaned, rows: keptFrames.count)
        }
        confoundRank = basis.count
        let out = keptFrames.count
        var m = [Double](repeating: 0, count: out * frames)
        var impulse = [Double](repeating: 0, count: frames)
        for j in 0..<frames {
            // Volumes outside the kept span never reach the output.
            if keptPosition[j] == nil && (censoredRow[j] == nil) {
                continue
            }
            impulse[j] = 1
            var column = try process(impulse)
            impulse[j] = 0
            for q in basis {
                var dot = 0.0
                for i in 0..<out { dot += q[i] * column[i] }
                for i in 0..<out { column[i] -= dot * q[i] }
            }
            let mean = column.reduce(0, +) / Double(out)
            for i in 0..<out { m[i * frames + j] = column[i] - mean }
        }
        outputFrames = keptFrames
        matrix = m
        isCentringOnly = !p.detrend && !p.filters && confounds.isEmpty && !censoring
    }

    /// True when C only removes the mean (no detrending, filtering, confounds or censoring).
    public let isCentringOnly: Bool

    /// C · x for one series of `inputFrames` values.
    public func apply(_ x: [Double]) -> [Double] {
        precondition(x.count == inputFrames, "series length \(x.count) ≠ \(inputFrames)")
        return (0..<rows).map { r in
            var s = 0.0
            for j in 0..<inputFrames { s += matrix[r * inputFrames + j] * x[j] }
            return s
        }
    }

    /// C · 1: the operator's response to a constant series (zero when detrending or high-pass filtering).
    public var constantResponse: [Double] {
        (0..<rows).map { r in (0..<inputFrames).reduce(0) { $0 + matrix[r * inputFrames + $1] } }
    }

    /// x minus its mean and least-squares linear trend (nilearn `_detrend`).
    static func detrended(_ x: [Double]) -> [Double] {
        let n = x.count
        guard n > 1 else { return x }
        let mean = x.reduce(0, +) / Double(n)
        let centreIndex = Double(n - 1) / 2
        var r = (0..<n).map { Double($0) - centreIndex }
        let norm = (r.reduce(0) { $0 + $1 * $1 }).squareRoot()
        if norm >= Double.ulpOfOne { r = r.map { $0 / norm } }
        let y = x.map { $0 - mean }
        let dot = zip(r, y).reduce(0) { $0 + $1.0 * $1.1 }
        return zip(y, r).map { $0 - dot * $1 }
    }

    /// Mean removed and divided by the sample standard deviation (ddof 1); sd < ε is left at 1.
    public static func zscored(_ x: [Double]) -> [Double] {
        let n = Double(x.count)
        let mean = x.reduce(0, +) / n
        let centred = x.map { $0 - mean }
        var sd = (centred.reduce(0) { $0 + $1 * $1 } / max(n - 1, 1)).squareRoot()
        if sd < Double.ulpOfOne { sd = 1 }
        return centred.map { $0 / sd }
    }
}
