import RealModule

/// Running count, NaN/Inf counts, sum, sum of squares, min and max of Float32 values,
/// accumulated in float64 (about a shift, the first finite value, so variance stays exact
/// for data with a large mean). NaN and ±Inf are counted and left out of the moments.
public struct VoxelMoments: Sendable, Equatable {
    public var count = 0
    public var nanCount = 0
    public var infCount = 0
    public var shift: Double?
    public var shiftedSum = 0.0
    public var shiftedSumSquares = 0.0
    public var minimum = Float.infinity
    public var maximum = -Float.infinity

    public init() {}

    /// Finite values included in the moments.
    public var finiteCount: Int { count - nanCount - infCount }
    public var sum: Double { shiftedSum + Double(finiteCount) * (shift ?? 0) }
    public var mean: Double { finiteCount > 0 ? sum / Double(finiteCount) : .nan }

    /// Sample standard deviation (n − 1 denominator), as fslstats -s.
    public var standardDeviation: Double {
        let n = Double(finiteCount)
        guard n > 1 else { return n == 1 ? 0 : .nan }
        let variance = (shiftedSumSquares - shiftedSum * shiftedSum / n) / (n - 1)
        return max(0, variance).squareRoot()
    }

    /// Values per block: blocks without NaN/Inf (the common case) take the vectorised path.
    @usableFromInline static let blockSize = 4096

    /// Adds every value of `values`.
    @inlinable
    public mutating func add(_ values: UnsafeBufferPointer<Float>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        if shift == nil, let first = values.first(where: { $0.isFinite }) { shift = Double(first) }
        let s = shift ?? 0
        var start = 0
        while start < values.count {
            let n = min(Self.blockSize, values.count - start)
            let block = base + start
            if Self.allFinite(block, n) {
                addFinite(block, n, shift: s)
            } else {
                for i in 0..<n { addScalar(block[i], shift: s) }
            }
            start += n
        }
        count += values.count
    }

    /// True when no value is NaN or ±Inf (exponent bits all ones); integer ops, so it vectorises.
    @inlinable
    static func allFinite(_ p: UnsafePointer<Float>, _ n: Int) -> Bool {
        let raw = UnsafeRawPointer(p)
        let exponent = SIMD8<UInt32>(repeating: 0x7f80_0000)
        var bad = SIMD8<UInt32>(repeating: 0)
        var i = 0
        while i + 8 <= n {
            let bits = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<UInt32>.self)
            bad |= (bits & exponent) &+ SIMD8<UInt32>(repeating: 0x0080_0000) // carries into bit 31 only for all-ones exponents
            i += 8
        }
        var ok = (bad & SIMD8<UInt32>(repeating: 0x8000_0000)) == SIMD8<UInt32>(repeating: 0)
        while i < n { ok = ok && p[i].isFinite; i += 1 }
        return ok
    }

    /// Sum and sum of squares in float64 with relaxed (reassociable) adds so the loop vectorises;
    /// the order is fixed by the compiled code, so results do not vary between runs or thread counts.
    @inlinable
    mutating func addFinite(_ p: UnsafePointer<Float>, _ n: Int, shift s: Double) {
        // Two tight loops over an L1-resident block vectorise better than one mixed loop.
        var sum = 0.0, squares = 0.0
        for i in 0..<n {
            let d = Double(p[i]) - s
            sum = Relaxed.sum(sum, d)
            squares = Relaxed.multiplyAdd(d, d, squares)
        }
        let raw = UnsafeRawPointer(p)
        var lo8 = SIMD8<Float>(repeating: minimum), hi8 = SIMD8<Float>(repeating: maximum)
        var i = 0
        while i + 8 <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            lo8.replace(with: v, where: v .< lo8)
            hi8.replace(with: v, where: v .> hi8)
            i += 8
        }
        var lo = lo8.min(), hi = hi8.max()
        while i < n {
            lo = Swift.min(lo, p[i])
            hi = Swift.max(hi, p[i])
            i += 1
        }
        shiftedSum += sum
        shiftedSumSquares += squares
        minimum = lo
        maximum = hi
    }

    @inlinable
    mutating func addScalar(_ v: Float, shift s: Double) {
        if v.isNaN { nanCount += 1; return }
        if v.isInfinite { infCount += 1; return }
        let d = Double(v) - s
        shiftedSum += d
        shiftedSumSquares += d * d
        minimum = min(minimum, v)
        maximum = max(maximum, v)
    }

    /// Adds `values[i]` for every i in `indices` (the in-mask voxels of a frame).
    @inlinable
    public mutating func add(_ values: UnsafePointer<Float>, at indices: UnsafeBufferPointer<Int>) {
        if shift == nil, let first = indices.lazy.map({ values[$0] }).first(where: { $0.isFinite }) { shift = Double(first) }
        let s = shift ?? 0
        for i in indices { addScalar(values[i], shift: s) }
        count += indices.count
    }
}
