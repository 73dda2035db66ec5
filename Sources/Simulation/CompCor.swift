import Foundation

/// Principal components of masked voxel time series, computed as nipype's CompCor does for fMRIPrep:
/// each voxel high-pass filtered (constant and cosine regressors removed) and scaled to unit variance,
/// then the leading eigenvectors of the time × time Gram matrix (power iteration with deflation; the
/// matrix is only volumes × volumes, so this stays cheap whatever the mask size).
struct CompCor {
    /// Component time series (unit norm), singular values and variance fractions, strongest first.
    struct Result {
        var components: [[Double]]
        var singularValues: [Double]
        var varianceExplained: [Double]
    }

    /// Orthonormal columns spanning the regressors removed before decomposition.
    let basis: [[Double]]

    /// `regressors` are time series of equal length (a constant is added here).
    init(regressors: [[Double]], length: Int) {
        basis = Self.orthonormalised([[Double](repeating: 1, count: length)] + regressors)
    }

    /// Residual of `series` after removing the basis.
    func filtered(_ series: [Double]) -> [Double] {
        var x = series
        for q in basis {
            let c = Self.dot(q, x)
            for t in 0..<x.count { x[t] -= c * q[t] }
        }
        return x
    }

    /// The leading `count` components of the voxel series `voxels` (each of the basis length).
    func decompose(_ voxels: [[Double]], count: Int) -> Result {
        let length = basis.first?.count ?? 0
        var gram = [Double](repeating: 0, count: length * length)
        for series in voxels {
            var x = filtered(series)
            let sd = (Self.dot(x, x) / Double(max(length - 1, 1))).squareRoot()
            guard sd > 1e-9 else { continue }  // constant voxels carry no component (nipype drops them too)
            x = x.map { $0 / sd }
            for a in 0..<length where x[a] != 0 {
                for b in a..<length { gram[a * length + b] += x[a] * x[b] }
            }
        }
        for a in 0..<length { for b in 0..<a { gram[a * length + b] = gram[b * length + a] } }
        let trace = (0..<length).reduce(0.0) { $0 + gram[$1 * length + $1] }

        func multiply(_ q: [Double]) -> [Double] {
            (0..<length).map { a in (0..<length).reduce(0.0) { $0 + gram[a * length + $1] * q[$1] } }
        }
        var result = Result(components: [], singularValues: [], varianceExplained: [])
        for c in 0..<count {
            // A fixed, non-degenerate start vector, orthogonal to the components already found.
            var q = project(out: result.components, from: (0..<length).map { t in 1 + 0.5 * cos(1.7 * Double((t + 1) * (c + 1))) })
            q = Self.normalised(q) ?? Self.unit(c % max(length, 1), length)
            for _ in 0..<500 {
                guard let next = Self.normalised(project(out: result.components, from: multiply(q))) else { break }
                let change = zip(next, q).reduce(0.0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
                q = next
                if change < 1e-24 { break }
            }
            // Sign convention: the largest entry positive, so the output never depends on the start vector's sign.
            if let peak = q.indices.max(by: { abs(q[$0]) < abs(q[$1]) }), q[peak] < 0 { q = q.map { -$0 } }
            let eigenvalue = max(0, Self.dot(q, multiply(q)))
            result.components.append(q)
            result.singularValues.append(eigenvalue.squareRoot())
            result.varianceExplained.append(trace > 0 ? eigenvalue / trace : 0)
        }
        return result
    }

    private func project(out components: [[Double]], from vector: [Double]) -> [Double] {
        var x = vector
        for e in components {
            let c = Self.dot(e, x)
            for t in 0..<x.count { x[t] -= c * e[t] }
        }
        return x
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double {
        var s = 0.0
        for i in 0..<min(a.count, b.count) { s += a[i] * b[i] }
        return s
    }

    static func normalised(_ x: [Double]) -> [Double]? {
        let norm = dot(x, x).squareRoot()
        return norm > 1e-12 ? x.map { $0 / norm } : nil
    }

    static func unit(_ i: Int, _ n: Int) -> [Double] { (0..<n).map { $0 == i ? 1 : 0 } }

    /// Modified Gram–Schmidt; columns that are (numerically) dependent on earlier ones are dropped.
    static func orthonormalised(_ columns: [[Double]]) -> [[Double]] {
        var out: [[Double]] = []
        for column in columns {
            var x = column
            for q in out {
                let c = dot(q, x)
                for t in 0..<x.count { x[t] -= c * q[t] }
            }
            if let q = normalised(x) { out.append(q) }
        }
        return out
    }
}
