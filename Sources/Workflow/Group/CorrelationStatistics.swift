import Foundation
import Stats

/// Small Float64 statistics for QC-FC: correlation p-values, average ranks, Spearman, medians, Welch.
/// Each follows the scipy function the tests compare it with.
enum CorrelationStatistics {
    /// Two-sided p of a correlation r over n observations (scipy.stats.pearsonr / spearmanr):
    /// t = r √((n − 2) / (1 − r²)) against Student's t with n − 2 df; |r| = 1 gives 0.
    static func pValue(r: Double, n: Int) -> Double {
        let df = Double(n - 2)
        guard df >= 1 else { return .nan }
        let denominator = (1 - r) * (1 + r)
        guard denominator > 0 else { return 0 }
        let t = r * (df / denominator).squareRoot()
        return min(1, 2 * Distributions.tUpperTail(abs(t), degreesOfFreedom: df))
    }

    /// Pearson r by two passes in Float64 (centred sums); nil when either variable is constant.
    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        let n = Double(x.count)
        guard x.count == y.count, x.count > 1 else { return nil }
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            let dx = a - mx, dy = b - my
            sxy += dx * dy
            sxx += dx * dx
            syy += dy * dy
        }
        guard sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// Ranks 1…n, tied values sharing the mean of their ranks (scipy.stats.rankdata "average").
    static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] || (values[$0] == values[$1] && $0 < $1) }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end + 2) / 2  // mean of the 1-based ranks start+1 … end+1
            for k in start...end { ranks[order[k]] = rank }
            start = end + 1
        }
        return ranks
    }

    /// Spearman ρ (Pearson r of average ranks) and its two-sided p; nil for fewer than 3 pairs or a constant variable.
    static func spearman(_ x: [Double], _ y: [Double]) -> (rho: Double, p: Double)? {
        guard x.count == y.count, x.count >= 3, let rho = pearson(averageRanks(x), averageRanks(y)) else { return nil }
        return (rho, pValue(r: rho, n: x.count))
    }

    /// The median (mean of the two middle values for an even count, as numpy); nil when empty.
    static func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// Mean and sample variance (n − 1; nil for one value), two-pass in Float64.
    static func meanAndVariance(_ values: [Double]) -> (mean: Double, variance: Double?) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        guard values.count > 1 else { return (mean, nil) }
        let ss = values.reduce(0.0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, ss / (n - 1))
    }

    /// Welch's unequal-variance t test of a − b (scipy.stats.ttest_ind(a, b, equal_var=False)):
    /// t, Welch–Satterthwaite df and the two-sided p; nil when a group has fewer than 2 values or both variances are 0.
    static func welch(_ a: [Double], _ b: [Double]) -> (t: Double, df: Double, p: Double)? {
        let (ma, va) = meanAndVariance(a), (mb, vb) = meanAndVariance(b)
        guard let va, let vb else { return nil }
        let sa = va / Double(a.count), sb = vb / Double(b.count)
        let se2 = sa + sb
        guard se2 > 0 else { return nil }
        let t = (ma - mb) / se2.squareRoot()
        let df = se2 * se2 / (sa * sa / Double(a.count - 1) + sb * sb / Double(b.count - 1))
        return (t, df, min(1, 2 * Distributions.tUpperTail(abs(t), degreesOfFreedom: df)))
    }
}
