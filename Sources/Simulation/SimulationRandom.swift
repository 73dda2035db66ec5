import Foundation

/// SplitMix64 with the simulator's own uniform and normal draws, so a seed gives the same study on every
/// platform and Swift version (the standard library's `Double.random(in:using:)` is not promised stable).
struct SimulationRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// An independent stream for one purpose: the keys (participant, run, purpose…) are mixed into the seed,
    /// so what one stream draws never depends on how many draws another made or in which order they ran.
    init(seed: UInt64, keys: [UInt64]) {
        var s = Self.mix(seed ^ 0x5DEE_CE66_D1CE_4E5B)
        for key in keys { s = Self.mix(s ^ Self.mix(key &+ 0x9E37_79B9_7F4A_7C15)) }
        state = s
    }

    /// The study stream for `purpose`, optionally for one participant (1-based) and one run (0-based).
    init(seed: UInt64, _ purpose: RandomPurpose, participant: Int = 0, run: Int = 0) {
        self.init(seed: seed, keys: [purpose.rawValue, UInt64(participant), UInt64(run)])
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func uniform() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// Uniform in [low, high).
    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// An integer in `range`, both ends included (modulo bias is below 2⁻⁵⁰ for the small ranges used here).
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }

    /// A standard normal draw (Box–Muller; the second value is dropped to keep streams simple).
    mutating func normal() -> Double {
        let u1 = max(uniform(), Double.leastNormalMagnitude)
        let u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// A stationary AR(1) series with unit variance: a smooth stand-in for slow BOLD fluctuations.
    mutating func autoregressive(count: Int, rho: Double) -> [Double] {
        var out = [Double](repeating: 0, count: count)
        guard count > 0 else { return out }
        let innovation = (1 - rho * rho).squareRoot()
        out[0] = normal()
        for t in 1..<count { out[t] = rho * out[t - 1] + innovation * normal() }
        return out
    }
}

/// What a random stream is for; the raw value is part of the stream's key, so never renumber a case.
enum RandomPurpose: UInt64 {
    case demographics = 1
    case anatomy = 2
    case nativeTissueNoise = 3
    case templateTissueNoise = 4
    case motion = 5
    case boldSignals = 6
    case boldNoise = 7
    case distractorNoise = 8
    case clinicalEffect = 9
    case t1wNoise = 10
}
