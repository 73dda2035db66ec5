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
    /// Atlases come in runs of equal labels along x, so a run is summed in registers and stored
    /// once: per-voxel read-modify-writes of the same label would chain through memory.
    @inlinable
    public mutating func add(labels: UnsafePointer<UInt16>, values: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i < count {
            let label = labels[i]
            var tally = Tally()
            while i < count && labels[i] == label {
                tally.add(values[i])
                i += 1
            }
            store(tally, label: Int(label))
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
