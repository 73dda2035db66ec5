/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011): a
/// counter-based generator. Block `counter` under `key` is a pure function of the two, so the
/// random stream of a permutation depends only on (seed, permutation index) — not on which
/// thread, chunk or process draws it.
public struct Philox4x32: Sendable {
    public let key: (UInt32, UInt32)

    public init(key: (UInt32, UInt32)) { self.key = key }

    /// The 4×32-bit output block for a 128-bit counter.
    @inlinable
    public func block(_ counter: (UInt32, UInt32, UInt32, UInt32)) -> (UInt32, UInt32, UInt32, UInt32) {
        var c = counter
        var k = key
        for round in 0..<10 {
            if round > 0 {
                k.0 &+= 0x9E37_79B9
                k.1 &+= 0xBB67_AE85
            }
            let p0 = UInt64(0xD251_1F53) &* UInt64(c.0)
            let p1 = UInt64(0xCD9E_8D57) &* UInt64(c.2)
            c = (UInt32(truncatingIfNeeded: p1 >> 32) ^ c.1 ^ k.0, UInt32(truncatingIfNeeded: p1),
                 UInt32(truncatingIfNeeded: p0 >> 32) ^ c.3 ^ k.1, UInt32(truncatingIfNeeded: p0))
        }
        return c
    }
}

/// The random stream of one permutation: Philox keyed by the seed, counter (permutation, draw).
public struct PermutationStream: Sendable {
    let philox: Philox4x32
    let permutation: UInt64
    var draw: UInt64 = 0
    var buffered: UInt64 = 0
    var hasBuffered = false

    public init(seed: UInt64, permutation: Int) {
        philox = Philox4x32(key: (UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
        self.permutation = UInt64(permutation)
    }

    /// The next 64 random bits (two per Philox block).
    public mutating func next() -> UInt64 {
        if hasBuffered { hasBuffered = false; return buffered }
        let b = philox.block((UInt32(truncatingIfNeeded: draw), UInt32(truncatingIfNeeded: draw >> 32),
                              UInt32(truncatingIfNeeded: permutation), UInt32(truncatingIfNeeded: permutation >> 32)))
        draw += 1
        buffered = UInt64(b.2) << 32 | UInt64(b.3)
        hasBuffered = true
        return UInt64(b.0) << 32 | UInt64(b.1)
    }

    /// A uniform integer in 0..<bound, without modulo bias (Lemire's multiply-and-reject).
    public mutating func uniform(below bound: Int) -> Int {
        let s = UInt64(bound)
        var m = next().multipliedFullWidth(by: s)
        if m.low < s {
            let threshold = (0 &- s) % s
            while m.low < threshold { m = next().multipliedFullWidth(by: s) }
        }
        return Int(m.high)
    }
}

/// The resamplings of a permutation test. Index 0 is the identity (the observed data);
/// indices 1…N are random draws, each a pure function of (seed, index).
public enum Resampling {
    /// Permutation `index` of 0..<n (Fisher–Yates): participant i takes the residual of row π[i].
    public static func permutation(count n: Int, seed: UInt64, index: Int) -> [Int] {
        var pi = Array(0..<n)
        guard index > 0 else { return pi }
        var stream = PermutationStream(seed: seed, permutation: index)
        for i in stride(from: n - 1, to: 0, by: -1) {
            pi.swapAt(i, stream.uniform(below: i + 1))
        }
        return pi
    }

    /// Sign flip `index`: ±1 for each of n participants.
    public static func signs(count n: Int, seed: UInt64, index: Int) -> [Double] {
        guard index > 0 else { return [Double](repeating: 1, count: n) }
        var stream = PermutationStream(seed: seed, permutation: index)
        var out: [Double] = []
        out.reserveCapacity(n)
        var bits = 0 as UInt64, left = 0
        for _ in 0..<n {
            if left == 0 { bits = stream.next(); left = 64 }
            out.append(bits & 1 == 0 ? 1 : -1)
            bits >>= 1
            left -= 1
        }
        return out
    }
}
