/// Region-to-region connectivity from cleaned region series (small matrices, float64), as
/// nilearn's `ConnectivityMeasure` computes it: correlation from the covariance of z-scored series,
/// partial correlation from the inverse of the covariance, each with an empirical or a
/// Ledoit–Wolf-shrunk covariance (scikit-learn's estimators).
public enum ConnectivityMatrix {
    public enum Estimator: String, Sendable, Codable, CaseIterable {
        case empirical
        case ledoitWolf = "ledoit-wolf"
    }

    public enum Kind: String, Sendable, Codable, CaseIterable {
        case correlation
        case partial
    }

    public enum MatrixError: Error, Equatable, Sendable, CustomStringConvertible {
        case singular(regions: Int, volumes: Int)

        public var description: String {
            switch self {
            case .singular(let r, let n):
                return "the covariance of \(r) regions over \(n) volumes is singular, so partial correlation is undefined (a shrinkage estimator such as Ledoit–Wolf is not singular)"
            }
        }
    }

    /// The connectivity matrix (regions × regions, row-major) of `series` (one array per region, equal lengths).
    public static func compute(_ series: [[Double]], kind: Kind, estimator: Estimator) throws -> [Double] {
        let r = series.count
        switch kind {
        case .correlation:
            let cov = covariance(series.map(zscored), estimator: estimator)
            return correlation(fromCovariance: cov, size: r)
        case .partial:
            let cov = covariance(series, estimator: estimator)
            guard let precision = inverseSPD(cov, size: r) else {
                throw MatrixError.singular(regions: r, volumes: series.first?.count ?? 0)
            }
            var partial = correlation(fromCovariance: precision, size: r).map { -$0 }
            for i in 0..<r { partial[i * r + i] = 1 }
            return partial
        }
    }

    /// Covariance with the mean removed and divided by n (scikit-learn's convention), optionally shrunk.
    public static func covariance(_ series: [[Double]], estimator: Estimator) -> [Double] {
        let p = series.count
        let n = series.first?.count ?? 0
        let centred = series.map { s -> [Double] in
            let mean = s.reduce(0, +) / Double(n)
            return s.map { $0 - mean }
        }
        var cov = [Double](repeating: 0, count: p * p)
        for i in 0..<p {
            for j in i..<p {
                var s = 0.0
                for t in 0..<n { s += centred[i][t] * centred[j][t] }
                cov[i * p + j] = s / Double(n)
                cov[j * p + i] = cov[i * p + j]
            }
        }
        guard estimator == .ledoitWolf, p > 0, n > 0 else { return cov }
        let shrinkage = ledoitWolfShrinkage(centred, n: n)
        let mu = (0..<p).reduce(0) { $0 + cov[$1 * p + $1] } / Double(p)
        for i in 0..<(p * p) { cov[i] *= 1 - shrinkage }
        for i in 0..<p { cov[i * p + i] += shrinkage * mu }
        return cov
    }

    /// scikit-learn's `ledoit_wolf_shrinkage` on centred data (p series of n samples).
    static func ledoitWolfShrinkage(_ x: [[Double]], n: Int) -> Double {
        let p = x.count
        let x2 = x.map { $0.map { $0 * $0 } }
        let empiricalTrace = x2.map { $0.reduce(0, +) / Double(n) }
        let mu = empiricalTrace.reduce(0, +) / Double(p)
        var delta = 0.0, beta = 0.0
        for i in 0..<p {
            for j in 0..<p {
                var xx = 0.0, x2x2 = 0.0
                for t in 0..<n {
                    xx += x[i][t] * x[j][t]
                    x2x2 += x2[i][t] * x2[j][t]
                }
                delta += xx * xx
                beta += x2x2
            }
        }
        delta /= Double(n * n)
        beta = (beta / Double(n) - delta) / Double(p * n)
        var d = delta - 2 * mu * empiricalTrace.reduce(0, +) + Double(p) * mu * mu
        d /= Double(p)
        beta = min(beta, d)
        return beta == 0 ? 0 : beta / d
    }

    /// cov / √(diag ⊗ diag), with an exact 1 on the diagonal (nilearn `cov_to_corr`).
    public static func correlation(fromCovariance cov: [Double], size p: Int) -> [Double] {
        let scale = (0..<p).map { 1 / cov[$0 * p + $0].squareRoot() }
        var out = cov
        for i in 0..<p { for j in 0..<p { out[i * p + j] *= scale[i] * scale[j] } }
        for i in 0..<p { out[i * p + i] = 1 }
        return out
    }

    /// Inverse of a symmetric positive-definite matrix by Cholesky; nil when not positive definite.
    static func inverseSPD(_ a: [Double], size p: Int) -> [Double]? {
        var l = [Double](repeating: 0, count: p * p)
        let scale = (0..<p).map { a[$0 * p + $0] }.max() ?? 1
        for j in 0..<p {
            var d = a[j * p + j]
            for k in 0..<j { d -= l[j * p + k] * l[j * p + k] }
            guard d > 1e-12 * scale else { return nil }
            l[j * p + j] = d.squareRoot()
            for i in (j + 1)..<p {
                var s = a[i * p + j]
                for k in 0..<j { s -= l[i * p + k] * l[j * p + k] }
                l[i * p + j] = s / l[j * p + j]
            }
        }
        // Solve L Lᵀ X = I column by column.
        var inv = [Double](repeating: 0, count: p * p)
        for c in 0..<p {
            var y = [Double](repeating: 0, count: p)
            for i in 0..<p {
                var s = i == c ? 1.0 : 0.0
                for k in 0..<i { s -= l[i * p + k] * y[k] }
                y[i] = s / l[i * p + i]
            }
            for i in stride(from: p - 1, through: 0, by: -1) {
                var s = y[i]
                for k in (i + 1)..<p { s -= l[k * p + i] * inv[k * p + c] }
                inv[i * p + c] = s / l[i * p + i]
            }
        }
        return inv
    }

    static func zscored(_ x: [Double]) -> [Double] { CleaningOperator.zscored(x) }
}
