import Foundation

/// Why an ALFF plan cannot be made from the sampling and band given (the stage adds the file name).
public enum ALFFPlanError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidRepetitionTime(Double)
    case invalidBand(low: Double, high: Double)
    case bandAboveNyquist(low: Double, high: Double, nyquist: Double, tr: Double)
    case tooFewVolumes(low: Double, high: Double, tr: Double, volumes: Int, kept: Int, needed: Int?)
    case tooFewKept(kept: Int, volumes: Int)
    case invalidKeptFrames(String)

    public var description: String {
        func band(_ lo: Double, _ hi: Double) -> String { String(format: "%g–%g Hz", lo, hi) }
        switch self {
        case .invalidRepetitionTime(let tr):
            return "the repetition time must be a positive number of seconds, got \(tr)"
        case .invalidBand(let lo, let hi):
            return "the band must be LOW,HIGH in Hz with 0 ≤ LOW < HIGH, got \(lo),\(hi)"
        case .bandAboveNyquist(let lo, let hi, let nyquist, let tr):
            return "band \(band(lo, hi)): its upper edge lies above the Nyquist frequency \(String(format: "%g", nyquist)) Hz of TR \(tr) s"
        case .tooFewVolumes(let lo, let hi, let tr, let volumes, let kept, let needed):
            let censored = kept < volumes ? " (\(kept) kept after censoring)" : ""
            let hint = needed.map { "; at least \($0) volumes are needed" } ?? ""
            return "too few volumes for the band \(band(lo, hi)) at TR \(tr) s: \(volumes) volumes\(censored) "
                + String(format: "give a frequency spacing of %.4g Hz and no frequency bin falls in the band", 1 / (Double(volumes) * tr))
                + hint
        case .tooFewKept(let kept, let volumes):
            return "only \(kept) of \(volumes) volumes are kept after censoring; a spectrum needs at least 3"
        case .invalidKeptFrames(let reason):
            return "invalid kept volumes: \(reason)"
        }
    }
}

/// Everything ALFF needs that depends only on the sampling — frequency grid, band bins and the
/// cos/sin basis whose product with the (centred) data gives every voxel's power spectrum at once.
///
/// Definitions follow XCP-D's `compute_alff` (xcp_d/utils/restingstate.py): without censoring,
/// scipy `signal.periodogram(x, fs, scaling="spectrum")` (one-sided, mean removed); with censoring,
/// scipy `signal.lombscargle(t_kept, x_kept, 2π f, normalize=True)` over the kept volumes on the
/// grid f = linspace(0, fs/2, n//2 + 1)[1:] of the acquired length n. The band is the half-open bin
/// range [argmin|f − low|, argmin|f − high|), and ALFF = 2 · mean(√P over the band) · σ(x).
public struct ALFFPlan: Sendable {
    /// Estimator of the power spectrum.
    public enum Method: String, Sendable { case periodogram, lombScargle = "lomb-scargle" }

    public let repetitionTime: Double
    /// Acquired volumes (the length of the series, censored ones included).
    public let frames: Int
    /// Indices of the volumes used, increasing (all of them without censoring).
    public let kept: [Int]
    public let low: Double
    public let high: Double
    public let method: Method
    /// Frequencies (Hz) of the spectrum bins.
    public let frequencies: [Double]
    /// The bins averaged for ALFF (XCP-D's half-open nearest-bin range).
    public let bandBins: Range<Int>
    /// kept.count × 2·frequencies.count, row-major: for bin f, columns 2f (cos) and 2f+1 (sin),
    /// scaled so that P_f = (x·col₂f)² + (x·col₂f₊₁)² (divided by mean(x²) for Lomb–Scargle).
    public let basis: [Float]

    /// Bins in the spectrum.
    public var binCount: Int { frequencies.count }

    /// A plan for `frames` volumes every `repetitionTime` s, band [low, high] Hz, using the volumes
    /// `kept` (nil or all: periodogram; a strict subset: Lomb–Scargle over those volumes).
    public init(repetitionTime tr: Double, frames n: Int, kept keptFrames: [Int]? = nil, low: Double = 0.01, high: Double = 0.08) throws {
        guard tr > 0, tr.isFinite else { throw ALFFPlanError.invalidRepetitionTime(tr) }
        guard low >= 0, high > low, high.isFinite else { throw ALFFPlanError.invalidBand(low: low, high: high) }
        let kept = keptFrames ?? Array(0..<n)
        guard zip(kept, kept.dropFirst()).allSatisfy({ $0 < $1 }), kept.allSatisfy({ $0 >= 0 && $0 < n }) else {
            throw ALFFPlanError.invalidKeptFrames("indices must be increasing and within 0..<\(n)")
        }
        let fs = 1 / tr
        guard high <= fs / 2 * (1 + 1e-9) else {
            throw ALFFPlanError.bandAboveNyquist(low: low, high: high, nyquist: fs / 2, tr: tr)
        }
        repetitionTime = tr
        frames = n
        self.kept = kept
        self.low = low
        self.high = high
        let method: Method = kept.count == n ? .periodogram : .lombScargle
        let frequencies = Self.frequencies(method, frames: n, tr: tr)
        self.method = method
        self.frequencies = frequencies
        let bins = Self.bandRange(frequencies, low: low, high: high)
        guard kept.count >= 3 else { throw ALFFPlanError.tooFewKept(kept: kept.count, volumes: n) }
        guard Self.hasPositiveBin(frequencies, bins) else {
            // The smallest series length whose grid puts a positive frequency in the band (bounded search).
            let needed = ((n + 1)...max(n + 1, 4096)).first { m in
                let f = Self.frequencies(method, frames: m, tr: tr)
                return Self.hasPositiveBin(f, Self.bandRange(f, low: low, high: high))
            }
            throw ALFFPlanError.tooFewVolumes(low: low, high: high, tr: tr, volumes: n, kept: kept.count, needed: needed)
        }
        bandBins = bins
        basis = method == .periodogram ? Self.periodogramBasis(frames: n, bins: frequencies.count)
                                       : Self.lombScargleBasis(times: kept.map { Double($0) * tr }, frequencies: frequencies)
    }

    /// The frequency grid of each estimator (XCP-D's choices).
    static func frequencies(_ method: Method, frames n: Int, tr: Double) -> [Double] {
        let fs = 1 / tr
        switch method {
        case .periodogram:
            return (0...(n / 2)).map { Double($0) * fs / Double(n) }
        case .lombScargle:
            let m = n / 2
            guard m > 0 else { return [] }
            // numpy.linspace(0, fs/2, m + 1)[1:], including its exact last point.
            let step = 0.5 * fs / Double(m)
            return (1...m).map { $0 == m ? 0.5 * fs : Double($0) * step }
        }
    }

    static func hasPositiveBin(_ f: [Double], _ bins: Range<Int>) -> Bool { f[bins].contains { $0 > 0 } }

    /// [argmin|f − low|, argmin|f − high|): first minimum wins, as numpy's argmin.
    static func bandRange(_ f: [Double], low: Double, high: Double) -> Range<Int> {
        guard !f.isEmpty else { return 0..<0 }
        func nearest(_ x: Double) -> Int { f.indices.min { abs(f[$0] - x) < abs(f[$1] - x) }! }
        let a = nearest(low), b = nearest(high)
        return a < b ? a..<b : a..<a
    }

    /// One-sided "spectrum" periodogram: P_k = s_k |X_k|² / n², s_k = 2 except at DC and (even n) Nyquist.
    static func periodogramBasis(frames n: Int, bins: Int) -> [Float] {
        var basis = [Float](repeating: 0, count: n * 2 * bins)
        for k in 0..<bins {
            let doubled = k > 0 && !(n % 2 == 0 && k == n / 2)
            let scale = (doubled ? 2.0 : 1.0).squareRoot() / Double(n)
            for t in 0..<n {
                // Reduce k·t mod n first so the angle stays exact for long series.
                let angle = 2 * Double.pi * Double((k * t) % n) / Double(n)
                basis[t * 2 * bins + 2 * k] = Float(scale * cos(angle))
                basis[t * 2 * bins + 2 * k + 1] = Float(scale * sin(angle))
            }
        }
        return basis
    }

    /// Normalised Lomb–Scargle (scipy ≥ 1.15, floating_mean=False, uniform weights): with
    /// c = cos(ωt − τ), s = sin(ωt − τ), P = (ȳc² / cc + ȳs² / ss) / mean(y²), bars meaning means
    /// over the K kept samples; the columns hold c / (K√cc) and s / (K√ss).
    static func lombScargleBasis(times: [Double], frequencies: [Double]) -> [Float] {
        let k = times.count, bins = frequencies.count
        let epsneg = Double.ulpOfOne / 2  // numpy finfo(float64).epsneg
        var basis = [Float](repeating: 0, count: k * 2 * bins)
        for (f, hz) in frequencies.enumerated() {
            let omega = 2 * Double.pi * hz
            var cc = 0.0, cs = 0.0
            for t in times {
                let c = cos(omega * t), s = sin(omega * t)
                cc += c * c
                cs += c * s
            }
            cc /= Double(k)
            cs /= Double(k)
            let tau = 0.5 * atan2(2 * cs, cc - (1 - cc))
            var ccTau = 0.0
            for t in times { let c = cos(omega * t - tau); ccTau += c * c }
            ccTau /= Double(k)
            let ssTau = max(1 - ccTau, epsneg)
            ccTau = max(ccTau, epsneg)
            let cScale = 1 / (Double(k) * ccTau.squareRoot()), sScale = 1 / (Double(k) * ssTau.squareRoot())
            for (row, t) in times.enumerated() {
                basis[row * 2 * bins + 2 * f] = Float(cos(omega * t - tau) * cScale)
                basis[row * 2 * bins + 2 * f + 1] = Float(sin(omega * t - tau) * sScale)
            }
        }
        return basis
    }
}
