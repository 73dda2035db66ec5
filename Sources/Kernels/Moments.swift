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

    /// Adds every value of `values`.
    @inlinable
    public mutating func add(_ values: UnsafeBufferPointer<Float>) {
        guard let base = values.baseAddress, !values.isEmpty else { return }
        if shift == nil, let first = values.first(where: { $0.isFinite }) { shift = Double(first) }
        let s = shift ?? 0
        let n = values.count
        let lanes = 8
        var sum8 = SIMD8<Double>(repeating: 0)
        var sq8 = SIMD8<Double>(repeating: 0)
        var min8 = SIMD8<Float>(repeating: .infinity)
        var max8 = SIMD8<Float>(repeating: -.infinity)
        var nonFinite8 = SIMD8<Int32>(repeating: 0)
        var nan8 = SIMD8<Int32>(repeating: 0)
        let shift8 = SIMD8<Double>(repeating: s)
        var i = 0
        let raw = UnsafeRawPointer(base)
        while i + lanes <= n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let finite = (v - v) .== SIMD8<Float>(repeating: 0)  // false for NaN and ±Inf
            let isNaN = v .!= v
            nonFinite8 &+= SIMD8<Int32>(repeating: 1).replacing(with: 0, where: finite)
            nan8 &+= SIMD8<Int32>(repeating: 0).replacing(with: 1, where: isNaN)
            let clean = SIMD8<Float>(repeating: 0).replacing(with: v, where: finite)
            min8 = pointwiseMin(min8, SIMD8<Float>(repeating: .infinity).replacing(with: v, where: finite))
            max8 = pointwiseMax(max8, SIMD8<Float>(repeating: -.infinity).replacing(with: v, where: finite))
            let kept = SIMD8<Double>(SIMD8<Float>(repeating: 0).replacing(with: 1, where: finite))
            let d = (SIMD8<Double>(clean) - shift8) * kept
            sum8 += d
            sq8 += d * d
            i += lanes
        }
        for lane in 0..<lanes {
            shiftedSum += sum8[lane]
            shiftedSumSquares += sq8[lane]
            minimum = min(minimum, min8[lane])
            maximum = max(maximum, max8[lane])
            infCount += Int(nonFinite8[lane] - nan8[lane])
            nanCount += Int(nan8[lane])
        }
        while i < n {
            addScalar(base[i], shift: s)
            i += 1
        }
        count += n
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
