import Foundation

/// Fisher's z = atanh(r), and its average over runs — shared by seed maps and connectivity matrices.
public enum FisherZ {
    /// |r| is capped below 1 so z stays finite (a one-voxel seed correlates perfectly with itself).
    public static let maximumR: Float = 1 - 1e-7

    /// atanh of r clamped to ±`maximumR`.
    public static func z(_ r: Float) -> Float { atanh(min(maximumR, max(-maximumR, r))) }

    /// atanh of r clamped to ±`maximumR` (float64).
    public static func z(_ r: Double) -> Double { atanh(max(-Double(maximumR), min(Double(maximumR), r))) }
}

/// Sums z values over runs, per element, counting the runs where each element was valid; the mean is
/// taken in float64 in run order, so the result does not depend on how runs were scheduled.
struct FisherZAccumulator {
    private(set) var sums: [[Double]]
    private(set) var counts: [Int]

    /// `maps` accumulators (e.g. one per seed) of `count` elements each.
    init(maps: Int, count: Int) {
        sums = Array(repeating: [Double](repeating: 0, count: count), count: maps)
        counts = [Int](repeating: 0, count: count)
    }

    /// Adds one run's maps; an element is valid where `valid(element)` holds (the same for every map).
    mutating func add(_ maps: [[Float]], valid: (Int) -> Bool) {
        for p in counts.indices where valid(p) {
            for m in maps.indices { sums[m][p] += Double(maps[m][p]) }
            counts[p] += 1
        }
    }

    /// Adds one run's float64 values, all valid.
    mutating func add(_ values: [Double]) {
        for p in counts.indices {
            sums[0][p] += values[p]
            counts[p] += 1
        }
    }

    /// The mean of map `m` per element; `empty` where no run was valid.
    func mean(_ m: Int, empty: Double) -> [Double] {
        counts.indices.map { counts[$0] > 0 ? sums[m][$0] / Double(counts[$0]) : empty }
    }

    /// Elements valid in no run.
    var neverValid: Int { counts.filter { $0 == 0 }.count }
}
