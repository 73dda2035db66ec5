/// Permutation maxima and exceedance counts for one range of tested measures and one range of
/// permutations: what one chunk of a split run produces.
public struct PermutationPartial: Sendable, Equatable {
    /// Tested-measure positions covered (`ObservedFit.tested` order).
    public var measures: Range<Int>
    /// Permutation indices covered (1…N; 0 is the identity, never part of a partial).
    public var permutations: Range<Int>
    /// For each permutation in range: the largest compared statistic over `measures`.
    public var maxima: [Float]
    /// For each measure in range: how many permutations in range reached its observed statistic.
    public var exceedances: [UInt32]
    /// The same for TFCE scores (runs with TFCE only; always over every measure).
    public var tfceMaxima: [Float]?
    public var tfceExceedances: [UInt32]?
    /// For each permutation in range: the largest cluster size and mass (runs with cluster inference only).
    public var clusterSizeMaxima: [Float]?
    public var clusterMassMaxima: [Float]?

    public init(measures: Range<Int>, permutations: Range<Int>, maxima: [Float], exceedances: [UInt32],
                tfceMaxima: [Float]? = nil, tfceExceedances: [UInt32]? = nil,
                clusterSizeMaxima: [Float]? = nil, clusterMassMaxima: [Float]? = nil) {
        precondition(maxima.count == permutations.count && exceedances.count == measures.count, "one maximum per permutation, one count per measure")
        self.measures = measures
        self.permutations = permutations
        self.maxima = maxima
        self.exceedances = exceedances
        self.tfceMaxima = tfceMaxima
        self.tfceExceedances = tfceExceedances
        self.clusterSizeMaxima = clusterSizeMaxima
        self.clusterMassMaxima = clusterMassMaxima
    }
}

/// Errors combining chunk results.
public enum ChunkError: Error, Equatable, Sendable, CustomStringConvertible {
    case incomplete(reason: String)
    case mismatch(reason: String)

    public var description: String {
        switch self {
        case .incomplete(let reason): return "chunks do not cover the analysis: \(reason)"
        case .mismatch(let reason): return "chunks do not belong together: \(reason)"
        }
    }
}

/// Complete permutation results for one contrast: every permutation's maximum, every measure's count.
public struct PermutationResult: Sendable, Equatable {
    /// N: random resamplings (the identity is counted separately, in every p-value's +1).
    public let count: Int
    public let maxima: [Float]
    public let exceedances: [UInt32]
    public let tfceMaxima: [Float]?
    public let tfceExceedances: [UInt32]?
    public let clusterSizeMaxima: [Float]?
    public let clusterMassMaxima: [Float]?

    /// Combines partials that either split the measures (each with every permutation: maxima are
    /// combined by max, counts concatenated) or split the permutations (each with every measure:
    /// maxima concatenated, counts summed). Either way the result equals a single run's, bit for bit.
    public init(combining parts: [PermutationPartial], measures: Int, permutations: Int) throws {
        guard !parts.isEmpty else { throw ChunkError.incomplete(reason: "no chunks") }
        let all = 1..<(permutations + 1)
        if parts.allSatisfy({ $0.permutations == all }) && parts.allSatisfy({ $0.tfceMaxima == nil && $0.clusterSizeMaxima == nil }) {
            let sorted = parts.sorted { $0.measures.lowerBound < $1.measures.lowerBound }
            try Self.requireTiling(sorted.map(\.measures), total: 0..<measures, what: "measures")
            var maxima = [Float](repeating: -.infinity, count: permutations)
            for part in sorted { for k in 0..<permutations { maxima[k] = max(maxima[k], part.maxima[k]) } }
            self.init(count: permutations, maxima: maxima, exceedances: sorted.flatMap(\.exceedances), tfceMaxima: nil, tfceExceedances: nil)
        } else if parts.allSatisfy({ $0.measures == 0..<measures }) {
            let sorted = parts.sorted { $0.permutations.lowerBound < $1.permutations.lowerBound }
            try Self.requireTiling(sorted.map(\.permutations), total: all, what: "permutations")
            let tfce = sorted[0].tfceMaxima != nil
            guard sorted.allSatisfy({ ($0.tfceMaxima != nil) == tfce && ($0.tfceExceedances != nil) == tfce }) else {
                throw ChunkError.mismatch(reason: "some chunks have TFCE results and some do not")
            }
            let clusters = sorted[0].clusterSizeMaxima != nil
            guard sorted.allSatisfy({ ($0.clusterSizeMaxima != nil) == clusters && ($0.clusterMassMaxima != nil) == clusters }) else {
                throw ChunkError.mismatch(reason: "some chunks have cluster results and some do not")
            }
            func sum(_ counts: [[UInt32]]) -> [UInt32] {
                var total = [UInt32](repeating: 0, count: measures)
                for c in counts { for m in 0..<measures { total[m] += c[m] } }
                return total
            }
            self.init(count: permutations, maxima: sorted.flatMap(\.maxima), exceedances: sum(sorted.map(\.exceedances)),
                      tfceMaxima: tfce ? sorted.flatMap { $0.tfceMaxima! } : nil,
                      tfceExceedances: tfce ? sum(sorted.map { $0.tfceExceedances! }) : nil,
                      clusterSizeMaxima: clusters ? sorted.flatMap { $0.clusterSizeMaxima! } : nil,
                      clusterMassMaxima: clusters ? sorted.flatMap { $0.clusterMassMaxima! } : nil)
        } else {
            throw ChunkError.mismatch(reason: "chunks split neither only the measures nor only the permutations")
        }
    }

    public init(count: Int, maxima: [Float], exceedances: [UInt32], tfceMaxima: [Float]?, tfceExceedances: [UInt32]?,
                clusterSizeMaxima: [Float]? = nil, clusterMassMaxima: [Float]? = nil) {
        self.count = count
        self.maxima = maxima
        self.exceedances = exceedances
        self.tfceMaxima = tfceMaxima
        self.tfceExceedances = tfceExceedances
        self.clusterSizeMaxima = clusterSizeMaxima
        self.clusterMassMaxima = clusterMassMaxima
    }

    static func requireTiling(_ ranges: [Range<Int>], total: Range<Int>, what: String) throws {
        var next = total.lowerBound
        for r in ranges {
            guard r.lowerBound == next else {
                throw ChunkError.incomplete(reason: r.lowerBound > next ? "\(what) \(next)..<\(r.lowerBound) are missing" : "\(what) from \(r.lowerBound) appear twice")
            }
            next = r.upperBound
        }
        guard next == total.upperBound else { throw ChunkError.incomplete(reason: "\(what) \(next)..<\(total.upperBound) are missing") }
    }

    /// Uncorrected permutation p-values: (1 + exceedances) / (N + 1).
    public static func uncorrected(_ exceedances: [UInt32], count: Int) -> [Double] {
        exceedances.map { (1 + Double($0)) / Double(count + 1) }
    }

    /// Max-statistic family-wise error p-values: (1 + #{k : max_k ≥ observed}) / (N + 1).
    public static func familyWise(observed: [Float], maxima: [Float]) -> [Double] {
        let sorted = maxima.sorted()
        let n = sorted.count
        return observed.map { o in
            var lo = 0, hi = n
            while lo < hi {
                let mid = (lo + hi) >> 1
                if sorted[mid] < o { lo = mid + 1 } else { hi = mid }
            }
            return Double(1 + n - lo) / Double(n + 1)
        }
    }
}
