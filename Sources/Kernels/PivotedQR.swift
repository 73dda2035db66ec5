/// Householder QR with column pivoting (LAPACK dgeqp3's strategy), used to project confounds out:
/// the orthonormal basis of their column space, dropping directions whose |Rᵢᵢ| falls below a threshold
/// (nilearn keeps |Rᵢᵢ| > 100·ε, so only exactly collinear confounds are dropped).
public enum PivotedQR {
    /// Orthonormal columns (each of length `rows`) spanning the kept directions of `columns`.
    public static func orthonormalBasis(columns input: [[Double]], rows: Int, threshold: Double = 100 * Double.ulpOfOne) -> [[Double]] {
        var a = input
        let n = a.count
        guard n > 0, rows > 0 else { return [] }
        var norms = a.map { $0.reduce(0) { $0 + $1 * $1 } }
        var reflectors: [[Double]] = []
        var kept = 0
        for k in 0..<min(n, rows) {
            // Pivot: the remaining column with the largest remaining norm.
            let p = (k..<n).max { norms[$0] < norms[$1] }!
            a.swapAt(k, p)
            norms.swapAt(k, p)
            var v = Array(a[k][k..<rows])
            let alpha = (v.reduce(0) { $0 + $1 * $1 }).squareRoot()
            let rkk = v[0] > 0 ? -alpha : alpha
            guard abs(rkk) > threshold else { break }
            v[0] -= rkk
            let vnorm2 = v.reduce(0) { $0 + $1 * $1 }
            if vnorm2 > 0 {
                for j in k..<n {
                    var dot = 0.0
                    for i in 0..<v.count { dot += v[i] * a[j][k + i] }
                    let f = 2 * dot / vnorm2
                    for i in 0..<v.count { a[j][k + i] -= f * v[i] }
                }
            }
            reflectors.append(v)
            for j in (k + 1)..<n { norms[j] -= a[j][k] * a[j][k] }
            // Recompute norms that lost precision to cancellation (as dgeqp3 does).
            for j in (k + 1)..<n where norms[j] < 1e-10 * (a[j][(k + 1)..<rows].reduce(0) { $0 + $1 * $1 } + 1e-300) {
                norms[j] = a[j][(k + 1)..<rows].reduce(0) { $0 + $1 * $1 }
            }
            kept += 1
        }
        // Q's first `kept` columns: apply the reflectors to unit vectors in reverse order.
        return (0..<kept).map { c in
            var e = [Double](repeating: 0, count: rows)
            e[c] = 1
            for k in stride(from: reflectors.count - 1, through: 0, by: -1) {
                let v = reflectors[k]
                let vnorm2 = v.reduce(0) { $0 + $1 * $1 }
                guard vnorm2 > 0 else { continue }
                var dot = 0.0
                for i in 0..<v.count { dot += v[i] * e[k + i] }
                let f = 2 * dot / vnorm2
                for i in 0..<v.count { e[k + i] -= f * v[i] }
            }
            return e
        }
    }
}
