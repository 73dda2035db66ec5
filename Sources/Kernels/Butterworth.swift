import ComplexModule
import Foundation

/// One second-order section, normalised so that a0 = 1: H(z) = (b0 + b1 z⁻¹ + b2 z⁻²) / (1 + a1 z⁻¹ + a2 z⁻²).
public struct BiquadSection: Sendable, Equatable {
    public var b0, b1, b2, a1, a2: Double
}

/// Errors in filter parameters.
public enum FilterError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidBand(low: Double?, high: Double?, nyquist: Double)
    case tooShort(length: Int, padding: Int)

    public var description: String {
        switch self {
        case .invalidBand(let low, let high, let nyquist):
            return "invalid band: high-pass \(high.map { "\($0) Hz" } ?? "none"), low-pass \(low.map { "\($0) Hz" } ?? "none") (Nyquist \(nyquist) Hz); need 0 < high-pass < low-pass"
        case .tooShort(let length, let padding):
            return "the series has \(length) samples; zero-phase filtering needs more than \(padding) (3 × filter taps)"
        }
    }
}

/// Digital Butterworth filters as `scipy.signal.butter(N, Wn, btype, output="sos", fs=…)` designs them
/// (analogue prototype, frequency transform with pre-warping, bilinear transform), and zero-phase
/// filtering as `scipy.signal.sosfiltfilt` with odd padding — the filter nilearn's `signal.clean` uses.
public enum Butterworth {
    /// Second-order sections for a high-pass (`highPass` only), low-pass (`lowPass` only) or band-pass filter.
    /// Cutoffs at or above Nyquist are lowered just below it, as nilearn does.
    /// The cutoff the filter uses for `f`: `f`, or just below Nyquist when `f` is at or above it (nilearn).
    public static func appliedCutoff(_ f: Double, samplingRate fs: Double) -> Double {
        let nyquist = fs / 2
        return f >= nyquist ? nyquist - nyquist * 10 * Double(Float.ulpOfOne) : f
    }

    public static func design(order: Int = 5, highPass: Double?, lowPass: Double?, samplingRate fs: Double) throws -> [BiquadSection] {
        let nyquist = fs / 2
        let high = highPass.map { appliedCutoff($0, samplingRate: fs) }, low = lowPass.map { appliedCutoff($0, samplingRate: fs) }
        if let h = high, h <= 0 { throw FilterError.invalidBand(low: lowPass, high: highPass, nyquist: nyquist) }
        if let h = high, let l = low, h >= l { throw FilterError.invalidBand(low: lowPass, high: highPass, nyquist: nyquist) }
        guard high != nil || low != nil else { return [] }

        // Pre-warped analogue frequencies (scipy works on a normalised fs of 2).
        func warp(_ f: Double) -> Double { 4 * tan(Double.pi * (2 * f / fs) / 2) }
        let n = order
        let prototype: [Complex<Double>] = stride(from: -n + 1, to: n, by: 2).map {
            -Complex(length: 1, phase: Double.pi * Double($0) / Double(2 * n))
        }
        var zeros: [Complex<Double>] = []
        var poles: [Complex<Double>]
        var gain: Double
        switch (high, low) {
        case (nil, let l?):
            let wo = warp(l)
            poles = prototype.map { $0 * Complex(wo) }
            gain = pow(wo, Double(n))
        case (let h?, nil):
            let wo = warp(h)
            poles = prototype.map { Complex(wo) / $0 }
            zeros = Array(repeating: .zero, count: n)
            gain = 1 / prototype.reduce(Complex<Double>.one) { $0 * -$1 }.real
        case (let h?, let l?):
            let (w1, w2) = (warp(h), warp(l))
            let bw = w2 - w1, wo = (w1 * w2).squareRoot()
            let scaled = prototype.map { $0 * Complex(bw / 2) }
            let root = scaled.map { Complex.sqrt($0 * $0 - Complex(wo * wo)) }
            poles = zip(scaled, root).map { $0 + $1 } + zip(scaled, root).map { $0 - $1 }
            zeros = Array(repeating: .zero, count: n)
            gain = pow(bw, Double(n))
        default:
            return []
        }
        // Bilinear transform (fs = 2, so 2·fs = 4); missing zeros go to z = −1.
        let four = Complex<Double>(4)
        let digitalZeros = zeros.map { (four + $0) / (four - $0) } + Array(repeating: Complex(-1), count: poles.count - zeros.count)
        let digitalPoles = poles.map { (four + $0) / (four - $0) }
        let num = zeros.reduce(Complex<Double>.one) { $0 * (four - $1) }
        let den = poles.reduce(Complex<Double>.one) { $0 * (four - $1) }
        gain *= (num / den).real
        return sections(zeros: digitalZeros, poles: digitalPoles, gain: gain)
    }

    /// Pairs conjugate poles into sections (real poles into first-order sections), each with two zeros
    /// (one at +1 and one at −1 when both occur). The cascade's transfer function is what matters.
    static func sections(zeros: [Complex<Double>], poles: [Complex<Double>], gain: Double) -> [BiquadSection] {
        var realZeros = zeros.map(\.real).sorted()  // Butterworth zeros are ±1
        let complexPoles = poles.filter { $0.imaginary > 1e-12 }.sorted { $0.real < $1.real }
        let realPoles = poles.filter { abs($0.imaginary) <= 1e-12 }.map(\.real).sorted()
        var out: [BiquadSection] = []
        func takeZeroPair() -> (Double, Double) {
            // Prefer one zero at +1 and one at −1 when both remain.
            if let plus = realZeros.lastIndex(where: { $0 > 0 }), let minus = realZeros.firstIndex(where: { $0 < 0 }) {
                let a = realZeros[plus], b = realZeros[minus]
                realZeros.remove(at: plus)
                realZeros.remove(at: minus)
                return (a, b)
            }
            let a = realZeros.removeLast(), b = realZeros.removeLast()
            return (a, b)
        }
        for p in complexPoles {
            let (z1, z2) = takeZeroPair()
            out.append(BiquadSection(b0: 1, b1: -(z1 + z2), b2: z1 * z2, a1: -2 * p.real, a2: p.lengthSquared))
        }
        var pending = realPoles
        while pending.count >= 2 {
            let p1 = pending.removeFirst(), p2 = pending.removeFirst()
            let (z1, z2) = takeZeroPair()
            out.append(BiquadSection(b0: 1, b1: -(z1 + z2), b2: z1 * z2, a1: -(p1 + p2), a2: p1 * p2))
        }
        if let p = pending.first {
            let z = realZeros.removeLast()
            out.append(BiquadSection(b0: 1, b1: -z, b2: 0, a1: -p, a2: 0))
        }
        out[0].b0 *= gain
        out[0].b1 *= gain
        out[0].b2 *= gain
        return out
    }

    /// Padding `sosfiltfilt` uses: 3 × (2 · sections + 1 − first-order sections).
    public static func padLength(_ sections: [BiquadSection]) -> Int {
        let firstOrder = min(sections.filter { $0.b2 == 0 }.count, sections.filter { $0.a2 == 0 }.count)
        return 3 * (2 * sections.count + 1 - firstOrder)
    }

    /// Zero-phase filtering of `x` (forward and backward passes, odd extension, steady-state initial
    /// conditions), as `scipy.signal.sosfiltfilt(sos, x, padtype="odd")`.
    public static func filtfilt(_ x: [Double], _ sections: [BiquadSection]) throws -> [Double] {
        guard !sections.isEmpty else { return x }
        let pad = padLength(sections)
        guard x.count > pad else { throw FilterError.tooShort(length: x.count, padding: pad) }
        let n = x.count
        var ext = [Double](repeating: 0, count: n + 2 * pad)
        for i in 0..<pad { ext[i] = 2 * x[0] - x[pad - i] }
        for i in 0..<n { ext[pad + i] = x[i] }
        for i in 0..<pad { ext[pad + n + i] = 2 * x[n - 1] - x[n - 2 - i] }
        let zi = steadyState(sections)
        var y = run(ext, sections, zi: zi, scale: ext[0])
        y.reverse()
        var back = run(y, sections, zi: zi, scale: y[0])
        back.reverse()
        return Array(back[pad..<(pad + n)])
    }

    /// Per-section initial states for a unit step (`scipy.signal.sosfilt_zi`).
    static func steadyState(_ sections: [BiquadSection]) -> [(Double, Double)] {
        var scale = 1.0
        return sections.map { s in
            // lfilter_zi for a biquad: solve (I − companion(a)ᵀ) zi = b[1:] − a[1:]·b0.
            let (r0, r1) = (s.b1 - s.a1 * s.b0, s.b2 - s.a2 * s.b0)
            let det = (1 + s.a1) * 1 - (-1) * s.a2
            let z0 = (r0 * 1 - (-1) * r1) / det
            let z1 = ((1 + s.a1) * r1 - s.a2 * r0) / det
            defer { scale *= (s.b0 + s.b1 + s.b2) / (1 + s.a1 + s.a2) }
            return (scale * z0, scale * z1)
        }
    }

    /// Direct form II transposed cascade (`scipy.signal.sosfilt`) from states `zi · scale`.
    static func run(_ x: [Double], _ sections: [BiquadSection], zi: [(Double, Double)], scale: Double) -> [Double] {
        var states = zi.map { ($0.0 * scale, $0.1 * scale) }
        var out = x
        for i in 0..<out.count {
            var v = out[i]
            for s in 0..<sections.count {
                let c = sections[s]
                let y = c.b0 * v + states[s].0
                states[s].0 = c.b1 * v - c.a1 * y + states[s].1
                states[s].1 = c.b2 * v - c.a2 * y
                v = y
            }
            out[i] = v
        }
        return out
    }
}
