/// An ordinary least-squares model with a full-rank design, factored X = QR in Float64
/// (Gram–Schmidt applied twice, which keeps Q orthonormal to machine precision).
public struct LinearModel: Sendable {
    public let design: DesignMatrix
    /// n × p, row-major, orthonormal columns spanning the design.
    public let q: [Double]
    /// p × p upper triangular, row-major.
    public let r: [Double]

    public var n: Int { design.rowCount }
    public var p: Int { design.columnCount }
    public var degreesOfFreedom: Int { n - p }

    /// Factors `design`; a column that is a combination of earlier ones is reported with its coefficients.
    public init(design: DesignMatrix) throws {
        let n = design.rowCount, p = design.columnCount
        guard n > p else { throw StatsError.tooFewParticipants(count: n, columns: design.columnNames) }
        var q = [Double](repeating: 0, count: n * p)
        var r = [Double](repeating: 0, count: p * p)
        for j in 0..<p {
            var v = (0..<n).map { design[$0, j] }
            let original = Self.norm(v)
            // Two passes of modified Gram–Schmidt against the columns already accepted.
            for _ in 0..<2 {
                for k in 0..<j {
                    var d = 0.0
                    for i in 0..<n { d += q[i * p + k] * v[i] }
                    for i in 0..<n { v[i] -= d * q[i * p + k] }
                    r[k * p + j] += d
                }
            }
            let remaining = Self.norm(v)
            if remaining <= 1e-9 * original {
                // x_j = Σ_k c_k x_k with R[0..<j, 0..<j] c = R[0..<j, j].
                var c = [Double](repeating: 0, count: j)
                for k in stride(from: j - 1, through: 0, by: -1) {
                    var s = r[k * p + j]
                    for l in (k + 1)..<j { s -= r[k * p + l] * c[l] }
                    c[k] = s / r[k * p + k]
                }
                let biggest = c.map(abs).max() ?? 0
                let terms = (0..<j).filter { abs(c[$0]) > 1e-8 * biggest }.map { (design.columns[$0].name, c[$0]) }
                throw StatsError.rankDeficient(column: design.columns[j].name, combination: terms)
            }
            r[j * p + j] = remaining
            for i in 0..<n { q[i * p + j] = v[i] / remaining }
        }
        self.design = design
        self.q = q
        self.r = r
    }

    static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    /// Solves Rᵀ m = c (forward substitution): m · (Qᵀy) = c · β̂.
    func solveTransposed(_ c: [Double]) -> [Double] {
        var m = [Double](repeating: 0, count: p)
        for i in 0..<p {
            var s = c[i]
            for k in 0..<i { s -= r[k * p + i] * m[k] }
            m[i] = s / r[i * p + i]
        }
        return m
    }

    /// Least-squares coefficients β̂ = R⁻¹ Qᵀ y of one response (used by tests and regional reports).
    public func coefficients(_ y: [Double]) -> [Double] {
        var qty = [Double](repeating: 0, count: p)
        for i in 0..<n { for k in 0..<p { qty[k] += q[i * p + k] * y[i] } }
        var beta = [Double](repeating: 0, count: p)
        for k in stride(from: p - 1, through: 0, by: -1) {
            var s = qty[k]
            for l in (k + 1)..<p { s -= r[k * p + l] * beta[l] }
            beta[k] = s / r[k * p + k]
        }
        return beta
    }
}

/// Orthonormalises `vectors` in order by Gram–Schmidt applied twice, skipping those within
/// `tolerance` (relative) of the span of the ones kept; stops at `limit`. Order matters here (a
/// contrast's effect directions come first), which is why the pivoted QR in Kernels does not serve.
func orthonormalBasis(_ vectors: [[Double]], limit: Int, tolerance: Double = 1e-10) -> [[Double]] {
    var basis: [[Double]] = []
    for vector in vectors where basis.count < limit {
        var v = vector
        let original = LinearModel.norm(v)
        guard original > 0 else { continue }
        for _ in 0..<2 {
            for b in basis {
                var d = 0.0
                for i in v.indices { d += b[i] * v[i] }
                for i in v.indices { v[i] -= d * b[i] }
            }
        }
        let remaining = LinearModel.norm(v)
        if remaining > tolerance * original { basis.append(v.map { $0 / remaining }) }
    }
    return basis
}
