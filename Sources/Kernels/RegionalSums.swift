/// Per-label sums of a probability map, accumulated in float64 in voxel order (deterministic).
/// NaN is counted and excluded; values outside [0, 1] are counted but kept.
public struct RegionalSums: Sendable, Equatable {
    /// Voxels with a finite value, per label (index = label; 0 is background).
    public var voxels: [Int]
    public var sums: [Double]
    public var nanCount: [Int]
    public var belowZero: [Int]
    public var aboveOne: [Int]

    /// Accumulators for labels 0…maxLabel.
    public init(maxLabel: Int) {
        voxels = Array(repeating: 0, count: maxLabel + 1)
        sums = Array(repeating: 0, count: maxLabel + 1)
        nanCount = Array(repeating: 0, count: maxLabel + 1)
        belowZero = Array(repeating: 0, count: maxLabel + 1)
        aboveOne = Array(repeating: 0, count: maxLabel + 1)
    }

    /// Adds `count` voxels: `values[i]` belongs to label `labels[i]`.
    /// Atlases come in runs of equal labels along x, so a run's end is found 16 labels at a time and
    /// the run is tallied with SIMD, then stored once: per-voxel read-modify-writes of the same
    /// label would chain through memory.
    @inlinable
    public mutating func add(labels: UnsafePointer<UInt16>, values: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i < count {
            let label = labels[i]
            let splat = SIMD16<UInt16>(repeating: label)
            var end = i + 1
            while end + 16 <= count && UnsafeRawPointer(labels + end).loadUnaligned(as: SIMD16<UInt16>.self) == splat {
                end += 16
            }
            while end < count && labels[end] == label { end += 1 }
            store(Tally(values + i, count: end - i), label: Int(label))
            i = end
        }
    }

    /// Total of all labels' sums in label order (the whole map when labels cover it).
    public var total: (voxels: Int, sum: Double, nan: Int, belowZero: Int, aboveOne: Int) {
        (voxels.reduce(0, +), sums.reduce(0, +), nanCount.reduce(0, +), belowZero.reduce(0, +), aboveOne.reduce(0, +))
    }

    /// Adds the voxels `indices` (absolute, sorted) that fall in `first..<first+values.count` to `label`.
    /// Returns the position in `indices` where the next chunk should resume.
    /// Running totals of one region over a stretch of voxels.
    @usableFromInline
    struct Tally {
        @usableFromInline var n = 0, nan = 0, below = 0, above = 0
        @usableFromInline var sum = 0.0

        @inlinable init() {}

        /// Tallies `count` values eight at a time: every value widened to float64 before it is added
        /// (four-lane float64 accumulators), NaN lanes counted and zeroed.
        @inlinable
        init(_ values: UnsafePointer<Float>, count: Int) {
            let raw = UnsafeRawPointer(values)
            var low = SIMD4<Double>(repeating: 0), high = low
            var nanLanes = SIMD8<Int32>(repeating: 0), belowLanes = nanLanes, aboveLanes = nanLanes
            let zero = SIMD8<Float>(repeating: 0), one = SIMD8<Float>(repeating: 1)
            let ones = SIMD8<Int32>(repeating: 1), none = SIMD8<Int32>(repeating: 0)
            var i = 0
            while i + 8 <= count {
                let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                let isNaN = v .!= v
                nanLanes &+= none.replacing(with: ones, where: isNaN)
                belowLanes &+= none.replacing(with: ones, where: v .< zero)
                aboveLanes &+= none.replacing(with: ones, where: v .> one)
                let clean = v.replacing(with: zero, where: isNaN)
                low += SIMD4<Double>(clean.lowHalf)
                high += SIMD4<Double>(clean.highHalf)
                i += 8
            }
            let total = (low + high).sum()
            var tail = Tally()
            while i < count { tail.add(values[i]); i += 1 }
            nan = Int(nanLanes.wrappedSum()) + tail.nan
            below = Int(belowLanes.wrappedSum()) + tail.below
            above = Int(aboveLanes.wrappedSum()) + tail.above
            n = count - nan
            sum = total + tail.sum
        }

        @inlinable @inline(__always)
        mutating func add(_ v: Float) {
            if v.isNaN { nan += 1; return }
            n += 1
            sum += Double(v)
            if v < 0 { below += 1 } else if v > 1 { above += 1 }
        }
    }

    @inlinable
    mutating func store(_ t: Tally, label: Int) {
        voxels[label] += t.n
        sums[label] += t.sum
        nanCount[label] += t.nan
        belowZero[label] += t.below
        aboveOne[label] += t.above
    }

    @inlinable
    public mutating func add(label: Int, indices: UnsafeBufferPointer<Int>, from position: Int,
                             chunkStart first: Int, values: UnsafeBufferPointer<Float>) -> Int {
        var p = position
        let end = first + values.count
        var tally = Tally()
        while p < indices.count && indices[p] < end {
            tally.add(values[indices[p] - first])
            p += 1
        }
        store(tally, label: label)
        return p
    }

    /// Adds every value of `values` to `label`.
    @inlinable
    public mutating func add(_ values: UnsafeBufferPointer<Float>, toLabel label: Int) {
        var tally = Tally()
        for v in values { tally.add(v) }
        store(tally, label: label)
    }
}
